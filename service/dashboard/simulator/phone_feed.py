"""The simulated phones' shared message feed (one demo process, so memory is enough).

Panes are named, never numbered: the page shows no phone number, not even the texter's own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PhoneText:
    id: int
    pane: str
    line_number: str
    direction: str  # "sent" by the phone, or "received" from the line
    body: str
    at: float


class PhoneFeed:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: list[PhoneText] = []

    def add(self, pane: str, line_number: str, direction: str, body: str) -> PhoneText:
        with self._lock:
            text = PhoneText(len(self._texts) + 1, pane, line_number, direction, body, time.time())
            self._texts.append(text)
            return text

    def since(self, after_id: int) -> list[dict[str, object]]:
        with self._lock:
            return [asdict(text) for text in self._texts[after_id:]]
