"""Reading what volunteers and texters text: commands only with `#`, keywords only whole."""

from __future__ import annotations

import pytest

from routing.commands import Command, parse_command
from routing.keywords import Keyword, feedback_score, language_switch, opt_keyword


@pytest.mark.parametrize(
    "text, command",
    [
        ("#on", Command.ON),
        ("#YES", Command.YES),
        ("  #Done  ", Command.DONE),
        ("＃pass", Command.PASS),
        ("# status", Command.STATUS),
    ],
)
def test_hash_commands_are_read_in_any_case_and_spacing(text: str, command: Command) -> None:
    parsed = parse_command(text)
    assert parsed is not None and parsed.command is command


@pytest.mark.parametrize("text", ["on", "yes please", "I'm done", "done", "help", "escalate this"])
def test_ordinary_words_are_never_commands(text: str) -> None:
    assert parse_command(text) is None


def test_unknown_hash_word_is_a_command_with_no_meaning() -> None:
    parsed = parse_command("#dance now")
    assert parsed is not None and parsed.command is None and parsed.word == "dance"


def test_escalate_keeps_its_reason() -> None:
    parsed = parse_command("#escalate texter mentioned pills")
    assert parsed is not None and parsed.argument == "texter mentioned pills"


# The README's recommended Advanced Opt-Out setup: END, QUIT, CANCEL and REVOKE dropped.
RECOMMENDED = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "OPTOUT"})
# Twilio's defaults, for a line that kept them.
TWILIO_DEFAULTS = RECOMMENDED | {"END", "QUIT", "CANCEL", "REVOKE"}


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop ", "unsubscribe", "stopall", "optout"])
def test_opt_out_keywords_count_only_as_the_whole_message(text: str) -> None:
    assert opt_keyword(text, "", RECOMMENDED) is Keyword.OPT_OUT


@pytest.mark.parametrize("text", ["please stop", "stop it", "I want to end it all", "the end"])
def test_opt_out_words_inside_a_sentence_are_conversation(text: str) -> None:
    assert opt_keyword(text, "", TWILIO_DEFAULTS) is None


@pytest.mark.parametrize("text", ["end", "END", "quit", "cancel", "revoke"])
def test_words_the_recommended_setup_drops_are_ordinary_messages(text: str) -> None:
    assert opt_keyword(text, "", RECOMMENDED) is None
    assert opt_keyword(text, "", TWILIO_DEFAULTS) is Keyword.OPT_OUT, (
        "a line that kept Twilio's defaults is blocked by them"
    )


@pytest.mark.parametrize("text", ["end", "basta", "stop"])
def test_twilio_opt_out_type_stop_is_an_opt_out_whatever_the_words(text: str) -> None:
    assert opt_keyword(text, "STOP", frozenset()) is Keyword.OPT_OUT


def test_twilio_opt_out_type_start_is_an_opt_in_and_help_is_an_ordinary_message() -> None:
    assert opt_keyword("comenzar", "START", RECOMMENDED) is Keyword.OPT_IN
    assert opt_keyword("help", "HELP", RECOMMENDED) is None
    assert opt_keyword("stop", "HELP", RECOMMENDED) is None, "Twilio said what it did with the message"


def test_an_unknown_opt_out_type_falls_back_to_the_words() -> None:
    assert opt_keyword("stop", "SOMETHING_NEW", RECOMMENDED) is Keyword.OPT_OUT


def test_start_yes_unstop_opt_back_in() -> None:
    assert {opt_keyword(word, "", RECOMMENDED) for word in ("START", "yes", "Unstop")} == {Keyword.OPT_IN}


def test_language_switch_reads_accents_and_punctuation() -> None:
    keywords = {"es": frozenset({"ESPAÑOL", "ESPANOL"}), "en": frozenset({"ENGLISH"})}
    assert language_switch("español", keywords) == "es"
    assert language_switch("Espanol!", keywords) == "es"
    assert language_switch("english", keywords) == "en"
    assert language_switch("hablo español", keywords) is None


@pytest.mark.parametrize(
    "text, score",
    [("4", 4), (" 5 ", 5), ("3/5", 3), ("1 star", 1), ("2 stars", 2), ("45", None), ("6", None), ("4 because", None)],
)
def test_feedback_scores(text: str, score: int | None) -> None:
    assert feedback_score(text) == score
