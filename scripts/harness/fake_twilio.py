"""Run the fake Twilio server (scripts/harness/fake_twilio_server.py) for a test and drive it through its control API.

Tests talk to Twilio only through the official client pointed at this fake, so
nothing in our code is patched: `FakeTwilio.client()` is the service's own client
(service/outbound/twilio_gateway.py), with the fake's URL as TWILIO_API_BASE_URL.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from twilio.rest import Client

from service.outbound.twilio_gateway import twilio_client

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTROL_TIMEOUT_SECONDS = 5.0


class FakeTwilio:
    """A fake Twilio server in a subprocess, started on construction and stopped by stop() or `with`."""

    def __init__(
        self,
        *,
        status_callbacks: bool = False,
        log_level: str = "INFO",
        account_sid: str | None = None,
        auth_token: str | None = None,
        spec: Path | None = None,
        startup_timeout: float = 15.0,
    ) -> None:
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        command = [
            sys.executable,
            "-m",
            "scripts.harness.fake_twilio_server",
            "--port",
            "0",
            "--account-sid",
            self.account_sid,
            "--auth-token",
            self.auth_token,
            "--log-level",
            log_level,
        ]
        if spec is not None:
            command += ["--spec", str(spec)]
        if status_callbacks:
            command.append("--status-callbacks")
        # stderr is inherited so the server's request log lands in pytest's captured output.
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
        self.base_url = self._await_listening(startup_timeout)

    def _await_listening(self, timeout: float) -> str:
        assert self._process.stdout is not None
        lines: list[str] = []
        stdout = self._process.stdout
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        line = lines[0].strip() if lines else ""
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError(f"fake Twilio did not start (exit code {self._process.returncode}, said {line!r})")
        return line.removeprefix("listening ")

    @property
    def pid(self) -> int:
        """The server process's id (the benchmark reports its memory)."""
        return self._process.pid

    def __enter__(self) -> FakeTwilio:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL if it lingers); safe to call twice."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def client(self, timeout: float = 5.0) -> Client:
        """A real twilio.rest.Client for this fake's account, talking to the fake."""
        return twilio_client(self.account_sid, self.auth_token, self.base_url, timeout)

    def _control(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        if method == "POST" and data is None:
            data = b""
        request = urllib.request.Request(
            f"{self.base_url}/_control/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_SECONDS) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                detail = exc.read().decode("utf-8", "replace")
            raise RuntimeError(f"fake Twilio control {method} {path} answered {exc.code}: {detail}") from None

    def messages(self, after: int = 0) -> list[dict[str, Any]]:
        """Accepted messages in arrival order: their form fields plus sid, status and received_at
        (a time.time() stamp taken as the request arrived); `after` skips the first that many."""
        return self._control("GET", f"messages?after={after}" if after else "messages")

    def settle(self, quiet: float, timeout: float) -> list[dict[str, Any]]:
        """Wait until no new message has arrived for `quiet` seconds (at most `timeout`);
        returns every message."""
        deadline = time.monotonic() + timeout
        count, since = len(self.messages()), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now_count = len(self.messages())
            if now_count != count:
                count, since = now_count, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
        return self.messages()

    def requests(self) -> list[dict[str, Any]]:
        """Every Twilio API request, rejected ones too: method, path, query, form, status, error_code."""
        return self._control("GET", "requests")

    def calls(self) -> list[dict[str, Any]]:
        """Calls placed and updated through the API, in order: form fields plus action ("create"
        or "update"), sid and received_at."""
        return self._control("GET", "calls")

    def start_conference(self, sid: str, friendly_name: str, calls: dict[str, str]) -> dict[str, Any]:
        """A conference the calls {CallSid: label} have <Dial>ed into, as Twilio would hold it."""
        result: dict[str, Any] = self._control(
            "POST", "conferences", {"sid": sid, "friendly_name": friendly_name, "calls": calls}
        )
        return result

    def conference_requests(self) -> list[dict[str, Any]]:
        """Conference and Participant changes made through the API, in order: form fields plus action and sids."""
        result: list[dict[str, Any]] = self._control("GET", "conferences")
        return result

    def call_status(self, sid: str, status: str) -> None:
        """Tell the fake a call is live (an inbound call it never saw placed) or over."""
        self._control("POST", "calls", {"sid": sid, "status": status})

    def buy_number(self, phone_number: str) -> dict[str, Any]:
        """Give the account a number, configured as Twilio sells one (its demo URLs)."""
        return self._control("POST", "numbers", {"phone_number": phone_number})

    def numbers(self) -> list[dict[str, Any]]:
        """The account's numbers as IncomingPhoneNumber resources."""
        return self._control("GET", "numbers")

    def services(self) -> list[dict[str, Any]]:
        """The account's Messaging Services, each with `phone_numbers`: the numbers it holds."""
        return self._control("GET", "services")

    def reset(self) -> None:
        """Forget messages, calls, conferences, requests, numbers and Messaging Services, clear faults
        (releasing hung requests), restore callbacks."""
        self._control("POST", "reset")

    def fault(self, mode: str, count: int | None = None, seconds: float | None = None) -> None:
        """Make the next `count` creates (or all for `seconds`; neither: until cleared) fail as `mode`."""
        self._control("POST", "fault", {"mode": mode, "count": count, "seconds": seconds})

    def clear_faults(self) -> None:
        """Stop injecting faults and release any hung request."""
        self._control("POST", "fault", {"mode": "ok"})

    def callbacks(self, enabled: bool) -> None:
        """Turn signed sent/delivered status callbacks on or off."""
        self._control("POST", "callbacks", {"enabled": enabled})

    def wait_for_messages(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Poll until at least `n` messages were accepted, for code that sends in the background."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages()
            if len(messages) >= n:
                return messages
            if time.monotonic() >= deadline:
                raise TimeoutError(f"fake Twilio got {len(messages)} messages, not {n}, within {timeout}s")
            time.sleep(0.02)
