"""API keys: issued once, stored hashed, compared in constant time, revocable at once.

A key looks like ``ak_<key id>_<secret>``. The key id (12 hex characters) is public: it is
what ``keys list`` shows and what audit records carry. The secret is 256 random bits; only its
SHA-256 digest is stored. Lookups read the store on every request, so a revocation takes
effect on the next request, in every process sharing the store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from airlock.errors import AuthenticationError, PermissionDeniedError
from airlock.stores.base import KeyRecord, Store

__all__ = ["PREFIX", "Principal", "Scope", "authenticate", "create_key", "hash_secret", "parse_key"]

PREFIX = "ak_"
Scope = Literal["inference", "admin"]
SCOPES: tuple[str, ...] = ("inference", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the tenant, the key id (never the key) and its scope."""

    tenant: str
    key_id: str
    scope: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def create_key(store: Store, tenant: str, scope: Scope = "inference", name: str | None = None) -> tuple[str, KeyRecord]:
    """Create a key; return the full key (shown once) and the stored record."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    record = KeyRecord(
        key_id=key_id,
        tenant=tenant,
        scope=scope,
        secret_hash=hash_secret(secret),
        created_at=_now(),
        name=name,
    )
    store.create_key(record)
    return f"{PREFIX}{key_id}_{secret}", record


def parse_key(token: str) -> tuple[str, str] | None:
    """Split ``ak_<id>_<secret>``; None for anything malformed (no exception, no echo)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    rest = token[len(PREFIX) :]
    key_id, sep, secret = rest.partition("_")
    if not sep or len(key_id) != 12 or not secret:
        return None
    try:
        int(key_id, 16)
    except ValueError:
        return None
    return key_id, secret


def bearer_token(authorization: str | None, api_key_header: str | None = None) -> str | None:
    """The key from ``Authorization: Bearer …`` or an ``api-key`` header (Azure clients)."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    if api_key_header:
        return api_key_header.strip() or None
    return None


def authenticate(store: Store, token: str | None, required_scope: Scope = "inference") -> Principal:
    """Resolve a presented key to a principal, or raise 401/403.

    Unknown key ids and wrong secrets take the same path and produce the same error, and the
    digest comparison is constant-time.
    """
    if not token:
        raise AuthenticationError(
            "Missing API key: send it as 'Authorization: Bearer <key>'.", code="missing_api_key"
        )
    parsed = parse_key(token)
    if parsed is None:
        raise AuthenticationError("Invalid API key.")
    key_id, secret = parsed
    record = store.get_key(key_id)
    presented = hash_secret(secret)
    stored = record.secret_hash if record is not None else "0" * 64
    if not hmac.compare_digest(presented, stored) or record is None:
        raise AuthenticationError("Invalid API key.")
    if not record.active:
        raise AuthenticationError("This API key has been revoked.", code="revoked_api_key")
    if record.scope != required_scope:
        if required_scope == "admin":
            raise PermissionDeniedError("This key does not have the admin scope.")
        raise PermissionDeniedError(
            "This is an admin key; inference routes need a key with the inference scope."
        )
    return Principal(tenant=record.tenant, key_id=record.key_id, scope=record.scope)
