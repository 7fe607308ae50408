"""What a texter's text asks the line to do: delete their data, opt out or back in, switch
language, score a conversation that just ended, start a conversation, or go on with one.

Pure: the shell (`service.sms.texters`) loads the texter's state, asks `read_texter_text`,
and carries the answer out. `over_flood_limit` decides whether a text in a conversation is
relayed or only kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from routing.keywords import Keyword, deletion_request, feedback_score, language_switch, opt_keyword
from routing.language import detect_language


class TexterAction(Enum):
    DELETE_DATA = "delete_data"  # forget the number and every message; confirm inline
    OPT_OUT = "opt_out"  # Twilio has blocked the pair: end the conversation, tell nobody the texter
    OPT_IN = "opt_in"  # Twilio confirms the re-subscription itself
    SWITCH_LANGUAGE = "switch_language"  # answer in `language` from now on
    FEEDBACK = "feedback"  # `score`, when a conversation that just ended awaits one; else START
    START = "start"  # a new conversation, in `language`
    CONTINUE = "continue"  # a text in the open conversation: record it, relay it unless flooding
    FOLLOW_UP_YES = "follow_up_yes"  # yes to a check-in text later (`routing.follow_up`)
    FOLLOW_UP_NO = "follow_up_no"  # no to it: nothing is scheduled


@dataclass(frozen=True)
class TexterKeywords:
    """The whole-message keywords and common words of each language the line speaks."""

    delete: Mapping[str, frozenset[str]]
    switch: Mapping[str, frozenset[str]]
    common_words: Mapping[str, frozenset[str]]
    default_language: str
    # The words the line's Twilio setup still blocks a texter for (`routing.keywords.opt_keyword`).
    opt_out: frozenset[str]
    # Whole-message answers to the follow-up question, per language (`[language] follow_up_yes`).
    follow_up_yes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    follow_up_no: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class TexterText:
    action: TexterAction
    # The language to answer in from now on: the texter's own, the one they switch to, the
    # one a new texter writes in; for DELETE_DATA, the language the request was written in.
    language: str
    score: int | None = None  # FEEDBACK


def read_texter_text(
    body: str,
    *,
    language: str,
    is_new: bool,
    opted_out: bool,
    in_conversation: bool,
    keywords: TexterKeywords,
    opt_out_type: str = "",
    follow_up_asked: bool = False,
) -> TexterText:
    """What the text asks for, by precedence: a deletion request, Twilio's opt-out and opt-in
    keywords (as Twilio says it took the text, `opt_out_type`, else as the line's setup reads
    it), a language keyword, then (with no open conversation) a yes or no to the follow-up
    question when `follow_up_asked` awaits one, a score, or a new start."""
    deleting = deletion_request(body, keywords.delete)
    if deleting is not None:
        return TexterText(TexterAction.DELETE_DATA, deleting)
    keyword = opt_keyword(body, opt_out_type, keywords.opt_out)
    if keyword is Keyword.OPT_OUT:
        return TexterText(TexterAction.OPT_OUT, language)
    if keyword is Keyword.OPT_IN and opted_out:
        return TexterText(TexterAction.OPT_IN, language)
    switch = language_switch(body, keywords.switch)
    if switch is not None:
        return TexterText(TexterAction.SWITCH_LANGUAGE, switch)
    if in_conversation:
        return TexterText(TexterAction.CONTINUE, language)
    if follow_up_asked:
        word = " ".join(body.upper().split()).strip(".!")
        if any(word in words for words in keywords.follow_up_yes.values()):
            return TexterText(TexterAction.FOLLOW_UP_YES, language)
        if any(word in words for words in keywords.follow_up_no.values()):
            return TexterText(TexterAction.FOLLOW_UP_NO, language)
    score = None if is_new else feedback_score(body)
    if score is not None:
        return TexterText(TexterAction.FEEDBACK, language, score)
    if is_new:
        language = detect_language(body, keywords.common_words, keywords.default_language)
    return TexterText(TexterAction.START, language)


def over_flood_limit(earlier: Sequence[datetime], now: datetime, per_minute: int) -> bool:
    """Whether a text at `now` goes past `per_minute` texts in the last minute (`earlier`: when
    the texter's earlier texts in the conversation came). Past it, the text is kept, not relayed."""
    minute_ago = now - timedelta(minutes=1)
    return 1 + sum(created_at > minute_ago for created_at in earlier) > per_minute
