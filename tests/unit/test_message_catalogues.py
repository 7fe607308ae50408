"""Every language the line speaks has every text, for texters, callers and staff alike: a
volunteer or supervisor who reads Spanish gets Spanish, not an English text that slipped in
untranslated, and each translation fills the same placeholders as the English."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

MESSAGES = Path(__file__).resolve().parents[2] / "config" / "messages"
FIRST = "en"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
COMMAND = re.compile(r"#\w+")


def _catalogue(code: str) -> dict[str, Any]:
    return tomllib.loads((MESSAGES / f"{code}.toml").read_text())


OTHERS = sorted(path.stem for path in MESSAGES.glob("*.toml") if path.stem != FIRST)
SECTIONS = sorted(name for name, value in _catalogue(FIRST).items() if isinstance(value, dict))


@pytest.mark.parametrize("code", OTHERS)
@pytest.mark.parametrize("section", SECTIONS)
def test_every_text_is_translated_with_the_same_placeholders_and_commands(code: str, section: str) -> None:
    first, other = _catalogue(FIRST)[section], _catalogue(code).get(section, {})
    assert sorted(set(first) - set(other)) == [], f"[{section}] texts missing in {code}.toml"
    for key, text in first.items():
        if isinstance(text, str):
            assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(text)), f"[{section}] {key}"
            assert set(COMMAND.findall(text)) <= set(COMMAND.findall(other[key])), f"[{section}] {key}"
