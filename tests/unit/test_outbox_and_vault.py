"""Splitting long texts for Twilio, and keeping numbers and bodies unreadable at rest."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.db.vault import Vault, VaultError
from service.outbound.outbox import split_body
from service.phones import normalise


def test_short_text_is_sent_whole() -> None:
    assert split_body("hello", 1600, 5, "({part}/{total}) ", " [cut]") == ["hello"]


@given(st.text(min_size=0, max_size=12_000))
def test_parts_always_fit_twilio_and_are_bounded(body: str) -> None:
    parts = split_body(body, 1600, 5, "({part}/{total}) ", " [message shortened]")
    assert 1 <= len(parts) <= 5
    assert all(len(part) <= 1600 for part in parts)


def test_long_text_is_split_on_words_and_numbered() -> None:
    parts = split_body("word " * 700, 1600, 5, "({part}/{total}) ", " [cut]")
    assert [part[:6] for part in parts] == ["(1/3) ", "(2/3) ", "(3/3) "]
    assert all(not part.endswith("wor") for part in parts)


def test_vault_round_trips_and_hashes_stably() -> None:
    vault = Vault("a-secret-of-sufficient-length")
    token = vault.encrypt("+12025550142")
    assert "2025550142" not in token
    assert vault.decrypt(token) == "+12025550142"
    assert vault.lookup_hash("+12025550142") == Vault("a-secret-of-sufficient-length").lookup_hash("+12025550142")
    assert vault.lookup_hash("+12025550142") != Vault("another-secret-entirely").lookup_hash("+12025550142")


def test_rotated_key_still_reads_old_rows() -> None:
    old = Vault("the-old-secret-value")
    token = old.encrypt("body")
    rotated = Vault("the-new-secret-value,the-old-secret-value")
    assert rotated.decrypt(token) == "body"
    assert Vault("the-new-secret-value").decrypt(rotated.reencrypt(token)) == "body"
    with pytest.raises(VaultError):
        Vault("the-new-secret-value").decrypt(token)


def test_short_keys_are_refused() -> None:
    with pytest.raises(VaultError):
        Vault("short")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("+1 (202) 555-0142", "+12025550142"),
        ("202-555-0142", "+12025550142"),
        ("+442079460958", "+442079460958"),
        ("12345", "12345"),
        ("ALICE", "ALICE"),
        ("", "unknown"),
    ],
)
def test_numbers_are_normalised_without_losing_odd_senders(raw: str, expected: str) -> None:
    assert normalise(raw, "US") == expected
