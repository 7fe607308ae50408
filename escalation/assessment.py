"""What the risk detector concludes about one message or a whole conversation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How urgently professional help is needed; members order by urgency so max() picks the worst."""

    NONE = "none"
    ELEVATED = "elevated"
    IMMINENT = "imminent"

    @property
    def rank(self) -> int:
        """0, 1 or 2: the comparisons below use it instead of str's alphabetical order."""
        return _RANKS[self]

    def lowered(self) -> Level:
        """One step less urgent: what a denied statement ("I'm not going to...") still counts for."""
        return _LEVELS[max(self.rank - 1, 0)]

    def __lt__(self, other: object) -> bool:
        return self.rank < other.rank if isinstance(other, Level) else NotImplemented

    def __le__(self, other: object) -> bool:
        return self.rank <= other.rank if isinstance(other, Level) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self.rank > other.rank if isinstance(other, Level) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return self.rank >= other.rank if isinstance(other, Level) else NotImplemented


_LEVELS: tuple[Level, ...] = tuple(Level)
_RANKS: dict[Level, int] = {level: rank for rank, level in enumerate(_LEVELS)}


class Category(StrEnum):
    """The kind of danger, so the supervisor knows which professional to bring in."""

    SUICIDE = "suicide"
    SELF_HARM = "self_harm"
    HARM_TO_OTHERS = "harm_to_others"
    ABUSE = "abuse"
    OVERDOSE = "overdose"


class Signal(StrEnum):
    """A danger sign that is not a risk statement on its own ("I have the pills", "tonight").

    Signals raise an earlier or adjacent risk statement to imminent, in the message or the conversation.
    """

    MEANS = "means"
    PLAN = "plan"
    TIME = "time"
    ACT = "act"


@dataclass(frozen=True)
class Assessment:
    """The verdict on a message or conversation; rules name the lexicon phrases that matched, for supervisors."""

    level: Level
    categories: tuple[Category, ...] = ()
    rules: tuple[str, ...] = ()
    signals: tuple[Signal, ...] = ()

    @property
    def alarms(self) -> bool:
        """True when professional help must be brought in."""
        return self.level is not Level.NONE


NONE_ASSESSMENT = Assessment(Level.NONE)
