"""The fake Twilio's Conferences and Participants, through the official twilio client: what
the service sends is checked against Twilio's OpenAPI spec, and the answers carry the
spec's fields, so a misspelt or invented parameter fails here as it would at Twilio."""

from __future__ import annotations

import secrets

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from scripts.harness.fake_twilio import FakeTwilio


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def test_participants_are_added_muted_then_coach_then_join_and_are_removed(fake_twilio: FakeTwilio) -> None:
    fake_twilio.reset()
    conference, caller, volunteer = _sid("CF"), _sid("CA"), _sid("CA")
    fake_twilio.start_conference(conference, "warmline-call-1", {caller: "caller", volunteer: "volunteer"})
    participants = fake_twilio.client().conferences(conference).participants
    listener = participants.create(from_="+15005550006", to="+12025550123", label="supervisor", muted=True)
    assert listener.muted is True and listener.label == "supervisor" and listener.call_sid.startswith("CA")
    coach = participants(listener.call_sid).update(muted=False, coaching=True, call_sid_to_coach=volunteer)
    assert coach.coaching is True and coach.call_sid_to_coach == volunteer
    joined = participants(listener.call_sid).update(coaching=False)
    assert joined.coaching is False and joined.muted is False
    participants(caller).update(hold=True)
    assert participants(listener.call_sid).delete() is True
    assert {member.call_sid for member in participants.list()} == {caller, volunteer}
    actions = [entry["action"] for entry in fake_twilio.conference_requests()]
    assert actions == [
        "create_participant",
        "update_participant",
        "update_participant",
        "update_participant",
        "remove_participant",
    ]


def test_requests_outside_the_spec_are_refused(fake_twilio: FakeTwilio) -> None:
    fake_twilio.reset()
    conference, volunteer = _sid("CF"), _sid("CA")
    fake_twilio.start_conference(conference, "warmline-call-2", {volunteer: "volunteer"})
    client = fake_twilio.client()
    unknown = requests.post(
        f"{fake_twilio.base_url}/2010-04-01/Accounts/{fake_twilio.account_sid}/Conferences/{conference}/Participants.json",
        data={"From": "+15005550006", "To": "+12025550123", "Whisper": "true"},
        auth=(fake_twilio.account_sid, fake_twilio.auth_token),
        timeout=5,
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == 20001
    with pytest.raises(TwilioRestException) as bad_value:
        client.conferences(conference).participants(volunteer).update(hold_method="PUT")
    assert bad_value.value.status == 400
    with pytest.raises(TwilioRestException) as coaching:
        client.conferences(conference).participants.create(
            from_="+15005550006", to="+12025550123", coaching=True, call_sid_to_coach=_sid("CA")
        )
    assert coaching.value.code == 16025
    with pytest.raises(TwilioRestException) as missing:
        client.conferences(_sid("CF")).participants.create(from_="+15005550006", to="+12025550123")
    assert missing.value.status == 404
