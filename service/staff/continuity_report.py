"""Continuity of care in numbers, for a period: contacts by topic and by outcome (from contact
notes' chosen answers), referrals given by resource, follow-ups offered, accepted, sent and
answered, and feedback by topic. Built from coded answers and times only, never from a note's
free text, so it still works after the retention purge."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db import ContactNote, Conversation, FollowUp, Referral


@dataclass(frozen=True)
class TopicFeedback:
    topic: str
    rated: int
    mean: float


@dataclass(frozen=True)
class ContinuityReport:
    notes_answered: int
    notes_skipped: int  # skipped with #skip or left unanswered
    by_topic: tuple[tuple[str, int], ...]
    by_outcome: tuple[tuple[str, int], ...]
    referrals_by_resource: tuple[tuple[str, int], ...]
    follow_ups_offered: int
    follow_ups_accepted: int
    follow_ups_sent: int
    follow_ups_answered: int
    feedback_by_topic: tuple[TopicFeedback, ...]

    @property
    def follow_ups(self) -> tuple[tuple[str, int], ...]:
        """The follow-up funnel, as a chart's bars and the CSV's keys."""
        return (
            ("offered", self.follow_ups_offered),
            ("accepted", self.follow_ups_accepted),
            ("sent", self.follow_ups_sent),
            ("answered", self.follow_ups_answered),
        )


def _most_first(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def build_continuity_report(
    db: Session, first_day: date, last_day: date, zone: ZoneInfo, topics_question: str, outcome_question: str
) -> ContinuityReport:
    """Contacts that came in during the line's local days `first_day` to `last_day`; referrals
    given and follow-ups asked within them."""
    start = datetime.combine(first_day, time(), zone)
    end = datetime.combine(last_day + timedelta(days=1), time(), zone)
    notes = db.execute(
        select(ContactNote.status, ContactNote.answers, Conversation.feedback_score)
        .join(Conversation, Conversation.id == ContactNote.conversation_id)
        .where(Conversation.queued_at >= start, Conversation.queued_at < end)
    ).all()
    topics: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    scores: dict[str, list[int]] = {}
    answered = skipped = 0
    for status, answers, score in notes:
        if status in ("skipped", "lapsed"):
            skipped += 1
        if answers is None:
            continue
        answered += 1
        picked = json.loads(answers)
        for topic in picked.get(topics_question, []):
            topics[topic] += 1
            if score is not None:
                scores.setdefault(topic, []).append(score)
        outcomes.update(picked.get(outcome_question, []))
    referrals = Counter(
        dict(
            db.execute(
                select(Referral.name, func.count())
                .where(Referral.sent_at >= start, Referral.sent_at < end)
                .group_by(Referral.name)
            ).all()
        )
    )
    follow_ups = db.execute(
        select(FollowUp.consented_at, FollowUp.sent_at, FollowUp.answered_at).where(
            FollowUp.asked_at >= start, FollowUp.asked_at < end
        )
    ).all()
    return ContinuityReport(
        notes_answered=answered,
        notes_skipped=skipped,
        by_topic=_most_first(topics),
        by_outcome=_most_first(outcomes),
        referrals_by_resource=_most_first(referrals),
        follow_ups_offered=len(follow_ups),
        follow_ups_accepted=sum(row.consented_at is not None for row in follow_ups),
        follow_ups_sent=sum(row.sent_at is not None for row in follow_ups),
        follow_ups_answered=sum(row.answered_at is not None for row in follow_ups),
        feedback_by_topic=tuple(
            TopicFeedback(topic, len(scores[topic]), round(sum(scores[topic]) / len(scores[topic]), 2))
            for topic, _ in _most_first(topics)
            if topic in scores
        ),
    )
