"""`warmline demo`: the whole line on one machine, with nothing installed or running.

SQLite instead of PostgreSQL; fakeredis served over TCP in this process instead of Redis, so
RQ's own worker and scheduler run unchanged (the scheduler's forked process connects to it
like any client); the simulator page instead of phones, and its Twilio stand-in instead of
Twilio. Everything between is the production code path.
"""

from __future__ import annotations

import logging
import secrets
import socket
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from fakeredis import TcpFakeServer
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import select
from werkzeug.serving import make_server

from service.app import create_app
from service.db import Supervisor, Volunteer
from service.db.migrate import upgrade
from service.jobs.job_queue import QUEUE_NAME
from service.jobs.worker import Worker
from service.runtime import Runtime, install_process_runtime
from service.settings import Settings

log = logging.getLogger(__name__)

TEXTER_PHONE = "+15555550100"
SUPERVISOR_PHONE = "+15555550133"
VOLUNTEERS = [
    ("Ana Rivera", "Ana", "+15555550111", "en,es"),
    ("Ben Okafor", "Ben", "+15555550122", "en"),
]
PANES = [
    {"pane": "texter", "label": "Texter", "role": "texter", "phone": TEXTER_PHONE},
    {"pane": "ana", "label": "Ana", "role": "volunteer", "phone": VOLUNTEERS[0][2]},
    {"pane": "ben", "label": "Ben", "role": "volunteer", "phone": VOLUNTEERS[1][2]},
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_environment(port: int, redis_port: int, data_dir: Path) -> dict[str, str]:
    account_sid = "AC" + secrets.token_hex(16)
    public_url = f"http://127.0.0.1:{port}"
    return {
        "DATABASE_URL": f"sqlite:///{data_dir / 'warmline-demo.db'}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "TWILIO_ACCOUNT_SID": account_sid,
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "TWILIO_API_BASE_URL": f"{public_url}/simulator/twilio",
        "WARMLINE_PUBLIC_URL": public_url,
        "WARMLINE_SECRET_KEY": secrets.token_urlsafe(32),
        "WARMLINE_DATA_KEY": secrets.token_urlsafe(32),
    }


DEMO_SUPERVISOR_EMAIL = "sam@example.org"


def _seed(runtime: Runtime) -> str:
    """The demo's volunteers and supervisor; returns the supervisor's dashboard password,
    generated anew at every start (a demo's data folder may outlive the terminal that
    printed the last one)."""
    now = datetime.now(UTC)
    password = secrets.token_urlsafe(12)
    with runtime.sessions() as session, session.begin():
        if session.scalar(select(Volunteer.id).limit(1)) is None:
            for name, alias, phone, languages in VOLUNTEERS:
                session.add(
                    Volunteer(name=name, alias=alias, phone=phone, languages=languages, active=True, created_at=now)
                )
        supervisor = session.scalars(select(Supervisor).where(Supervisor.email == DEMO_SUPERVISOR_EMAIL)).first()
        if supervisor is None:
            supervisor = Supervisor(
                name="Sam Demo",
                email=DEMO_SUPERVISOR_EMAIL,
                phone=SUPERVISOR_PHONE,
                role="admin",
                on_call=True,
                active=True,
                created_at=now,
            )
            session.add(supervisor)
        supervisor.password_hash = PasswordHasher().hash(password)
    return password


def run_demo(port: int = 5000, data_dir: str | None = None) -> None:
    folder = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="warmline-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    redis_port = _free_port()
    redis_server = TcpFakeServer(("127.0.0.1", redis_port))
    redis_server.daemon_threads = True
    threading.Thread(target=redis_server.serve_forever, name="fake-redis", daemon=True).start()

    spool = {"inbound": {"spool_dir": str(folder / "spool")}}  # the demo's own folder, not /var/lib/warmline
    runtime = Runtime(Settings.from_environment(demo_environment(port, redis_port, folder), overrides=spool))
    upgrade(runtime.engine)
    password = _seed(runtime)
    install_process_runtime(runtime)

    app = create_app(runtime, simulator=True)
    app.config["SIMULATOR_PHONES"] = PANES
    web = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=web.serve_forever, name="web", daemon=True).start()
    print(f"Warmline demo: open http://127.0.0.1:{port}/simulator  (data in {folder}; Ctrl-C stops)", flush=True)
    print(
        f"Supervisors' dashboard: http://127.0.0.1:{port}/dashboard  "
        f"sign in as {DEMO_SUPERVISOR_EMAIL} with password {password}",
        flush=True,
    )

    queue = Queue(QUEUE_NAME, connection=runtime.redis, serializer=JSONSerializer)
    worker = Worker([queue], connection=runtime.redis, serializer=JSONSerializer)
    try:
        worker.work(with_scheduler=True, logging_level="WARNING")
    finally:
        web.shutdown()
        redis_server.shutdown()
