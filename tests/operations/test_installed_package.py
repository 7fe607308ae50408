"""The service installed from its wheel (not editable, far from any checkout): it knows its
version and reads config/ from the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The working tree's files (as git sees them) built into a wheel and installed into a
    folder of its own."""
    folder = tmp_path_factory.mktemp("installed")
    source, wheels, target = folder / "source", folder / "wheels", folder / "site"
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "--null", "-T", "-", "-cf", str(folder / "tree.tar")], input=files, cwd=REPO, check=True)
    source.mkdir()
    subprocess.run(["tar", "-xf", str(folder / "tree.tar"), "-C", str(source)], check=True)
    pip = [sys.executable, "-m", "pip", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)], check=True)
    [wheel] = wheels.glob("warmline-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    yield target


def _run(installed: Path, *command: str, stdin: str = "") -> str:
    """A command with the installed package first on the path, from a folder with no checkout."""
    env = {**os.environ, "PYTHONPATH": str(installed)}
    done = subprocess.run(
        command, env=env, cwd=installed.parent, input=stdin, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout


def test_warmline_version_comes_from_the_package_metadata(installed: Path) -> None:
    assert (
        _run(installed, str(installed / "bin" / "warmline"), "--version")
        == f"warmline, version {version('warmline')}\n"
    )


def test_the_installed_service_reads_its_config_from_the_package(installed: Path) -> None:
    where = _run(installed, sys.executable, "-c", "from service import settings; print(settings.CONFIG_DIR)").strip()

    config = Path(where)
    assert config.is_relative_to(installed) and not config.is_relative_to(REPO)
    assert (config / "warmline.toml").is_file() and not (config / "warmline.toml").is_symlink()
    assert sorted(path.name for path in (config / "messages").iterdir()) == ["en.toml", "es.toml"]
    line = '{"id": 1, "text": "I want to kill myself tonight"}\n'
    assessed = _run(installed, str(installed / "bin" / "warmline"), "assess", stdin=line)
    from_checkout = subprocess.run(
        [str(Path(sys.executable).with_name("warmline")), "assess"],
        input=line,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert assessed == from_checkout and json.loads(assessed)["level"] != "none"  # the lexicons were read
