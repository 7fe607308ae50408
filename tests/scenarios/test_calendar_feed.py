"""A volunteer's calendar feed: `#calendar` texts a secret link whose iCalendar lists their rota
shifts in their own time zone (parsed here with the `icalendar` library, as a calendar app
would); a new link or `#calendar off` makes the old one answer 404."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import requests
from icalendar import Calendar

from tests.conftest import PUBLIC_URL
from tests.support.line import Line
from tests.support.rota_plans import NEW_YORK, add_slot, assign_at, set_volunteer
from tests.support.stack import People, Stack


def _fetch(stack: Stack, link: str) -> requests.Response:
    assert link.startswith(f"{PUBLIC_URL}/calendar/") and link.endswith(".ics"), link
    return requests.get(stack.server_url + link.removeprefix(PUBLIC_URL), timeout=10)


def _link(line: Line, phone: str, after: int) -> str:
    body = line.wait_for(phone, "calendar feed", after=after)["Body"]
    return body.rsplit(" ", 1)[-1]


def test_the_feed_lists_the_volunteers_shifts_in_their_zone_and_a_revoked_link_is_404(
    line: Line, people: People, stack: Stack
) -> None:
    # One shift before New York's spring change and one after (Madrid changes two weeks later).
    slot = add_slot(stack, 6, time(19), time(23), first_day=date(2027, 3, 7))
    bea = people.volunteer("Bea")
    set_volunteer(stack, bea, timezone="Europe/Madrid")
    for day in (date(2027, 3, 7), date(2027, 3, 14)):
        assign_at(stack, bea, slot, day, datetime(2027, 3, 1, 12, tzinfo=NEW_YORK))

    line.text(bea, "#calendar", texter=False)
    link = _link(line, bea, after=0)
    answer = _fetch(stack, link)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    events = sorted(calendar.walk("VEVENT"), key=lambda event: event.decoded("dtstart"))
    starts = [event.decoded("dtstart") for event in events]
    assert [str(start.tzinfo) for start in starts] == ["Europe/Madrid", "Europe/Madrid"]
    assert [start.strftime("%d %H:%M") for start in starts] == ["08 01:00", "15 00:00"]
    assert starts[0] == datetime(2027, 3, 7, 19, tzinfo=NEW_YORK)
    assert starts[1] == datetime(2027, 3, 14, 19, tzinfo=NEW_YORK)
    assert [event.decoded("dtend") - event.decoded("dtstart") for event in events] == [
        events[0].decoded("dtend") - starts[0]
    ] * 2
    assert {component["tzid"] for component in calendar.walk("VTIMEZONE")} == {"Europe/Madrid"}
    assert str(ZoneInfo("Europe/Madrid")) in answer.text and bea not in answer.text

    texted = len(line.inbox(bea))
    line.text(bea, "#calendar", texter=False)
    new_link = _link(line, bea, after=texted)
    assert new_link != link
    assert _fetch(stack, link).status_code == 404
    assert _fetch(stack, new_link).status_code == 200

    line.text(bea, "#calendar off", texter=False)
    line.wait_for(bea, "Your calendar feed is turned off.")
    assert _fetch(stack, new_link).status_code == 404
    assert requests.get(stack.server_url + "/calendar/not-a-token.ics", timeout=10).status_code == 404
