from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ServerThread, config_from
from tests.upstream import FakeUpstream

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("AIRLOCK_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def upstream_server() -> Iterator[FakeUpstream]:
    server = FakeUpstream().start()
    yield server
    server.stop()


@pytest.fixture
def upstream(upstream_server: FakeUpstream) -> Iterator[FakeUpstream]:
    upstream_server.reset()
    yield upstream_server
    upstream_server.reset()


@pytest.fixture
def gateway_server(tmp_path: Path, upstream: FakeUpstream) -> Iterator[ServerThread]:
    """The real gateway on 127.0.0.1 in front of the fake upstream."""
    server = ServerThread(config_from(upstream.base_url), tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL with a fresh schema, dropped afterwards (skips without AIRLOCK_TEST_PG_URL)."""
    base = os.environ.get("AIRLOCK_TEST_PG_URL")
    if not base:
        pytest.skip("PostgreSQL tests need AIRLOCK_TEST_PG_URL (set by .ci/run); no server configured")
    schema = f"airlock_test_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}schema={schema}"
    yield url
    from airlock.stores.postgres import PostgresStore

    PostgresStore(url).drop_schema()
