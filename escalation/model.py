"""The risk model: which parts together make which danger, at which level, and the rule that says so.

Each rule names kinds of words (escalation/parts.py), never phrases, so a message nobody wrote
down is read by what it is made of: an act done with a medicine and a quantity, a weapon in a
stated state, a wish to die with a time, a threat with the person present. A rule that fires
is reported with the words it fired on, for the supervisor.

Levels follow the line's labelling brief (after the Columbia scale and Crisis Text Line's findings):
imminent when an act is done or under way, when means are at hand or a time is set, when a decision
or a farewell is stated, when another person's danger is present; elevated for ideation, passive
wishes, self-harm, and harm or abuse without immediacy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from escalation.assessment import Category, Level, Signal
from escalation.parts import BIT, Kind, Part, mask_of
from escalation.scope import Marks

K = Kind
MEANS = (K.MEDICINE, K.POISON, K.WEAPON, K.HEIGHT, K.VEHICLE, K.LIGATURE)
# What makes ideation imminent when it stands beside it: a means, access, a time, a decision, an act, a farewell.
# "Right now" and "today" are not among them: "i wanna die so bad rn" is ideation, strongly felt.
IMMEDIACY = (
    *MEANS,
    *(K.SOON, K.ACCESS, K.EDGE, K.WEAPON_STATE, K.INGEST, K.ACT_DONE, K.PLAN, K.RESOLVE, K.FAREWELL, K.GOODBYE),
)
# Kinds that fire a rule alone ("kms", "nobody would notice if i disappeared", "he hits me").
ALONE = frozenset(
    {
        K.SELF_KILL,
        K.NOT_EXIST,
        K.ABSENCE,
        K.SELF_HARM,
        K.FAREWELL,
        K.GIVE_AWAY,
        K.EDGE,
        K.ACT_DONE,
        K.HARM_ME,
        K.THREAT,
        K.HARM_OTHER,
        K.BLEEDING,
    }
)
# The other heads fire only beside one of these partners (see escalation/rules.py): a message whose heads
# have none of their partners ("panic attack", "took my time", "i'd die for a burrito") is no risk, and is
# answered before scope and rules are worked out, which is most of the cost of a message.
_TIME_AND_INTENT = {K.NOW, K.SOON, K.DECIDE, K.PLAN, K.WANT, K.GOODBYE, K.FAREWELL, K.ACCESS, K.ON_PLACE}
PARTNERS: dict[Kind, frozenset[Kind]] = {
    K.DIE: frozenset({K.WANT, K.DECIDE, K.PLAN}),
    K.VIOLENCE: frozenset({K.PERSON, K.ME, K.TARGET_PLACE}),
    K.INGEST: frozenset({K.MEDICINE, K.POISON, K.QUANTITY, K.NUMBER}),
    K.MEDICINE: frozenset({K.QUANTITY, K.NUMBER, K.SYMPTOM, K.INGEST, K.ACT_DONE, *_TIME_AND_INTENT}),
    K.POISON: frozenset({K.INGEST, K.SYMPTOM, K.ACT_DONE, *_TIME_AND_INTENT}),
    K.WEAPON: frozenset(
        {K.WEAPON_STATE, K.BODY, K.BLEEDING, K.PRESENCE, K.HIDING, K.TARGET_PLACE, K.ACT_DONE, K.AGAIN}
        | {K.GRIEVANCE, *_TIME_AND_INTENT}
    ),
    K.HEIGHT: frozenset({K.ACT_DONE, K.JUMP, *_TIME_AND_INTENT}),
    K.VEHICLE: frozenset({K.ACT_DONE, K.JUMP, *_TIME_AND_INTENT}),
    K.LIGATURE: frozenset({K.ACT_DONE, K.EDGE, *_TIME_AND_INTENT}),
    K.INJURE: frozenset({K.BODY, K.BLEEDING, K.AGAIN}),
    K.JUMP: frozenset({K.WANT, K.DECIDE, K.PLAN, K.HEIGHT, K.VEHICLE}),
    K.WEARY: frozenset({K.LIFE}),
    K.LIFE: frozenset({K.WEARY}),
    K.GOODBYE: frozenset(
        {K.FINAL, K.DIE, K.MEDICINE, K.POISON, K.WEAPON, K.HEIGHT, K.VEHICLE, K.LIGATURE, K.NOW, K.INGEST}
    ),
    K.RESOLVE: frozenset(
        {K.NOW, K.SOON, K.GOODBYE, K.PLAN, K.SELF_KILL, K.DIE, K.NOT_EXIST, K.ABSENCE, K.JUMP, *MEANS}
    ),
    K.PLAN: frozenset({K.DIE, K.JUMP, K.MEDICINE, K.POISON, K.WEAPON, K.HEIGHT, K.VEHICLE, K.LIGATURE}),
    K.HIDING: frozenset({K.WEAPON, K.PRESENCE, K.THIRD_PERSON}),
    K.PRESENCE: frozenset({K.WEAPON, K.HELP}),
    K.GRIEVANCE: frozenset({K.WEAPON, K.POISON}),
    K.GIVE: frozenset({K.POSSESSION}),
}


_HEADS = frozenset(PARTNERS)


def may_fire(kinds: AbstractSet[Kind]) -> bool:
    """Whether some rule could fire on a message with these kinds (before scope sets any aside)."""
    if not ALONE.isdisjoint(kinds):
        return True
    for kind in _HEADS.intersection(kinds):  # in C: most kinds of a message are no head
        if not PARTNERS[kind].isdisjoint(kinds):
            return True
    return False


_ALONE_MASK = mask_of(ALONE)
_HEADS_MASK = mask_of(PARTNERS)
_PARTNERS_OF = {BIT[kind]: mask_of(partners) for kind, partners in PARTNERS.items()}


def may_fire_mask(mask: int) -> bool:
    """may_fire for kinds as bits (escalation/parts.py): a test per head kind present, on ints. Not remembered per
    mask: messages of a few sentences rarely share one (17,000 masks in 20,000 messages)."""
    if mask & _ALONE_MASK:
        return True
    heads = mask & _HEADS_MASK
    while heads:
        head = heads & -heads  # the lowest bit
        if mask & _PARTNERS_OF[head]:
            return True
        heads ^= head
    return False


_SIGNALS = {
    **dict.fromkeys(MEANS, Signal.MEANS),
    K.DECIDE: Signal.PLAN,
    K.PLAN: Signal.PLAN,
    K.RESOLVE: Signal.PLAN,
    K.NOW: Signal.TIME,
    K.SOON: Signal.TIME,
    K.INGEST: Signal.ACT,
    K.ACT_DONE: Signal.ACT,
    K.EDGE: Signal.ACT,
}
# Kinds only scope reads (escalation/scope.py): no rule asks for them, so Found does not group them ("i", "not" and
# "but" are a third of a message's parts).
_SCOPE_ONLY = frozenset({K.BREAK, K.FICTION, K.FIRST_PERSON, K.HYPOTHETICAL, K.IDIOM, K.LAUGH, K.NEGATION, K.SAFETY})
_SIGNALLING_MASK = mask_of(_SIGNALS)
_SIGNALS_OF: dict[int, tuple[Signal, ...]] = {}  # at most one entry per subset of the dozen signalling kinds
_TERSE = 4  # words, at most, in a message that names only what matters
_MIN_PILLS = 8  # a count of tablets past any everyday dose
_MIN_TIMES = 3  # "800mg x6": a dose taken this many times over
# Words right before a number that make it a clock time, and marks between digits that make it decimals.
_CLOCK = frozenset({"at", "around", "till", "until", "las", "hasta"})
_DECIMAL = frozenset({".", ","})
_WISH_REACH = 6  # words from a wish or decision to what is wished: "want to just go to sleep and [die]"


@dataclass(frozen=True)
class Finding:
    """One danger the model found: its category, level, and the rule with the words it fired on."""

    category: Category
    level: Level
    rule: str


class Found:
    """A message's affirmed parts by kind, with the questions the rules ask of them."""

    __slots__ = ("_by_kind", "_marks", "_sentence_count", "_tokens", "ideation", "mask", "medical", "terse")

    def __init__(self, tokens: list[str], parts: Iterable[Part], marks: Marks) -> None:
        self._tokens = tokens
        self._marks = marks
        self._by_kind: dict[Kind, list[Part]] = {}
        for part in parts:
            if part.kind not in _SCOPE_ONLY:
                self._by_kind.setdefault(part.kind, []).append(part)
        self.medical = K.MEDICAL in self._by_kind
        # A message of a few words ("🔫 tonight", "💊💊 hoy") says only what matters: a means and a time is a plan.
        self.terse = len(tokens) <= _TERSE
        self.ideation: list[Part] | None = None  # worked out once by rules.ideation
        self._sentence_count = 1 + marks.sentences_in(len(tokens) - 1)
        if K.VIOLENCE in self._by_kind:
            self._aimed()
        counts = self._counts() if K.NUMBER in self._by_kind else []
        if self.medical or (
            K.FOOD in self._by_kind and K.MEDICINE not in self._by_kind and K.POISON not in self._by_kind
        ):
            # Medicine for a headache or cramps: "all my meds", "a bottle of advil" are everyday there, as food and
            # drink are ("ate a whole box of cookies"); only a count of tablets past any dose still says overdose.
            self._by_kind.pop(K.QUANTITY, None)
        if counts:
            self._by_kind.setdefault(K.QUANTITY, []).extend(counts)
        repeated = _repeated(self._by_kind[K.MEDICINE]) if K.MEDICINE in self._by_kind else None
        if repeated:  # "💊💊💊💊": the means said over and over is a quantity
            self._by_kind.setdefault(K.QUANTITY, []).append(repeated)
        self.mask = mask_of(self._by_kind)  # the kinds present, as bits (escalation/parts.py)

    def _aimed(self) -> None:
        """Violence aimed at a person is harm to others; aimed at the texter by someone, harm to them."""
        aimed = self.followed((K.VIOLENCE,), (K.PERSON,), 3)
        if aimed:  # "stab my stepdad", "matar a mi jefe": harm to others, whoever the person is
            self._by_kind.setdefault(K.HARM_OTHER, []).append(Part(K.HARM_OTHER, aimed[0].start, aimed[1].end))
        at_me = self.followed((K.VIOLENCE,), (K.ME,), 1)
        if at_me and any(
            person.start <= at_me[1].start and person.end > at_me[1].end for person in self._by_kind.get(K.PERSON, ())
        ):
            at_me = []  # the "me" is part of a person: "matar a [mi] jefe" is harm to the boss, not to the texter
        if at_me and K.THIRD_PERSON in self._by_kind:  # "he's going to hurt me", "she hit me": someone's harm
            self._by_kind.setdefault(K.HARM_ME, []).append(Part(K.HARM_ME, at_me[0].start, at_me[1].end))

    def _counts(self) -> list[Part]:
        """A number is no count of tablets when a unit or a medical word follows it ("20 minutes", "39 de fiebre")
        or a medicine or medical word stands just before it ("ibuprofeno de 800", "a fever of 102")."""
        after = {part.start for kind in (K.UNIT, K.MEDICAL) for part in self._by_kind.get(kind, ())}
        before = {part.end for kind in (K.MEDICINE, K.MEDICAL) for part in self._by_kind.get(kind, ())}
        return _counts(self._tokens, self._by_kind[K.NUMBER], after, before)

    def has(self, *kinds: Kind) -> bool:
        return any(kind in self._by_kind for kind in kinds)

    def outside(self, kind: Kind, around: Kind) -> list[Part]:
        """The parts of `kind` not within a part of the `around` kind ("still" in "glad i am [still] here")."""
        spans = self._by_kind.get(around, ())
        return [
            part
            for part in self._by_kind.get(kind, ())
            if not any(span.start <= part.start and part.end <= span.end for span in spans)
        ]

    def all_of(self, kinds: Iterable[Kind]) -> list[Part]:
        """Every part of these kinds, kind by kind."""
        return [part for kind in kinds for part in self._by_kind.get(kind, ())]

    def any_of(self, kinds: Iterable[Kind]) -> list[Part]:
        """The first part of each kind present, for naming a rule."""
        return [self._by_kind[kind][0] for kind in kinds if kind in self._by_kind]

    def excess(self) -> bool:
        """A quantity past everyday use: a listed word ("all", "the whole bottle") or a count of eight or more."""
        return K.QUANTITY in self._by_kind

    def followed(self, first: Iterable[Kind], then: Iterable[Kind], reach: int = _WISH_REACH) -> list[Part]:
        """A part of a `first` kind and, a few words after it in the same clause, one of a `then` kind."""
        later = [part for kind in then for part in self._by_kind.get(kind, ())]
        for kind in first:
            for lead in self._by_kind.get(kind, ()):
                for part in later:
                    if lead.start <= part.start <= lead.end + reach and not self._clause_between(lead.end, part.start):
                        return [lead, part]
        return []

    def near(self, one: Iterable[Kind], other: Iterable[Kind], reach: int) -> list[Part]:
        """A part of `one` kind within `reach` words of a part of `other` kind, either order."""
        others = [part for kind in other for part in self._by_kind.get(kind, ())]
        for kind in one:
            for part in self._by_kind.get(kind, ()):
                for close in others:
                    if close is not part and abs(close.start - part.start) <= reach:
                        return [part, close]
        return []

    def same_sentence(self, one: Iterable[Kind], other: Iterable[Kind]) -> list[Part]:
        """A part of `one` kind and a part of `other` kind in one sentence."""
        return self.near(one, other, 40) if self._sentence_count == 1 else self._in_one_sentence(one, other)

    def signals(self) -> tuple[Signal, ...]:
        """The danger signs among the message's kinds, remembered per set of the kinds that signal (few sets recur)."""
        signalling = self.mask & _SIGNALLING_MASK
        known = _SIGNALS_OF.get(signalling)
        if known is None:
            found = {_SIGNALS[kind] for kind in self._by_kind if kind in _SIGNALS}
            known = tuple(signal for signal in Signal if signal in found)
            _SIGNALS_OF[signalling] = known
        return known

    def words(self, part: Part) -> str:
        return " ".join(self._tokens[part.start : part.end])

    def _clause_between(self, start: int, end: int) -> bool:
        return self._marks.sentence_between(start, end)

    def _in_one_sentence(self, one: Iterable[Kind], other: Iterable[Kind]) -> list[Part]:
        others = [part for kind in other for part in self._by_kind.get(kind, ())]
        for kind in one:
            for part in self._by_kind.get(kind, ()):
                for close in others:
                    low, high = sorted((part.start, close.start))
                    if close is not part and not self._clause_between(low, high):
                        return [part, close]
        return []


def _repeated(parts: Iterable[Part]) -> Part | None:
    """Three one-word parts in a row ("pills pills pills", read from "💊💊💊"), as one part, or None."""
    run: list[Part] = []
    for part in parts:
        run = [*run, part] if run and part.start == run[-1].end else [part]
        if len(run) == 3:
            return Part(K.QUANTITY, run[0].start, part.end)
    return None


def _counts(tokens: list[str], numbers: Iterable[Part], after: set[int], before: set[int]) -> list[Part]:
    """Numbers that count tablets or doses: "took 40", "like 50 of them", "800mg x6".

    `after` holds where words that make a number a measure start ("minutes", "fiebre"), `before` where
    words that make the next number a strength end ("ibuprofeno de 800": the number one or two words on).
    """
    found: list[Part] = []
    for part in numbers:
        index, token = part.start, tokens[part.start]
        if index + 1 in after or index + 2 in after or index in before or index - 1 in before:
            continue
        before_number = tokens[index - 1] if index else ""
        if before_number in _CLOCK or before_number in _DECIMAL and index > 1 and tokens[index - 2].isdigit():
            continue  # a clock time ("at 10", "a las 10") or the decimals of a strength ("0.25", "2,5")
        if token.isdigit() and int(token) >= _MIN_PILLS or token[0] == "x" and int(token[1:]) >= _MIN_TIMES:
            found.append(Part(K.QUANTITY, index, index + 1))
    return found


Rule = Callable[[Found], "tuple[Level, str, list[Part]] | None"]


def name(found: Found, language: str, category: Category, level: Level, rule: str, parts: list[Part]) -> str:
    """What a supervisor reads: "en.overdose.imminent: act done + medicine + quantity [took; tylenol; 40]"."""
    words = "; ".join(found.words(part) for part in parts)
    return f"{language}.{category.value}.{level.value}: {rule} [{words}]"
