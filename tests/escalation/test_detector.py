"""The risk detector part by part: what alarms, at which level and category, and what stays quiet, in en and es."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from escalation.assessment import NONE_ASSESSMENT, Assessment, Category, Level, Signal
from escalation.conversation import SIGNAL_AFTER_RISK, assess_conversation
from escalation.detector import Detector
from escalation.lexicon import Lexicon, LexiconError
from escalation.reading import fold

ROOT = Path(__file__).resolve().parents[2]
LEXICONS = ROOT / "config" / "lexicons"
NONE, ELEVATED, IMMINENT = Level.NONE, Level.ELEVATED, Level.IMMINENT


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_mappings(
        {path.stem: tomllib.loads(path.read_text("utf-8")) for path in LEXICONS.glob("*.toml")}
    )


def case(level: Level, language: str, text: str) -> tuple[Level, str, str]:
    return level, language, text


def check(detector: Detector, level: Level, language: str, text: str) -> Assessment:
    assessment = detector.assess(text, language)
    assert assessment.level is level, f"{text!r}: {assessment}"
    return assessment


# --- acts done or under way ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "language", "text"),
    [
        case(IMMINENT, "en", "took like 35 of my moms advil about an hour ago, my ears are ringing"),
        case(IMMINENT, "en", "i swallowed all of my sleeping pills"),
        case(IMMINENT, "en", "drank some antifreeze from the garage"),
        case(IMMINENT, "es", "me tome como 40 pastillas de clonazepam"),
        case(IMMINENT, "es", "me bebi el cloro que habia debajo del fregadero"),
    ],
)
def test_acts_done_are_imminent(detector: Detector, level: Level, language: str, text: str) -> None:
    assessment = check(detector, level, language, text)
    assert Category.OVERDOSE in assessment.categories
    assert Signal.ACT in assessment.signals


# --- means at hand, with time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "language", "text"),
    [
        case(IMMINENT, "en", "the gun is loaded and sitting on my desk"),
        case(IMMINENT, "en", "blade in my hand right now"),
        case(IMMINENT, "en", "im standing on the ledge of the parking garage"),
        case(IMMINENT, "es", "tengo la pistola cargada en las piernas"),
        case(IMMINENT, "es", "estoy en la orilla del puente"),
    ],
)
def test_means_at_hand_is_imminent_without_the_word_suicide(
    detector: Detector, level: Level, language: str, text: str
) -> None:
    check(detector, level, language, text)


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "i want to die tonight"), ("es", "quiero morirme esta noche"), ("en", "tonight is the night. i know how")],
)
def test_a_time_makes_ideation_imminent(detector: Detector, language: str, text: str) -> None:
    check(detector, IMMINENT, language, text)


def test_a_decision_in_spanish_with_a_weapon_named_is_imminent(detector: Detector) -> None:
    assessment = check(detector, IMMINENT, "es", "ya lo decidi, voy a usar la escopeta de mi papa")
    assert Category.SUICIDE in assessment.categories


# --- farewells and emoji ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "this is my last text. tell my mom im sorry"),
        ("en", "please take care of my cat for me. goodbye forever"),
        ("es", "este es mi ultimo mensaje, diganle a mi mama que la quiero"),
        ("es", "le regale mi perro a la vecina. adios para siempre"),
    ],
)
def test_farewells_are_imminent(detector: Detector, language: str, text: str) -> None:
    check(detector, IMMINENT, language, text)


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "💊💊💊💊 bye everyone"), ("en", "🔫 im done. sorry mom"), ("es", "💊💊💊 adios a todos")],
)
def test_emoji_carry_the_means_with_a_farewell(detector: Detector, language: str, text: str) -> None:
    check(detector, IMMINENT, language, text)


def test_emoji_alone_in_everyday_talk_stays_quiet(detector: Detector) -> None:
    check(detector, NONE, "en", "cooking tonight 🔪🥕")
    check(detector, NONE, "en", "im dead 💀💀 that video")


# --- passive and active ideation, self-harm --------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "nobody would notice if i disappeared"),
        ("en", "i wish i wouldnt wake up tomorrow"),
        ("en", "everyone would be better off without me"),
        ("es", "ojala no despertar manana"),
        ("es", "nadie se daria cuenta si desapareciera"),
        ("es", "estoy cansada de vivir"),
    ],
)
def test_passive_wishes_not_to_exist_are_elevated(detector: Detector, language: str, text: str) -> None:
    assessment = check(detector, ELEVATED, language, text)
    assert assessment.categories == (Category.SUICIDE,)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "i cut again last night"),
        ("en", "the urge to cut is back"),
        ("es", "me queme el brazo otra vez"),
        ("es", "me volvi a cortar"),
    ],
)
def test_self_harm_present_or_returning_is_elevated(detector: Detector, language: str, text: str) -> None:
    assessment = check(detector, ELEVATED, language, text)
    assert Category.SELF_HARM in assessment.categories


def test_self_harm_bleeding_heavily_is_imminent(detector: Detector) -> None:
    check(detector, IMMINENT, "en", "i cut my wrist too deep and its bleeding a lot")


# --- danger from another person, and harm to others ------------------------------------------------


@pytest.mark.parametrize(
    ("level", "language", "text"),
    [
        case(IMMINENT, "en", "he said he'll kill me and he's outside right now"),
        case(IMMINENT, "en", "my ex is banging on the door with a knife"),
        case(IMMINENT, "es", "mi pareja me amenazo con matarme y esta afuera"),
        case(ELEVATED, "en", "my dad hits me when he's drunk"),
        case(ELEVATED, "es", "mi papa me pega cuando toma"),
    ],
)
def test_danger_from_another_person_is_its_own_category(
    detector: Detector, level: Level, language: str, text: str
) -> None:
    assessment = check(detector, level, language, text)
    assert Category.ABUSE in assessment.categories
    assert Category.SUICIDE not in assessment.categories


@pytest.mark.parametrize(
    ("level", "language", "text"),
    [
        case(IMMINENT, "en", "im going to stab him tonight, the knife is in my bag"),
        case(ELEVATED, "en", "sometimes i want to hurt him"),
        case(IMMINENT, "es", "esta noche lo voy a matar, ya tengo el cuchillo"),
        case(ELEVATED, "es", "a veces tengo ganas de lastimar a mi hermano"),
    ],
)
def test_harm_to_others(detector: Detector, level: Level, language: str, text: str) -> None:
    assessment = check(detector, level, language, text)
    assert Category.HARM_TO_OTHERS in assessment.categories


def test_a_way_of_harming_someone_is_not_means_at_hand(detector: Detector) -> None:
    """ "poisoning my stepdad" names how, not a poison at hand: harm to others, elevated; with a time, imminent."""
    assessment = detector.assess("lately i think about poisoning my stepdad", "en")
    assert assessment.level is ELEVATED and Category.HARM_TO_OTHERS in assessment.categories
    check(detector, IMMINENT, "en", "im poisoning my stepdad tonight")


def test_a_person_beginning_with_my_is_the_one_harmed_not_the_texter(detector: Detector) -> None:
    """ "matar a [mi] jefe": the "mi" belongs to the boss, so this is harm to others, not danger to the texter."""
    assessment = check(detector, ELEVATED, "es", "a veces quiero matar a mi jefe")
    assert assessment.categories == (Category.HARM_TO_OTHERS,)


# --- benign look-alikes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "took 2 advil for my cramps, feeling better"),
        ("en", "took two tylenol for this headache an hour ago"),
        ("en", "my doctor upped my sertraline to 100mg"),
        ("es", "me tome un paracetamol para el dolor de cabeza"),
        ("es", "me tome 2 ibuprofenos por los colicos"),
        ("en", "took one melatonin at 11 and still cant sleep"),
        ("es", "me tome un clonazepam de 0.5 antes del vuelo"),
    ],
)
def test_medicine_at_an_everyday_dose_stays_quiet(detector: Detector, language: str, text: str) -> None:
    check(detector, NONE, language, text)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "this exam is killing me"),
        ("en", "im dead tired after that shift"),
        ("en", "my mom is gonna kill me when she sees my grades lol"),
        ("es", "me muero de risa con este video"),
        ("es", "estoy muerta de cansancio"),
    ],
)
def test_idioms_stay_quiet(detector: Detector, language: str, text: str) -> None:
    check(detector, NONE, language, text)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "my car's engine died on the highway"),
        ("en", "we killed it tonight at the gig"),
        ("en", "got a headshot in valorant"),
        ("es", "se me murio la bateria del carro"),
    ],
)
def test_car_sports_and_gaming_slang_stays_quiet(detector: Detector, language: str, text: str) -> None:
    check(detector, NONE, language, text)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I'm not going to hurt myself, I just need to vent"),
        ("en", "i dont want to die, i want things to change"),
        ("es", "no me voy a matar, solo necesito desahogarme"),
    ],
)
def test_negation_stays_quiet(detector: Detector, language: str, text: str) -> None:
    check(detector, NONE, language, text)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "my friend tried to kill herself two years ago and shes doing great now"),
        ("en", "saw on the news a guy jumped off the bridge downtown"),
        ("es", "mi tia se quito la vida cuando yo tenia 8"),
    ],
)
def test_third_persons_and_the_news_stay_quiet(detector: Detector, language: str, text: str) -> None:
    check(detector, NONE, language, text)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "if my friend ever texted me saying she wanted to kill herself, what should i say?"),
        ("en", "would you call 911 if someone said 'i took too many pills'? im training to be a volunteer"),
        ("es", "si alguien dice que se quiere matar, que le digo?"),
    ],
)
def test_hypotheticals_and_quotes_stay_quiet(detector: Detector, language: str, text: str) -> None:
    check(detector, NONE, language, text)


def test_recovery_told_as_over_stays_quiet(detector: Detector) -> None:
    check(detector, NONE, "en", "3 years clean from cutting and proud")
    # "still" inside the recovery is no return of the danger
    check(detector, NONE, "en", "i overdosed in 2016 and honestly i am glad i am still here")


# --- how people text; explanations; languages ------------------------------------------------------


@pytest.mark.parametrize("text", ["k1ll myself", "su1cide", "KILL MYSELF", "k i l l  m y s e l f", "kms fr"])
def test_spelling_variants_and_leetspeak_read_as_words(detector: Detector, text: str) -> None:
    assert detector.assess(text, "en").level is not NONE


def test_missing_accents_and_shorthand_read_as_words(detector: Detector) -> None:
    check(detector, IMMINENT, "es", "ME TOMÉ 30 PASTILLAS")
    check(detector, IMMINENT, "es", "me tome 30 pastillas")
    check(detector, ELEVATED, "es", "kiero morir")


def test_misspelt_medicine_names_are_recognised(detector: Detector) -> None:
    check(detector, IMMINENT, "en", "i took 40 acetominophen")


def test_rules_name_the_rule_and_the_words_it_fired_on(detector: Detector) -> None:
    assessment = detector.assess("took 40 tylenol", "en")
    assert assessment.rules == ("en.overdose.imminent: medicine taken in quantity [took; tylenol; 40]",)
    assert all("|" not in rule and "\x1f" not in rule for rule in assessment.rules)  # the service stores them so


def test_unknown_or_missing_language_reads_with_every_lexicon(detector: Detector) -> None:
    assert detector.assess("quiero morir", None).level is ELEVATED
    assert detector.assess("quiero morir", "fr").level is ELEVATED
    assert detector.assess("quiero morir", "en").level is NONE


def test_everyday_talk_is_none(detector: Detector) -> None:
    assert detector.assess("work was long, can we talk for a bit?", "en") == NONE_ASSESSMENT


def test_quotation_marks_set_the_quoted_words_apart() -> None:
    assert fold("she said 'i'm on the roof' lol") == "she said  zqz im on the roof zqz  lol"


def test_a_lexicon_with_an_unknown_kind_is_refused_with_its_name() -> None:
    with pytest.raises(LexiconError, match="unknown kind 'medicines'"):
        Lexicon.from_mapping("en", {"words": {"medicines": ["advil"]}})


# --- conversations ---------------------------------------------------------------------------------


def test_means_after_ideation_raises_the_conversation(detector: Detector) -> None:
    first, second = detector.assess("I want to die", "en"), detector.assess("I have the pills", "en")
    assert (first.level, second.level) == (ELEVATED, NONE)
    verdict = assess_conversation([first], second)
    assert verdict.level is IMMINENT and SIGNAL_AFTER_RISK in verdict.rules


def test_conversation_level_never_drops_after_risk(detector: Detector) -> None:
    messages = [detector.assess(text, "en") for text in ("I want to die", "jk I'm fine now", "thanks")]
    assert assess_conversation(messages[:-1], messages[-1]).level is ELEVATED
