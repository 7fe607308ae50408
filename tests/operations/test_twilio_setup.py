"""`warmline twilio setup` against the fake Twilio: every line number's three URLs and one
Messaging Service holding them, changed through Twilio's REST API; nothing on a dry run or a
second run."""

from __future__ import annotations

from typing import Any

from scripts.harness.fake_twilio import FakeTwilio
from service.settings import Settings
from tests.operations.conftest import warmline

PUBLIC_URL = "https://warmline.example.org"


def _changing_requests(fake: FakeTwilio, after: int = 0) -> list[dict[str, Any]]:
    """Requests that could change the account's setup (anything but GET), past the first `after`.
    Texts are left out: the suite's workers share this fake Twilio, and one of them may send a
    text (an offer timing out) while setup runs."""
    return [
        request
        for request in fake.requests()[after:]
        if request["method"] != "GET" and not request["path"].endswith("/Messages.json")
    ]


def test_setup_points_every_number_here_and_puts_them_in_one_messaging_service(
    twilio_account: FakeTwilio, environment: dict[str, str]
) -> None:
    numbers = Settings.from_environment(environment).line.numbers

    done = warmline("twilio", "setup", environ=environment)

    assert done.returncode == 0, done.stdout + done.stderr
    configured = {number["phone_number"]: number for number in twilio_account.numbers()}
    for number in numbers:
        assert configured[number]["sms_url"] == f"{PUBLIC_URL}/twilio/sms"
        assert configured[number]["voice_url"] == f"{PUBLIC_URL}/twilio/voice"
        assert configured[number]["status_callback"] == f"{PUBLIC_URL}/twilio/voice/status"
        assert configured[number]["sms_method"] == configured[number]["voice_method"] == "POST"
    [service] = twilio_account.services()
    assert service["friendly_name"] == "Warmline"
    assert service["use_inbound_webhook_on_number"] is True
    assert sorted(service["phone_numbers"]) == sorted(numbers)
    assert "Changed:" in done.stdout and f"{numbers[0]}: sms url" in done.stdout
    assert "Advanced Opt-Out" in done.stdout and "END, QUIT, CANCEL and REVOKE" in done.stdout


def test_a_second_run_reports_no_change_and_changes_nothing(
    twilio_account: FakeTwilio, environment: dict[str, str]
) -> None:
    assert warmline("twilio", "setup", environ=environment).returncode == 0
    before = len(twilio_account.requests())

    again = warmline("twilio", "setup", environ=environment)

    assert again.returncode == 0, again.stdout + again.stderr
    assert "No change: Twilio already points at this service." in again.stdout
    assert _changing_requests(twilio_account, after=before) == []
    assert len(twilio_account.services()) == 1


def test_dry_run_says_what_would_change_and_changes_nothing(
    twilio_account: FakeTwilio, environment: dict[str, str]
) -> None:
    numbers = Settings.from_environment(environment).line.numbers
    before = twilio_account.numbers()

    dry = warmline("twilio", "setup", "--dry-run", environ=environment)

    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "Would change (dry run, nothing changed):" in dry.stdout
    assert f"{numbers[1]}: voice url https://demo.twilio.com/welcome/voice/ -> {PUBLIC_URL}/twilio/voice" in dry.stdout
    assert "Messaging Service 'Warmline': created" in dry.stdout
    assert _changing_requests(twilio_account) == []
    assert twilio_account.numbers() == before and twilio_account.services() == []


def test_a_line_number_in_another_messaging_service_is_moved_into_the_lines(
    twilio_account: FakeTwilio, environment: dict[str, str]
) -> None:
    numbers = Settings.from_environment(environment).line.numbers
    client = twilio_account.client()
    old = client.messaging.v1.services.create(friendly_name="Old campaign")
    pool_sid = next(n["sid"] for n in twilio_account.numbers() if n["phone_number"] == numbers[-1])
    client.messaging.v1.services(old.sid).phone_numbers.create(phone_number_sid=pool_sid)

    done = warmline("twilio", "setup", environ=environment)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{numbers[-1]}: moved from Messaging Service 'Old campaign' to 'Warmline'" in done.stdout
    services = {service["friendly_name"]: service["phone_numbers"] for service in twilio_account.services()}
    assert services["Old campaign"] == [] and sorted(services["Warmline"]) == sorted(numbers)


def test_a_line_number_the_account_does_not_own_is_a_problem_setup_cannot_fix(
    twilio_account: FakeTwilio, environment: dict[str, str], tmp_path: Any
) -> None:
    config = tmp_path / "line.toml"
    config.write_text('[line]\npool_numbers = ["+15005550007", "+15005550199"]\n')

    done = warmline("twilio", "setup", environ={**environment, "WARMLINE_CONFIG": str(config)})

    assert done.returncode == 1
    assert "PROBLEM  +15005550199: is not a number of this Twilio account" in done.stdout
    [service] = twilio_account.services()
    assert "+15005550199" not in service["phone_numbers"] and "+15005550007" in service["phone_numbers"]
