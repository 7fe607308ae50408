"""An operator's world: the service answering over https on this machine (its own certificate,
trusted through REQUESTS_CA_BUNDLE as a private CA would be), a Twilio account with the line's
numbers bought and not yet configured, and `warmline` run as an operator runs it."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scripts.harness.fake_twilio import FakeTwilio
from scripts.harness.procfile import free_port
from service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
WARMLINE = Path(sys.executable).with_name("warmline")


@dataclass(frozen=True)
class PublicService:
    url: str
    certificate: Path


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as a private CA's would be."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def public_service(environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublicService]:
    """The app under gunicorn, over https, at the URL Twilio would call."""
    certificate, key = _certificate(tmp_path_factory.mktemp("tls"))
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--no-control-socket", "--bind", f"127.0.0.1:{port}"]
    command += ["--certfile", str(certificate), "--keyfile", str(key), "service.app:create_app()"]
    server = subprocess.Popen(
        command, cwd=REPO, env={**os.environ, **environment, "WARMLINE_PUBLIC_URL": url}, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{url}/healthz", verify=str(certificate), timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass  # not listening yet, or its worker still importing the app
        if time.monotonic() > deadline or server.poll() is not None:
            os.killpg(server.pid, signal.SIGTERM)
            raise RuntimeError("the https service did not start")
        time.sleep(0.2)
    yield PublicService(url, certificate)
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=10)


@pytest.fixture
def operator_environment(environment: dict[str, str], public_service: PublicService) -> dict[str, str]:
    """The service's environment as an operator sets it, the https service as its public URL."""
    return {
        **environment,
        "WARMLINE_PUBLIC_URL": public_service.url,
        "REQUESTS_CA_BUNDLE": str(public_service.certificate),
    }


@pytest.fixture
def twilio_account(fake_twilio: FakeTwilio, environment: dict[str, str]) -> Iterator[FakeTwilio]:
    """The Twilio account with the line's numbers bought and left as Twilio sells them."""
    fake_twilio.reset()
    for number in Settings.from_environment(environment).line.numbers:
        fake_twilio.buy_number(number)
    yield fake_twilio
    fake_twilio.reset()


def warmline(*arguments: str, environ: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """The console script, run as an operator runs it, with exactly this environment."""
    return subprocess.run(
        [str(WARMLINE), *arguments],
        env={"PATH": os.environ["PATH"], **environ},
        capture_output=True,
        text=True,
        timeout=120,
    )
