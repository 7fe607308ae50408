"""Whether the service's two secrets are strong enough to run on: WARMLINE_SECRET_KEY (signs
supervisors' session cookies and CSRF tokens) and WARMLINE_DATA_KEY (encrypts texters'
numbers and message bodies, and keys the hash a texter is found by).

A weak secret key lets anyone forge a dashboard session; a short data key used to start the
service and then fail every text. Both are refused before the web app or a worker starts,
and `warmline check` lists the same problems.
"""

from __future__ import annotations

import math
from collections import Counter

from service.db.vault import Vault, VaultError
from service.settings import Problem, Settings, SettingsError

MIN_LENGTH = 32
# The estimate below undercounts truly random keys (32 random hex digits, 128 bits, score
# about 100), so the floor refuses words and repetition, not honest random keys.
MIN_ESTIMATED_BITS = 80
# Words that mark a key copied from an example rather than generated.
PLACEHOLDERS = ("changeme", "change-me", "change_me", "secret", "password", "example", "insecure", "default")
HOW_TO_MAKE_ONE = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def estimated_bits(secret: str) -> float:
    """The secret's length times the entropy of its own character frequencies: zero for one
    repeated character, about 6 bits a character for a random URL-safe token."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    return -sum(count * math.log2(count / len(secret)) for count in counts.values())


def weakness(secret: str) -> str | None:
    """Why this secret is too weak to protect anything, or None when it is strong enough."""
    if len(secret) < MIN_LENGTH:
        return f"is {len(secret)} characters long; it needs at least {MIN_LENGTH}"
    if any(word in secret.lower() for word in PLACEHOLDERS):
        return "looks like a placeholder (it contains a word such as 'secret' or 'changeme')"
    # A string equal to one of its own rotations is a shorter string repeated.
    if secret in (secret + secret)[1:-1]:
        return "repeats a shorter string"
    if estimated_bits(secret) < MIN_ESTIMATED_BITS:
        return f"has about {estimated_bits(secret):.0f} bits of entropy; it needs at least {MIN_ESTIMATED_BITS}"
    return None


def secret_problems(secret_key: str, data_key: str) -> list[str]:
    """Every problem with the two secrets, each a sentence an operator can act on; empty when
    the service may start. The newest data key must be strong; older ones (kept only to read
    rows until `warmline keys rotate` re-encrypts them) must still be usable by the vault."""
    problems = []
    if (why := weakness(secret_key)) is not None:
        problems.append(f"WARMLINE_SECRET_KEY {why}: {HOW_TO_MAKE_ONE}")
    data_keys = [part.strip() for part in data_key.split(",")]
    if any(not key for key in data_keys):
        problems.append("WARMLINE_DATA_KEY has an empty key (keys are separated by commas, newest first)")
    elif (why := weakness(data_keys[0])) is not None:
        problems.append(
            f"WARMLINE_DATA_KEY's newest (first) key {why}: {HOW_TO_MAKE_ONE}, and put it first, "
            "followed by a comma and the old key, then run `warmline keys rotate`"
        )
    else:
        try:
            vault = Vault(data_key)
            usable = vault.decrypt(vault.encrypt("check")) == "check"
        except VaultError as error:
            problems.append(f"WARMLINE_DATA_KEY cannot be used: {error}")
        else:
            if not usable:
                problems.append("WARMLINE_DATA_KEY cannot read back what it encrypts")
    if len(set(data_keys)) != len(data_keys):
        problems.append("WARMLINE_DATA_KEY names the same key twice")
    if secret_key.strip() in data_keys:
        problems.append("WARMLINE_SECRET_KEY and WARMLINE_DATA_KEY must differ: one leaked key must not open both")
    return problems


def require_strong_secrets(settings: Settings) -> None:
    """Refuse to start (the web app, a worker) on secrets that would not protect anyone."""
    problems = secret_problems(settings.secret_key, settings.data_key)
    if problems:
        raise SettingsError([Problem("secrets", problem, "Then restart the service") for problem in problems])
