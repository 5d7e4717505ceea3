"""Ledger tables in the gateway's own database (SQLite file or PostgreSQL schema).

Three tables, all keyed by tenant and period (calendar year in the pack's time zone):

``ledger_subjects`` one row per identifier hash → the person it belongs to; the row whose
                    ``ident`` equals its ``person`` is the person's own row and carries the
                    sensitive flag, the PIPL categories (bits) and the first month
``ledger_flows``    counters per month, destination and basis (counted / exemption)
``ledger_totals``   one row per tenant and period: the exact running totals

Recording is one transaction per transfer: look up the request's identifiers, insert the
missing ones with ``INSERT … ON CONFLICT DO NOTHING RETURNING``, insert new persons, flip
``sensitive`` with ``UPDATE … WHERE sensitive = 0 RETURNING`` and add the deltas to the
counters with upserts (``… DO UPDATE SET n = n + excluded.n RETURNING``). Nothing is read,
changed in Python and written back, so concurrent writers cannot lose or double an update:

* SQLite: the transaction is ``BEGIN IMMEDIATE`` (one writer at a time, across processes).
* PostgreSQL: unique keys arbitrate. If another replica commits one of our identifiers
  between our lookup and our insert, the insert returns fewer rows than planned; the
  transaction is rolled back and retried (it then sees the other replica's rows). Deadlocks
  and serialisation failures are retried the same way. The totals row is updated last, so its
  row lock orders the transactions of one tenant and the ``RETURNING`` values are exact.

A ``check`` callback sees the totals after the transfer, inside the transaction; raising
there rolls everything back (enforce mode refuses before anything is recorded).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airlock.errors import ConfigError
from airlock.ledger.subjects import Subject, categories_to_bits
from airlock.stores.base import StoreError

__all__ = [
    "COUNTED",
    "OPENING_BALANCE",
    "Delta",
    "Flow",
    "LedgerStore",
    "PeriodResult",
    "Resolved",
    "Totals",
    "Transfer",
    "open_ledger_store",
]

log = logging.getLogger("airlock.ledger")

#: basis of flows that count towards the thresholds
COUNTED = "counted"
OPENING_BALANCE = "opening_balance"

_CHUNK = 400
_MAX_ATTEMPTS = 25


class _Race(Exception):
    """Another writer committed rows this transaction planned to insert: retry."""


@dataclass(frozen=True, slots=True)
class Totals:
    persons: int = 0
    sensitive_persons: int = 0
    #: persons (and sensitive persons) new in this period and not in the previous one: the
    #: two-year window of cn-2022 is ``previous.persons + current.fresh_persons``
    fresh_persons: int = 0
    fresh_sensitive: int = 0


@dataclass(frozen=True, slots=True)
class Delta:
    new_persons: int = 0
    new_sensitive: int = 0
    fresh_persons: int = 0
    fresh_sensitive: int = 0


@dataclass(frozen=True, slots=True)
class Resolved:
    """What happened to one subject in one period."""

    person: bytes
    new: bool
    became_sensitive: bool
    fresh: bool
    fresh_sensitive: bool


@dataclass(frozen=True, slots=True)
class PeriodResult:
    period: int
    month: int
    resolved: tuple[Resolved, ...]
    delta: Delta
    totals: Totals
    previous: Totals

    @property
    def before(self) -> Totals:
        return Totals(
            self.totals.persons - self.delta.new_persons,
            self.totals.sensitive_persons - self.delta.new_sensitive,
            self.totals.fresh_persons - self.delta.fresh_persons,
            self.totals.fresh_sensitive - self.delta.fresh_sensitive,
        )


@dataclass(frozen=True, slots=True)
class Transfer:
    """One request's data crossing to one deployment."""

    tenant: str
    #: (period, month) pairs, oldest first; two near 1 January (see periods.py)
    periods: tuple[tuple[int, int], ...]
    deployment: str
    jurisdiction: str
    #: subjects that count towards the thresholds
    counted: Sequence[Subject] = ()
    #: exemption basis (e.g. ``purpose:hr_management``, ``ftz``) → subjects exempted
    exempt: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Flow:
    month: int
    deployment: str
    jurisdiction: str
    basis: str
    requests: int
    occurrences: int
    new_persons: int
    new_sensitive: int
    fresh_persons: int
    fresh_sensitive: int


def _marks(n: int) -> str:
    return "(" + ",".join("?" * n) + ")"


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class LedgerStore:
    """The recording algorithm, shared by both backends (SQL written with ``?`` marks)."""

    url: str
    _blob = "BLOB"
    _bigint = "INTEGER"

    # ------------------------------------------------------------------ backend hooks
    def _conn(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @contextlib.contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Any]:  # pragma: no cover - overridden
        raise NotImplementedError
        yield

    def _q(self, sql: str) -> str:
        return sql

    def _retryable(self, exc: BaseException) -> bool:
        return isinstance(exc, _Race)

    def _wrap(self, exc: BaseException, what: str) -> StoreError:  # pragma: no cover - overridden
        raise NotImplementedError

    def _errors(self) -> tuple[type[BaseException], ...]:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    # ------------------------------------------------------------------ schema
    def _schema(self) -> list[str]:
        b, i = self._blob, self._bigint
        suffix = " WITHOUT ROWID" if b == "BLOB" else ""
        return [
            f"CREATE TABLE IF NOT EXISTS ledger_subjects (tenant TEXT NOT NULL, period INTEGER NOT NULL, "
            f"ident {b} NOT NULL, person {b} NOT NULL, sensitive INTEGER NOT NULL, categories INTEGER NOT NULL, "
            f"month INTEGER NOT NULL, sensitive_month INTEGER, PRIMARY KEY (tenant, period, ident)){suffix}",
            f"CREATE TABLE IF NOT EXISTS ledger_flows (tenant TEXT NOT NULL, period INTEGER NOT NULL, "
            f"month INTEGER NOT NULL, deployment TEXT NOT NULL, jurisdiction TEXT NOT NULL, basis TEXT NOT NULL, "
            f"requests {i} NOT NULL, occurrences {i} NOT NULL, new_persons {i} NOT NULL, new_sensitive {i} NOT NULL, "
            f"fresh_persons {i} NOT NULL, fresh_sensitive {i} NOT NULL, "
            f"PRIMARY KEY (tenant, period, month, deployment, jurisdiction, basis))",
            f"CREATE TABLE IF NOT EXISTS ledger_totals (tenant TEXT NOT NULL, period INTEGER NOT NULL, "
            f"persons {i} NOT NULL, sensitive_persons {i} NOT NULL, fresh_persons {i} NOT NULL, "
            f"fresh_sensitive {i} NOT NULL, PRIMARY KEY (tenant, period))",
        ]

    # ------------------------------------------------------------------ helpers
    def _all(self, conn: Any, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return list(conn.execute(self._q(sql), tuple(args)).fetchall())

    def _run(self, conn: Any, sql: str, args: Sequence[object] = ()) -> int:
        return int(conn.execute(self._q(sql), tuple(args)).rowcount)

    def _lookup(self, conn: Any, tenant: str, period: int, idents: Sequence[bytes]) -> dict[bytes, bytes]:
        out: dict[bytes, bytes] = {}
        for chunk in _chunks(sorted(set(idents))):
            rows = self._all(
                conn,
                "SELECT ident, person FROM ledger_subjects WHERE tenant = ? AND period = ? "  # noqa: S608
                f"AND ident IN {_marks(len(chunk))}",
                (tenant, period, *chunk),
            )
            out.update((bytes(r[0]), bytes(r[1])) for r in rows)
        return out

    def _sensitive_persons(self, conn: Any, tenant: str, period: int, persons: Sequence[bytes]) -> set[bytes]:
        out: set[bytes] = set()
        for chunk in _chunks(sorted(set(persons))):
            rows = self._all(
                conn,
                "SELECT ident FROM ledger_subjects WHERE tenant = ? AND period = ? AND sensitive = 1 "  # noqa: S608
                f"AND ident IN {_marks(len(chunk))}",
                (tenant, period, *chunk),
            )
            out.update(bytes(r[0]) for r in rows)
        return out

    def _totals(self, conn: Any, tenant: str, period: int) -> Totals:
        rows = self._all(
            conn,
            "SELECT persons, sensitive_persons, fresh_persons, fresh_sensitive FROM ledger_totals "
            "WHERE tenant = ? AND period = ?",
            (tenant, period),
        )
        return Totals(*(int(v) for v in rows[0])) if rows else Totals()

    def _add_flow(self, conn: Any, key: tuple[object, ...], requests: int, occurrences: int, delta: Delta) -> None:
        self._run(
            conn,
            "INSERT INTO ledger_flows (tenant, period, month, deployment, jurisdiction, basis, requests, occurrences, "
            "new_persons, new_sensitive, fresh_persons, fresh_sensitive) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (tenant, period, month, deployment, jurisdiction, basis) DO UPDATE SET "
            "requests = ledger_flows.requests + excluded.requests, "
            "occurrences = ledger_flows.occurrences + excluded.occurrences, "
            "new_persons = ledger_flows.new_persons + excluded.new_persons, "
            "new_sensitive = ledger_flows.new_sensitive + excluded.new_sensitive, "
            "fresh_persons = ledger_flows.fresh_persons + excluded.fresh_persons, "
            "fresh_sensitive = ledger_flows.fresh_sensitive + excluded.fresh_sensitive",
            (*key, requests, occurrences, delta.new_persons, delta.new_sensitive, delta.fresh_persons,
             delta.fresh_sensitive),
        )

    def _add_totals(self, conn: Any, tenant: str, period: int, delta: Delta) -> Totals:
        rows = self._all(
            conn,
            "INSERT INTO ledger_totals (tenant, period, persons, sensitive_persons, fresh_persons, fresh_sensitive) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, period) DO UPDATE SET "
            "persons = ledger_totals.persons + excluded.persons, "
            "sensitive_persons = ledger_totals.sensitive_persons + excluded.sensitive_persons, "
            "fresh_persons = ledger_totals.fresh_persons + excluded.fresh_persons, "
            "fresh_sensitive = ledger_totals.fresh_sensitive + excluded.fresh_sensitive "
            "RETURNING persons, sensitive_persons, fresh_persons, fresh_sensitive",
            (tenant, period, delta.new_persons, delta.new_sensitive, delta.fresh_persons, delta.fresh_sensitive),
        )
        return Totals(*(int(v) for v in rows[0]))

    # ------------------------------------------------------------------ recording
    def record(
        self, transfer: Transfer, check: Callable[[list[PeriodResult]], None] | None = None
    ) -> list[PeriodResult]:
        """Record ``transfer`` in every period it names; exact under concurrency (see module doc).

        ``check`` runs inside the transaction with the results; if it raises, nothing is
        recorded and the exception propagates. Store failures raise :class:`StoreError`.
        """
        subjects = list(transfer.counted)
        seen: set[bytes] = set()
        for s in subjects:
            if seen & set(s.identifiers):
                raise ValueError("subjects of one transfer must not share identifiers")
            seen.update(s.identifiers)
        for attempt in range(_MAX_ATTEMPTS):
            try:
                with self._transaction(write=bool(subjects or transfer.exempt)) as conn:
                    results = [self._record_period(conn, transfer, subjects, p, m) for p, m in transfer.periods]
                    if check is not None:
                        check(results)
                return results
            except self._errors() as exc:
                if not self._retryable(exc):
                    raise self._wrap(exc, "ledger write failed") from None
                log.debug("ledger write raced with another writer; retrying (attempt %d)", attempt + 1)
        raise StoreError("ledger write kept racing with other writers; giving up (fail closed)")

    def _record_period(
        self, conn: Any, t: Transfer, subjects: Sequence[Subject], period: int, month: int
    ) -> PeriodResult:
        tenant = t.tenant
        known = self._lookup(conn, tenant, period, [i for s in subjects for i in s.identifiers])
        plans: list[tuple[Subject, bytes, bool]] = []
        for s in subjects:
            if s.anchored:
                hit = known.get(s.key)
                new = hit is None
                person = s.key if hit is None else hit
            else:
                hits = sorted(known[i] for i in s.identifiers if i in known)
                new = not hits
                person = s.key if new else hits[0]
            plans.append((s, person, new))

        # one statement inserts the new persons' own rows and every new alias row; a row
        # another writer committed meanwhile comes back missing from RETURNING: retry
        rows: list[tuple[bytes, bytes, int, int, int | None]] = []
        for s, person, new in plans:
            for ident in s.identifiers:
                if ident in known:
                    continue
                if new and ident == person:
                    bits = categories_to_bits(s.categories)
                    rows.append((ident, person, int(s.sensitive), bits, month if s.sensitive else None))
                else:
                    rows.append((ident, person, 0, 0, None))
        rows.sort()
        for chunk in _chunks(rows):
            values = ",".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            args: list[object] = []
            for ident, person, sensitive, bits, smonth in chunk:
                args.extend((tenant, period, ident, person, sensitive, bits, month, smonth))
            done = self._all(
                conn,
                "INSERT INTO ledger_subjects (tenant, period, ident, person, sensitive, categories, month, "  # noqa: S608
                f"sensitive_month) VALUES {values} ON CONFLICT DO NOTHING RETURNING ident",
                args,
            )
            if len(done) != len(chunk):
                raise _Race

        upgrade = sorted({p for s, p, new in plans if not new and s.sensitive})
        became: set[bytes] = set()
        for chunk in _chunks(upgrade):
            rows = self._all(
                conn,
                "UPDATE ledger_subjects SET sensitive = 1, sensitive_month = ? WHERE tenant = ? AND period = ? "  # noqa: S608
                f"AND sensitive = 0 AND ident = person AND ident IN {_marks(len(chunk))} RETURNING ident",
                (month, tenant, period, *chunk),
            )
            became.update(bytes(r[0]) for r in rows)
        cats: dict[bytes, int] = {}
        for s, p, new in plans:
            if not new and s.categories:
                cats[p] = cats.get(p, 0) | categories_to_bits(s.categories)
        for p in sorted(cats):
            self._run(
                conn,
                "UPDATE ledger_subjects SET categories = categories | ? WHERE tenant = ? AND period = ? "
                "AND ident = ? AND (categories | ?) <> categories",
                (cats[p], tenant, period, p, cats[p]),
            )

        # cn-2022 window: is the person (or their sensitive status) new to the previous year too?
        counted_sensitive = {id(s) for s, p, new in plans if (new and s.sensitive) or (not new and p in became)}
        # one subject flips a person at most once, even if several subjects resolve to it
        flipped: set[bytes] = set()
        probe = [s for s, p, new in plans if new or id(s) in counted_sensitive]
        prev_idents = self._lookup(
            conn, tenant, period - 1, [i for s in probe for i in (s.identifiers if not s.anchored else (s.key,))]
        )
        prev_sensitive = self._sensitive_persons(conn, tenant, period - 1, list(prev_idents.values()))
        resolved: list[Resolved] = []
        new_persons = new_sensitive = fresh_persons = fresh_sensitive = 0
        for s, p, new in plans:
            lookup = (s.key,) if s.anchored else s.identifiers
            prev_persons = {prev_idents[i] for i in lookup if i in prev_idents}
            counts_sensitive = id(s) in counted_sensitive and p not in flipped
            if counts_sensitive:
                flipped.add(p)
            fresh = new and not prev_persons
            fresh_sens = counts_sensitive and not (prev_persons & prev_sensitive)
            new_persons += new
            new_sensitive += counts_sensitive
            fresh_persons += fresh
            fresh_sensitive += fresh_sens
            resolved.append(Resolved(p, new, counts_sensitive and not new, fresh, fresh_sens))

        delta = Delta(new_persons, new_sensitive, fresh_persons, fresh_sensitive)
        key_base = (tenant, period, month, t.deployment, t.jurisdiction)
        if subjects:
            self._add_flow(conn, (*key_base, COUNTED), 1, len(subjects), delta)
        for basis in sorted(t.exempt):
            self._add_flow(conn, (*key_base, basis), 1, int(t.exempt[basis]), Delta())
        totals = self._add_totals(conn, tenant, period, delta) if subjects else self._totals(conn, tenant, period)
        previous = self._totals(conn, tenant, period - 1)
        return PeriodResult(period, month, tuple(resolved), delta, totals, previous)

    # ------------------------------------------------------------------ adjustments
    def adjust(self, tenant: str, period: int, month: int, persons: int, sensitive_persons: int) -> Totals:
        """Add an opening balance (persons transferred before Airlock, from the customer's records).

        They cannot be de-duplicated against hashed subjects, so they are added as fresh,
        distinct persons (an over-count if they reappear).
        """
        if persons < 0 or sensitive_persons < 0 or sensitive_persons > persons:
            raise ValueError("need 0 ≤ sensitive_persons ≤ persons")
        delta = Delta(persons, sensitive_persons, persons, sensitive_persons)
        try:
            with self._transaction() as conn:
                self._add_flow(conn, (tenant, period, month, "-", "-", OPENING_BALANCE), 0, 0, delta)
                return self._add_totals(conn, tenant, period, delta)
        except self._errors() as exc:
            raise self._wrap(exc, "ledger write failed") from None

    # ------------------------------------------------------------------ reading
    def totals(self, tenant: str, period: int) -> Totals:
        try:
            with self._transaction(write=False) as conn:
                return self._totals(conn, tenant, period)
        except self._errors() as exc:
            raise self._wrap(exc, "ledger read failed") from None

    def flows(self, tenant: str, period: int) -> list[Flow]:
        try:
            with self._transaction(write=False) as conn:
                rows = self._all(
                    conn,
                    "SELECT month, deployment, jurisdiction, basis, requests, occurrences, new_persons, new_sensitive, "
                    "fresh_persons, fresh_sensitive FROM ledger_flows WHERE tenant = ? AND period = ? "
                    "ORDER BY month, deployment, jurisdiction, basis",
                    (tenant, period),
                )
        except self._errors() as exc:
            raise self._wrap(exc, "ledger read failed") from None
        return [Flow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), *(int(v) for v in r[4:])) for r in rows]

    def category_counts(self, tenant: str, period: int) -> dict[int, int]:
        """Persons per category bit (a person with several categories counts in each)."""
        try:
            with self._transaction(write=False) as conn:
                rows = self._all(
                    conn,
                    "SELECT categories, count(*) FROM ledger_subjects WHERE tenant = ? AND period = ? "
                    "AND categories <> 0 GROUP BY categories",
                    (tenant, period),
                )
        except self._errors() as exc:
            raise self._wrap(exc, "ledger read failed") from None
        out: dict[int, int] = {}
        for bits, n in rows:
            b = 1
            while b <= int(bits):
                if int(bits) & b:
                    out[b] = out.get(b, 0) + int(n)
                b <<= 1
        return out

    def periods(self) -> list[tuple[str, int]]:
        """Every (tenant, period) with data."""
        try:
            with self._transaction(write=False) as conn:
                rows = self._all(conn, "SELECT tenant, period FROM ledger_totals ORDER BY tenant, period")
        except self._errors() as exc:
            raise self._wrap(exc, "ledger read failed") from None
        return [(str(t), int(p)) for t, p in rows]

    def person_count(self, tenant: str, period: int) -> tuple[int, int]:
        """Distinct persons and sensitive persons, counted from the person rows (for checks)."""
        try:
            with self._transaction(write=False) as conn:
                rows = self._all(
                    conn,
                    "SELECT count(*), coalesce(sum(sensitive), 0) FROM ledger_subjects "
                    "WHERE tenant = ? AND period = ? AND ident = person",
                    (tenant, period),
                )
        except self._errors() as exc:
            raise self._wrap(exc, "ledger read failed") from None
        return int(rows[0][0]), int(rows[0][1])

    # ------------------------------------------------------------------ rebuild
    def replace(
        self,
        tenant: str,
        period: int,
        *,
        subjects: Sequence[tuple[bytes, bytes, int, int, int, int | None]],
        flows: Sequence[Flow],
        totals: Totals,
    ) -> None:
        """Replace everything stored for ``tenant`` and ``period`` in one transaction (rebuild).

        ``subjects`` rows are ``(ident, person, sensitive, categories, month, sensitive_month)``.
        """
        try:
            with self._transaction() as conn:
                for table in ("ledger_subjects", "ledger_flows", "ledger_totals"):
                    self._run(conn, f"DELETE FROM {table} WHERE tenant = ? AND period = ?", (tenant, period))  # noqa: S608
                self._many(
                    conn,
                    "INSERT INTO ledger_subjects (tenant, period, ident, person, sensitive, categories, month, "
                    "sensitive_month) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(tenant, period, *row) for row in subjects],
                )
                self._many(
                    conn,
                    "INSERT INTO ledger_flows (tenant, period, month, deployment, jurisdiction, basis, requests, "
                    "occurrences, new_persons, new_sensitive, fresh_persons, fresh_sensitive) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(tenant, period, f.month, f.deployment, f.jurisdiction, f.basis, f.requests, f.occurrences,
                      f.new_persons, f.new_sensitive, f.fresh_persons, f.fresh_sensitive) for f in flows],
                )
                if totals != Totals() or flows:
                    self._run(
                        conn,
                        "INSERT INTO ledger_totals (tenant, period, persons, sensitive_persons, fresh_persons, "
                        "fresh_sensitive) VALUES (?, ?, ?, ?, ?, ?)",
                        (tenant, period, totals.persons, totals.sensitive_persons, totals.fresh_persons,
                         totals.fresh_sensitive),
                    )
        except self._errors() as exc:
            raise self._wrap(exc, "ledger rebuild write failed") from None

    def _many(self, conn: Any, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if rows:
            conn.cursor().executemany(self._q(sql), rows)


def open_ledger_store(url: str | None, data_dir: Path | None, *, durability: str = "fsync") -> LedgerStore:
    """The ledger tables in the database named by ``store.url`` (default: the data dir's SQLite file)."""
    from airlock.ledger.postgres import PostgresLedgerStore
    from airlock.ledger.sqlite import SQLiteLedgerStore

    if url is None:
        if data_dir is None:
            raise ConfigError("the ledger needs store.url or a data directory")
        return SQLiteLedgerStore(data_dir / "airlock.db", durability=durability)
    if url.startswith("sqlite:///"):
        return SQLiteLedgerStore(Path(url.removeprefix("sqlite:///")), durability=durability)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresLedgerStore(url)
    raise ConfigError(f"store.url: unsupported scheme in {url.split(':', 1)[0]!r}; use sqlite:/// or postgresql://")
