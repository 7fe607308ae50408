"""Assesses a conversation as a whole, because texters spread one crisis over several messages."""

from __future__ import annotations

from collections.abc import Sequence

from escalation.assessment import Assessment, Category, Level, Signal

SIGNAL_AFTER_RISK = "conversation: a means, plan, time or act next to an earlier risk statement"


def assess_conversation(history: Sequence[Assessment], latest: Assessment) -> Assessment:
    """The conversation's verdict from its messages' verdicts, oldest first, `latest` last.

    - The level is the highest any message reached: risk once stated stays until a supervisor clears it,
      so "jk I'm fine" after "I want to die" does not lower it.
    - A signal (means, plan, time, act) raises the conversation to imminent when a risk statement came in
      an earlier message or comes in the very next one: "I want to die" / "nobody would care" /
      "I have the pills", and also "I have the pills" / "I want to die". A message's own signals were
      already weighed against its own risk statements by the detector, so they do not count again here.
    - Categories, rules and signals are the union over all messages.
    """
    messages = (*history, latest)
    level = max(message.level for message in messages)
    rules = dict.fromkeys(rule for message in messages for rule in message.rules)
    risky = [index for index, message in enumerate(messages) if message.alarms]
    if risky and level is not Level.IMMINENT:
        first, later = risky[0], set(risky)
        if any(message.signals and (index > first or index + 1 in later) for index, message in enumerate(messages)):
            level = Level.IMMINENT
            rules[SIGNAL_AFTER_RISK] = None
    categories = {category for message in messages for category in message.categories}
    signals = {signal for message in messages for signal in message.signals}
    return Assessment(
        level=level,
        categories=tuple(category for category in Category if category in categories),
        rules=tuple(rules),
        signals=tuple(signal for signal in Signal if signal in signals),
    )
