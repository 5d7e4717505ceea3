"""Evaluation results on disk: one SQLite file under ``$AIRLOCK_HOME/evals/``.

Results are appended one committed row at a time as answers arrive, so a run killed at any
point loses at most the cases in flight. ``(run_id, case_id)`` is the primary key: a rerun skips
every case that already has an answer and retries only cases that ended in an error, so a
resumed run never holds duplicates.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airlock.evals.records import CaseResult, RunRecord

__all__ = ["ResultStore", "default_store_path"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    suite TEXT NOT NULL,
    suite_version TEXT NOT NULL,
    suite_source TEXT NOT NULL,
    target TEXT NOT NULL,
    deployment TEXT NOT NULL,
    mode TEXT NOT NULL,
    model TEXT NOT NULL,
    wire_model TEXT NOT NULL,
    config_revision TEXT NOT NULL,
    seed INTEGER NOT NULL,
    max_tokens INTEGER NOT NULL,
    temperature REAL NOT NULL,
    system_prompt_sha256 TEXT,
    judges TEXT NOT NULL,
    asr_rule TEXT NOT NULL,
    airlock_version TEXT NOT NULL,
    started_at TEXT NOT NULL,
    n_cases INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    case_id TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    subcategory TEXT,
    language TEXT NOT NULL,
    expected TEXT NOT NULL,
    attack TEXT,
    outcome TEXT NOT NULL,
    code TEXT,
    rules TEXT NOT NULL,
    refused INTEGER,
    refusal_score REAL,
    harmful INTEGER,
    leaked INTEGER,
    attack_success INTEGER,
    correct INTEGER,
    judgements TEXT NOT NULL,
    latency_ms REAL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    model TEXT,
    finish_reason TEXT,
    prompt TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    answer_sha256 TEXT,
    answer_chars INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (run_id, case_id)
);
"""

_RESULT_COLUMNS = (
    "run_id", "case_id", "target", "kind", "category", "subcategory", "language", "expected",
    "attack", "outcome", "code", "rules", "refused", "refusal_score", "harmful", "leaked",
    "attack_success", "correct", "judgements", "latency_ms", "prompt_tokens", "completion_tokens",
    "model", "finish_reason", "prompt", "excerpt", "answer_sha256", "answer_chars", "attempts",
    "created_at",
)  # fmt: skip


# Column names are constants above, never input; only values are bound parameters.
_UPSERT = (
    f"INSERT INTO results ({', '.join(_RESULT_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' * len(_RESULT_COLUMNS))}) "
    "ON CONFLICT(run_id, case_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _RESULT_COLUMNS[2:])
    + " WHERE results.outcome = 'error'"
)


def default_store_path() -> Path:
    home = os.environ.get("AIRLOCK_HOME") or str(Path.home() / ".airlock")
    return Path(home) / "evals" / "results.sqlite3"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _int(value: bool | None) -> int | None:
    return None if value is None else int(value)


class ResultStore:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ runs

    def ensure_run(self, run: RunRecord) -> RunRecord:
        """Record a run once; a rerun with the same id keeps the original record."""
        self._db.execute(
            "INSERT OR IGNORE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                run.run_id, run.suite, run.suite_version, run.suite_source, run.target,
                run.deployment, run.mode, run.model, run.wire_model, run.config_revision, run.seed,
                run.max_tokens, run.temperature, run.system_prompt_sha256, json.dumps(list(run.judges)),
                run.asr_rule, run.airlock_version, run.started_at, run.n_cases,
            ),
        )  # fmt: skip
        stored = self.run(run.run_id)
        assert stored is not None
        return stored

    def run(self, run_id: str) -> RunRecord | None:
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else self._run(row)

    def runs(self) -> list[RunRecord]:
        rows = self._db.execute("SELECT * FROM runs ORDER BY started_at, run_id").fetchall()
        return [self._run(r) for r in rows]

    @staticmethod
    def _run(row: sqlite3.Row) -> RunRecord:
        data = dict(row)
        data["judges"] = tuple(json.loads(data["judges"]))
        return RunRecord(**data)

    # ------------------------------------------------------------------ results

    def finished(self, run_id: str) -> set[str]:
        """Case ids with a judged outcome; errors are retried by a rerun."""
        rows = self._db.execute(
            "SELECT case_id FROM results WHERE run_id = ? AND outcome != 'error'", (run_id,)
        ).fetchall()
        return {r[0] for r in rows}

    def add(self, result: CaseResult) -> None:
        """Append one result and commit. An earlier error row for the case is replaced; an
        earlier judged row is kept (the second write is ignored)."""
        values = (
            result.run_id, result.case_id, result.target, result.kind, result.category,
            result.subcategory, result.language, result.expected, result.attack, result.outcome,
            result.code, json.dumps(list(result.rules)), _int(result.refused), result.refusal_score,
            _int(result.harmful), _int(result.leaked), _int(result.attack_success), _int(result.correct),
            json.dumps([[j, a, p, s, list(r)] for j, a, p, s, r in result.judgements], ensure_ascii=False),
            result.latency_ms, result.prompt_tokens, result.completion_tokens, result.model,
            result.finish_reason, result.prompt, result.excerpt, result.answer_sha256,
            result.answer_chars, result.attempts, _now(),
        )  # fmt: skip
        self._db.execute(_UPSERT, values)

    def results(self, run_ids: Iterable[str]) -> list[CaseResult]:
        ids = list(run_ids)
        if not ids:
            return []
        rows = self._db.execute(
            f"SELECT * FROM results WHERE run_id IN ({', '.join('?' * len(ids))}) ORDER BY run_id, case_id",  # noqa: S608
            ids,
        ).fetchall()
        return [self._result(r) for r in rows]

    @staticmethod
    def _result(row: sqlite3.Row) -> CaseResult:
        data = dict(row)
        data.pop("created_at")
        data["rules"] = tuple(json.loads(data["rules"]))
        data["judgements"] = tuple(
            (str(j), str(a), bool(p), float(s), tuple(r)) for j, a, p, s, r in json.loads(data["judgements"])
        )
        for key in ("refused", "harmful", "leaked", "attack_success", "correct"):
            data[key] = _bool(data[key])
        return CaseResult(**data)

    def count(self, run_id: str) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM results WHERE run_id = ?", (run_id,)).fetchone()[0])

    def latest_runs(self, *, suite: str | None = None, targets: Sequence[str] | None = None) -> list[RunRecord]:
        """The most recent run per (target, suite), optionally filtered."""
        latest: dict[tuple[str, str], RunRecord] = {}
        for run in self.runs():
            if suite is not None and run.suite != suite:
                continue
            if targets and run.target not in targets:
                continue
            latest[(run.target, run.suite)] = run  # runs() is ordered by start time
        return sorted(latest.values(), key=lambda r: (r.suite, r.target))
