"""Status and the yearly report: counts, tier, headroom, projection — as data, CSV and HTML.

Everything here reads the ledger tables and the rule pack; nothing holds an identifier. The
JSON structure returned by :func:`build_report` is what the CSV and HTML renderers format, so
the three forms always agree.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airlock.ledger.periods import moment, window_start, year_elapsed, zone
from airlock.ledger.rules import Facts, Pack, available_packs, load_pack
from airlock.ledger.service import effective_mechanism, window_facts
from airlock.ledger.store import COUNTED, OPENING_BALANCE, LedgerStore
from airlock.ledger.subjects import CATEGORY_BITS

if TYPE_CHECKING:
    from airlock.config import TenantConfig

__all__ = ["CATEGORY_LABELS", "build_report", "render_csv", "tenant_status"]

CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "biometric": ("Biometrics", "生物识别"),
    "religion": ("Religious belief", "宗教信仰"),
    "specific_identity": ("Specific identity (ID documents)", "特定身份"),
    "medical_health": ("Medical and health", "医疗健康"),
    "financial_account": ("Financial accounts", "金融账户"),
    "whereabouts": ("Whereabouts and tracks", "行踪轨迹"),
    "minor_under_14": ("Minors under 14", "不满十四周岁未成年人"),
    "other": ("Other sensitive PI", "其他敏感个人信息"),
}


def _as_of(pack: Pack, year: int, now: datetime) -> datetime:
    """``now`` for the current year, the last second of ``year`` (pack time zone) for past ones."""
    local = moment(now, pack.timezone).local
    if local.year <= year:
        return now
    return datetime(year + 1, 1, 1, tzinfo=zone(pack.timezone)) - timedelta(seconds=1)


def _thresholds(pack: Pack, facts: Facts, tier_rank: int, covered_rank: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for measure in ("persons", "sensitive_persons"):
        count = facts.persons if measure == "persons" else facts.sensitive_persons
        ahead = [t for t in pack.thresholds if t.measure == measure and t.value > count]
        nxt = next((t for t in ahead if t.rank > tier_rank), None)
        breach = next((t for t in ahead if t.rank > covered_rank), None)
        out.append(
            {
                "measure": measure,
                "count": count,
                "next_threshold": nxt.value if nxt else None,
                "next_tier": nxt.tier if nxt else None,
                "remaining": nxt.value - count if nxt else None,
                "violation_threshold": breach.value if breach else None,
                "remaining_before_violation": breach.value - count if breach else None,
            }
        )
    return out


def tenant_status(store: LedgerStore, tenant: TenantConfig, pack: Pack, *, now: datetime,
                  year: int | None = None) -> dict[str, Any]:
    """One tenant's position in its pack's window (keys documented in docs/ledger.md)."""
    if year is not None:
        now = _as_of(pack, year, now)
    m = moment(now, pack.timezone)
    period = m.year
    totals, previous = store.totals(tenant.id, period), store.totals(tenant.id, period - 1)
    ls = tenant.ledger
    facts = window_facts(pack, totals, previous, ls)
    tier = pack.evaluate(facts)
    mechanism = effective_mechanism(ls, m.local.date())
    covered = pack.covered(mechanism)

    # one-off opening balances are not a rate: project only what the gateway recorded
    opening = [f for f in store.flows(tenant.id, period) if f.basis == OPENING_BALANCE]
    base_persons = sum(f.new_persons for f in opening)
    base_sensitive = sum(f.new_sensitive for f in opening)
    elapsed = max(year_elapsed(m.local), 1 / 365)
    if pack.window == "previous_and_current_year":
        carried, carried_sensitive = previous.persons, previous.sensitive_persons
        grown, grown_sensitive = totals.fresh_persons - base_persons, totals.fresh_sensitive - base_sensitive
    else:
        carried, carried_sensitive = 0, 0
        grown, grown_sensitive = totals.persons - base_persons, totals.sensitive_persons - base_sensitive
    proj_persons = carried + base_persons + math.ceil(grown / elapsed)
    proj_sensitive = carried_sensitive + base_sensitive + math.ceil(grown_sensitive / elapsed)
    proj = Facts(proj_persons, proj_sensitive, facts.ciio, facts.important_data, facts.persons_processed)
    proj_tier = pack.evaluate(proj)
    days = max(elapsed * 365.25, 1.0)
    return {
        "tenant": tenant.id,
        "pack": pack.pack,
        "pack_version": pack.version,
        "period": period,
        "period_start": window_start(pack.window, period).isoformat(),
        "as_of": m.local.isoformat(timespec="seconds"),
        "persons": facts.persons,
        "sensitive_persons": facts.sensitive_persons,
        "tier": tier.tier,
        "tier_label": pack.tier(tier.tier).label,
        "rule": tier.rule,
        "mode": ls.mode,
        "filed_mechanism": ls.filed_mechanism,
        "filed_date": ls.filed_date.isoformat() if ls.filed_date else None,
        "effective_mechanism": mechanism,
        "covered_tier": covered.id,
        "violation": tier.rank > covered.rank,
        "headroom": _thresholds(pack, facts, tier.rank, covered.rank),
        "projection": {
            "method": "linear at the rate since the start of the year (opening balances excluded from the rate)",
            "persons_per_day": round(grown / days, 2),
            "year_end_persons": proj_persons,
            "year_end_sensitive_persons": proj_sensitive,
            "year_end_tier": proj_tier.tier,
            "year_end_violation": proj_tier.rank > covered.rank,
        },
    }


def _basis_info(pack: Pack, basis: str) -> dict[str, Any]:
    if basis.startswith("purpose:"):
        purpose = basis.removeprefix("purpose:")
        ex = pack.purpose_exemptions.get(purpose)
        label = purpose.replace("_", " ")
    else:
        ex = pack.ftz_exemption if basis == "ftz" else None
        label = "free-trade zone (data not on the negative list)" if basis == "ftz" else basis
    return {"basis": basis, "label": label, "rule": ex.rule if ex else None, "article": ex.article if ex else None}


def build_report(store: LedgerStore, tenant: TenantConfig, pack: Pack, year: int, *, now: datetime) -> dict[str, Any]:
    """The yearly report: the data behind the JSON, CSV and HTML forms."""
    status = tenant_status(store, tenant, pack, now=now, year=year)
    flows = store.flows(tenant.id, year)
    months: dict[int, dict[str, int]] = {
        m: {"month": m, "new_persons": 0, "new_sensitive_persons": 0, "requests": 0, "identifiers": 0,
            "exempt_identifiers": 0}
        for m in range(1, 13)
    }
    destinations: dict[tuple[str, str], dict[str, Any]] = {}
    exemptions: dict[str, dict[str, Any]] = {}
    opening: dict[str, Any] = {"persons": 0, "sensitive_persons": 0, "month": None}
    opening_by_month: dict[int, tuple[int, int]] = {}
    for f in flows:
        row = months[f.month]
        if f.basis == OPENING_BALANCE:
            opening["persons"] += f.new_persons
            opening["sensitive_persons"] += f.new_sensitive
            opening["month"] = opening["month"] or f.month
            p, q = opening_by_month.get(f.month, (0, 0))
            opening_by_month[f.month] = (p + f.new_persons, q + f.new_sensitive)
            continue
        d = destinations.setdefault(
            (f.deployment, f.jurisdiction),
            {"deployment": f.deployment, "jurisdiction": f.jurisdiction, "requests": 0, "identifiers_counted": 0,
             "identifiers_exempt": 0, "new_persons": 0},
        )
        if f.basis == COUNTED:
            row["new_persons"] += f.new_persons
            row["new_sensitive_persons"] += f.new_sensitive
            row["requests"] += f.requests
            row["identifiers"] += f.occurrences
            d["requests"] += f.requests
            d["identifiers_counted"] += f.occurrences
            d["new_persons"] += f.new_persons
        else:
            row["exempt_identifiers"] += f.occurrences
            d["identifiers_exempt"] += f.occurrences
            e = exemptions.setdefault(f.basis, {**_basis_info(pack, f.basis), "requests": 0, "identifiers": 0})
            e["requests"] += f.requests
            e["identifiers"] += f.occurrences
    cumulative = cumulative_sensitive = 0
    month_rows = []
    local = moment(now, pack.timezone).local
    last_month = 12 if local.year > year else local.month
    for m in range(1, last_month + 1):
        row = months[m]
        extra_persons, extra_sensitive = opening_by_month.get(m, (0, 0))
        cumulative += row["new_persons"] + extra_persons
        cumulative_sensitive += row["new_sensitive_persons"] + extra_sensitive
        month_rows.append({**row, "cumulative_persons": cumulative, "cumulative_sensitive_persons":
                           cumulative_sensitive})
    bits = store.category_counts(tenant.id, year)
    categories = [
        {"category": name, "label": CATEGORY_LABELS[name][0], "label_zh": CATEGORY_LABELS[name][1],
         "persons": bits.get(bit, 0)}
        for name, bit in CATEGORY_BITS.items() if bits.get(bit)
    ]
    totals, previous = store.totals(tenant.id, year), store.totals(tenant.id, year - 1)
    comparison = []
    for other_id in available_packs():
        other = load_pack(other_id)
        facts = window_facts(other, totals, previous, tenant.ledger)
        result = other.evaluate(facts)
        comparison.append({"pack": other_id, "window": other.window_text, "persons": facts.persons,
                           "sensitive_persons": facts.sensitive_persons, "tier": result.tier, "rule": result.rule})
    ls = tenant.ledger
    return {
        "report": "Cross-border transfers of personal information",
        "report_zh": "个人信息出境情况报告",
        "generated_at": now.isoformat(timespec="seconds"),
        "tenant": {"id": tenant.id, "name": tenant.name or tenant.id, "jurisdiction": tenant.jurisdiction},
        "year": year,
        "status": status,
        "filing": {
            "mode": ls.mode, "filed_mechanism": ls.filed_mechanism,
            "filed_date": ls.filed_date.isoformat() if ls.filed_date else None,
            "filed_expires": ls.filed_expires.isoformat() if ls.filed_expires else None,
            "ciio": ls.ciio, "important_data": ls.important_data, "ftz": ls.ftz,
            "persons_processed": ls.persons_processed,
        },
        "opening_balance": opening,
        "months": month_rows,
        "sensitive_categories": categories,
        "destinations": sorted(destinations.values(), key=lambda d: (-d["requests"], d["deployment"])),
        "exemptions": sorted(exemptions.values(), key=lambda e: e["basis"]),
        "comparison": comparison,
        "pack": {
            "id": pack.pack, "version": pack.version, "title": pack.title, "title_zh": pack.title_zh,
            "effective_from": pack.effective_from.isoformat(), "timezone": pack.timezone,
            "window": pack.window_text, "window_source": pack.window_source,
            "tiers": [t.model_dump() for t in pack.tiers],
            "rules": [r.model_dump(exclude={"when", "when_any"}) for r in pack.rules],
            "purpose_exemptions": {k: v.model_dump() for k, v in pack.purpose_exemptions.items()},
            "ftz_exemption": pack.ftz_exemption.model_dump() if pack.ftz_exemption else None,
            "sources": [s.model_dump() for s in pack.sources],
            "unverified": list(pack.unverified),
            "interpretations": list(pack.interpretations),
        },
        "method": [
            "Persons are counted from keyed hashes (HMAC-SHA256, 128 bits) of normalised identifiers; "
            "no identifier value is stored.",
            "Identifiers of one person in one message are linked (same paragraph or line, at most one value "
            "per kind); when in doubt the ledger counts more persons, never fewer.",
            "Only data that left in clear counts: pseudonymised values never reach the model.",
            "Transfers within the clock-skew band around 1 January are counted in both years.",
            "The ledger is rebuilt from the hash-chained audit log with `airlock ledger rebuild`, "
            "which must equal the live counts.",
        ],
    }


def _rows(report: dict[str, Any]) -> Iterable[tuple[str, str, str, object]]:
    s = report["status"]
    for k in ("tenant", "pack", "pack_version", "period_start", "as_of", "persons", "sensitive_persons", "tier",
              "rule", "filed_mechanism", "effective_mechanism", "violation"):
        yield ("summary", "", k, s[k])
    yield ("summary", "", "opening_balance_persons", report["opening_balance"]["persons"])
    for m in report["months"]:
        for k, v in m.items():
            if k != "month":
                yield ("month", f"{report['year']}-{m['month']:02d}", k, v)
    for c in report["sensitive_categories"]:
        yield ("sensitive_category", c["category"], "persons", c["persons"])
    for d in report["destinations"]:
        for k in ("requests", "identifiers_counted", "identifiers_exempt", "new_persons"):
            yield ("destination", f"{d['deployment']} ({d['jurisdiction']})", k, d[k])
    for e in report["exemptions"]:
        yield ("exemption", e["basis"], "rule", e["rule"])
        yield ("exemption", e["basis"], "requests", e["requests"])
        yield ("exemption", e["basis"], "identifiers", e["identifiers"])
    for c in report["comparison"]:
        yield ("comparison", c["pack"], "tier", c["tier"])
        yield ("comparison", c["pack"], "persons", c["persons"])
    for src in report["pack"]["sources"]:
        yield ("source", src["id"], "title", src["title"])
    for item in report["pack"]["unverified"]:
        yield ("unverified", "", "note", item)


def render_csv(report: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "item", "metric", "value"])
    for row in _rows(report):
        w.writerow(row)
    return buf.getvalue()
