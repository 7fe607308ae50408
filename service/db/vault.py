"""Encryption and keyed hashing of texters' numbers and message bodies (WARMLINE_DATA_KEY).

WARMLINE_DATA_KEY holds one or more secrets separated by commas, newest first. Each secret
is stretched with HKDF into an encryption key and a hashing key, so that a rotated key can
still read old rows while new rows use the newest key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# What an encrypted column (a texter's number, a message body) holds once the retention purge
# or a texter's own deletion request has removed it: not a ciphertext, so never decrypted.
# Whoever is about to decrypt a number or a body checks for it first.
PURGED = "purged"


class VaultError(ValueError):
    """Stored data cannot be read with the configured keys."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"warmline", info=purpose).derive(secret.encode())


class Vault:
    def __init__(self, data_key: str) -> None:
        secrets = [part.strip() for part in data_key.split(",") if part.strip()]
        if not secrets or any(len(secret) < 16 for secret in secrets):
            raise VaultError("WARMLINE_DATA_KEY needs at least one secret of 16 characters or more")
        fernets = [Fernet(base64.urlsafe_b64encode(_derive(s, b"encrypt"))) for s in secrets]
        self._fernet, self._newest = MultiFernet(fernets), fernets[0]
        self._hash_keys = [_derive(secret, b"lookup") for secret in secrets]

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as error:
            raise VaultError("stored value cannot be decrypted with any configured key") from error

    def reencrypt(self, token: str) -> str:
        """The same value under the newest key (for key rotation)."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def is_current(self, token: str) -> bool:
        """Whether `token` is encrypted under the newest key (a key rotation leaves it as it is)."""
        try:
            self._newest.decrypt(token.encode("ascii"))
        except InvalidToken:
            return False
        return True

    def lookup_hash(self, phone: str) -> str:
        """The keyed hash a texter is stored under (the newest key's); without the key it reveals nothing."""
        return hmac.new(self._hash_keys[0], phone.encode("utf-8"), hashlib.sha256).hexdigest()

    def lookup_hashes(self, phone: str) -> list[str]:
        """The keyed hash under every configured key, newest first, to find a texter by: until
        a key rotation has re-hashed them, a texter the line knew is stored under an older one."""
        return [hmac.new(key, phone.encode("utf-8"), hashlib.sha256).hexdigest() for key in self._hash_keys]
