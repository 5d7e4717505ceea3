"""Rule packs: the legal thresholds as versioned data files, and the tier they give.

A pack (``packs/<id>.yaml``) lists tiers (``exempt`` < ``standard_contract`` <
``security_assessment``), which tier each filed mechanism covers, and rules evaluated in order
(first match wins) over a :class:`Facts` value: the tenant's counts for the pack's window and
its configured facts (CIIO, important data, persons processed). Every rule carries its article,
its sources and whether its text was verified. Nothing here does I/O after loading.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "Condition",
    "Facts",
    "Pack",
    "PackError",
    "Threshold",
    "TierResult",
    "available_packs",
    "load_pack",
]

Measure = Literal["persons", "sensitive_persons"]


class PackError(Exception):
    """A rule pack that cannot be loaded (unknown id, bad YAML, failed validation)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Model):
    """All given fields must hold; an empty condition always holds."""

    important_data: bool | None = None
    ciio: bool | None = None
    persons_min: int | None = Field(None, ge=1)
    sensitive_persons_min: int | None = Field(None, ge=1)
    persons_processed_min: int | None = Field(None, ge=1)

    def holds(self, facts: Facts) -> bool:
        if self.important_data is not None and facts.important_data != self.important_data:
            return False
        if self.ciio is not None and facts.ciio != self.ciio:
            return False
        if self.persons_min is not None and facts.persons < self.persons_min:
            return False
        if self.sensitive_persons_min is not None and facts.sensitive_persons < self.sensitive_persons_min:
            return False
        return self.persons_processed_min is None or (
            facts.persons_processed is not None and facts.persons_processed >= self.persons_processed_min
        )

    @property
    def volume_only(self) -> bool:
        """Only a count threshold (no fact conditions): usable for alerts and headroom."""
        flags = (self.important_data, self.ciio, self.persons_processed_min)
        counts = [self.persons_min, self.sensitive_persons_min]
        return all(f is None for f in flags) and sum(c is not None for c in counts) == 1


class Rule(_Model):
    id: str
    tier: str
    when: Condition = Condition()
    when_any: list[Condition] = []
    article: str
    text: str
    sources: list[str]
    verified: bool
    note: str | None = None

    def holds(self, facts: Facts) -> bool:
        if not self.when.holds(facts):
            return False
        return not self.when_any or any(c.holds(facts) for c in self.when_any)


class Tier(_Model):
    id: str
    rank: int = Field(ge=0)
    label: str
    label_zh: str


class Exemption(_Model):
    rule: str
    article: str
    text: str
    sources: list[str]
    verified: bool


class Source(_Model):
    id: str
    title: str
    url: str | None = None


class Pack(_Model):
    pack: str
    version: str
    title: str
    title_zh: str
    jurisdiction: str
    effective_from: date
    timezone: str
    window: Literal["current_year", "previous_and_current_year"]
    window_text: str
    window_source: str
    tiers: list[Tier]
    mechanisms: dict[Literal["none", "standard_contract", "certification", "security_assessment"], str]
    rules: list[Rule]
    purpose_exemptions: dict[str, Exemption] = {}
    ftz_exemption: Exemption | None = None
    sources: list[Source]
    unverified: list[str] = []
    interpretations: list[str] = []

    @model_validator(mode="after")
    def _check(self) -> Pack:
        ids = {t.id for t in self.tiers}
        ranks = [t.rank for t in self.tiers]
        if sorted(ranks) != list(range(len(ranks))):
            raise ValueError("tier ranks must be 0..n-1")
        for r in self.rules:
            if r.tier not in ids:
                raise ValueError(f"rule {r.id}: unknown tier {r.tier!r}")
        for mech, tier in self.mechanisms.items():
            if tier not in ids:
                raise ValueError(f"mechanism {mech}: unknown tier {tier!r}")
        if set(self.mechanisms) != {"none", "standard_contract", "certification", "security_assessment"}:
            raise ValueError("mechanisms must map none, standard_contract, certification and security_assessment")
        if not self.rules or self.rules[-1].when != Condition() or self.rules[-1].when_any:
            raise ValueError("the last rule must be unconditional (the default tier)")
        return self

    # ------------------------------------------------------------------ evaluation
    def tier(self, tier_id: str) -> Tier:
        for t in self.tiers:
            if t.id == tier_id:
                return t
        raise KeyError(tier_id)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def evaluate(self, facts: Facts) -> TierResult:
        """The tier the facts require: the first rule that holds."""
        for r in self.rules:
            if r.holds(facts):
                return TierResult(r.tier, self.tier(r.tier).rank, r.id)
        raise AssertionError("unreachable: the last rule is unconditional")  # pragma: no cover

    def covered(self, mechanism: str) -> Tier:
        """The highest tier a filed mechanism covers (it covers every lower tier too)."""
        return self.tier(self.mechanisms[mechanism])  # type: ignore[index]

    @functools.cached_property
    def thresholds(self) -> tuple[Threshold, ...]:
        """Count thresholds, lowest first per measure: (tier, measure, value, rule)."""
        out: list[Threshold] = []
        for r in self.rules:
            conditions = [r.when] if not r.when_any else list(r.when_any) if r.when == Condition() else []
            for c in conditions:
                if not c.volume_only:
                    continue
                measure: Measure = "persons" if c.persons_min is not None else "sensitive_persons"
                value = c.persons_min if c.persons_min is not None else c.sensitive_persons_min
                assert value is not None
                out.append(Threshold(r.tier, self.tier(r.tier).rank, measure, value, r.id))
        return tuple(sorted(out, key=lambda t: (t.measure, t.value)))

    def next_thresholds(self, facts: Facts, above_rank: int) -> list[Threshold]:
        """Per measure, the lowest threshold not yet reached that leads to a tier above ``above_rank``."""
        out: list[Threshold] = []
        for measure in ("persons", "sensitive_persons"):
            count = facts.persons if measure == "persons" else facts.sensitive_persons
            for t in self.thresholds:
                if t.measure == measure and t.rank > above_rank and t.value > count:
                    out.append(t)
                    break
        return out


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules look at: counts in the pack's window plus the tenant's declared facts."""

    persons: int
    sensitive_persons: int
    ciio: bool = False
    important_data: bool = False
    persons_processed: int | None = None


@dataclass(frozen=True, slots=True)
class TierResult:
    tier: str
    rank: int
    rule: str


@dataclass(frozen=True, slots=True)
class Threshold:
    tier: str
    rank: int
    measure: Measure
    value: int
    rule: str


# --------------------------------------------------------------------------- loading


def available_packs() -> list[str]:
    root = files("airlock.ledger").joinpath("packs")
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


@functools.cache
def load_pack(pack_id: str) -> Pack:
    """Load a shipped pack by id (cached; packs are immutable)."""
    if pack_id not in available_packs():
        raise PackError(f"unknown rule pack {pack_id!r}; available: {', '.join(available_packs())}")
    text = files("airlock.ledger").joinpath("packs", f"{pack_id}.yaml").read_text(encoding="utf-8")
    try:
        pack = Pack.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise PackError(f"rule pack {pack_id!r} is invalid: {exc}") from None
    if pack.pack != pack_id:
        raise PackError(f"rule pack file {pack_id}.yaml declares pack {pack.pack!r}")
    return pack
