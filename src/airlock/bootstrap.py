"""First run: create an admin key and a demo tenant key, print them once, keep a 0600 copy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from airlock.config import Config
from airlock.keys import create_key
from airlock.stores.base import Store

__all__ = ["Bootstrap", "bootstrap_keys"]

KEYS_FILE = "bootstrap-keys.txt"


@dataclass(frozen=True)
class Bootstrap:
    admin_key: str
    tenant_key: str
    tenant: str
    path: Path


def bootstrap_keys(config: Config, store: Store, data_dir: Path) -> Bootstrap | None:
    """Create the first keys when the store has none; None when keys already exist."""
    if store.list_keys() or not config.tenants:
        return None
    tenant = config.tenant("demo") or config.tenants[0]
    admin_key, _ = create_key(store, tenant.id, "admin", name="bootstrap admin")
    tenant_key, _ = create_key(store, tenant.id, "inference", name=f"bootstrap {tenant.id}")
    path = data_dir / KEYS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"# Airlock bootstrap keys. Keep this file private.\nadmin_key={admin_key}\n")
        fh.write(f"tenant={tenant.id}\ntenant_key={tenant_key}\n")
    path.chmod(0o600)
    return Bootstrap(admin_key, tenant_key, tenant.id, path)
