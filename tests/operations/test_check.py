"""`warmline check` as an operator runs it: every problem at once, each with what to do, and
exit status 0 only when the line can take texts."""

from __future__ import annotations

from pathlib import Path

from scripts.harness.fake_twilio import FakeTwilio
from service.operations.setup_check import check_setup
from tests.operations.conftest import PublicService, warmline

FIVE_MISTAKES = """
[shifts]
max_concurrent = "two"

[shift]
max_shift_minutes = 120

[retention]
days = 0

[dashboard]
poll_seconds = -1

[routing]
offer_timout_seconds = 30
"""


def _problems(output: str) -> list[str]:
    return [line.removeprefix("PROBLEM  ") for line in output.splitlines() if line.startswith("PROBLEM  ")]


def test_a_config_with_five_mistakes_reports_all_five_with_what_to_do(
    operator_environment: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "line.toml"
    config.write_text(FIVE_MISTAKES)

    checked = warmline("check", environ={**operator_environment, "WARMLINE_CONFIG": str(config)})

    assert checked.returncode == 1
    assert _problems(checked.stdout) == [
        f"[shift]: is not a section Warmline knows (did you mean [shifts]?). Rename or remove it in "
        f"WARMLINE_CONFIG ({config}); the sections are line, routing, matching, shifts, delivery, escalation, "
        "inbound, retention, voice, dashboard, alerts, rota, continuity, supervision, crisis_resources, "
        "note_questions, referrals.",
        "[routing] offer_timout_seconds: is not a setting Warmline knows (did you mean offer_timeout_seconds?). "
        f"Rename or remove it in WARMLINE_CONFIG ({config}).",
        f"[shifts] max_concurrent: is 'two', but it must be a whole number. Correct it in WARMLINE_CONFIG ({config}).",
        f"[retention] days: is 0, but it must be more than 0. Correct it in WARMLINE_CONFIG ({config}).",
        f"[dashboard] poll_seconds: is -1, but it must be more than 0. Correct it in WARMLINE_CONFIG ({config}).",
    ]
    assert "5 problems: the line cannot take texts until they are fixed." in checked.stdout
    # The parts the mistakes leave testable are still tested.
    assert "ok       database reachable, migrated to" in checked.stdout
    assert "ok       Twilio credentials" in checked.stdout


def test_a_good_setup_passes_once_twilio_setup_has_run(
    operator_environment: dict[str, str], twilio_account: FakeTwilio, public_service: PublicService
) -> None:
    before = warmline("check", environ=operator_environment)
    assert before.returncode == 1
    assert all(problem.endswith("Run `warmline twilio setup`.") for problem in _problems(before.stdout))

    assert warmline("twilio", "setup", environ=operator_environment).returncode == 0
    checked = warmline("check", environ=operator_environment)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert _problems(checked.stdout) == []
    assert "ok       3 line numbers and the Messaging Service point here" in checked.stdout
    assert f"ok       {public_service.url} reachable over https" in checked.stdout
    assert "ok       Redis reachable, maxmemory-policy noeviction" in checked.stdout
    assert checked.stdout.rstrip().endswith("The line can take texts.")


def test_environment_mistakes_are_reported_together(
    operator_environment: dict[str, str], twilio_account: FakeTwilio
) -> None:
    environ = {
        **operator_environment,
        "WARMLINE_PUBLIC_URL": "http://warmline.example.org",
        "WARMLINE_DATA_KEY": "short",
        "TWILIO_AUTH_TOKEN": "not-the-token",
    }
    environ.pop("WARMLINE_SECRET_KEY")

    checked = warmline("check", environ=environ)

    assert checked.returncode == 1
    where = [problem.split(":")[0] for problem in _problems(checked.stdout)]
    assert where == [
        "WARMLINE_SECRET_KEY",
        "WARMLINE_DATA_KEY",
        "TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN",
        "WARMLINE_PUBLIC_URL",
    ]


def test_a_database_not_migrated_and_an_unreachable_public_url_are_problems(
    operator_environment: dict[str, str], tmp_path: Path
) -> None:
    found = check_setup(
        {
            **operator_environment,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
            "WARMLINE_PUBLIC_URL": "https://127.0.0.1:9",
        },
        parts=["database", "public-url"],
    )

    assert [(problem.where, problem.fix) for problem in found.problems] == [
        ("database", "Run `warmline db upgrade`"),
        ("WARMLINE_PUBLIC_URL", "Check DNS, the certificate and the reverse proxy (docs/operations.md)"),
    ]


def test_weak_secrets_are_reported_by_the_judge_given(operator_environment: dict[str, str]) -> None:
    found = check_setup(operator_environment, parts=[], judge_secrets=lambda secret, data: ["the data key is a word"])

    assert [(problem.where, problem.what) for problem in found.problems] == [("secrets", "the data key is a word")]
