"""The rules of the risk model, one list per category, most urgent first: the first that fires gives the level.

A rule is a name and a test over a message's affirmed parts (escalation/model.py's Found); the test
returns the parts it fired on, or nothing. Rules name kinds, never phrases: the lexicons hold the words.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import or_

from escalation.assessment import Category, Level
from escalation.model import IMMEDIACY, MEANS, Found
from escalation.parts import Kind as K
from escalation.parts import Part, mask_of

Test = Callable[[Found], list[Part]]
# A rule: its level, its name, its test, and the kinds it needs (one of each group), so that a message lacking
# them skips the test: most messages that reach the rules have the kinds of two or three of some thirty rules.
Rule = tuple[Level, str, Test, tuple[tuple[K, ...], ...]]
_KNOWN_KIND_SETS = 100_000  # past this many distinct sets of kinds, a table's possible rules are worked out each time


class RuleTable:
    """One category's rules, most urgent first, with the rules that may fire on each set of kinds remembered.

    Remembered per set of the kinds the table's rules name (as bits), not per message's whole set: messages of a
    few sentences rarely share the whole set, but share the few kinds a table asks about."""

    __slots__ = ("_needs", "_possible", "_relevant", "_rules")

    def __init__(self, *rules: Rule) -> None:
        self._rules = tuple((level, name, test) for level, name, test, _ in rules)
        self._needs = tuple(tuple(mask_of(group) for group in needs) for _, _, _, needs in rules)
        self._relevant = reduce(or_, (group for needs in self._needs for group in needs), 0)
        self._possible: dict[int, tuple[tuple[Level, str, Test], ...]] = {}

    def first(self, found: Found) -> tuple[Level, str, list[Part]] | None:
        """The most urgent rule that fires, with the parts it fired on."""
        kinds = found.mask & self._relevant
        rules = self._possible.get(kinds)
        if rules is None:
            rules = self._learn(kinds)
        for level, name, test in rules:
            parts = test(found)
            if parts:
                return level, name, parts
        return None

    def _learn(self, kinds: int) -> tuple[tuple[Level, str, Test], ...]:
        rules = tuple(
            rule for rule, needs in zip(self._rules, self._needs, strict=True) if all(kinds & group for group in needs)
        )
        if len(self._possible) < _KNOWN_KIND_SETS:
            self._possible[kinds] = rules
        return rules


IMMINENT, ELEVATED = Level.IMMINENT, Level.ELEVATED
_PLACES = (K.HEIGHT, K.VEHICLE)
_TIMES = (K.NOW, K.SOON)
_TOOLS = (K.WEAPON, K.LIGATURE, K.POISON)  # means a decision names: "going to use my brothers rifle"
_PASSIVE = frozenset({K.NOT_EXIST, K.ABSENCE, K.WEARY, K.LIFE})
_PASSIVE_IMMEDIACY = tuple(kind for kind in IMMEDIACY if kind not in (K.SOON, K.GOODBYE))
_JUMP_NOW = (K.DECIDE, K.PLAN, K.SOON, K.NOW, K.ON_PLACE, K.EDGE, K.WANT)
_WISHES = (K.SELF_KILL, K.NOT_EXIST, K.ABSENCE, K.WEARY, K.WANT, K.DECIDE)  # one of which every ideation needs
_HARMS = (K.SELF_HARM, K.INJURE, K.WEAPON)  # one of which self-harm needs
_TOLD = (K.HARM_ME, K.THREAT)
_READY = (K.ACCESS, K.SYMPTOM, *_TIMES, K.FAREWELL, K.GOODBYE, K.DECIDE, K.PLAN)


def both(first: list[Part], second: list[Part]) -> list[Part]:
    """The parts of two tests that must both fire, or nothing."""
    return first + second if first and second else []


def _with(kinds: tuple[K, ...], extra: tuple[K, ...]) -> Test:
    """A test: a part of one of `kinds` and a part of one of `extra`, anywhere in the message."""

    def test(found: Found) -> list[Part]:
        return found.any_of(kinds)[:1] + found.any_of(extra)[:1] if found.has(*kinds) and found.has(*extra) else []

    return test


def ideation(found: Found) -> list[Part]:
    """Wanting to die or to stop existing, in words ("kms", "wish i wasn't born") or as a wish and a death.

    Asked by several rules of one message, so worked out once per message.
    """
    if found.ideation is None:
        found.ideation = _ideation(found)
    return found.ideation


def _ideation(found: Found) -> list[Part]:
    return (
        found.any_of((K.SELF_KILL,))
        or found.any_of((K.NOT_EXIST,))
        or found.any_of((K.ABSENCE,))
        or found.followed((K.WEARY,), (K.LIFE,), 2)
        or found.followed((K.WANT, K.DECIDE), (K.DIE,))
        or both(found.followed((K.WANT,), (K.JUMP,)), found.any_of(_PLACES)[:1])
    )


def _decision(found: Found) -> list[Part]:
    """A decision to die or with a method; a jump into the pool or a rope for the curtains is no method."""
    ends = (K.SELF_KILL, K.DIE, K.NOT_EXIST) if found.has(K.MOVING) else (K.SELF_KILL, K.DIE, K.JUMP, K.NOT_EXIST)
    return found.followed((K.DECIDE, K.PLAN), ends)


def _decided_means(found: Found) -> list[Part]:
    # Places need a jump as well: "voy a tomar el tren mañana" is a commute.
    decided = found.followed((K.DECIDE, K.PLAN), (*_TOOLS, K.MEDICINE), 8)
    return both(decided, found.any_of((K.SOON, K.NOW, K.QUANTITY, K.JUMP, K.ACCESS))[:1])


def _ideation_with_immediacy(found: Found) -> list[Part]:
    """Ideation beside means, access, a time, a decision, an act or a farewell. A passive wish is often timed
    ("ojalá no despertar mañana") and stays a wish unless something else is at hand. Killing oneself named is
    imminent also right beside "right now" ("quiero matarme ahora mismo"), not "every day now"."""
    wish = ideation(found)
    if not wish:
        return []
    passive = wish[0].kind in _PASSIVE and not found.followed((K.WANT, K.DECIDE), (K.DIE,))
    immediate = both(wish, found.any_of(_PASSIVE_IMMEDIACY if passive else IMMEDIACY)[:2])
    return immediate or found.near((K.SELF_KILL,), (K.NOW, K.AGO), 3)


def _jump(found: Found) -> list[Part]:
    """A jump from a height or in front of a vehicle ("me tiro del puente", "jump in front of the train")."""
    return found.near((K.JUMP,), _PLACES, 8)


def _goodbye_with_risk(found: Found) -> list[Part]:
    """A goodbye beside means, something taken or ideation; not beside "today" ("me despedí de mi depa hoy")."""
    return both(found.any_of((K.GOODBYE,)), found.any_of((*MEANS, K.INGEST))[:1] or ideation(found))


def _weapon_for_self(found: Found) -> list[Part]:
    if found.has(K.HARM_OTHER, K.TARGET_PLACE, K.HARM_ME, K.THREAT, K.HIDING):
        return []  # a weapon in someone else's story of harm is that story's, below
    return _with((K.WEAPON,), (K.WEAPON_STATE, K.ACCESS))(found)


def _weapon_to_a_place(found: Found) -> list[Part]:
    return both(_with((K.WEAPON,), (K.TARGET_PLACE,))(found), found.any_of((K.PLAN, K.DECIDE, K.SOON, K.ACCESS))[:1])


def _terse_plan(found: Found) -> list[Part]:
    """A means and a time and (almost) nothing else: "🔫 tonight", "🪢🪢 esta noche"; not "cooking tonight 🔪"."""
    if not found.terse or found.has(K.FOOD, K.MOVING, K.MEDICAL):
        return []
    return _with(MEANS, _TIMES)(found)


def _given_away(found: Found) -> list[Part]:
    """Things or pets given away ("gave my guitar to my cousin", "le di mi gato a la vecina"), unless the texter
    is moving house or travelling, the everyday reasons to."""
    if found.has(K.MOVING):
        return []
    return found.any_of((K.GIVE_AWAY,)) or found.followed((K.GIVE,), (K.POSSESSION,), 3)


def _ligature_ready(found: Found) -> list[Part]:
    """A rope or belt tied, at hand or timed; not one packed for a trip ("the rope is for camping this weekend")."""
    if found.has(K.MOVING):
        return []
    return _with((K.LIGATURE,), (K.ACCESS, K.EDGE, K.ON_PLACE, K.ACT_DONE, K.PLAN, *_TIMES))(found)


def _violence_at_a_place(found: Found) -> list[Part]:
    """Violence aimed at a place with a time or decision: "voy a tirotear la escuela mañana"."""
    aimed = found.followed((K.HARM_OTHER,), (K.TARGET_PLACE,), 3) or both(
        found.followed((K.VIOLENCE,), (K.TARGET_PLACE,), 3), found.any_of((K.WEAPON,))[:1]
    )  # a bare violent verb at a place is often slang ("vamos a reventar la fiesta"): it needs a weapon too
    return both(aimed, found.any_of((K.DECIDE, K.PLAN, K.SOON, K.NOW))[:1])


def _harm_with_means(found: Found) -> list[Part]:
    """Harm to others beside a weapon, poison, plan, act or time that is not the harm's own word: "poisoning my
    stepdad" names a way of harm, not a poison at hand."""
    harm = found.any_of((K.HARM_OTHER,))
    if not harm:
        return []
    aimed = harm[0]
    for part in found.all_of((K.WEAPON, K.POISON, K.PLAN, K.ACT_DONE, *_TIMES)):
        if not aimed.start <= part.start < aimed.end:
            return [aimed, part]
    return []


def _revenge(found: Found) -> list[Part]:
    """A grievance, means of harm and the people or a time at hand: "she cheated. i have the gas can. they are at
    her place rn"."""
    armed = _with((K.GRIEVANCE,), (K.WEAPON, K.POISON))(found)
    return both(armed, found.any_of((*_TIMES, K.PRESENCE, K.DECIDE, K.TARGET_PLACE))[:1])


SUICIDE = RuleTable(
    (
        IMMINENT,
        "decision with a method or death",
        _decision,
        ((K.DECIDE, K.PLAN), (K.SELF_KILL, K.DIE, K.JUMP, K.NOT_EXIST)),
    ),
    (
        IMMINENT,
        "decision with a weapon, ligature or poison",
        lambda found: found.followed((K.DECIDE,), _TOOLS),
        ((K.DECIDE,), _TOOLS),
    ),
    (
        IMMINENT,
        "decision with means and a time or quantity",
        _decided_means,
        ((K.DECIDE, K.PLAN), (*_TOOLS, K.MEDICINE), (K.SOON, K.NOW, K.QUANTITY, K.JUMP, K.ACCESS)),
    ),
    (
        IMMINENT,
        "ideation with means, access, time or farewell",
        _ideation_with_immediacy,
        (_WISHES, (*IMMEDIACY, K.NOW, K.AGO)),
    ),
    (IMMINENT, "farewell", lambda found: found.any_of((K.FAREWELL,)), ((K.FAREWELL,),)),
    (IMMINENT, "things given away", _given_away, ((K.GIVE_AWAY, K.GIVE),)),
    (IMMINENT, "goodbye with means or ideation", _goodbye_with_risk, ((K.GOODBYE,),)),
    (IMMINENT, "goodbye with death", _with((K.GOODBYE,), (K.DIE,)), ((K.GOODBYE,), (K.DIE,))),
    (
        IMMINENT,
        "decision taken, with a time, a plan or means",
        _with((K.RESOLVE,), (*_TIMES, *MEANS, K.PLAN, K.GOODBYE)),
        ((K.RESOLVE,), (*_TIMES, *MEANS, K.PLAN, K.GOODBYE)),
    ),
    (
        IMMINENT,
        "a goodbye made final",
        lambda found: found.near((K.GOODBYE,), (K.FINAL,), 6),
        ((K.GOODBYE,), (K.FINAL,)),
    ),
    (IMMINENT, "at the edge", lambda found: found.any_of((K.EDGE,)), ((K.EDGE,),)),
    (IMMINENT, "on a height", lambda found: found.near((K.ON_PLACE,), (K.HEIGHT,), 4), ((K.ON_PLACE,), (K.HEIGHT,))),
    (
        IMMINENT,
        "a jump decided or timed",
        lambda found: both(_jump(found), found.any_of(_JUMP_NOW)[:1]),
        ((K.JUMP,), _PLACES, _JUMP_NOW),
    ),
    (
        IMMINENT,
        "ligature ready",
        _ligature_ready,
        ((K.LIGATURE,), (K.ACCESS, K.EDGE, K.ON_PLACE, K.ACT_DONE, K.PLAN, *_TIMES)),
    ),
    (IMMINENT, "weapon loaded or in reach", _weapon_for_self, ((K.WEAPON,), (K.WEAPON_STATE, K.ACCESS))),
    (IMMINENT, "plan with means", _with((K.PLAN,), MEANS), ((K.PLAN,), MEANS)),
    (IMMINENT, "means and a time, said alone", _terse_plan, (MEANS, _TIMES)),
    (IMMINENT, "poison or exhaust at hand", _with((K.POISON,), (K.ACCESS,)), ((K.POISON,), (K.ACCESS,))),
    (IMMINENT, "act done with means", _with((K.ACT_DONE,), MEANS), ((K.ACT_DONE,), MEANS)),
    (
        IMMINENT,
        "act done just now",
        _with((K.ACT_DONE,), (K.AGO, K.NOW, K.SYMPTOM, K.BLEEDING)),
        ((K.ACT_DONE,), (K.AGO, K.NOW, K.SYMPTOM, K.BLEEDING)),
    ),
    (ELEVATED, "ideation", ideation, (_WISHES,)),
    (ELEVATED, "a jump from a height", _jump, ((K.JUMP,), _PLACES)),
    (ELEVATED, "act done", lambda found: found.any_of((K.ACT_DONE,)), ((K.ACT_DONE,),)),
    (ELEVATED, "wish with means", lambda found: found.followed((K.WANT,), MEANS, 10), ((K.WANT,), MEANS)),
)


def _medicine_ready(found: Found) -> list[Part]:
    return both(found.near((K.MEDICINE,), (K.QUANTITY,), 6), found.any_of(_READY)[:1])


def _taken_in_quantity(found: Found) -> list[Part]:
    """Medicine taken, with a quantity, or symptoms, or (outside a medical context) a time it was taken."""
    signs = (K.QUANTITY, K.SYMPTOM) if found.medical else (K.QUANTITY, K.SYMPTOM, K.AGO)
    return both(found.near((K.INGEST,), (K.MEDICINE,), 8), found.any_of(signs)[:1])


def _dosed_with_symptoms(found: Found) -> list[Part]:
    """A poison, or outside a medical context a medicine, with what an overdose feels like (not a side effect)."""
    return _with((K.POISON,) if found.medical else (K.MEDICINE, K.POISON), (K.SYMPTOM,))(found)


OVERDOSE = RuleTable(
    (IMMINENT, "poison taken", lambda found: found.near((K.INGEST,), (K.POISON,), 12), ((K.INGEST,), (K.POISON,))),
    (
        IMMINENT,
        "medicine taken in quantity",
        _taken_in_quantity,
        ((K.INGEST,), (K.MEDICINE,), (K.QUANTITY, K.SYMPTOM, K.AGO)),
    ),
    (
        IMMINENT,
        "all of them taken",
        lambda found: found.near((K.INGEST, K.ACT_DONE), (K.QUANTITY,), 3),
        ((K.INGEST, K.ACT_DONE), (K.QUANTITY,)),
    ),
    (
        IMMINENT,
        "medicine in quantity with access, time, symptoms or intent",
        _medicine_ready,
        ((K.MEDICINE,), (K.QUANTITY,), _READY),
    ),
    (IMMINENT, "medicine or poison with symptoms", _dosed_with_symptoms, ((K.MEDICINE, K.POISON), (K.SYMPTOM,))),
    (
        IMMINENT,
        "medicine at hand",
        lambda found: [] if found.medical else found.near((K.MEDICINE,), (K.ACCESS,), 4),
        ((K.MEDICINE,), (K.ACCESS,)),
    ),
    (
        ELEVATED,
        "medicine in quantity",
        lambda found: found.near((K.MEDICINE,), (K.QUANTITY,), 6),
        ((K.MEDICINE,), (K.QUANTITY,)),
    ),
)


def _self_harm(found: Found) -> list[Part]:
    """Harm to oneself named, or a way of injuring next to the texter's body."""
    return (
        found.any_of((K.SELF_HARM,))
        or found.near((K.INJURE, K.WEAPON), (K.BODY,), 7)
        or found.near((K.INJURE, K.WEAPON), (K.AGAIN,), 4)  # "cut again last night", "the cutting is back", "🔪 again"
    )


def _self_harm_now(found: Found) -> list[Part]:
    """Self-harm in the sentence of a "now"; an urge felt now ("ganas de cortarme esta noche") is not an act."""
    return [] if found.has(K.WANT) else found.same_sentence((K.SELF_HARM,), (K.NOW,))


SELF_HARM = RuleTable(
    (
        IMMINENT,
        "self-harm bleeding badly",
        lambda found: both(_self_harm(found), found.any_of((K.BLEEDING,))),
        (_HARMS, (K.BLEEDING,)),
    ),
    (
        IMMINENT,
        "blade and heavy bleeding",
        _with((K.WEAPON, K.INJURE), (K.BLEEDING,)),
        ((K.WEAPON, K.INJURE), (K.BLEEDING,)),
    ),
    (
        IMMINENT,
        "body bleeding heavily",
        lambda found: found.near((K.BLEEDING,), (K.BODY,), 8),
        ((K.BLEEDING,), (K.BODY,)),
    ),
    (IMMINENT, "self-harm under way", _self_harm_now, ((K.SELF_HARM,), (K.NOW,))),
    (ELEVATED, "self-harm", _self_harm, (_HARMS,)),
    (ELEVATED, "heavy bleeding", lambda found: found.any_of((K.BLEEDING,)), ((K.BLEEDING,),)),
)

DANGER_FROM_OTHER = RuleTable(
    (
        IMMINENT,
        "harm or threat with the person present",
        _with((K.HARM_ME, K.THREAT), (K.PRESENCE, K.HIDING)),
        (_TOLD, (K.PRESENCE, K.HIDING)),
    ),
    (IMMINENT, "harm or threat with a weapon", _with((K.HARM_ME, K.THREAT), (K.WEAPON,)), (_TOLD, (K.WEAPON,))),
    (
        IMMINENT,
        "harm or threat under way or timed",
        lambda found: found.same_sentence((K.HARM_ME, K.THREAT), _TIMES),
        (_TOLD, _TIMES),
    ),
    (
        IMMINENT,
        "hiding from someone armed or near",
        _with((K.HIDING,), (K.WEAPON, K.PRESENCE, K.THIRD_PERSON)),
        ((K.HIDING,), (K.WEAPON, K.PRESENCE, K.THIRD_PERSON)),
    ),
    (
        IMMINENT,
        "someone armed at the door",
        lambda found: found.same_sentence((K.PRESENCE,), (K.WEAPON,)),
        ((K.PRESENCE,), (K.WEAPON,)),
    ),
    (
        IMMINENT,
        "someone there and a cry for help",
        lambda found: found.near((K.PRESENCE,), (K.HELP,), 6),
        ((K.PRESENCE,), (K.HELP,)),
    ),
    (ELEVATED, "harm or threat", lambda found: found.any_of((K.HARM_ME, K.THREAT))[:1], (_TOLD,)),
)

HARM_TO_OTHERS = RuleTable(
    (
        IMMINENT,
        "harm to others with means or a time",
        _harm_with_means,
        ((K.HARM_OTHER,), (K.WEAPON, K.POISON, K.PLAN, K.ACT_DONE, *_TIMES)),
    ),
    (
        IMMINENT,
        "revenge with means, at hand",
        _revenge,
        ((K.GRIEVANCE,), (K.WEAPON, K.POISON), (*_TIMES, K.PRESENCE, K.DECIDE, K.TARGET_PLACE)),
    ),
    (
        IMMINENT,
        "weapon taken to a place",
        _weapon_to_a_place,
        ((K.WEAPON,), (K.TARGET_PLACE,), (K.PLAN, K.DECIDE, K.SOON, K.ACCESS)),
    ),
    (
        IMMINENT,
        "violence at a place, decided or timed",
        _violence_at_a_place,
        ((K.HARM_OTHER, K.VIOLENCE), (K.TARGET_PLACE,), (K.DECIDE, K.PLAN, *_TIMES)),
    ),
    (ELEVATED, "harm to others", lambda found: found.any_of((K.HARM_OTHER,)), ((K.HARM_OTHER,),)),
)

# Categories whose danger a message may tell as over ("used to", "two years clean", "thats not me anymore").
ENDED = frozenset({Category.SUICIDE, Category.SELF_HARM, Category.OVERDOSE, Category.ABUSE})
ENDED_IN_THE_PAST = ENDED - {Category.ABUSE}

# Each table with the kinds one of which every rule in it needs: a message with none of them skips the table.
_TABLES: tuple[tuple[Category, frozenset[K], RuleTable], ...] = (
    (
        Category.SUICIDE,
        frozenset(
            {*MEANS, K.SELF_KILL, K.DIE, K.NOT_EXIST, K.ABSENCE, K.WEARY, K.JUMP, K.FAREWELL, K.GIVE_AWAY, K.EDGE}
            | {K.ACT_DONE, K.ON_PLACE, K.PLAN, K.RESOLVE, K.GOODBYE, K.GIVE}
        ),
        SUICIDE,
    ),
    (Category.OVERDOSE, frozenset({K.MEDICINE, K.POISON, K.INGEST, K.ACT_DONE}), OVERDOSE),
    (Category.SELF_HARM, frozenset({K.SELF_HARM, K.INJURE, K.WEAPON, K.BLEEDING}), SELF_HARM),
    (Category.ABUSE, frozenset({K.HARM_ME, K.THREAT, K.HIDING, K.PRESENCE}), DANGER_FROM_OTHER),
    (Category.HARM_TO_OTHERS, frozenset({K.HARM_OTHER, K.WEAPON, K.VIOLENCE, K.GRIEVANCE}), HARM_TO_OTHERS),
)
# The same with those kinds as bits (escalation/parts.py), as the detector asks.
TABLES: tuple[tuple[Category, int, RuleTable], ...] = tuple(
    (category, mask_of(needs), table) for category, needs, table in _TABLES
)
