"""Free-trade-zone negative lists (2024 Provisions Art. 6) as customer-supplied data.

A tenant registered in a free-trade zone is exempt for data that is NOT on its zone's
negative list. Zones publish their lists per sector and field (Tianjin, Beijing, Shanghai,
Hainan, Zhejiang …); the customer translates the entries that apply to it into this file,
expressed in what the gateway can see: identifier types and PIPL sensitive categories.

.. code-block:: yaml

    zone: tianjin
    name: China (Tianjin) Pilot FTZ data export negative list (2024), retail excerpt
    version: "2024-05"
    source: https://… (the zone's published list)
    entries:
      - id: TJ-PI-03
        description: identity documents of customers
        identifier_types: [CN_RESIDENT_ID, CN_PASSPORT, PASSPORT]
      - id: TJ-PI-07
        description: health data
        sensitive_categories: [medical_health]
      - id: TJ-PI-09
        description: any sensitive personal information
        any_sensitive: true

A person is on the list (and counts normally) when any entry matches any of their crossing
identifiers or categories; everyone else is exempt. ``all_personal_information: true`` puts
every person on the list (the exemption then never applies).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from airlock.errors import ConfigError
from airlock.ledger.subjects import CATEGORY_BITS, IDENTIFIER_KINDS, Subject

__all__ = ["NegativeList", "load_negative_list"]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    description: str = ""
    identifier_types: list[str] = []
    sensitive_categories: list[str] = []
    any_sensitive: bool = False
    all_personal_information: bool = False

    @field_validator("identifier_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(IDENTIFIER_KINDS))
        if unknown:
            raise ValueError(f"unknown identifier types {unknown}; known: {sorted(IDENTIFIER_KINDS)}")
        return value

    @field_validator("sensitive_categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(CATEGORY_BITS))
        if unknown:
            raise ValueError(f"unknown sensitive categories {unknown}; known: {sorted(CATEGORY_BITS)}")
        return value


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: str
    name: str
    version: str
    source: str | None = None
    entries: list[_Entry]


@dataclass(frozen=True, slots=True)
class NegativeList:
    zone: str
    name: str
    version: str
    source: str | None
    entries: tuple[_Entry, ...]

    def match(self, subject: Subject) -> str | None:
        """The id of the first entry that puts ``subject`` on the list, or None (exempt)."""
        kinds = set(subject.kinds)
        cats = set(subject.categories)
        for e in self.entries:
            if e.all_personal_information:
                return e.id
            if e.any_sensitive and subject.sensitive:
                return e.id
            if kinds & {IDENTIFIER_KINDS[t] for t in e.identifier_types}:
                return e.id
            if cats & set(e.sensitive_categories):
                return e.id
        return None


def load_negative_list(path: str | Path, zone: str) -> NegativeList:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the FTZ negative list: {exc.strerror}") from None
    except yaml.YAMLError:
        raise ConfigError(f"{p}: the FTZ negative list is not valid YAML") from None
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise ConfigError(f"{p}: invalid FTZ negative list at {where}: {first['msg']}") from None
    if parsed.zone != zone:
        raise ConfigError(f"{p}: the list is for zone {parsed.zone!r} but the tenant's ftz is {zone!r}")
    return NegativeList(parsed.zone, parsed.name, parsed.version, parsed.source, tuple(parsed.entries))
