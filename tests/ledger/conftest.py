"""Ledger fixtures: a store on SQLite and (when configured) PostgreSQL, a key, tenants."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airlock.config import Config, parse_config
from airlock.ledger.postgres import PostgresLedgerStore
from airlock.ledger.service import Ledger
from airlock.ledger.sqlite import SQLiteLedgerStore
from airlock.ledger.store import LedgerStore

KEY = b"k" * 32


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerStore]:
    if request.param == "sqlite":
        store: LedgerStore = SQLiteLedgerStore(tmp_path / "airlock.db", durability="os")
    else:
        store = PostgresLedgerStore(request.getfixturevalue("pg_url"))
    yield store
    store.close()


def ledger_config(tenant_ledger: dict[str, Any] | None = None, **ledger: Any) -> Config:
    """Tenant `acme` (CN, purposes allowed) and deployments `abroad` (US) and `home` (CN)."""
    return parse_config(
        {
            "deployments": [
                {"name": "abroad", "provider": "openai", "base_url": "http://127.0.0.1:9/v1", "jurisdiction": "US"},
                {"name": "home", "provider": "openai", "base_url": "http://127.0.0.1:9/v1", "jurisdiction": "CN"},
            ],
            "tenants": [
                {
                    "id": "acme",
                    "jurisdiction": "CN",
                    "purposes": ["contract_performance", "hr_management", "marketing"],
                    "ledger": tenant_ledger or {},
                }
            ],
            "ledger": {"enabled": True, **ledger},
        }
    )


@pytest.fixture
def make_ledger(ledger_store: LedgerStore) -> Callable[..., tuple[Ledger, Config]]:
    def make(tenant_ledger: dict[str, Any] | None = None, **kw: Any) -> tuple[Ledger, Config]:
        config = ledger_config(tenant_ledger, **kw.pop("ledger", {}))
        return Ledger(config.ledger, ledger_store, key=KEY, **kw), config

    return make
