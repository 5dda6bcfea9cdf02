"""Encryption of user-provided secrets at rest (LLM API keys, broker credentials)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretBox:
    """Fernet (AES-128-CBC + HMAC) with a key derived by HKDF from key material and a purpose.

    The `info` names the purpose, so the same material yields unrelated keys for, say, the
    gateway's user secrets and the trading service's broker credentials.
    """

    def __init__(self, material: str, *, info: bytes) -> None:
        if not material:
            raise ValueError("SecretBox needs non-empty key material")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            material.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        """The plaintext, or None when the token was not made with this key (or is damaged)."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None
