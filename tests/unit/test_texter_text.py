"""What a texter's text asks for, decided without a database: the precedence of deletion,
opt-out and opt-in, language keywords, feedback and a new start; and the flood limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing.texter_text import TexterAction, TexterKeywords, TexterText, over_flood_limit, read_texter_text

KEYWORDS = TexterKeywords(
    delete={"en": frozenset({"DELETE MY DATA"}), "es": frozenset({"BORRAR MIS DATOS"})},
    switch={"en": frozenset({"ENGLISH"}), "es": frozenset({"ESPAÑOL", "ESPANOL"})},
    common_words={"en": frozenset({"the", "i", "is", "can"}), "es": frozenset({"el", "la", "hola", "puedo", "estoy"})},
    default_language="en",
    opt_out=frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "OPTOUT"}),  # the README's recommended setup
)
NOW = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)


def read(
    body: str, *, language: str = "en", is_new: bool = False, opted_out: bool = False, in_conversation: bool = False
) -> TexterText:
    return read_texter_text(
        body, language=language, is_new=is_new, opted_out=opted_out, in_conversation=in_conversation, keywords=KEYWORDS
    )


@pytest.mark.parametrize("in_conversation", [True, False])
def test_a_deletion_request_comes_first_and_is_answered_in_its_own_language(in_conversation: bool) -> None:
    assert read("borrar mis datos!", in_conversation=in_conversation) == TexterText(
        TexterAction.DELETE_DATA, language="es"
    )


@pytest.mark.parametrize("body", ["STOP", "stop", " Unsubscribe "])
def test_twilios_opt_out_keywords_alone_end_the_conversation(body: str) -> None:
    assert read(body, in_conversation=True).action is TexterAction.OPT_OUT


def test_end_is_conversation_unless_twilio_says_it_took_it_as_stop() -> None:
    assert read("end", in_conversation=True).action is TexterAction.CONTINUE
    told = read_texter_text(
        "end",
        language="en",
        is_new=False,
        opted_out=False,
        in_conversation=True,
        keywords=KEYWORDS,
        opt_out_type="STOP",
    )
    assert told.action is TexterAction.OPT_OUT


def test_stop_within_a_sentence_is_conversation() -> None:
    assert read("please stop, I can't", in_conversation=True).action is TexterAction.CONTINUE


def test_start_opts_back_in_only_a_texter_who_opted_out() -> None:
    assert read("START", opted_out=True).action is TexterAction.OPT_IN
    assert read("yes", in_conversation=True).action is TexterAction.CONTINUE
    assert read("yes").action is TexterAction.START


def test_a_language_keyword_switches_the_language_in_or_out_of_a_conversation() -> None:
    for in_conversation in (True, False):
        assert read("Español", in_conversation=in_conversation) == TexterText(
            TexterAction.SWITCH_LANGUAGE, language="es"
        )


def test_a_score_from_a_known_texter_without_a_conversation_may_be_feedback() -> None:
    assert read("4/5") == TexterText(TexterAction.FEEDBACK, "en", 4)
    assert read("4/5", in_conversation=True).action is TexterAction.CONTINUE
    assert read("4/5", is_new=True).action is TexterAction.START


def test_a_new_texter_starts_in_the_language_they_write() -> None:
    assert read("hola, estoy mal, puedo hablar?", is_new=True) == TexterText(TexterAction.START, "es")
    assert read("hola", language="en") == TexterText(TexterAction.START, "en"), "a known texter keeps theirs"


def test_texts_past_the_per_minute_limit_are_not_relayed() -> None:
    earlier = [NOW - timedelta(seconds=seconds) for seconds in (5, 20, 40)]
    assert not over_flood_limit(earlier, NOW, per_minute=4)
    assert over_flood_limit(earlier, NOW, per_minute=3)
    assert not over_flood_limit([*earlier, NOW - timedelta(seconds=61)], NOW, per_minute=4), "older texts do not count"
