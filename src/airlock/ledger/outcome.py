"""What one recorded transfer leaves behind: the outcome the gateway writes into the audit log.

``trace.extra["ledger"] = outcome.to_audit()``. The audit form carries everything ``airlock
ledger rebuild`` needs to reproduce the ledger tables exactly: each subject's identifier
hashes, the person it resolved to in each period and what changed (new person, newly
sensitive, new to the previous year), the basis it was recorded under (counted or an
exemption) and the per-period deltas. Hashes only: no identifier value is ever in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airlock.ledger.alerts import Alert
from airlock.ledger.store import COUNTED, Delta, Resolved, Totals
from airlock.ledger.subjects import Subject

__all__ = ["AUDIT_VERSION", "LedgerOutcome", "PeriodCounts", "ReplayedTransfer", "SubjectRecord"]

AUDIT_VERSION = 1

_NEW, _BECAME, _FRESH, _FRESH_SENS = 1, 2, 4, 8


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    subject: Subject
    #: ``counted``, ``purpose:<name>`` or ``ftz``
    basis: str
    #: per period: how the subject was resolved (counted subjects of recorded transfers only)
    resolved: tuple[tuple[int, Resolved], ...] = ()

    def to_audit(self) -> dict[str, Any]:
        out = self.subject.to_audit()
        if self.basis != COUNTED:
            out["b"] = self.basis
        if self.resolved:
            out["r"] = {
                str(period): [
                    r.person.hex(),
                    (_NEW * r.new) | (_BECAME * r.became_sensitive) | (_FRESH * r.fresh)
                    | (_FRESH_SENS * r.fresh_sensitive),
                ]
                for period, r in self.resolved
            }
        return out

    @classmethod
    def from_audit(cls, data: Mapping[str, Any]) -> SubjectRecord:
        resolved: list[tuple[int, Resolved]] = []
        for period, (person, flags) in (data.get("r") or {}).items():
            f = int(flags)
            resolved.append(
                (int(period), Resolved(bytes.fromhex(person), bool(f & _NEW), bool(f & _BECAME), bool(f & _FRESH),
                                       bool(f & _FRESH_SENS)))
            )
        return cls(Subject.from_audit(dict(data)), str(data.get("b", COUNTED)), tuple(sorted(resolved)))


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    period: int
    month: int
    delta: Delta
    totals: Totals
    previous: Totals

    def to_audit(self) -> dict[str, Any]:
        d, t = self.delta, self.totals
        return {
            "period": self.period,
            "month": self.month,
            "delta": [d.new_persons, d.new_sensitive, d.fresh_persons, d.fresh_sensitive],
            "totals": [t.persons, t.sensitive_persons, t.fresh_persons, t.fresh_sensitive],
        }

    @classmethod
    def from_audit(cls, data: Mapping[str, Any]) -> PeriodCounts:
        return cls(int(data["period"]), int(data["month"]), Delta(*data["delta"]), Totals(*data["totals"]), Totals())


@dataclass(frozen=True, slots=True)
class LedgerOutcome:
    decision_id: str
    tenant: str
    pack: str
    pack_version: str
    key_id: str
    mode: str
    deployment: str
    jurisdiction: str
    #: recording time (UTC, ISO 8601) and the local date in the pack's time zone
    at: str
    local_date: str
    #: the current period (calendar year in the pack's time zone)
    period: int
    purpose: str | None
    #: rule id of the exemption applied (purpose exemption, or the FTZ rule when some subjects used it)
    exemption: str | None
    important_data: bool
    subjects: tuple[SubjectRecord, ...]
    periods: tuple[PeriodCounts, ...]
    #: counts in the pack's window for the current period, after this transfer
    persons: int
    sensitive_persons: int
    tier: str
    tier_rank: int
    rule: str
    filed_mechanism: str
    covered_tier: str
    violation: bool
    refused: bool = False
    alerts: tuple[Alert, ...] = field(default=())

    @property
    def counted(self) -> int:
        return sum(1 for s in self.subjects if s.basis == COUNTED)

    @property
    def new_persons(self) -> int:
        return sum(p.delta.new_persons for p in self.periods if p.period == self.period)

    def to_audit(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "v": AUDIT_VERSION,
            "tenant": self.tenant,
            "pack": self.pack,
            "pack_version": self.pack_version,
            "key_id": self.key_id,
            "mode": self.mode,
            "deployment": self.deployment,
            "jurisdiction": self.jurisdiction,
            "at": self.at,
            "local_date": self.local_date,
            "period": self.period,
            "purpose": self.purpose,
            "exemption": self.exemption,
            "important_data": self.important_data,
            "subjects": [s.to_audit() for s in self.subjects],
            "periods": [p.to_audit() for p in self.periods],
            "persons": self.persons,
            "sensitive_persons": self.sensitive_persons,
            "tier": self.tier,
            "rule": self.rule,
            "filed_mechanism": self.filed_mechanism,
            "covered_tier": self.covered_tier,
            "violation": self.violation,
            "refused": self.refused,
        }
        if self.alerts:
            out["alerts"] = [a.to_dict() for a in self.alerts]
        return out


@dataclass(frozen=True, slots=True)
class ReplayedTransfer:
    """The parts of an audited outcome that ``rebuild`` replays."""

    tenant: str
    deployment: str
    jurisdiction: str
    key_id: str
    refused: bool
    subjects: tuple[SubjectRecord, ...]
    periods: tuple[PeriodCounts, ...]

    @classmethod
    def from_audit(cls, data: Mapping[str, Any]) -> ReplayedTransfer:
        if int(data.get("v", 0)) != AUDIT_VERSION:
            raise ValueError(f"unsupported ledger audit version {data.get('v')!r}")
        return cls(
            tenant=str(data["tenant"]),
            deployment=str(data["deployment"]),
            jurisdiction=str(data["jurisdiction"]),
            key_id=str(data.get("key_id", "")),
            refused=bool(data.get("refused")),
            subjects=tuple(SubjectRecord.from_audit(s) for s in data.get("subjects", [])),
            periods=tuple(PeriodCounts.from_audit(p) for p in data.get("periods", [])),
        )
