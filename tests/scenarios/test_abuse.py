"""Floods and headers: a flood is kept but not relayed, gets one notice, and never blocks a
safety reply; every response carries the secure headers."""

from __future__ import annotations

from xml.etree import ElementTree

import requests

from tests.support.line import Line
from tests.support.stack import People


def test_a_flood_is_kept_not_relayed_told_once_and_safety_still_answers(line: Line, people: People) -> None:
    ana, texter = people.talking(line)
    for index in range(20):
        line.text(texter, f"spam {index}")
    risky = line.text(texter, "i'm going to kill myself tonight, i have the gun")
    assert "988" in " ".join(m.text or "" for m in ElementTree.fromstring(risky.text).iter("Message"))
    line.wait_for(texter, "Give your volunteer a moment")
    line.settle(quiet=1.0)
    relayed = [m for m in line.inbox(ana) if "spam" in m["Body"]]
    assert len(relayed) == 11, "the first texts of the minute go through, the rest wait in the transcript"
    assert len([m for m in line.inbox(texter) if "Give your volunteer a moment" in m["Body"]]) == 1
    line.wait_for(ana, "URGENT")


def test_every_response_has_secure_headers(line: Line) -> None:
    for response in (
        requests.get(line.server_url + "/healthz", timeout=10),
        line.post("/twilio/sms", {"From": "x"}, sign=False),
    ):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
