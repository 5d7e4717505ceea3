"""Rebuild the ledger from the audit log, and prove it equals the live tables.

Every transfer's outcome is in its audit record (``extra.ledger``: subject hashes, the person
each resolved to per period, what changed, the basis and the per-period deltas), and every
opening balance is an audit record of kind ``ledger_adjustment``. Replaying them gives the
totals, the monthly flows and the person rows (sensitive flag, PIPL categories, first month)
without any identifier value. Replay is independent of record order, except for the mapping
of secondary identifiers (e.g. a phone seen with two people in concurrent requests), which
follows audit order; counts never depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from airlock.ledger.outcome import ReplayedTransfer
from airlock.ledger.store import COUNTED, OPENING_BALANCE, Flow, LedgerStore, Totals
from airlock.ledger.subjects import categories_to_bits
from airlock.stores.base import AuditRow

__all__ = ["ADJUSTMENT_KIND", "Mismatch", "PeriodState", "Rebuilt", "compare", "ledger_payloads", "replay"]

ADJUSTMENT_KIND = "ledger_adjustment"


@dataclass
class _Person:
    created: bool = False
    month: int = 0
    sensitive: bool = False
    sensitive_month: int | None = None
    categories: int = 0


@dataclass
class PeriodState:
    tenant: str
    period: int
    idents: dict[bytes, bytes] = field(default_factory=dict)
    persons: dict[bytes, _Person] = field(default_factory=dict)
    flows: dict[tuple[int, str, str, str], list[int]] = field(default_factory=dict)
    totals: list[int] = field(default_factory=lambda: [0, 0, 0, 0])

    def flow(self, month: int, deployment: str, jurisdiction: str, basis: str) -> list[int]:
        return self.flows.setdefault((month, deployment, jurisdiction, basis), [0] * 6)

    def flow_list(self) -> list[Flow]:
        return [Flow(*key, *vals) for key, vals in sorted(self.flows.items())]

    def totals_value(self) -> Totals:
        return Totals(*self.totals)

    def person_rows(self) -> list[tuple[bytes, bytes, int, int, int, int | None]]:
        rows: list[tuple[bytes, bytes, int, int, int, int | None]] = []
        for ident, person in sorted(self.idents.items()):
            p = self.persons.get(person)
            if ident == person and p is not None and p.created:
                rows.append((ident, person, int(p.sensitive), p.categories, p.month, p.sensitive_month))
            else:
                rows.append((ident, person, 0, 0, p.month if p else 0, None))
        return rows

    def person_count(self) -> tuple[int, int]:
        created = [p for p in self.persons.values() if p.created]
        return len(created), sum(p.sensitive for p in created)

    def category_counts(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for p in self.persons.values():
            if not p.created:
                continue
            b = 1
            while b <= p.categories:
                if p.categories & b:
                    out[b] = out.get(b, 0) + 1
                b <<= 1
        return out


@dataclass
class Rebuilt:
    periods: dict[tuple[str, int], PeriodState] = field(default_factory=dict)
    records: int = 0
    transfers: int = 0
    refused: int = 0
    adjustments: int = 0
    key_ids: set[str] = field(default_factory=set)
    #: subjects that resolved to a person no record created (an audit record is missing)
    orphans: int = 0

    def state(self, tenant: str, period: int) -> PeriodState:
        key = (tenant, period)
        if key not in self.periods:
            self.periods[key] = PeriodState(tenant, period)
        return self.periods[key]


def ledger_payloads(rows: Iterable[AuditRow]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``("transfer", outcome)`` and ``("adjustment", adjustment)`` payloads in audit order."""
    for row in rows:
        if row.kind == ADJUSTMENT_KIND:
            body = orjson.loads(row.body)
            yield "adjustment", body["ledger_adjustment"]
            continue
        if row.kind != "request" or '"ledger"' not in row.body:
            continue
        body = orjson.loads(row.body)
        extra = body.get("extra")
        value = extra.get("ledger") if isinstance(extra, dict) else None
        if isinstance(value, dict):
            yield "transfer", value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    yield "transfer", item


def replay(payloads: Iterable[tuple[str, Mapping[str, Any]]], *, tenant: str | None = None) -> Rebuilt:
    out = Rebuilt()
    pending: list[tuple[PeriodState, Any, Any]] = []
    for kind, data in payloads:
        out.records += 1
        if tenant is not None and data.get("tenant") != tenant:
            continue
        if kind == "adjustment":
            st = out.state(str(data["tenant"]), int(data["period"]))
            persons, sensitive = int(data["persons"]), int(data["sensitive_persons"])
            f = st.flow(int(data["month"]), "-", "-", OPENING_BALANCE)
            for i, v in enumerate((persons, sensitive, persons, sensitive)):
                f[2 + i] += v
                st.totals[i] += v
            out.adjustments += 1
            continue
        t = ReplayedTransfer.from_audit(data)
        if t.refused:
            out.refused += 1
            continue
        out.transfers += 1
        if t.key_id:
            out.key_ids.add(t.key_id)
        counted = [s for s in t.subjects if s.basis == COUNTED]
        exempt: dict[str, int] = {}
        for s in t.subjects:
            if s.basis != COUNTED:
                exempt[s.basis] = exempt.get(s.basis, 0) + 1
        for pc in t.periods:
            st = out.state(t.tenant, pc.period)
            d = pc.delta
            deltas = (d.new_persons, d.new_sensitive, d.fresh_persons, d.fresh_sensitive)
            if counted:
                f = st.flow(pc.month, t.deployment, t.jurisdiction, COUNTED)
                f[0] += 1
                f[1] += len(counted)
                for i, v in enumerate(deltas):
                    f[2 + i] += v
                    st.totals[i] += v
            for basis, n in exempt.items():
                f = st.flow(pc.month, t.deployment, t.jurisdiction, basis)
                f[0] += 1
                f[1] += n
            for s in counted:
                resolved = dict(s.resolved).get(pc.period)
                if resolved is None:
                    continue
                p = st.persons.setdefault(resolved.person, _Person())
                bits = categories_to_bits(s.subject.categories)
                p.categories |= bits
                if resolved.new:
                    p.created = True
                    p.month = pc.month
                    if s.subject.sensitive:
                        p.sensitive_month = pc.month
                if s.subject.sensitive:
                    p.sensitive = True
                if resolved.became_sensitive:
                    p.sensitive_month = pc.month
                pending.append((st, s, resolved))
    # identifiers: each person's own row first, then the others in audit order
    for st, _, resolved in pending:
        st.idents[resolved.person] = resolved.person
    for st, s, resolved in pending:
        for ident in s.subject.identifiers:
            st.idents.setdefault(ident, resolved.person)
    for st in out.periods.values():
        out.orphans += sum(1 for p in st.persons.values() if not p.created)
    return out


@dataclass(frozen=True, slots=True)
class Mismatch:
    tenant: str
    period: int
    what: str
    live: object
    rebuilt: object

    def to_dict(self) -> dict[str, object]:
        return {"tenant": self.tenant, "period": self.period, "what": self.what, "live": str(self.live),
                "rebuilt": str(self.rebuilt)}


def _flow_key(f: Flow) -> tuple[int, str, str, str]:
    return (f.month, f.deployment, f.jurisdiction, f.basis)


def compare(store: LedgerStore, rebuilt: Rebuilt, *, tenant: str | None = None) -> list[Mismatch]:
    """Differences between the live tables and the rebuild (empty: they are equal)."""
    keys = {k for k in store.periods() if tenant is None or k[0] == tenant} | set(rebuilt.periods)
    out: list[Mismatch] = []
    for t, period in sorted(keys):
        st = rebuilt.periods.get((t, period)) or PeriodState(t, period)
        checks: list[tuple[str, object, object]] = [
            ("totals", store.totals(t, period), st.totals_value()),
            ("persons", store.person_count(t, period), st.person_count()),
            ("categories", store.category_counts(t, period), st.category_counts()),
            ("flows", sorted(store.flows(t, period), key=_flow_key), sorted(st.flow_list(), key=_flow_key)),
        ]
        out.extend(Mismatch(t, period, what, live, new) for what, live, new in checks if live != new)
    return out
