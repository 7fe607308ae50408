"""Which parts found in a message speak of the texter's own danger, now.

The same words are risk or not by what stands around them: "I'm not going to hurt myself",
"my friend wants to kill herself", "the news said a guy jumped off the bridge", "if someone
said 'I took too many pills'", "this exam is killing me". Scope drops such parts before the model
weighs the rest, so the model's rules stay about risk and not about grammar.
"""

from __future__ import annotations

from collections.abc import Iterable

from escalation.parts import Kind, Part
from escalation.reading import CLAUSE_MARKS, QUOTE_MARK

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
_SENTENCE_MARKS = frozenset(".!?;")
_TOLD = frozenset({Kind.HARM_ME, Kind.THREAT})
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
_NEGATION_REACH = 4  # words between a negation and what it denies: "not [going to] hurt myself"
_NONE: tuple[int, ...] = ()
_SUBJECT_REACH = 8  # words back to the subject: "my friend [said she] wants to die"


def outside_idioms(parts: list[Part]) -> list[Part]:
    """The parts not inside a figure of speech ("[is killing me]", "[dying to] see it"); a part reaching past one
    stands ("said he's [going to kill me when] he gets back"). The first step of scope, and the cheapest."""
    idioms = [(part.start, part.end) for part in parts if part.kind is Kind.IDIOM]
    # Another person's words about the texter's death are theirs: "[threatened to kill me]", "[told me to kys]".
    told = [(part.start, part.end) for part in parts if part.kind in _TOLD]
    if not idioms and not told:
        return parts
    return [
        part
        for part in parts
        if part.kind in CONTEXT
        or not (
            any(start <= part.start and part.end <= end for start, end in idioms)
            or (part.kind in _SELF_DEATH and any(start <= part.start and part.end <= end for start, end in told))
        )
    ]


def affirmed(tokens: list[str], parts: Iterable[Part]) -> list[Part]:
    """The parts that stand as said by the texter of themself (or, for danger from another person, to them).

    `parts` are already outside idioms (outside_idioms).
    """
    context = [part for part in parts if part.kind in CONTEXT]
    starts = _starts_of(context)
    if Kind.HYPOTHETICAL in starts:
        return context  # "if someone said...", "asking for a friend": no danger of the texter's own
    quoted = _quoted(tokens) if QUOTE_MARK in tokens else None
    fiction = starts.get(Kind.FICTION, ())
    laughs = starts.get(Kind.LAUGH, ())
    safety = starts.get(Kind.SAFETY, ())
    kept = context
    for part in parts:
        if part.kind in CONTEXT:
            continue
        if fiction and _in_sentence(tokens, fiction, part.start):
            continue
        if laughs and part.kind in _LAUGHED_OFF and _in_sentence(tokens, laughs, part.start):
            continue
        if safety and part.kind in _SECURED and _in_sentence(tokens, safety, part.start):
            continue
        others = part.kind in _OTHERS_DANGER
        if not others and quoted is not None and quoted[part.start]:
            continue
        if _denied(tokens, starts, part):
            continue
        if not others and part.kind not in _NOBODYS and _someone_else(tokens, starts, part):
            continue
        kept.append(part)
    return kept


def _starts_of(context: list[Part]) -> dict[Kind, tuple[int, ...]]:
    """Where each context kind starts (its last word for negation, which reaches forward from there)."""
    starts: dict[Kind, list[int]] = {}
    for part in context:
        starts.setdefault(part.kind, []).append(part.end - 1 if part.kind is Kind.NEGATION else part.start)
    return {kind: tuple(positions) for kind, positions in starts.items()}


def _quoted(tokens: list[str]) -> list[bool]:
    """Per token, whether it stands inside a quotation (between two QUOTE_MARK tokens)."""
    inside = False
    flags: list[bool] = []
    for token in tokens:
        if token == QUOTE_MARK:
            inside = not inside
        flags.append(inside)
    return flags


def _denied(tokens: list[str], starts: dict[Kind, tuple[int, ...]], part: Part) -> bool:
    """A negation shortly before the part, in its clause, with no new subject between ("not [so] i want to")."""
    for position in starts.get(Kind.NEGATION, _NONE):
        if position < part.start <= position + _NEGATION_REACH + 1 and not _boundary(
            tokens, starts, position + 1, part.start
        ):
            return True
    return False


def _someone_else(tokens: list[str], starts: dict[Kind, tuple[int, ...]], part: Part) -> bool:
    """Whether the nearest subject before the part, in its clause, is someone else ("my sister took 30 pills")."""
    third = starts.get(Kind.THIRD_PERSON, _NONE)
    if not third:
        return False
    # The texter as subject, or (in Spanish, which drops subjects) as a pronoun or first-person verb just before or
    # inside the part: "[pienso en matarme]", "[me voy a disparar]"; not "mi amiga me dijo que quiere morirse".
    first = (
        *starts.get(Kind.FIRST_PERSON, _NONE),
        *(position for position in starts.get(Kind.ME, _NONE) if part.start - 2 <= position < part.end),
    )
    if any(part.start <= position < part.end for position in first):
        return False  # the part names the texter: "[everyone] would be better off without me", "[me voy a disparar]"
    if part.kind in _OWN and any(part.start < position < part.end for position in third):
        return True  # a wish of someone else's, told with their verb: "[ya no quiere vivir]"
    nearest_third = max(
        (
            position
            for position in third
            if part.start - _SUBJECT_REACH <= position < part.start and tokens[position - 1] not in _OWNER_MARKS
        ),
        default=-1,
    )
    if nearest_third < 0 or any(nearest_third < position < part.start for position in first):
        return False
    return not any(token in CLAUSE_MARKS for token in tokens[nearest_third : part.start])


def _boundary(tokens: list[str], starts: dict[Kind, tuple[int, ...]], start: int, end: int) -> bool:
    """A clause mark, a clause-opening word ("but", "pero") or a new first-person subject in [start, end)."""
    if any(token in CLAUSE_MARKS for token in tokens[start:end]):
        return True
    return any(start <= position < end for kind in (Kind.BREAK, Kind.FIRST_PERSON) for position in starts.get(kind, ()))


def _in_sentence(tokens: list[str], positions: tuple[int, ...], index: int) -> bool:
    """Whether one of `positions` lies in the same sentence as token `index`."""
    for position in positions:
        low, high = (position, index) if position < index else (index, position)
        if not any(token in _SENTENCE_MARKS for token in tokens[low:high]):
            return True
    return False
