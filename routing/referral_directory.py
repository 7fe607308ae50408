"""Referral resources: which services in the line's directory fit a volunteer's `#res` words,
the texter's language and region; and which one `#send 2` names.

Pure: the directory is the line's configuration (`[referrals.<key>]`), the texter's language
and region come from the shell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A `#res` word shorter than this matches only a whole topic word ("dv"), not a prefix.
PREFIX_CHARS = 3


@dataclass(frozen=True)
class Resource:
    """A service a volunteer may refer a texter to. Empty `languages` or `regions`: any."""

    key: str
    name: str
    text: str
    topics: tuple[str, ...]
    languages: tuple[str, ...]
    regions: tuple[str, ...]


def _word_fits(word: str, resource: Resource) -> bool:
    words = {part for topic in resource.topics for part in topic.lower().split()} | set(resource.name.lower().split())
    if word in words or word in (topic.lower() for topic in resource.topics):
        return True
    return len(word) >= PREFIX_CHARS and any(candidate.startswith(word) for candidate in words)


def match_resources(
    directory: Sequence[Resource], query: str, *, language: str, region: str, limit: int
) -> list[Resource]:
    """The resources a volunteer's `#res` words ask for, at most `limit`: each must fit a word
    (a topic or a word of its name, or their start), the texter's language and a region. A
    word naming one of the directory's regions (`#res housing bronx`) picks that region
    instead of `region`; the best fits (most words) come first, then the directory's order."""
    words = [word for word in query.lower().split() if word]
    regions = {known.lower() for resource in directory for known in resource.regions}
    asked_regions = [word for word in words if word in regions]
    topic_words = [word for word in words if word not in regions]
    places = set(asked_regions) or {region.lower()}
    scored = []
    for order, resource in enumerate(directory):
        if resource.languages and language not in resource.languages:
            continue
        if resource.regions and not places & {known.lower() for known in resource.regions}:
            continue
        fits = sum(_word_fits(word, resource) for word in topic_words)
        if topic_words and not fits:
            continue
        scored.append((-fits, order, resource))
    return [resource for _, _, resource in sorted(scored, key=lambda item: item[:2])][:limit]


def listed_choice(argument: str, listed: int) -> int | None:
    """The 1-based position `#send 2` names among `listed` resources; None when it names none."""
    word = argument.strip().split(" ", 1)[0]
    if not word.isdigit() or not 1 <= int(word) <= listed:
        return None
    return int(word)
