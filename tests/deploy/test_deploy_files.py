"""The production files (compose.yaml, the image's entrypoint, the systemd units) run exactly
the Procfile's tested commands, restart what dies, and check health on /healthz.

No container or systemd boot runs here (these machines fetch no base images and have no
systemd as PID 1): what can be run is run: the commands through the image's own entrypoint
and a real shell, the web health check against a live HTTP server, the units through
`systemd-analyze verify`.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = DEPLOY / "systemd"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
# A command line that prints the words a shell would pass to the Procfile's command.
PRINT_ARGV = "printf '%s\\n'"


def procfile() -> dict[str, str]:
    """The Procfile's process types and command lines, read as honcho reads them."""
    lines = (REPO / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def env_example() -> dict[str, str]:
    """deploy/env.example as Compose reads a .env file (KEY=VALUE, # comments), with each
    secret left blank there filled in as an operator would."""
    pairs = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            pairs[key.strip()] = value or f"filled-in-{key.strip().lower()}"
    return pairs


class ComposeVariableMissing(LookupError):
    """A ${VAR:?message} whose variable is unset: Compose refuses the file."""


_COMPOSE_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>.*)", re.DOTALL)


def compose_interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation of a value: $$ is a literal $, ${VAR:-default} and its
    siblings read the project's .env, at the time the file is read (not in the container)."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["named"]:
            return env.get(match["named"], "")
        parts = _BRACED.fullmatch(match["braced"])
        assert parts, f"Compose would reject ${{{match['braced']}}}"
        value, op, arg = env.get(parts["name"]), parts["op"], parts["arg"]
        if op == ":-":
            return value or arg
        if op == "-":
            return arg if value is None else value
        if op in (":?", "?") and (value is None or (op == ":?" and not value)):
            raise ComposeVariableMissing(f"{parts['name']}: {arg}")
        if op == ":+":
            return arg if value else ""
        if op == "+":
            return "" if value is None else arg
        return value or ""

    return _COMPOSE_VARIABLE.sub(replace, text)


def interpolated(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return compose_interpolate(node, env)
    if isinstance(node, list):
        return [interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    return node


def raw_compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def compose(env: Mapping[str, str]) -> dict[str, Any]:
    """compose.yaml as `docker compose config` would resolve it with this .env."""
    return interpolated(raw_compose(), env)


def container_environment(service: Mapping[str, Any], dotenv: Mapping[str, str]) -> dict[str, str]:
    """What a container sees: env_file (.env), then `environment:` over it."""
    assert service["env_file"] == ".env"
    return {**dotenv, **{key: str(value) for key, value in service["environment"].items()}}


def argv_through_shell(line: str, env: Mapping[str, str]) -> list[str]:
    """The words a Procfile line becomes when a shell runs it, as honcho does."""
    result = subprocess.run(
        ["sh", "-c", f"{PRINT_ARGV} {line}"], env=dict(env), capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


def argv_through_entrypoint(command: list[str], env: Mapping[str, str]) -> list[str]:
    """The words the image's entrypoint runs for a compose `command:`."""
    assert len(command) == 1, "one Procfile line per command, expanded in the container"
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), f"{PRINT_ARGV} {command[0]}"], env=dict(env), capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


WEB_SERVICES = ("web-1", "web-2")
ENVIRONMENTS = {
    "env.example as written": env_example(),
    "defaults (no WEB_CONCURRENCY, no PORT)": {
        k: v for k, v in env_example().items() if k not in ("WEB_CONCURRENCY", "PORT")
    },
    "operator's own values": {**env_example(), "WEB_CONCURRENCY": "5", "PORT": "8000"},
}


@pytest.mark.parametrize("service", [*WEB_SERVICES, "worker"])
def test_compose_commands_are_the_procfiles_lines(service: str) -> None:
    kind = "worker" if service == "worker" else "web"
    command = compose(env_example())["services"][service]["command"]
    assert command == [procfile()[kind]]


@pytest.mark.parametrize("dotenv", ENVIRONMENTS.values(), ids=ENVIRONMENTS.keys())
@pytest.mark.parametrize("service", [*WEB_SERVICES, "worker"])
def test_compose_commands_expand_in_the_container_as_under_honcho(service: str, dotenv: dict[str, str]) -> None:
    kind = "worker" if service == "worker" else "web"
    resolved = compose(dotenv)["services"][service]
    env = {"PATH": "/usr/bin:/bin", **container_environment(resolved, dotenv)}
    assert argv_through_entrypoint(resolved["command"], env) == argv_through_shell(procfile()[kind], env)
    if kind == "worker":
        assert "redis://redis:6379/0" in argv_through_entrypoint(resolved["command"], env)


def test_image_entrypoint_runs_several_arguments_as_typed() -> None:
    """`docker compose run --rm migrate warmline volunteer add --name "Ana Rivera" ...`."""
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), "printf", "[%s]", "Ana Rivera", "$HOME"], capture_output=True, text=True, check=True
    )
    assert result.stdout == "[Ana Rivera][$HOME]"


def test_image_default_command_is_the_procfile_web_line() -> None:
    cmd = [line for line in (REPO / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    assert len(cmd) == 1
    assert json.loads(cmd[0].removeprefix("CMD ")) == [procfile()["web"]]


def test_compose_refuses_to_start_without_the_secrets() -> None:
    with pytest.raises(ComposeVariableMissing, match="POSTGRES_PASSWORD"):
        compose({k: v for k, v in env_example().items() if k != "POSTGRES_PASSWORD"})
    compose(env_example())  # every variable compose.yaml requires is in the example


def test_every_service_has_a_restart_policy() -> None:
    services = compose(env_example())["services"]
    assert {name: service.get("restart") for name, service in services.items()} == {
        **{name: "unless-stopped" for name in services},
        "migrate": "no",  # a one-shot: it must not loop
    }


def test_web_and_worker_start_after_the_migration_succeeds() -> None:
    services = compose(env_example())["services"]
    assert services["migrate"]["command"] == ["warmline db upgrade"]
    for name in (*WEB_SERVICES, "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_the_stack_has_two_webs_three_workers_and_caddy_in_front() -> None:
    services = compose(env_example())["services"]
    assert services["worker"]["deploy"]["replicas"] == 3
    assert {"80:80", "443:443"} <= set(services["caddy"]["ports"])
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert re.search(r"reverse_proxy web-1:8000 web-2:8000 \{", caddyfile)
    assert "{$WARMLINE_DOMAIN}" in caddyfile
    assert {port for name, service in services.items() for port in service.get("ports", []) if name != "caddy"} == set()


def test_each_web_keeps_its_spool_on_its_own_volume() -> None:
    services = compose(env_example())["services"]
    spools = [
        next(v for v in services[name]["volumes"] if v.endswith(":/var/lib/warmline/spool")) for name in WEB_SERVICES
    ]
    assert len(set(spools)) == len(WEB_SERVICES)
    settings = Settings.from_environment(
        {
            "DATABASE_URL": "sqlite://",
            "WARMLINE_PUBLIC_URL": "https://x",
            "WARMLINE_SECRET_KEY": "-",
            "WARMLINE_DATA_KEY": "-" * 32,
            "WARMLINE_CONFIG": str(DEPLOY / "line.example.toml"),
        }
    )
    assert settings.spool_dir == Path("/var/lib/warmline/spool")


def test_redis_keeps_jobs_noeviction_and_append_only() -> None:
    redis = compose(env_example())["services"]["redis"]
    words = redis["command"]
    assert words[words.index("--maxmemory-policy") + 1] == "noeviction"
    assert words[words.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
    postgres = compose(env_example())["services"]["postgres"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])


class _Health(BaseHTTPRequestHandler):
    status = 200
    paths: list[str] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[type[_Health], int]]:
    handler = type("Health", (_Health,), {"paths": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("service", WEB_SERVICES)
def test_web_health_check_asks_healthz_and_fails_on_503(service: str, health_server: tuple[type[_Health], int]) -> None:
    handler, port = health_server
    check = compose(env_example())["services"][service]["healthcheck"]["test"]
    assert check[0] == "CMD" and check[1] == "python"
    run = [sys.executable, *check[2:]]
    env = {"PATH": "/usr/bin:/bin", "PORT": str(port)}
    assert subprocess.run(run, env=env, capture_output=True).returncode == 0
    handler.status = 503
    assert subprocess.run(run, env=env, capture_output=True).returncode != 0
    assert handler.paths == ["/healthz", "/healthz"]


def test_secrets_file_is_never_committed() -> None:
    paths = ["deploy/.env", "deploy/line.toml", "deploy/backups/warmline.dump"]
    ignored = subprocess.run(["git", "check-ignore", *paths], cwd=REPO, capture_output=True, text=True)
    assert ignored.stdout.splitlines() == paths


# systemd ------------------------------------------------------------------------------------

UNIT_FILES = sorted(UNITS.glob("warmline-*"))
LONG_RUNNING = {"warmline-web.service": "web", "warmline-worker@.service": "worker"}
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "CapabilityBoundingSet": "",
}
# Who each service runs as, and the only paths it may write (besides its private /tmp).
ACCOUNTS = {
    "warmline-migrate.service": ("warmline", []),
    "warmline-web.service": ("warmline", ["/var/lib/warmline/spool"]),
    "warmline-worker@.service": ("warmline", []),
    "warmline-backup.service": ("postgres", ["/var/backups/warmline"]),
}


def unit_settings(path: Path, wanted: str = "Service") -> dict[str, list[str]]:
    """One section of a unit file, each key with its values in order (keys may repeat)."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in path.read_text().splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section == wanted and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def systemd_command(exec_start: str) -> list[str]:
    """ExecStart's words as systemd passes them ($$ is a literal $; no % specifiers used)."""
    assert "%" not in exec_start
    return shlex.split(exec_start.replace("$$", "$"))


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """verify exits 0 even on unknown keys and unparsable values, which it only prints, so
    any output at all fails the test."""
    assert shutil.which("systemd-analyze"), "scripts/services.sh installs systemd"
    for unit in UNIT_FILES:
        shutil.copy(unit, tmp_path)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / unit.name) for unit in UNIT_FILES)],
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("unit", LONG_RUNNING)
def test_units_run_the_procfiles_lines_and_restart_always(unit: str) -> None:
    settings = unit_settings(UNITS / unit)
    assert systemd_command(settings["ExecStart"][0]) == ["/bin/sh", "-c", f"exec {procfile()[LONG_RUNNING[unit]]}"]
    assert settings["Restart"] == ["always"]
    assert unit_settings(UNITS / unit, "Unit")["Requires"] == ["warmline-migrate.service"]


@pytest.mark.parametrize("unit", ACCOUNTS)
def test_units_are_hardened(unit: str) -> None:
    settings = unit_settings(UNITS / unit)
    assert {key: settings.get(key, [None])[-1] for key in HARDENING} == HARDENING
    assert (settings["User"], settings.get("ReadWritePaths", [])) == ([ACCOUNTS[unit][0]], ACCOUNTS[unit][1])
    assert sorted(path.name for path in UNIT_FILES if path.suffix == ".service") == sorted(ACCOUNTS)
