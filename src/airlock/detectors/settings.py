"""Typed settings for the engine and the built-in detector families.

``config.detectors.settings`` is a plain ``{name: dict}`` mapping; each family validates its
own dict here with pydantic (unknown keys rejected) and a failure raises
:class:`~airlock.errors.ConfigError` naming the full key path, e.g.
``detectors.settings.custom_terms.terms[2].regex: invalid regular expression ...``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from airlock.detectors.engine import DecodeSettings
from airlock.errors import ConfigError

__all__ = [
    "CodeWord",
    "CustomTerm",
    "CustomTermsSettings",
    "DecodeModel",
    "EngineSettings",
    "MarkingsSettings",
    "PiiSettings",
    "SecretsSettings",
    "engine_settings",
    "parse_settings",
]

SENSITIVE_CATEGORIES = (
    "biometric",
    "religion",
    "specific_identity",
    "medical_health",
    "financial_account",
    "whereabouts",
    "minor_under_14",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DecodeModel(_Strict):
    enabled: bool = True
    max_depth: int = Field(2, ge=0, le=4, description="nesting levels of encodings decoded")
    max_total: int = Field(1 << 20, ge=0, description="decoded characters rescanned per scan")
    max_block: int = Field(4096, ge=16, le=1 << 20, description="longest encoded block considered")
    min_printable: float = Field(0.9, ge=0.0, le=1.0)


class EngineSettings(_Strict):
    backend: Literal["auto", "hyperscan", "python"] = "auto"
    decode: DecodeModel = DecodeModel()

    def decode_settings(self) -> DecodeSettings:
        d = self.decode
        return DecodeSettings(d.enabled and d.max_depth > 0, d.max_depth, d.max_total, d.max_block, d.min_printable)


class PiiSettings(_Strict):
    types: list[str] | None = Field(None, description="only these entity types (default: all)")
    exclude: list[str] = Field([], description="entity types to leave out")
    phone_regions: list[str] = Field(
        ["US", "GB", "HK", "TW", "SG", "DE", "FR", "JP"],
        description="regions tried for international numbers written without +country code",
    )
    min_score: float = Field(0.0, ge=0.0, le=1.0, description="drop findings scored below this")
    reference_date: str | None = Field(
        None, description="YYYY-MM-DD used to compute ages (default: today)", pattern=r"^\d{4}-\d{2}-\d{2}$"
    )
    person_model: bool = Field(
        True, description="also run the shipped statistical tagger for Chinese names without context"
    )


class CodeWord(_Strict):
    term: str = Field(min_length=1)
    level: str | None = Field(None, description="normalised level the code word implies, e.g. SECRET")
    caseless: bool = False


class MarkingsSettings(_Strict):
    systems: list[Literal["us", "cui", "nato", "uk", "cn"]] = ["us", "cui", "nato", "uk", "cn"]
    code_words: list[CodeWord] = []
    tenants: dict[str, list[CodeWord]] = Field({}, description="extra code words per tenant id")
    deployments: dict[str, list[CodeWord]] = Field({}, description="extra code words per deployment")


class SecretsSettings(_Strict):
    entropy_threshold: float = Field(3.5, ge=0.0, le=8.0, description="bits/char for generic key=value secrets")


class CustomTerm(_Strict):
    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    term: str | None = None
    regex: str | None = None
    category: str = "custom"
    sensitive: bool = False
    sensitive_category: str | None = None
    level: str | None = None
    caseless: bool = True
    word: bool = Field(True, description="literal terms: require word boundaries around ASCII words")
    max_len: int = Field(128, ge=1, le=4096, description="regex terms: longest match")
    score: float = Field(1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _check(self) -> CustomTerm:
        if (self.term is None) == (self.regex is None):
            raise ValueError("give exactly one of term or regex")
        if self.term is not None and not self.term.strip():
            raise ValueError("term is empty")
        if self.regex is not None:
            try:
                compiled = re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
            if compiled.match(""):
                raise ValueError("regex matches the empty string")
        if self.sensitive_category is not None and self.sensitive_category not in SENSITIVE_CATEGORIES:
            raise ValueError(f"sensitive_category must be one of {', '.join(SENSITIVE_CATEGORIES)}")
        return self


class CustomTermsSettings(_Strict):
    terms: list[CustomTerm] = []
    tenants: dict[str, list[CustomTerm]] = Field({}, description="extra terms per tenant id")
    deployments: dict[str, list[CustomTerm]] = Field({}, description="extra terms per deployment")

    @field_validator("terms")
    @classmethod
    def _unique_ids(cls, value: list[CustomTerm]) -> list[CustomTerm]:
        ids = [t.id for t in value if t.id]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"term ids must be unique; repeated: {', '.join(dupes)}")
        return value


M = TypeVar("M", bound=BaseModel)


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def parse_settings(model: type[M], data: Mapping[str, Any] | None, name: str) -> M:
    """Validate ``detectors.settings.<name>`` against ``model``; ConfigError names the key."""
    try:
        return model.model_validate(dict(data or {}))
    except ValidationError as exc:
        lines = [f"detectors.settings.{name}: invalid settings"]
        for err in exc.errors():
            where = f"detectors.settings.{name}{_where(tuple(err['loc']))}"
            if err["type"] == "extra_forbidden":
                accepted = ", ".join(model.model_fields)
                lines.append(f"  {where}: unknown key (accepted keys: {accepted})")
            else:
                lines.append(f"  {where}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("\n".join(lines)) from None


def engine_settings(data: Mapping[str, Any] | None) -> EngineSettings:
    return parse_settings(EngineSettings, data, "engine")
