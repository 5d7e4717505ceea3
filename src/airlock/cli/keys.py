"""``airlock keys create | list | revoke``."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import orjson

from airlock.cli.common import config_option, data_dir_option, echo_err, load, open_store_for
from airlock.keys import create_key

__all__ = ["keys"]


@click.group()
def keys() -> None:
    """Create, list and revoke API keys (stored hashed; a key is shown once)."""


@keys.command("create")
@click.option("--tenant", required=True, help="Tenant id from the configuration.")
@click.option("--scope", type=click.Choice(["inference", "admin"]), default="inference", show_default=True)
@click.option("--name", default=None, help="A label for the key (shown by `keys list`).")
@config_option
@data_dir_option
def create(tenant: str, scope: str, name: str | None, config_path: str | None, data_dir: str | None) -> None:
    """Create a key for TENANT and print it (only the key goes to stdout)."""
    config, ddir, _ = load(config_path, data_dir)
    if config.tenant(tenant) is None:
        known = ", ".join(t.id for t in config.tenants) or "none"
        raise click.ClickException(f"unknown tenant {tenant!r}; configured tenants: {known}")
    store = open_store_for(config, ddir)
    try:
        key, record = create_key(store, tenant, scope, name)  # type: ignore[arg-type]
    finally:
        store.close()
    echo_err(f"created key {record.key_id} for tenant {tenant} (scope {scope}); it will not be shown again")
    click.echo(key)


@keys.command("list")
@click.option("--tenant", default=None)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@config_option
@data_dir_option
def list_(tenant: str | None, fmt: str, config_path: str | None, data_dir: str | None) -> None:
    """List key ids, tenants and scopes (never the keys)."""
    config, ddir, _ = load(config_path, data_dir)
    store = open_store_for(config, ddir)
    try:
        records = store.list_keys(tenant)
    finally:
        store.close()
    rows = [
        {
            "key_id": r.key_id,
            "tenant": r.tenant,
            "scope": r.scope,
            "name": r.name,
            "created_at": r.created_at,
            "revoked_at": r.revoked_at,
        }
        for r in records
    ]
    if fmt == "json":
        for row in rows:
            click.echo(orjson.dumps(row).decode())
        return
    click.echo(f"{'KEY ID':<14}{'TENANT':<16}{'SCOPE':<11}{'CREATED':<27}{'STATUS':<10}NAME")
    for row in rows:
        status = "revoked" if row["revoked_at"] else "active"
        click.echo(
            f"{row['key_id']:<14}{row['tenant']:<16}{row['scope']:<11}{row['created_at']:<27}{status:<10}"
            f"{row['name'] or ''}"
        )


@keys.command("revoke")
@click.argument("key_id")
@config_option
@data_dir_option
def revoke(key_id: str, config_path: str | None, data_dir: str | None) -> None:
    """Revoke KEY_ID; takes effect on the next request in every process."""
    config, ddir, _ = load(config_path, data_dir)
    store = open_store_for(config, ddir)
    try:
        ok = store.revoke_key(key_id, datetime.now(UTC).isoformat(timespec="seconds"))
    finally:
        store.close()
    if not ok:
        raise click.ClickException(f"no active key with id {key_id!r}")
    echo_err(f"revoked {key_id}")
