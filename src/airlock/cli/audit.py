"""``airlock audit verify | export | tail``."""

from __future__ import annotations

import time
from pathlib import Path

import click
import orjson

from airlock.audit import load_verifier, verify_chain
from airlock.cli.common import config_option, data_dir_option, echo_err, load, open_store_for
from airlock.stores.base import AuditRow

__all__ = ["audit"]


def _record(row: AuditRow) -> dict[str, object]:
    body: dict[str, object] = orjson.loads(row.body)
    body["hash"] = row.hash
    return body


@click.group()
def audit() -> None:
    """Verify, export and follow the hash-chained decision log."""


@audit.command("verify")
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    help="Extra Ed25519 public key (PEM) for checkpoints signed by other replicas.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@config_option
@data_dir_option
def verify(public_keys: tuple[str, ...], as_json: bool, config_path: str | None, data_dir: str | None) -> None:
    """Check the whole chain; exit 1 and name the first bad record if anything was changed."""
    config, ddir, _ = load(config_path, data_dir)
    store = open_store_for(config, ddir)
    try:
        result = verify_chain(store, load_verifier(ddir, [Path(p) for p in public_keys]))
    finally:
        store.close()
    if as_json:
        click.echo(orjson.dumps(result.to_dict()).decode())
    elif result.ok:
        click.echo(f"OK: {result.records} records, {result.checkpoints} signed checkpoint(s) verified")
    else:
        click.echo(f"BROKEN: first bad record seq {result.first_bad_seq}: {result.reason}")
    for warning in result.warnings:
        echo_err(f"warning: {warning}")
    if not result.ok:
        raise SystemExit(1)


@audit.command("export")
@click.option("--since", default=None, help="ISO timestamp (inclusive), e.g. 2026-01-01 or 2026-01-01T08:00:00")
@click.option("--until", default=None, help="ISO timestamp (exclusive)")
@click.option("--tenant", default=None)
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@config_option
@data_dir_option
def export(
    since: str | None, until: str | None, tenant: str | None, fmt: str, config_path: str | None, data_dir: str | None
) -> None:
    """Write records (with seq, prev_hash and hash) as JSON lines to stdout."""
    config, ddir, _ = load(config_path, data_dir)
    store = open_store_for(config, ddir)
    n = 0
    try:
        for row in store.iter_audit(since=since, until=until, tenant=tenant):
            click.echo(orjson.dumps(_record(row)).decode())
            n += 1
    finally:
        store.close()
    echo_err(f"exported {n} record(s)")


@audit.command("tail")
@click.option("-n", "count", default=20, show_default=True, help="How many of the latest records to show.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new records (Ctrl-C to stop).")
@config_option
@data_dir_option
def tail(count: int, follow: bool, config_path: str | None, data_dir: str | None) -> None:
    """Print the latest records as JSON lines."""
    config, ddir, _ = load(config_path, data_dir)
    store = open_store_for(config, ddir)
    try:
        head = store.audit_head()
        last = max((head.seq if head else 0) - count, 0)
        while True:
            for row in store.iter_audit(after_seq=last):
                click.echo(orjson.dumps(_record(row)).decode())
                last = row.seq
            if not follow:
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
