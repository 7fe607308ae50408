"""TWILIO_API_BASE_URL: where each of Twilio's hosts is reached when it is set (the interface
contract's rule), and nothing rewritten when it is Twilio's own."""

from __future__ import annotations

import pytest

from service.outbound.twilio_gateway import BaseUrlHttpClient

BASE = "http://127.0.0.1:8765/fake"


@pytest.mark.parametrize(
    ("url", "sent_to"),
    [
        (
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
            f"{BASE}/2010-04-01/Accounts/AC1/Messages.json",
        ),
        ("https://messaging.twilio.com/v1/Services?PageSize=50", f"{BASE}/messaging/v1/Services?PageSize=50"),
        ("https://api.dublin.ie1.twilio.com/2010-04-01/Calls.json", f"{BASE}/2010-04-01/Calls.json"),
        ("https://example.org/hold-music.mp3", "https://example.org/hold-music.mp3"),
    ],
)
def test_each_twilio_host_goes_under_the_base_url(url: str, sent_to: str) -> None:
    assert BaseUrlHttpClient(BASE + "/", timeout=1).rebased(url) == sent_to


def test_twilio_s_own_base_url_rewrites_nothing() -> None:
    http = BaseUrlHttpClient("https://api.twilio.com", timeout=1)

    for url in ("https://api.twilio.com/2010-04-01/Accounts.json", "https://messaging.twilio.com/v1/Services"):
        assert http.rebased(url) == url
