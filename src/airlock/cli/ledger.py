"""``airlock ledger status | report | rebuild | adjust | packs``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from airlock.audit import AuditWriter
from airlock.cli.common import config_option, data_dir_option, echo_err, load, open_store_for
from airlock.config import Config, TenantConfig
from airlock.ledger.periods import moment
from airlock.ledger.rebuild import ADJUSTMENT_KIND, compare, ledger_payloads, replay
from airlock.ledger.report import build_report, render_csv, tenant_status
from airlock.ledger.report_html import render_html
from airlock.ledger.rules import available_packs, load_pack
from airlock.ledger.store import LedgerStore, Totals, open_ledger_store
from airlock.stores import PendingAudit, StoreError

__all__ = ["ledger"]


def _open(config: Config, ddir: Path) -> LedgerStore:
    try:
        return open_ledger_store(config.store.url, ddir, durability=config.audit.durability)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def _tenants(config: Config, only: str | None) -> list[TenantConfig]:
    """Tenants the ledger counts for (their jurisdiction is their pack's), or the one named."""
    if only is not None:
        tenant = config.tenant(only)
        if tenant is None:
            known = ", ".join(t.id for t in config.tenants) or "none"
            raise click.ClickException(f"unknown tenant {only!r}; configured tenants: {known}")
        return [tenant]
    out = []
    for t in config.tenants:
        pack = load_pack(t.ledger.pack or config.ledger.pack)
        if t.jurisdiction.upper() == pack.jurisdiction.upper():
            out.append(t)
    return out


def _now(at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(at)
    except ValueError:
        raise click.BadParameter(f"not an ISO date or time: {at!r}", param_hint="--at") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


@click.group()
def ledger() -> None:
    """Cross-border transfer ledger: persons whose personal information was sent abroad."""


@ledger.command("status")
@click.option("--tenant", default=None, help="Only this tenant (default: every tenant the ledger counts for).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: one object per tenant per line.")
@click.option("--at", default=None, metavar="ISO", help="Evaluate as of this time (default: now).")
@config_option
@data_dir_option
def status(tenant: str | None, fmt: str, at: str | None, config_path: str | None, data_dir: str | None) -> None:
    """Counts, tier, filing, headroom and the year-end projection per tenant."""
    config, ddir, _ = load(config_path, data_dir)
    store = _open(config, ddir)
    now = _now(at)
    try:
        rows = [tenant_status(store, t, load_pack(t.ledger.pack or config.ledger.pack), now=now)
                for t in _tenants(config, tenant)]
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if fmt == "json":
        for row in rows:
            click.echo(_dumps(row))
        return
    head = f"{'tenant':<16} {'since':<10} {'persons':>10} {'sensitive':>9}  {'tier':<19} {'filed':<19} status"
    click.echo(head)
    for r in rows:
        state = "VIOLATION" if r["violation"] else "ok"
        click.echo(f"{r['tenant']:<16} {r['period_start']:<10} {r['persons']:>10,} {r['sensitive_persons']:>9,}  "
                   f"{r['tier']:<19} {r['effective_mechanism']:<19} {state}")
        for h in r["headroom"]:
            if h["remaining"] is not None:
                label = h["measure"].replace("_", " ")
                click.echo(f"{'':<16} {label}: {h['remaining']:,} more reach {h['next_threshold']:,} "
                           f"({h['next_tier']})")
        p = r["projection"]
        click.echo(f"{'':<16} year-end projection: {p['year_end_persons']:,} persons → {p['year_end_tier']}")
    if not rows:
        echo_err("no tenant is counted by the ledger (tenants need the jurisdiction of their rule pack)")


@ledger.command("report")
@click.option("--tenant", required=True, help="Tenant to report on.")
@click.option("--year", type=int, default=None, help="Calendar year (default: the current one).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "html"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of stdout.")
@click.option("--at", default=None, metavar="ISO", help="Generate as of this time (default: now).")
@config_option
@data_dir_option
def report(tenant: str, year: int | None, fmt: str, output: str | None, at: str | None, config_path: str | None,
           data_dir: str | None) -> None:
    """The yearly report for the regulator and the DPO (no identifiers)."""
    config, ddir, _ = load(config_path, data_dir)
    (t,) = _tenants(config, tenant)
    pack = load_pack(t.ledger.pack or config.ledger.pack)
    now = _now(at)
    year = year or moment(now, pack.timezone).year
    store = _open(config, ddir)
    try:
        data = build_report(store, t, pack, year, now=now)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    text = {"json": lambda: _dumps(data) + "\n", "csv": lambda: render_csv(data),
            "html": lambda: render_html(data)}[fmt]()
    if output:
        Path(output).write_text(text, encoding="utf-8")
        echo_err(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@ledger.command("rebuild")
@click.option("--tenant", default=None, help="Only this tenant.")
@click.option("--apply", "apply_", is_flag=True, help="Replace the ledger tables with the rebuild.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@config_option
@data_dir_option
def rebuild(tenant: str | None, apply_: bool, fmt: str, config_path: str | None, data_dir: str | None) -> None:
    """Recount from the audit log and compare with the live tables (exit 1 when they differ)."""
    config, ddir, _ = load(config_path, data_dir)
    audit_store = open_store_for(config, ddir)
    store = _open(config, ddir)
    try:
        rebuilt = replay(ledger_payloads(audit_store.iter_audit(tenant=tenant)), tenant=tenant)
        if apply_:
            for (t, period), st in sorted(rebuilt.periods.items()):
                store.replace(t, period, subjects=st.person_rows(), flows=st.flow_list(), totals=st.totals_value())
            for t, period in store.periods():
                if (t, period) not in rebuilt.periods and (tenant is None or t == tenant):
                    store.replace(t, period, subjects=[], flows=[], totals=Totals())
        mismatches = compare(store, rebuilt, tenant=tenant)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
        audit_store.close()
    periods = [
        {"tenant": t, "period": p, "persons": st.totals_value().persons,
         "sensitive_persons": st.totals_value().sensitive_persons}
        for (t, p), st in sorted(rebuilt.periods.items())
    ]
    result = {
        "equal": not mismatches, "applied": apply_, "transfers": rebuilt.transfers, "refused": rebuilt.refused,
        "adjustments": rebuilt.adjustments, "key_ids": sorted(rebuilt.key_ids), "periods": periods,
        "mismatches": [m.to_dict() for m in mismatches],
    }
    if fmt == "json":
        click.echo(_dumps(result))
    else:
        for p in periods:
            click.echo(f"{p['tenant']:<16} {p['period']}  {p['persons']:>10,} persons  "
                       f"{p['sensitive_persons']:>9,} sensitive")
        click.echo(f"{rebuilt.transfers} transfer(s), {rebuilt.refused} refused, {rebuilt.adjustments} adjustment(s)")
        for m in mismatches:
            click.echo(f"MISMATCH {m.tenant} {m.period} {m.what}: live {m.live} != rebuilt {m.rebuilt}")
        click.echo("equal to the live ledger" if not mismatches else "the live ledger differs from the audit log")
    if len(rebuilt.key_ids) > 1:
        echo_err("warning: the audit log holds subjects hashed with several keys; persons are not de-duplicated "
                 "across keys")
    if mismatches:
        raise SystemExit(1)


@ledger.command("adjust")
@click.option("--tenant", required=True)
@click.option("--year", type=int, required=True, help="Calendar year the balance belongs to.")
@click.option("--month", type=click.IntRange(1, 12), default=1, show_default=True)
@click.option("--persons", type=click.IntRange(0), required=True, help="Persons transferred before Airlock.")
@click.option("--sensitive", "sensitive", type=click.IntRange(0), default=0, show_default=True,
              help="Of them, persons with sensitive personal information.")
@click.option("--reason", required=True, help="Where the figure comes from (kept in the audit log).")
@config_option
@data_dir_option
def adjust(tenant: str, year: int, month: int, persons: int, sensitive: int, reason: str,
           config_path: str | None, data_dir: str | None) -> None:
    """Add an opening balance (transfers before Airlock), recorded in the audit log."""
    config, ddir, _ = load(config_path, data_dir)
    _tenants(config, tenant)
    if sensitive > persons:
        raise click.BadParameter("cannot exceed --persons", param_hint="--sensitive")
    audit_store = open_store_for(config, ddir)
    store = _open(config, ddir)
    payload = {"tenant": tenant, "period": year, "month": month, "persons": persons, "sensitive_persons": sensitive,
               "reason": reason[:500]}
    try:
        totals = store.adjust(tenant, year, month, persons, sensitive)
        AuditWriter(audit_store, None).write_sync(PendingAudit(
            decision_id=f"adj_{uuid.uuid4().hex}", ts=datetime.now(UTC).isoformat(timespec="milliseconds"),
            tenant=tenant, kind=ADJUSTMENT_KIND, payload={"ledger_adjustment": payload}))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
        audit_store.close()
    click.echo(_dumps({**payload, "persons_total": totals.persons, "sensitive_total": totals.sensitive_persons}))


@ledger.command("packs")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def packs(fmt: str) -> None:
    """The shipped rule packs and their rules (sources and verification status)."""
    for pack_id in available_packs():
        pack = load_pack(pack_id)
        if fmt == "json":
            click.echo(_dumps(pack.model_dump(mode="json")))
            continue
        click.echo(f"{pack.pack} {pack.version}: {pack.title} — {pack.window_text}")
        for r in pack.rules:
            flag = "" if r.verified else "  [unverified]"
            click.echo(f"  {r.id:<18} {r.tier:<20} {r.article:<12} {r.text[:70]}{flag}")
