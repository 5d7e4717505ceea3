"""``vault:`` in airlock.yaml: keys, expiry, placeholder and redaction formats."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from airlock.transform.placeholders import DEFAULT_FORMAT, PlaceholderFormat
from airlock.transform.redact import DEFAULT_REDACTION, RedactionFormat

__all__ = ["VaultSettings"]


class VaultSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key_env: str = Field(
        "AIRLOCK_VAULT_KEY",
        description="environment variable with the AES-256 key(s): base64 of 32 bytes, optionally id:key; "
        "comma-separated, the first encrypts",
    )
    key_file: str | None = Field(None, description="file with the key(s), one per line (used instead of key_env)")
    ttl: int = Field(86400, ge=60, description="seconds a pseudonym stays restorable; expired entries are purged")
    placeholder_format: str = Field(
        DEFAULT_FORMAT, description="template with {type} and {n}, e.g. <{type}_{n}>, [[{type}_{n}]], {{type}}-{n}"
    )
    bare_placeholders: bool = Field(
        True, description="also restore the bare token PERSON_1 (upper case, not inside a word)"
    )
    redaction_format: str = Field(DEFAULT_REDACTION, description="irreversible marker; {type} is the entity type")
    restore_from: Literal["conversation", "request"] = Field(
        "conversation",
        description="conversation: restore any pseudonym of the scope; request: only values present in this prompt",
    )
    durability: Literal["fsync", "os"] = Field(
        "os", description="SQLite: fsync each vault write, or let the OS flush (survives a process crash)"
    )
    purge_every: int = Field(300, ge=1, description="seconds between purges of expired entries")

    @field_validator("placeholder_format")
    @classmethod
    def _placeholder(cls, value: str) -> str:
        PlaceholderFormat(value)
        return value

    @field_validator("redaction_format")
    @classmethod
    def _redaction(cls, value: str) -> str:
        RedactionFormat(value)
        return value

    def placeholders(self) -> PlaceholderFormat:
        return PlaceholderFormat(self.placeholder_format, bare=self.bare_placeholders)

    def redactions(self) -> RedactionFormat:
        return RedactionFormat(self.redaction_format)
