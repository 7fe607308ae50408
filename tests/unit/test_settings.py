"""The typed settings: every mistake in the environment and the config at once, each saying
where it is and what to do, and the right values read as their declared types."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import CONFIG_DIR, Problem, Settings, SettingsError

ENVIRONMENT = {
    "DATABASE_URL": "sqlite://",
    "WARMLINE_PUBLIC_URL": "https://warmline.example.org/",
    "WARMLINE_SECRET_KEY": "s" * 32,
    "WARMLINE_DATA_KEY": "d" * 32,
}


def _problems(
    environ: dict[str, str] | None = None, config: str | None = None, tmp_path: Path | None = None
) -> list[Problem]:
    environ = dict(ENVIRONMENT if environ is None else environ)
    if config is not None and tmp_path is not None:
        (tmp_path / "line.toml").write_text(config)
        environ["WARMLINE_CONFIG"] = str(tmp_path / "line.toml")
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment(environ)
    return list(refused.value.problems)


def test_the_defaults_read_as_their_declared_types() -> None:
    settings = Settings.from_environment(ENVIRONMENT)

    assert settings.public_url == "https://warmline.example.org"  # no trailing slash: paths are appended
    assert settings.line.pool_numbers == ("+15005550007", "+15005550008")
    assert isinstance(settings.shifts.max_concurrent, int) and settings.voice.callbacks is True
    assert settings.config_dir == CONFIG_DIR and (CONFIG_DIR / "warmline.toml").is_file()


def test_each_problem_says_where_and_what_to_do(tmp_path: Path) -> None:
    problems = _problems(config='[voice]\nring_group_size = 12\ncallbacks = "yes"\n', tmp_path=tmp_path)

    assert [(p.where, p.what) for p in problems] == [
        ("[voice] ring_group_size", "is 12, but it must be from 1 to 10 (Twilio dials at most 10 numbers at once)"),
        ("[voice] callbacks", "is 'yes', but it must be true or false"),
    ]
    assert all(p.fix == f"Correct it in WARMLINE_CONFIG ({tmp_path / 'line.toml'})" for p in problems)


def test_lists_texts_and_numbers_are_checked_item_by_item(tmp_path: Path) -> None:
    config = '[line]\npool_numbers = ["+15005550007", "5550008"]\nlanguages = ["en", 2]\ntimezone = "Mars/Olympus"\n'

    problems = _problems(config=config, tmp_path=tmp_path)

    assert [p.where for p in problems] == ["[line] pool_numbers", "[line] languages", "[line] timezone"]
    assert (
        problems[0].what
        == "is ['+15005550007', '5550008'], but it must be a number in E.164 form, such as +15551230001"
    )
    assert problems[1].what.endswith('it must be a list of texts in quotes, such as ["a", "b"]')


def test_a_setting_outside_its_section_and_a_misspelt_key_get_a_suggestion(tmp_path: Path) -> None:
    problems = _problems(config="max_concurrent = 3\n[delivery]\nmax_atempts = 3\n", tmp_path=tmp_path)

    assert [p.what for p in problems] == [
        "is a setting outside any section (did you mean max_concurrent under [shifts]?)",
        "is not a setting Warmline knows (did you mean max_attempts?)",
    ]


def test_numbers_that_are_not_finite_or_whole_are_refused(tmp_path: Path) -> None:
    problems = _problems(config="[retention]\ndays = nan\n[shifts]\nmax_concurrent = 2.5\n", tmp_path=tmp_path)

    assert [(p.where, p.what) for p in problems] == [
        ("[shifts] max_concurrent", "is 2.5, but it must be a whole number"),
        ("[retention] days", "is nan, but it must be a number"),
    ]


def test_environment_and_config_problems_come_together(tmp_path: Path) -> None:
    environ = {"DATABASE_URL": "sqlite://", "WARMLINE_PUBLIC_URL": "warmline.example.org", "TWILIO_ACCOUNT_SID": "SK1"}

    problems = _problems(environ, config="[routing]\noffer_timeout_seconds = 0\n", tmp_path=tmp_path)

    assert [p.where for p in problems] == [
        "TWILIO_ACCOUNT_SID",
        "WARMLINE_PUBLIC_URL",
        "WARMLINE_SECRET_KEY",
        "WARMLINE_DATA_KEY",
        "[routing] offer_timeout_seconds",
    ]
    assert problems[2].fix == "Set WARMLINE_SECRET_KEY in the service's environment"


def test_a_config_that_is_not_toml_is_one_problem_not_a_crash(tmp_path: Path) -> None:
    [problem] = _problems(config="[shifts\nmax_concurrent = 2\n", tmp_path=tmp_path)

    assert problem.where == str(tmp_path / "line.toml") and problem.what.startswith("is not valid TOML")


def test_the_settings_read_correctly_are_kept_for_the_checks_that_need_them(tmp_path: Path) -> None:
    (tmp_path / "line.toml").write_text("[shifts]\nmax_concurrent = -1\n")

    with pytest.raises(SettingsError) as refused:
        Settings.from_environment({**ENVIRONMENT, "WARMLINE_CONFIG": str(tmp_path / "line.toml")})

    assert refused.value.partial["database_url"] == "sqlite://"
    assert "line" in refused.value.partial and "shifts" not in refused.value.partial
