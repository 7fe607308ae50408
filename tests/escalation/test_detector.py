"""Focused behaviour of the risk detector: what alarms, what does not, and at which level."""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.assessment import NONE_ASSESSMENT, Assessment, Category, Level, Signal
from escalation.conversation import SIGNAL_AFTER_RISK, assess_conversation
from escalation.detector import RISK_WITH_SIGNAL, Detector
from escalation.lexicon import Lexicon, LexiconError

ROOT = Path(__file__).resolve().parents[2]
LEXICONS = ROOT / "config" / "lexicons"


@pytest.fixture(scope="module")
def detector() -> Detector:
    """Built once per module: compiling the lexicons takes a few seconds."""
    return Detector.from_mappings(
        {path.stem: tomllib.loads(path.read_text("utf-8")) for path in sorted(LEXICONS.glob("*.toml"))}
    )


def level(detector: Detector, text: str, language: str | None = "en") -> Level:
    return detector.assess(text, language).level


# --- idioms and everyday talk do not alarm ---------------------------------------------------------


def test_idiom_exam_is_killing_me_does_not_alarm(detector: Detector) -> None:
    assert detector.assess("this exam is killing me", "en") == NONE_ASSESSMENT


@pytest.mark.parametrize(
    "text",
    [
        "I'm dying to see it",
        "my phone died",
        "I could kill for a pizza",
        "I'm dead 😂",
        "killing it at work",
        "the suspense is killing me",
        "dead tired",
        "shoot me a text",
        "I nearly died laughing",
        "I jump rope to relax",
        "I cut my hair and I hate it",
    ],
)
def test_english_idioms_do_not_alarm(detector: Detector, text: str) -> None:
    assert level(detector, text) is Level.NONE


@pytest.mark.parametrize(
    "text",
    ["me muero de risa", "me mata el calor", "muerto de hambre", "me muero de ganas de verte", "me corté el pelo"],
)
def test_spanish_idioms_do_not_alarm(detector: Detector, text: str) -> None:
    assert level(detector, text, "es") is Level.NONE


@pytest.mark.parametrize(
    "text",
    [
        "I've been so lonely since the breakup",
        "work is stressing me out and I can't sleep",
        "my anxiety is bad today, can we talk?",
        "me siento muy sola desde que me mudé",
    ],
)
def test_everyday_distress_does_not_alarm(detector: Detector, text: str) -> None:
    assert level(detector, text, None) is Level.NONE


# --- levels -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["I want to die", "I've been thinking about killing myself", "he hits me", "my dad beats me", "I want to hurt him"],
)
def test_ideation_abuse_and_harm_without_immediacy_are_elevated(detector: Detector, text: str) -> None:
    assert level(detector, text) is Level.ELEVATED


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to kill myself tonight",
        "I have the pills in front of me",
        "I already took them",
        "I'm on the bridge",
        "cutting right now",
        "goodbye everyone, this is my last message",
        "he's outside my door with a knife",
        "I'm going to shoot up my school",
        "I took too many pills",
    ],
)
def test_intent_means_time_and_acts_are_imminent(detector: Detector, text: str) -> None:
    assert level(detector, text) is Level.IMMINENT


def test_plan_plus_means_is_imminent(detector: Detector) -> None:
    assessment = detector.assess("I have a plan and I've got the pills ready", "en")
    assert assessment.level is Level.IMMINENT
    assert {Signal.PLAN, Signal.MEANS} <= set(assessment.signals)


def test_risk_statement_plus_means_in_one_message_is_imminent(detector: Detector) -> None:
    assessment = detector.assess("I want to die and I have a rope", "en")
    assert assessment.level is Level.IMMINENT
    assert assessment.categories == (Category.SUICIDE,)
    assert RISK_WITH_SIGNAL in assessment.rules


def test_means_alone_is_a_signal_not_an_alarm(detector: Detector) -> None:
    assessment = detector.assess("I have the pills", "en")
    assert assessment.level is Level.NONE
    assert assessment.signals == (Signal.MEANS,)


def test_overdose_wish_is_elevated_and_overdose_act_is_imminent(detector: Detector) -> None:
    assert detector.assess("I want to overdose", "en").categories == (Category.OVERDOSE,)
    assert level(detector, "I want to overdose") is Level.ELEVATED
    assert level(detector, "I swallowed the whole bottle") is Level.IMMINENT


def test_kys_is_abuse_not_the_texters_own_ideation(detector: Detector) -> None:
    assert detector.assess("the girls at school keep telling me to kys", "en").categories == (Category.ABUSE,)


def test_being_told_to_kill_myself_is_abuse_not_suicide(detector: Detector) -> None:
    assert detector.assess("he told me to kill myself", "en").categories == (Category.ABUSE,)


def test_an_attempt_in_the_past_is_elevated_not_imminent(detector: Detector) -> None:
    assert level(detector, "I tried to kill myself when I was 15") is Level.ELEVATED
    assert level(detector, "I tried to kill myself last night") is Level.IMMINENT


# --- negation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["I'm not suicidal", "I would never kill myself", "I don't want to die"])
def test_denied_ideation_does_not_alarm(detector: Detector, text: str) -> None:
    assert level(detector, text) is Level.NONE


def test_denied_intent_still_alarms_as_elevated(detector: Detector) -> None:
    assert level(detector, "I'm not going to kill myself tonight") is Level.ELEVATED


def test_ideation_with_denied_action_is_elevated(detector: Detector) -> None:
    assert level(detector, "I don't want to be alive but I'm not going to do anything") is Level.ELEVATED


def test_negation_in_another_clause_does_not_deny(detector: Detector) -> None:
    assert level(detector, "No, I want to die") is Level.ELEVATED
    assert level(detector, "No, quiero morirme", "es") is Level.ELEVATED
    assert level(detector, "no quiero morir", "es") is Level.NONE


# --- how people really text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "KILL MYSELF",
        "killll myselfff",
        "k i l l  m y s e l f",
        "s.u.i.c.i.d.e",
        "k1ll mys3lf",
        "$uicide",
        "0verdose",
        "sucide",
        "suiside",
        "overdoes",
        "im gonna kms",
        "i wanna unalive myself",
        "sewerslide",
        "self delete",
        "ctb",
        "end it all",
        "i want to not be here anymore",
        "i want to sleep forever",
        "i want to disappear",
        "they would be better off without me",
        "no point in living",
        "𝓴𝓲𝓵𝓵 𝓶𝔂𝓼𝓮𝓵𝓯",
        "kill\u200bmyself",
        "i want to 🔪 myself",
    ],
)
def test_texting_variants_are_recognised(detector: Detector, text: str) -> None:
    assert level(detector, text) is not Level.NONE


def test_emoji_means_with_ideation_is_imminent_but_alone_does_not_alarm(detector: Detector) -> None:
    assert level(detector, "i want to die 💊💊") is Level.IMMINENT
    assert level(detector, "cooking tonight 🔪🥕") is Level.NONE


def test_spanish_accents_and_shorthand_are_recognised(detector: Detector) -> None:
    assert level(detector, "kiero morir", "es") is Level.ELEVATED
    assert level(detector, "me voy a suicidár esta noche", "es") is Level.IMMINENT
    assert level(detector, "ME TOMÉ 30 PASTILLAS", "es") is Level.IMMINENT


# --- languages and rule names -----------------------------------------------------------------------


def test_unknown_or_missing_language_reads_with_every_lexicon(detector: Detector) -> None:
    assert level(detector, "quiero morir", None) is Level.ELEVATED
    assert level(detector, "quiero morir", "fr") is Level.ELEVATED
    assert level(detector, "quiero morir", "en") is Level.NONE


def test_rules_name_the_lexicon_phrases_for_supervisors(detector: Detector) -> None:
    assessment = detector.assess("I want to die", "en")
    assert assessment.rules == ("en.suicide.elevated: <want_to> die",)


def test_levels_order_by_urgency() -> None:
    assert max(Level.ELEVATED, Level.IMMINENT, Level.NONE) is Level.IMMINENT
    assert sorted([Level.IMMINENT, Level.NONE, Level.ELEVATED]) == [Level.NONE, Level.ELEVATED, Level.IMMINENT]
    assert Level.IMMINENT.lowered() is Level.ELEVATED and Level.NONE.lowered() is Level.NONE
    assert [level.rank for level in Level] == [0, 1, 2]


# --- conversations ----------------------------------------------------------------------------------


def conversation(detector: Detector, *texts: str, language: str = "en") -> Assessment:
    assessments = [detector.assess(text, language) for text in texts]
    return assess_conversation(assessments[:-1], assessments[-1])


def test_third_message_means_after_two_elevated_raises_conversation(detector: Detector) -> None:
    first, second, third = (
        detector.assess(text, "en") for text in ("I want to die", "nobody would care", "I have the pills")
    )
    assert (first.level, second.level, third.level) == (Level.ELEVATED, Level.ELEVATED, Level.NONE)
    verdict = assess_conversation([first, second], third)
    assert verdict.level is Level.IMMINENT
    assert verdict.categories == (Category.SUICIDE,)
    assert SIGNAL_AFTER_RISK in verdict.rules


def test_signal_just_before_a_risk_statement_raises_conversation(detector: Detector) -> None:
    assert conversation(detector, "I have the pills", "I want to die").level is Level.IMMINENT


def test_signal_long_before_any_risk_does_not_raise_conversation(detector: Detector) -> None:
    verdict = conversation(detector, "tonight I'm going to rest", "work was long", "I want to die")
    assert verdict.level is Level.ELEVATED


def test_conversation_level_never_drops_after_risk(detector: Detector) -> None:
    assert conversation(detector, "I want to die", "jk I'm fine now", "thanks for listening").level is Level.ELEVATED


def test_signals_alone_in_a_conversation_do_not_alarm(detector: Detector) -> None:
    assert conversation(detector, "I have the pills", "tonight I'll rest").level is Level.NONE


def test_a_messages_own_signal_is_not_counted_twice(detector: Detector) -> None:
    assert conversation(detector, "I'm not going to kill myself tonight").level is Level.ELEVATED


def test_spanish_conversation_raises_on_later_means(detector: Detector) -> None:
    assert conversation(detector, "ya no quiero vivir", "tengo una cuerda", language="es").level is Level.IMMINENT


# --- operators' mistakes in a lexicon are reported, not ignored -------------------------------------


def test_unknown_section_is_rejected() -> None:
    with pytest.raises(LexiconError, match="sucide"):
        Lexicon.from_mapping("en", {"sucide": {"elevated": ["want to die"]}})


def test_undefined_term_is_rejected() -> None:
    with pytest.raises(LexiconError, match="<feeling>"):
        Lexicon.from_mapping("en", {"suicide": {"elevated": ["<feeling> hopeless"]}})


def test_terms_referring_to_each_other_in_a_loop_are_rejected() -> None:
    with pytest.raises(LexiconError, match="loop"):
        Lexicon.from_mapping("en", {"terms": {"a": ["<b> x"], "b": ["y <a>"]}, "suicide": {"elevated": ["<a>"]}})


def test_a_phrase_is_normalised_like_a_message() -> None:
    detector = Detector({"en": Lexicon.from_mapping("en", {"suicide": {"elevated": ["Don't want to LIVE"]}})})
    assert detector.assess("i dont want to live", "en").level is Level.ELEVATED
    assert detector.assess("I don’t want to live", "en").level is Level.ELEVATED


# --- properties -------------------------------------------------------------------------------------


def valid(assessment: Assessment) -> bool:
    return (
        isinstance(assessment.level, Level)
        and all(isinstance(category, Category) for category in assessment.categories)
        and all(isinstance(signal, Signal) for signal in assessment.signals)
        and all(isinstance(rule, str) for rule in assessment.rules)
        and (assessment.level is Level.NONE) == (not assessment.categories)
    )


ANY_CHARACTER = st.characters(codec=None, categories=None)  # every code point, lone surrogates included
ODD_TEXT = st.lists(
    st.one_of(
        st.text(ANY_CHARACTER, max_size=40),
        st.sampled_from(["kill myself", "k1ll", "\u0301" * 50, "🔪💊", "s.u.i.c.i.d.e", "\u200d", "ǅ", "ﬁ", "⁉"]),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text=ODD_TEXT, language=st.sampled_from([None, "en", "es", "xx"]))
def test_assess_never_raises_and_returns_a_valid_assessment(
    detector: Detector, text: str, language: str | None
) -> None:
    assert valid(detector.assess(text, language))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(chunk=st.text(ANY_CHARACTER, min_size=1, max_size=64), language=st.sampled_from([None, "en"]))
def test_assess_copes_with_100_kilobyte_messages(detector: Detector, chunk: str, language: str | None) -> None:
    huge = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    assert valid(detector.assess(huge, language))
    assert valid(detector.assess("i want to die " * 7_000, language))


RISK_PHRASES = [
    ("en", "I want to die"),
    ("en", "I'm going to kill myself tonight"),
    ("en", "I have the pills in front of me"),
    ("en", "my dad beats me"),
    ("en", "I want to hurt him"),
    ("en", "I took too many pills"),
    ("en", "nobody would miss me if I was gone"),
    ("en", "I've been cutting again"),
    ("es", "me quiero morir"),
    ("es", "me voy a matar esta noche"),
    ("es", "mi papá me pega"),
    ("es", "me tomé 30 pastillas"),
]
ACCENTS = [chr(code) for code in range(0x0300, 0x0370)]


@st.composite
def disguised(draw: st.DrawFn, text: str) -> str:
    """The text with random case, accents and letters repeated for emphasis, as texters write."""
    out = []
    for character in text:
        if character.isascii() and character.isalpha():
            character = character.upper() if draw(st.booleans()) else character.lower()
            if draw(st.integers(0, 4)) == 0:
                character += draw(st.sampled_from(ACCENTS))
            if draw(st.integers(0, 5)) == 0:
                character *= draw(st.integers(3, 6))
        out.append(character)
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), "".join(out))


@settings(max_examples=200)
@given(data=st.data(), case=st.sampled_from(RISK_PHRASES))
def test_case_accents_and_repeated_letters_never_lower_a_risk_level(
    detector: Detector, data: st.DataObject, case: tuple[str, str]
) -> None:
    language, text = case
    plain = detector.assess(text, language).level
    assert plain is not Level.NONE
    variant = data.draw(disguised(text))
    assert detector.assess(variant, language).level >= plain, variant
