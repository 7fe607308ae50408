"""The pure rules of continuity of care: reading a wrap-up reply against the configured form,
matching referral resources, and when a follow-up is asked, due and answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing.follow_up import FollowUpRules, answers_check_in, check_in_due, consent_counts, should_ask
from routing.referral_directory import Resource, listed_choice, match_resources
from routing.texter_text import TexterAction, TexterKeywords, read_texter_text
from routing.wrap_up_form import (
    MAX_NOTE_CHARS,
    NoteQuestion,
    WrapUpError,
    answers_form,
    example_reply,
    read_wrap_up,
)

FORM = (
    NoteQuestion("topics", "Topics", ("loneliness", "relationships", "housing", "grief"), multiple=True),
    NoteQuestion("outcome", "How it ended", ("better", "same", "worse", "left", "referred"), multiple=False),
    NoteQuestion("referral", "Referral given", ("yes", "no"), multiple=False),
)


def test_one_reply_answers_every_question_then_the_free_note() -> None:
    wrap_up = read_wrap_up("2 5 1 feeling calmer", FORM)
    assert wrap_up.answers == {"topics": ("relationships",), "outcome": ("referred",), "referral": ("yes",)}
    assert wrap_up.note == "feeling calmer"


def test_several_topics_join_with_plus_or_comma_once_each() -> None:
    wrap_up = read_wrap_up("1+3,1 2 2", FORM)
    assert wrap_up.answers["topics"] == ("loneliness", "housing")
    assert wrap_up.note == ""


@pytest.mark.parametrize(
    ("reply", "position"),
    [("", 1), ("9 1 1", 1), ("1 2+3 1", 2), ("1 2", 3), ("1 0 1", 2), ("calmer now", 1), ("1 6 1 x", 2)],
)
def test_a_reply_that_misses_a_question_names_it(reply: str, position: int) -> None:
    with pytest.raises(WrapUpError) as error:
        read_wrap_up(reply, FORM)
    assert error.value.position == position
    assert error.value.question is FORM[position - 1]


def test_only_a_text_starting_with_a_number_is_meant_for_the_form() -> None:
    assert answers_form(" 2 5 1 feeling calmer")
    assert not answers_form("are you still there?")
    assert not answers_form("")


def test_the_free_note_is_kept_short() -> None:
    assert len(read_wrap_up("1 1 1 " + "x" * 2000, FORM).note) == MAX_NOTE_CHARS


def test_the_forms_example_answers_it() -> None:
    example = example_reply(FORM, "feeling calmer")
    assert example == "1 1 1 feeling calmer"
    assert read_wrap_up(example, FORM).note == "feeling calmer"


DIRECTORY = (
    Resource("lifeline", "988 Lifeline", "call 988", ("suicidal thoughts", "crisis"), (), ("US",)),
    Resource("shelter_en", "Bronx Housing Help", "call 311", ("housing", "shelter"), ("en",), ("bronx",)),
    Resource("two11", "211", "call 211", ("housing", "food", "bills"), (), ("US",)),
    Resource("vivienda", "Vivienda Ayuda", "llama", ("housing",), ("es",), ()),
)


def test_res_finds_resources_by_topic_language_and_region() -> None:
    found = match_resources(DIRECTORY, "housing", language="en", region="US", limit=5)
    assert [resource.key for resource in found] == ["two11"]
    found = match_resources(DIRECTORY, "housing", language="es", region="US", limit=5)
    assert [resource.key for resource in found] == ["two11", "vivienda"]


def test_a_region_word_picks_that_region() -> None:
    found = match_resources(DIRECTORY, "housing bronx", language="en", region="US", limit=5)
    assert [resource.key for resource in found] == ["shelter_en"]


def test_words_match_a_topics_start_and_the_best_fit_comes_first() -> None:
    found = match_resources(DIRECTORY, "suic", language="en", region="US", limit=5)
    assert [resource.key for resource in found] == ["lifeline"]
    found = match_resources(DIRECTORY, "food bills housing", language="en", region="US", limit=1)
    assert [resource.key for resource in found] == ["two11"]
    assert match_resources(DIRECTORY, "ho", language="en", region="US", limit=5) == []
    assert match_resources(DIRECTORY, "gardening", language="en", region="US", limit=5) == []


def test_send_names_a_listed_position() -> None:
    assert listed_choice("2", 3) == 2
    assert listed_choice(" 3 please", 3) == 3
    assert listed_choice("4", 3) is None
    assert listed_choice("0", 3) is None
    assert listed_choice("", 3) is None
    assert listed_choice("two", 3) is None


RULES = FollowUpRules(delay=timedelta(hours=24), consent_window=timedelta(hours=2), answer_window=timedelta(hours=48))
NOW = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("escalated", "marked", "reason", "asked_before", "opted_out", "asked"),
    [
        (True, False, "volunteer_done", False, False, True),
        (False, True, "texter_inactive", False, False, True),
        (False, False, "volunteer_done", False, False, False),
        (True, False, "texter_stop", False, False, False),
        (True, False, "texter_deleted_data", False, False, False),
        (True, False, "call_ended", False, False, False),
        (True, True, "volunteer_done", True, False, False),
        (True, False, "volunteer_done", False, True, False),
    ],
)
def test_who_is_asked_about_a_check_in(
    escalated: bool, marked: bool, reason: str, asked_before: bool, opted_out: bool, asked: bool
) -> None:
    assert (
        should_ask(
            escalated=escalated, marked=marked, close_reason=reason, asked_before=asked_before, opted_out=opted_out
        )
        is asked
    )


def test_the_check_in_is_due_after_the_delay_and_answered_within_its_window() -> None:
    assert check_in_due(NOW, RULES) == NOW + timedelta(hours=24)
    assert consent_counts(NOW, NOW + timedelta(hours=2), RULES)
    assert not consent_counts(NOW, NOW + timedelta(hours=2, seconds=1), RULES)
    assert answers_check_in(NOW, NOW + timedelta(hours=47), RULES)
    assert not answers_check_in(NOW, NOW + timedelta(hours=49), RULES)


KEYWORDS = TexterKeywords(
    delete={"en": frozenset({"DELETE MY DATA"})},
    switch={"en": frozenset({"ENGLISH"})},
    common_words={"en": frozenset({"i"})},
    default_language="en",
    opt_out=frozenset({"STOP"}),
    follow_up_yes={"en": frozenset({"YES", "SURE"})},
    follow_up_no={"en": frozenset({"NO", "NO THANKS"})},
)


@pytest.mark.parametrize(
    ("body", "asked", "action"),
    [
        ("yes", True, TexterAction.FOLLOW_UP_YES),
        ("Sure!", True, TexterAction.FOLLOW_UP_YES),
        ("no  thanks", True, TexterAction.FOLLOW_UP_NO),
        ("yes", False, TexterAction.START),
        ("STOP", True, TexterAction.OPT_OUT),
        ("4", True, TexterAction.FEEDBACK),
        ("yes I need to talk", True, TexterAction.START),
    ],
)
def test_a_yes_or_no_answers_the_follow_up_question_only_while_it_is_asked(
    body: str, asked: bool, action: TexterAction
) -> None:
    intent = read_texter_text(
        body,
        language="en",
        is_new=False,
        opted_out=False,
        in_conversation=False,
        keywords=KEYWORDS,
        follow_up_asked=asked,
    )
    assert intent.action is action
