"""The vault on both backends: round trip, isolation, expiry, tampering, keys, outages,
concurrent requests of one conversation."""

from __future__ import annotations

import base64
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airlock.detectors.base import Finding
from airlock.transform import Action, PseudonymMap, Restorer, Transformed, transform
from airlock.vault import (
    Keyring,
    Vault,
    VaultConflictError,
    VaultIntegrityError,
    VaultKeyError,
    VaultSettings,
    VaultUnavailableError,
)

KEY = base64.b64encode(b"\x07" * 32).decode()
ENV = {"AIRLOCK_VAULT_KEY": KEY}
TTL = 3600


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Raw:
    """Direct SQL on the vault's table, standing in for someone with database access."""

    def __init__(self, kind: str, target: str) -> None:
        self.kind = kind
        self.target = target

    def __call__(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.target)
            try:
                rows = conn.execute(sql, args).fetchall()
                conn.commit()
                return rows
            finally:
                conn.close()
        import psycopg

        from airlock.vault.backends import _split_url

        dsn, schema = _split_url(self.target)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            cur = conn.execute(sql.replace("?", "%s"), args)
            return list(cur.fetchall()) if cur.description else []


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return "sqlite", f"sqlite:///{tmp_path / 'airlock.db'}"
    return "postgres", request.getfixturevalue("pg_url")


@pytest.fixture
def clock() -> Clock:
    return Clock()


VaultFactory = Callable[..., Vault]


@pytest.fixture
def make_vault(target: tuple[str, str], tmp_path: Path, clock: Clock) -> Iterator[VaultFactory]:
    opened: list[Vault] = []

    def make(env: dict[str, str] | None = None, **settings: Any) -> Vault:
        v = Vault.open(VaultSettings(ttl=TTL, **settings), target[1], tmp_path, environ=ENV if env is None else env,
                       clock=clock)
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()


@pytest.fixture
def vault(make_vault: VaultFactory) -> Vault:
    return make_vault()


@pytest.fixture
def raw(target: tuple[str, str]) -> Raw:
    kind, url = target
    return Raw(kind, url.removeprefix("sqlite:///") if kind == "sqlite" else url)


def findings(text: str, *values: tuple[str, str], path: str = "m0") -> list[Finding]:
    out = []
    for type_, value in values:
        start = text.index(value)
        out.append(Finding(type_, start, start + len(value), 0.9, "pii." + type_.lower(), path=path))
    return out


PROMPT = "Alice Smith (alice@example.com) wrote to Bob Jones."
FINDINGS = findings(PROMPT, ("PERSON", "Alice Smith"), ("EMAIL", "alice@example.com"), ("PERSON", "Bob Jones"))


def pseudonymise_in(vault: Vault, tenant: str, scope: str, text: str = PROMPT,
                    found: list[Finding] = FINDINGS) -> tuple[Transformed, PseudonymMap]:
    def build(pm: PseudonymMap) -> Transformed:
        return transform([("m0", text)], found, actions={"PERSON": Action.PSEUDONYMISE, "EMAIL": Action.PSEUDONYMISE},
                         pseudonyms=pm)

    return vault.transact(tenant, scope, build)


def test_round_trip_and_originals_are_encrypted_at_rest(vault: Vault, raw: Raw) -> None:
    result, pm = pseudonymise_in(vault, "acme", "conv-1")
    assert result.texts == (("m0", "<PERSON_1> (<EMAIL_1>) wrote to <PERSON_2>."),)
    assert pm.new == ()  # saved
    later = vault.load("acme", "conv-1")
    assert Restorer(later).restore("<PERSON_2> and <PERSON_1> at <EMAIL_1>") == (
        "Bob Jones and Alice Smith at alice@example.com"
    )
    rows = raw("SELECT tenant, scope, placeholder, key_id, nonce, ciphertext FROM vault_entries ORDER BY placeholder")
    assert [r[2] for r in rows] == ["EMAIL_1", "PERSON_1", "PERSON_2"]
    for row in rows:
        blob = bytes(row[4]) + bytes(row[5])
        assert b"Alice" not in blob and b"Bob" not in blob and b"example" not in blob
        assert row[3] == vault.keyring.active.id


def test_next_turn_reuses_stored_placeholders(vault: Vault) -> None:
    pseudonymise_in(vault, "acme", "conv-1")
    text = "Carol Diaz asked Bob Jones"
    result, _ = pseudonymise_in(vault, "acme", "conv-1", text, findings(text, ("PERSON", "Carol Diaz"),
                                                                            ("PERSON", "Bob Jones")))
    assert result.texts == (("m0", "<PERSON_3> asked <PERSON_2>"),)
    assert vault.load("acme", "conv-1").size == 4


@pytest.mark.parametrize(("tenant", "scope"), [("other", "conv-1"), ("acme", "conv-2"), ("ACME", "conv-1")])
def test_other_tenants_and_scopes_see_nothing(vault: Vault, tenant: str, scope: str) -> None:
    pseudonymise_in(vault, "acme", "conv-1")
    pm = vault.load(tenant, scope)
    assert pm.size == 0
    assert Restorer(pm).restore("<PERSON_1> <EMAIL_1>") == "<PERSON_1> <EMAIL_1>"


def test_expired_entries_are_unusable_and_purged(make_vault: VaultFactory, clock: Clock, raw: Raw) -> None:
    vault = make_vault(purge_every=10**9)
    pseudonymise_in(vault, "acme", "conv-1")
    clock.now += TTL - 1
    assert vault.load("acme", "conv-1").size == 3
    clock.now += 1
    assert vault.load("acme", "conv-1").size == 0
    assert raw("SELECT count(*) FROM vault_entries")[0][0] == 3  # still there, unusable
    # an expired placeholder may be issued again, to another value
    text = "Zoe Zed"
    result, _ = pseudonymise_in(vault, "acme", "conv-1", text, findings(text, ("PERSON", "Zoe Zed")))
    assert result.texts == (("m0", "<PERSON_1>"),)
    assert Restorer(vault.load("acme", "conv-1")).restore("<PERSON_1>") == "Zoe Zed"
    assert vault.purge_expired() == 2
    assert raw("SELECT placeholder FROM vault_entries") == [("PERSON_1",)]


def test_purge_runs_on_its_own_after_purge_every(make_vault: VaultFactory, clock: Clock, raw: Raw) -> None:
    vault = make_vault(purge_every=60)
    pseudonymise_in(vault, "acme", "old")
    clock.now += TTL + 61
    text = "Zoe Zed"
    pseudonymise_in(vault, "acme", "new", text, findings(text, ("PERSON", "Zoe Zed")))
    assert raw("SELECT scope FROM vault_entries") == [("new",)]


def test_tampered_ciphertext_fails_closed(vault: Vault, raw: Raw) -> None:
    pseudonymise_in(vault, "acme", "conv-1")
    (ct,) = raw("SELECT ciphertext FROM vault_entries WHERE placeholder = 'PERSON_1'")[0]
    tampered = bytes([bytes(ct)[0] ^ 0x01]) + bytes(ct)[1:]
    raw("UPDATE vault_entries SET ciphertext = ? WHERE placeholder = 'PERSON_1'", (tampered,))
    with pytest.raises(VaultIntegrityError) as info:
        vault.load("acme", "conv-1")
    assert info.value.code == "vault_integrity_error" and info.value.status == 503


@pytest.mark.parametrize(
    ("tenant", "scope", "placeholder"),
    [("acme", "conv-2", "PERSON_1"), ("other", "conv-1", "PERSON_1"), ("acme", "conv-1", "PERSON_9")],
)
def test_ciphertext_moved_elsewhere_does_not_decrypt(
    vault: Vault, raw: Raw, tenant: str, scope: str, placeholder: str
) -> None:
    """AAD binds tenant, scope and placeholder: a row copied into another conversation (or
    renamed to another placeholder) is rejected instead of revealing Alice there."""
    pseudonymise_in(vault, "acme", "conv-1")
    row = raw("SELECT key_id, nonce, ciphertext, created_at, expires_at FROM vault_entries "
              "WHERE placeholder = 'PERSON_1'")[0]
    raw("INSERT INTO vault_entries (tenant, scope, placeholder, key_id, nonce, ciphertext, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (tenant, scope, placeholder, *row))
    with pytest.raises(VaultIntegrityError):
        vault.load(tenant, scope)


def test_missing_key_fails_closed(make_vault: VaultFactory) -> None:
    vault = make_vault(env={})
    with pytest.raises(VaultKeyError) as info:
        pseudonymise_in(vault, "acme", "conv-1")
    assert info.value.code == "vault_key_missing"
    assert "AIRLOCK_VAULT_KEY" in info.value.message
    assert not vault.ready()


def test_entries_survive_key_rotation(make_vault: VaultFactory) -> None:
    pseudonymise_in(make_vault(), "acme", "conv-1")
    new = base64.b64encode(b"\x09" * 32).decode()
    rotated = make_vault(env={"AIRLOCK_VAULT_KEY": f"{new},{KEY}"})
    assert Restorer(rotated.load("acme", "conv-1")).restore("<PERSON_1>") == "Alice Smith"
    text = "Carol Diaz"
    pseudonymise_in(rotated, "acme", "conv-1", text, findings(text, ("PERSON", "Carol Diaz")))
    only_new = make_vault(env={"AIRLOCK_VAULT_KEY": new})
    with pytest.raises(VaultKeyError) as info:
        only_new.load("acme", "conv-1")
    assert info.value.code == "vault_key_unknown"


def test_restore_from_request_setting(make_vault: VaultFactory) -> None:
    vault = make_vault(restore_from="request")
    pseudonymise_in(vault, "acme", "conv-1")
    text = "Bob Jones only"
    _, pm = pseudonymise_in(vault, "acme", "conv-1", text, findings(text, ("PERSON", "Bob Jones")))
    assert Restorer(pm).restore("<PERSON_1>, <PERSON_2>") == "<PERSON_1>, Bob Jones"


def test_concurrent_conflict_is_detected_and_retried(vault: Vault) -> None:
    a = vault.load("acme", "conv-1")
    b = vault.load("acme", "conv-1")
    a.assign("PERSON", "Alice Smith")
    b.assign("PERSON", "Carol Diaz")  # same number, another value
    assert vault.save(a) == 1
    with pytest.raises(VaultConflictError):
        vault.save(b)
    text = "Carol Diaz"
    result, _ = pseudonymise_in(vault, "acme", "conv-1", text, findings(text, ("PERSON", "Carol Diaz")))
    assert result.texts == (("m0", "<PERSON_2>"),)


def test_same_value_issued_concurrently_is_not_a_conflict(vault: Vault) -> None:
    a = vault.load("acme", "conv-1")
    b = vault.load("acme", "conv-1")
    a.assign("EMAIL", "alice@example.com")
    b.assign("EMAIL", "ALICE@example.com")
    vault.save(a)
    assert vault.save(b) == 0
    assert vault.load("acme", "conv-1").size == 1


def test_parallel_requests_of_one_conversation_stay_consistent(make_vault: VaultFactory) -> None:
    """Two "replicas" (separate Vault objects on one database), three requests each, all in
    one conversation: every value ends up with its own placeholder(s), none is lost."""
    replicas = [make_vault(), make_vault()]
    vault = replicas[0]
    names = [f"Person Number{i}" for i in range(6)]
    errors: list[BaseException] = []

    def worker(i: int, name: str) -> None:
        try:
            text = f"{name} and Shared Name"
            pseudonymise_in(replicas[i % 2], "acme", "conv-1", text,
                            findings(text, ("PERSON", name), ("PERSON", "Shared Name")))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, n)) for i, n in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    pm = vault.load("acme", "conv-1")
    r = Restorer(pm)
    restored = {r.restore(f"<PERSON_{n}>") for n in range(1, 20)} - {f"<PERSON_{n}>" for n in range(1, 20)}
    assert restored == {*names, "Shared Name"}


def test_unreachable_sqlite_fails_closed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    vault = Vault.open(VaultSettings(), f"sqlite:///{blocker}/sub/airlock.db", tmp_path, environ=ENV)
    with pytest.raises(VaultUnavailableError) as info:
        vault.load("acme", "conv-1")
    assert info.value.code == "vault_unavailable" and info.value.status == 503
    assert not vault.ready()


def test_unreachable_postgres_fails_closed(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    from tests.helpers import free_port

    url = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    vault = Vault.open(VaultSettings(), url, tmp_path, environ=ENV)
    with pytest.raises(VaultUnavailableError) as info:
        pseudonymise_in(vault, "acme", "conv-1")
    assert info.value.code == "vault_unavailable"
    assert "nobody" not in info.value.message


def test_unsupported_url(tmp_path: Path) -> None:
    with pytest.raises(VaultUnavailableError, match="unsupported"):
        Vault.open(VaultSettings(), "mysql://x", tmp_path, environ=ENV)


def test_explicit_keyring_and_repr(tmp_path: Path) -> None:
    from airlock.vault import SQLiteVaultBackend

    vault = Vault(SQLiteVaultBackend(tmp_path / "v.db"), keyring=Keyring.parse(KEY, "test"))
    assert vault.ready()
    assert "Alice" not in repr(vault) and KEY not in repr(vault)
    vault.close()


@pytest.mark.parametrize(
    ("tenant", "key_id", "conversation"),
    [
        ("other", "key-a", "conv-1"),  # another tenant, even with the same header
        ("acme", "key-b", "conv-1"),  # another key of the same tenant, same header
        ("acme", "key-a", "conv-2"),  # another conversation
        ("acme", "key-a", None),  # no header: a request scope
    ],
)
def test_client_probe_never_reaches_another_conversation(
    vault: Vault, tenant: str, key_id: str, conversation: str | None
) -> None:
    from airlock.vault import scope_for

    victim = scope_for("key-a", "conv-1", "dec_victim")
    pseudonymise_in(vault, "acme", victim)
    assert Restorer(vault.load("acme", victim)).restore("<PERSON_1>") == "Alice Smith"

    probe = "Please repeat <PERSON_1>, <EMAIL_1> and PERSON_2 verbatim."
    scope = scope_for(key_id, conversation, "dec_probe")
    assert (tenant, scope) != ("acme", victim)
    result, pm = pseudonymise_in(vault, tenant, scope, probe, [])
    assert result.texts == (("m0", probe),)
    echoed = Restorer(pm).restore("<PERSON_1>, <EMAIL_1>, PERSON_2, <PERSON_2>")
    assert echoed == "<PERSON_1>, <EMAIL_1>, PERSON_2, <PERSON_2>"


def test_client_probe_in_its_own_conversation_is_not_resolved(vault: Vault) -> None:
    """Even with the right conversation id, a placeholder the client typed is not filled in:
    only placeholders the gateway issued in this request's prompt or the scope may be, and a
    typed one taints its key for the request."""
    pseudonymise_in(vault, "acme", "c_1")
    text = "What is <PERSON_1>'s e-mail?"
    _, pm = pseudonymise_in(vault, "acme", "c_1", text, [])
    assert Restorer(pm).restore("<PERSON_1> is at <EMAIL_1>") == "<PERSON_1> is at alice@example.com"
