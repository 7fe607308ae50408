"""Which parts found in a message speak of the texter's own danger, now.

The same words are risk or not by what stands around them: "I'm not going to hurt myself",
"my friend wants to kill herself", "the news said a guy jumped off the bridge", "if someone
said 'I took too many pills'", "this exam is killing me". Scope drops such parts before the model
weighs the rest, so the model's rules stay about risk and not about grammar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from escalation.parts import Kind, Part
from escalation.reading import QUOTE_MARK, SENTENCE, WORD

# Parts that only say how to read others; they are never dropped themselves.
CONTEXT = frozenset(
    {
        Kind.NEGATION,
        Kind.FIRST_PERSON,
        Kind.THIRD_PERSON,
        Kind.FICTION,
        Kind.HYPOTHETICAL,
        Kind.MEDICAL,
        Kind.FOOD,
        Kind.RECOVERY,
        Kind.PAST,
        Kind.IDIOM,
        Kind.LAUGH,
        Kind.BREAK,
        Kind.UNIT,
        Kind.PERSON,
        Kind.ME,
        Kind.NUMBER,
        Kind.LIFE,
        Kind.FINAL,
        Kind.SAFETY,
        Kind.HELP,
    }
)
# Danger from another person is told in the third person and often in their words ("he said 'you're dead'").
_OTHERS_DANGER = frozenset({Kind.HARM_ME, Kind.THREAT, Kind.PRESENCE, Kind.HIDING, Kind.WEAPON, Kind.NOW})
# Whose a time, a place or a grievance is does not matter: "if my ex shows up [tonight]", "[she cheated]".
_NOBODYS = frozenset({Kind.NOW, Kind.SOON, Kind.AGO, Kind.TARGET_PLACE, Kind.GRIEVANCE})
_TOLD = frozenset({Kind.HARM_ME, Kind.THREAT})
SET_ASIDE_BY_SPANS = _TOLD | {Kind.IDIOM}  # kinds outside_idioms works from: a message with none skips it
_SELF_DEATH = frozenset({Kind.SELF_KILL, Kind.DIE, Kind.NOT_EXIST})
# Statements of one's own wish or harm: a third-person verb inside one makes it someone else's.
_OWN = frozenset({Kind.SELF_KILL, Kind.DIE, Kind.NOT_EXIST, Kind.WEARY, Kind.ABSENCE, Kind.SELF_HARM})
# Violent words said laughing are a figure of speech ("my parents will kill me lol", "voy a matar a mi hermano jaja").
# So are passive wishes ("si me muero mañana que alguien borre mi historial jajaja"); killing oneself named is not.
_LAUGHED_OFF = frozenset(
    {Kind.VIOLENCE, Kind.HARM_OTHER, Kind.THREAT, Kind.HARM_ME, Kind.DIE, Kind.NOT_EXIST, Kind.ABSENCE}
)
# Means put out of reach are a safety step, not access: "i gave my pills to my mom to hold", "tiré la carta".
_SECURED = frozenset(
    {Kind.MEDICINE, Kind.POISON, Kind.WEAPON, Kind.LIGATURE, Kind.ACCESS, Kind.WEAPON_STATE, Kind.GIVE_AWAY}
    | {Kind.FAREWELL}
)
# "la pistola [de] mi hermano", "the keys [of] my dad": an owner, not who speaks or acts.
_OWNER_MARKS = frozenset({"de", "del", "of"})
# The context kinds whose positions scope reads.
_POSITIONED = frozenset(
    {Kind.HYPOTHETICAL, Kind.FICTION, Kind.LAUGH, Kind.SAFETY, Kind.NEGATION, Kind.THIRD_PERSON, Kind.BREAK}
    | {Kind.FIRST_PERSON, Kind.ME}
)
_NEGATION_REACH = 4  # words between a negation and what it denies: "not [going to] hurt myself"
_NONE: Sequence[int] = ()
_SUBJECT_REACH = 8  # words back to the subject: "my friend [said she] wants to die"


def outside_idioms(parts: list[Part]) -> list[Part]:
    """The parts not inside a figure of speech ("[is killing me]", "[dying to] see it"); a part reaching past one
    stands ("said he's [going to kill me when] he gets back"). The first step of scope, and the cheapest."""
    # Another person's words about the texter's death are theirs: "[threatened to kill me]", "[told me to kys]".
    idiom_reach: dict[int, int] = {}
    told_reach: dict[int, int] = {}
    for span in parts:
        if span.kind is Kind.IDIOM:
            _reach(idiom_reach, span)
        elif span.kind in _TOLD:
            _reach(told_reach, span)
    if not idiom_reach and not told_reach:
        return parts
    return [
        part
        for part in parts
        if part.kind in CONTEXT
        or not (
            idiom_reach.get(part.start, 0) >= part.end
            or (part.kind in _SELF_DEATH and told_reach.get(part.start, 0) >= part.end)
        )
    ]


def _reach(reach: dict[int, int], span: Part) -> None:
    """Per word inside some span, the farthest end of the spans it is inside: a part starting at a word lies inside
    one of the spans when it ends no later than that (a look-up per part instead of a test per part and span)."""
    end = span.end
    for position in range(span.start, end):
        if reach.get(position, 0) < end:
            reach[position] = end


def affirmed(tokens: list[str], parts: list[Part], marks: Marks) -> list[Part]:
    """The parts that stand as said by the texter of themself (or, for danger from another person, to them).

    `parts` are already outside idioms (outside_idioms); `marks` are the message's.
    """
    # The context parts, the parts scope may set aside, and where each context kind starts (its last word for
    # negation, which reaches forward from there).
    context = [part for part in parts if part.kind in CONTEXT]
    candidates = [part for part in parts if part.kind not in CONTEXT]
    starts: dict[Kind, list[int]] = {}
    for kind, start, end in context:
        if kind in _POSITIONED:
            starts.setdefault(kind, []).append(end - 1 if kind is Kind.NEGATION else start)
    if Kind.HYPOTHETICAL in starts:
        return context  # "if someone said...", "asking for a friend": no danger of the texter's own
    quoted = _quoted(tokens) if QUOTE_MARK in tokens else None
    fiction = starts.get(Kind.FICTION, ())
    laughs = starts.get(Kind.LAUGH, ())
    safety = starts.get(Kind.SAFETY, ())
    negations = starts.get(Kind.NEGATION, ())
    third = starts.get(Kind.THIRD_PERSON, ())
    subjects = (*starts.get(Kind.BREAK, ()), *starts.get(Kind.FIRST_PERSON, ()))
    kept = context
    for part in candidates:
        kind = part.kind
        if fiction and marks.in_sentence(fiction, part.start):
            continue
        if laughs and kind in _LAUGHED_OFF and marks.in_sentence(laughs, part.start):
            continue
        if safety and kind in _SECURED and marks.in_sentence(safety, part.start):
            continue
        others = kind in _OTHERS_DANGER
        if not others and quoted is not None and quoted[part.start]:
            continue
        if negations and _denied(marks, negations, subjects, part):
            continue
        if third and not others and kind not in _NOBODYS and _someone_else(tokens, marks, starts, third, part):
            continue
        kept.append(part)
    return kept


class Marks:
    """Where a message's clause and sentence marks are, as its marks string (escalation/reading.py: one character
    per word, made with the words and remembered per stretch), so that "is there one between a and b" is one
    C-level search: scope asks it for every part, of every message that gets this far."""

    __slots__ = ("_classes",)

    def __init__(self, classes: str) -> None:
        self._classes = classes

    def clause_between(self, start: int, end: int) -> bool:
        """A clause mark among tokens [start, end)."""
        return start < end and self._classes.count(WORD, start, end) < end - start

    def sentences_in(self, end: int) -> int:
        """How many sentence marks there are among tokens [0, end)."""
        return self._classes.count(SENTENCE, 0, max(end, 0))

    def sentence_between(self, start: int, end: int) -> bool:
        """A sentence mark among tokens [start, end)."""
        return start < end and self._classes.find(SENTENCE, start, end) >= 0

    def in_sentence(self, positions: Sequence[int], index: int) -> bool:
        """Whether one of `positions` lies in the same sentence as token `index` (no sentence mark between)."""
        find = self._classes.find
        for position in positions:
            if find(SENTENCE, min(position, index), max(position, index)) < 0:
                return True
        return False


def _quoted(tokens: list[str]) -> list[bool]:
    """Per token, whether it stands inside a quotation (between two QUOTE_MARK tokens)."""
    inside = False
    flags: list[bool] = []
    for token in tokens:
        if token == QUOTE_MARK:
            inside = not inside
        flags.append(inside)
    return flags


def _denied(marks: Marks, negations: Sequence[int], subjects: Sequence[int], part: Part) -> bool:
    """A negation shortly before the part, in its clause, with no new subject between ("not [so] i want to"): no
    clause mark, clause-opening word ("but", "pero") or first-person subject."""
    start = part.start
    for position in negations:
        if (
            position < start <= position + _NEGATION_REACH + 1
            and not marks.clause_between(position + 1, start)
            and not any(position < subject < start for subject in subjects)
        ):
            return True
    return False


def _someone_else(
    tokens: list[str], marks: Marks, starts: Mapping[Kind, Sequence[int]], third: Sequence[int], part: Part
) -> bool:
    """Whether the nearest subject before the part, in its clause, is someone else ("my sister took 30 pills")."""
    start, end = part.start, part.end
    # The texter as subject, or (in Spanish, which drops subjects) as a pronoun or first-person verb just before or
    # inside the part: "[pienso en matarme]", "[me voy a disparar]"; not "mi amiga me dijo que quiere morirse".
    # (Plain loops: scope asks this of most parts of most messages that name someone, and generators cost more.)
    first = starts.get(Kind.FIRST_PERSON, _NONE)
    for position in first:
        if start <= position < end:
            return False  # the part names the texter: "[everyone] would be better off without me"
    for position in starts.get(Kind.ME, _NONE):
        if start - 2 <= position < end:
            for other in third:
                if position < other < start:
                    break
            else:
                return False  # "[me voy a disparar]"
    if part.kind in _OWN:
        for position in third:
            if start < position < end:
                return True  # a wish of someone else's, told with their verb: "[ya no quiere vivir]"
    nearest_third = -1
    for position in third:
        if (
            nearest_third < position < start
            and position >= start - _SUBJECT_REACH
            and (position == 0 or tokens[position - 1] not in _OWNER_MARKS)
        ):
            nearest_third = position
    if nearest_third < 0:
        return False
    for position in first:
        if nearest_third < position < start:
            return False
    return not marks.clause_between(nearest_third, start)
