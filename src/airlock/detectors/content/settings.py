"""Typed settings of the content families, validated from ``detectors.settings.<family>``.

Every model forbids unknown keys; :func:`parse_settings` turns a pydantic error into a
:class:`~airlock.errors.ConfigError` that names the full key path and the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from airlock.errors import ConfigError

__all__ = [
    "BlocklistList",
    "BlocklistSettings",
    "ClassifierTier",
    "HarmSettings",
    "InjectionSettings",
    "ProhibitedUseSettings",
    "TC260Settings",
    "parse_settings",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClassifierTier(_Strict):
    """The shipped classifier tier (tier 2) of a family."""

    enabled: bool = Field(default=True, description="run the packaged n-gram classifier")
    threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="probability at which a finding is reported (default: calibrated per head)",
    )
    escalate_low: float = Field(
        default=0.35,
        ge=0,
        le=1,
        description="scores in [escalate_low, escalate_high) are marked for the guard model",
    )
    escalate_high: float = Field(default=0.75, ge=0, le=1)
    window: int = Field(default=2048, ge=256, le=65536, description="characters per classifier window on long texts")
    max_windows: int = Field(default=64, ge=1, description="longest text scanned is window * max_windows characters")

    @model_validator(mode="after")
    def _band(self) -> ClassifierTier:
        if self.escalate_low > self.escalate_high:
            raise ValueError("escalate_low must not exceed escalate_high")
        return self


class HarmSettings(_Strict):
    """``detectors.settings.content_harm``."""

    lexicon: bool = Field(default=True, description="fast tier: harm lexicon (always cheap)")
    classifier: ClassifierTier = ClassifierTier()
    categories: list[Literal["hate", "sexual", "violence", "self_harm", "illicit"]] = Field(
        default=["hate", "sexual", "violence", "self_harm", "illicit"],
        description="harm categories to report",
    )
    min_severity: int = Field(default=1, ge=0, le=7, description="findings below this severity are not reported")
    extra_lexicons: list[str] = Field(default=[], description="paths of more lexicon files (same schema)")


class TC260Settings(_Strict):
    """``detectors.settings.cn_tc260``."""

    categories: list[str] = Field(default=[], description="report only these tc260.* categories (empty: all)")
    extra_lexicons: list[str] = Field(default=[], description="customer keyword files that extend the pack")


class BlocklistList(_Strict):
    """One custom blocklist, like an Azure Content Safety blocklist."""

    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    terms: list[str] = Field(default=[], description="literal terms (case-insensitive, folded like the text)")
    regex: list[str] = Field(default=[], description="Python regular expressions over the folded text")
    tenants: list[str] = Field(default=[], description="apply only to these tenants (empty: every tenant)")
    deployments: list[str] = Field(default=[], description="apply only to these deployments (empty: every one)")
    severity: int = Field(default=6, ge=0, le=7)
    halt: bool = Field(default=False, description="like haltOnBlocklistHit: ask the policy to block on any hit")

    @model_validator(mode="after")
    def _not_empty(self) -> BlocklistList:
        if not self.terms and not self.regex:
            raise ValueError(f"blocklist {self.name!r} needs at least one term or regex")
        return self


class BlocklistSettings(_Strict):
    """``detectors.settings.blocklist``."""

    lists: list[BlocklistList] = []
    files: list[str] = Field(default=[], description="YAML/JSON files holding more lists (same shape as 'lists')")

    @model_validator(mode="after")
    def _unique(self) -> BlocklistSettings:
        names = [b.name for b in self.lists]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"blocklist names must be unique; repeated: {', '.join(dupes)}")
        return self


class InjectionSettings(_Strict):
    """``detectors.settings.prompt_injection``."""

    classifier: ClassifierTier = ClassifierTier()
    heads: list[Literal["jailbreak", "injection"]] = Field(
        default=["jailbreak"],
        description="classifier heads to report; the injection head is off by default (see docs: weak, 88 examples)",
    )
    decode: bool = Field(default=True, description="decode base64 / rot13 / tag-character payloads and rescan them")
    max_decode_bytes: int = Field(default=16384, ge=0, description="largest decoded payload rescanned")
    extra_lexicons: list[str] = []


class ProhibitedUseSettings(_Strict):
    """``detectors.settings.prohibited_use``."""

    categories: list[Literal["mass_domestic_surveillance", "autonomous_weapons", "high_stakes_automated_decision"]] = [
        "mass_domestic_surveillance",
        "autonomous_weapons",
        "high_stakes_automated_decision",
    ]
    threshold: float = Field(default=0.5, ge=0, le=1, description="score at which a finding is reported")
    window: int = Field(default=400, ge=50, le=4000, description="characters within which the cues must co-occur")


M = TypeVar("M", bound=BaseModel)


def parse_settings(model: type[M], data: Mapping[str, Any] | None, family: str) -> M:
    """Validate ``detectors.settings.<family>``; errors name the key path and the problem."""
    try:
        return model.model_validate(dict(data or {}))
    except ValidationError as exc:
        lines = [f"detectors.settings.{family}: invalid settings"]
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            path = f"detectors.settings.{family}" + (f".{where}" if where else "")
            if err["type"] == "extra_forbidden":
                accepted = ", ".join(_fields(model, err["loc"]))
                lines.append(f"  {path}: unknown key (accepted keys: {accepted})")
            else:
                lines.append(f"  {path}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("\n".join(lines)) from None


def _fields(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            break
        ann = info.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        nxt = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if nxt is None:
            break
        current = nxt
    return sorted(getattr(current, "model_fields", {}))
