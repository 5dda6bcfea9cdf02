"""Passwords (argon2id), JWT access tokens (HS256), opaque refresh tokens, secret encryption."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vt_gateway.settings import Settings

ALGORITHM = "HS256"


class Passwords:
    """argon2id hashing; cost parameters come from the settings (defaults: RFC 9106 low-memory)."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # verifying against this keeps login time the same whether or not the e-mail exists
        self._dummy = self._hasher.hash("not-a-real-password-" + secrets.token_hex(8))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Always runs one argon2 verification."""
        try:
            ok = self._hasher.verify(password_hash or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        return ok and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says."""

    user_id: str
    role: str
    jti: str
    expires_at: int
    # the login session (refresh-token family) the token was issued for; None in older tokens
    session_id: str | None = None


class InvalidAccessToken(Exception):
    """The token is malformed, forged or expired."""


class TokenService:
    """Issues and verifies short-lived JWT access tokens; creates opaque refresh tokens."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret.get_secret_value()
        # a prepared key spares PyJWT re-checking the secret's format on every verification
        self._verify_key = jwt.PyJWK(
            {
                "kty": "oct",
                "k": base64.urlsafe_b64encode(self._secret.encode()).decode().rstrip("="),
                "alg": ALGORITHM,
            }
        )
        self._issuer = settings.jwt_issuer
        self.access_ttl = settings.access_token_ttl_seconds
        self._verified: dict[str, AccessClaims] = {}
        self._cache_size = 10_000
        self.refresh_ttl = settings.refresh_token_ttl_seconds

    def issue_access(
        self, user_id: str, role: str, session_id: str | None = None
    ) -> tuple[str, AccessClaims]:
        now = datetime.now(UTC)
        exp = now + timedelta(seconds=self.access_ttl)
        jti = uuid.uuid4().hex
        payload: dict[str, Any] = {
            "sub": user_id,
            "role": role,
            "jti": jti,
            "iat": int(now.timestamp()),
            "exp": int(exp.timestamp()),
            "iss": self._issuer,
            "typ": "access",
        }
        if session_id is not None:
            payload["sid"] = session_id
        token = jwt.encode(payload, self._secret, algorithm=ALGORITHM)
        return token, AccessClaims(user_id, role, jti, int(exp.timestamp()), session_id)

    def verify_access(self, token: str) -> AccessClaims:
        """Verify signature, issuer and expiry. Verified tokens are remembered (bounded) until
        they expire: the same token string always verifies the same way, so repeat requests skip
        the HMAC and JSON work."""
        cached = self._verified.get(token)
        if cached is not None:
            if cached.expires_at > time.time():
                return cached
            self._verified.pop(token, None)
        claims = self._verify(token)
        if len(self._verified) >= self._cache_size:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = claims
        return claims

    def _verify(self, token: str) -> AccessClaims:
        try:
            payload = jwt.decode(
                token,
                self._verify_key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                options={"require": ["sub", "exp", "iat", "jti", "role"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidAccessToken(str(exc)) from exc
        if payload.get("typ") != "access":
            raise InvalidAccessToken("not an access token")
        sid = payload.get("sid")
        return AccessClaims(
            str(payload["sub"]),
            str(payload["role"]),
            str(payload["jti"]),
            int(payload["exp"]),
            str(sid) if sid is not None else None,
        )


def new_refresh_token() -> str:
    return "vtr_" + secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """Refresh tokens are high-entropy random strings, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


class SecretBox:
    """Encrypts user-provided secrets (e.g. an LLM API key) at rest with Fernet (AES-128-CBC + HMAC)."""

    def __init__(self, settings: Settings) -> None:
        material = (
            settings.user_secrets_key.get_secret_value()
            if settings.user_secrets_key is not None
            else settings.jwt_secret.get_secret_value()
        )
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"vt-gateway user secrets v1"
        ).derive(material.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None
