"""The catalogue of texts people receive, read from config/messages/<language>.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.settings import CrisisResources


class _Blank(dict[str, Any]):
    """Leaves an unknown placeholder visible instead of failing the whole text."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class VoiceTexts:
    """A language on the phone: how Twilio speaks and hears it, and what callers hear."""

    say_voice: str
    say_language: str
    choose_words: tuple[str, ...]
    crisis_words: tuple[str, ...]
    spoken: dict[str, str]

    @classmethod
    def read(cls, section: dict[str, Any]) -> VoiceTexts:
        fields = ("say_voice", "say_language", "choose_words", "crisis_words")
        return cls(
            say_voice=section["say_voice"],
            say_language=section["say_language"],
            choose_words=tuple(section["choose_words"]),
            crisis_words=tuple(section["crisis_words"]),
            spoken={key: value for key, value in section.items() if key not in fields},
        )


@dataclass(frozen=True)
class LanguageTexts:
    code: str
    name: str
    switch_keywords: frozenset[str]
    delete_keywords: frozenset[str]
    common_words: frozenset[str]
    follow_up_yes: frozenset[str]
    follow_up_no: frozenset[str]
    line: dict[str, str]
    texter: dict[str, str]
    voice: VoiceTexts


class TextCatalog:
    """Texts by language: texters read theirs; each volunteer and supervisor reads the language
    set for them (`staff_language`), a text not yet translated falling back to the line's first."""

    def __init__(
        self, messages_dir: Path, languages: tuple[str, ...], line_name: str, resources: Mapping[str, CrisisResources]
    ) -> None:
        self.languages = languages
        self.line_name = line_name
        self._resources = resources
        raw = {code: tomllib.loads((messages_dir / f"{code}.toml").read_text("utf-8")) for code in languages}
        self._by_language = {
            code: LanguageTexts(
                code=code,
                name=data["language"]["name"],
                switch_keywords=frozenset(k.upper() for k in data["language"]["switch_keywords"]),
                delete_keywords=frozenset(k.upper() for k in data["language"]["delete_keywords"]),
                common_words=frozenset(data["language"]["common_words"]),
                follow_up_yes=frozenset(k.upper() for k in data["language"]["follow_up_yes"]),
                follow_up_no=frozenset(k.upper() for k in data["language"]["follow_up_no"]),
                line=data["line"],
                texter=data["texter"],
                voice=VoiceTexts.read(data["voice"]),
            )
            for code, data in raw.items()
        }
        first = raw[languages[0]]
        self._volunteer = {code: first["volunteer"] | data.get("volunteer", {}) for code, data in raw.items()}
        self._supervisor = {code: first["supervisor"] | data.get("supervisor", {}) for code, data in raw.items()}

    def language(self, code: str) -> LanguageTexts:
        return self._by_language.get(code) or self._by_language[self.languages[0]]

    def for_texter(self, language: str, key: str, **params: Any) -> str:
        texts = self.language(language)
        return self._fill(texts.texter[key], texts, params)

    def for_caller(self, language: str, key: str, **params: Any) -> str:
        """What a caller hears, in their language."""
        texts = self.language(language)
        return self._fill(texts.voice.spoken[key], texts, params)

    def for_volunteer(self, key: str, staff_language: str | None = None, **params: Any) -> str:
        """A volunteer's text, in `staff_language` (theirs; None: the line's first language)."""
        texts = self.language(staff_language or self.languages[0])
        return self._fill(self._volunteer[texts.code][key], texts, params)

    def for_supervisor(self, key: str, staff_language: str | None = None, **params: Any) -> str:
        """A supervisor's text, in `staff_language` (theirs; None: the line's first language)."""
        texts = self.language(staff_language or self.languages[0])
        return self._fill(self._supervisor[texts.code][key], texts, params)

    def crisis_text(self, language: str, resources: Sequence[str]) -> str:
        """The crisis text for a texter: one sentence per resource (`safety_<resource>`), most
        urgent first, between the intro and the outro."""
        keys = ("safety_intro", *(f"safety_{resource}" for resource in resources), "safety_outro")
        return " ".join(self.for_texter(language, key) for key in keys)

    def crisis_resources_for_volunteer(self, resources: Sequence[str]) -> str:
        """The same resources, as a volunteer's guidance names them."""
        return ", ".join(self.for_volunteer(f"resource_{resource}") for resource in resources)

    def _fill(self, template: str, texts: LanguageTexts, params: dict[str, Any]) -> str:
        resources = self._resources[texts.code]
        values = _Blank(
            line=self.line_name,
            hours=texts.line["hours"],
            crisis=resources.suicide_line,
            suicide_line=resources.suicide_line,
            emergency=resources.emergency,
            domestic_violence_line=resources.domestic_violence_line,
            poison_control=resources.poison_control,
        )
        values.update(params)
        return template.format_map(values)
