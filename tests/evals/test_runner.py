from __future__ import annotations

import asyncio
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from airlock.evals.catalog import load_suite
from airlock.evals.judges import Panel
from airlock.evals.progress import ProgressBar
from airlock.evals.runner import RunSettings, run_suite
from airlock.evals.store import ResultStore
from airlock.evals.targets import Answer
from tests.evals.factories import ScriptedTarget, comply_all, flaky, refuse_all

REPO = Path(__file__).resolve().parents[2]


def run(target: ScriptedTarget, store: ResultStore, suite: str = "smoke", **settings: object):  # type: ignore[no-untyped-def]
    return asyncio.run(
        run_suite(
            load_suite(suite),
            target,
            store=store,
            panel=Panel(),
            settings=RunSettings(backoff=0.0, **settings),  # type: ignore[arg-type]
            config_revision="rev",
            model="m",
            wire_model="m",
        )
    )


def test_run_stores_one_row_per_case_and_a_run_record(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite3") as store:
        summary = run(ScriptedTarget(refuse_all), store, seed=7, max_tokens=32)
        assert (summary.total, summary.skipped, summary.answered, summary.errors) == (40, 0, 40, 0)
        record = store.run(summary.run.run_id)
        assert record is not None
        assert (record.suite, record.seed, record.max_tokens, record.config_revision) == ("smoke", 7, 32, "rev")
        assert record.suite_version == load_suite("smoke").version
        results = store.results([record.run_id])
        assert len(results) == 40 == len({r.case_id for r in results})
        assert all(r.refused for r in results)


def test_rerun_skips_finished_cases(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite3") as store:
        first = run(ScriptedTarget(refuse_all), store)
        again = ScriptedTarget(refuse_all)
        second = run(again, store)
        assert second.run.run_id == first.run.run_id
        assert again.calls == [] and second.skipped == 40
        other = ScriptedTarget(refuse_all)
        third = run(other, store, seed=1)  # a different seed is a different run
        assert third.run.run_id != first.run.run_id and len(other.calls) == 40


def test_retryable_failures_are_retried(tmp_path: Path) -> None:
    target = ScriptedTarget(flaky(2))
    with ResultStore(tmp_path / "r.sqlite3") as store:
        summary = run(target, store, attempts=3)
        assert summary.errors == 0
        assert len(target.calls) == 40 * 3
        assert {r.attempts for r in store.results([summary.run.run_id])} == {3}


def test_exhausted_and_fatal_errors_are_stored_then_retried_by_a_rerun(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite3") as store:
        fatal = ScriptedTarget(flaky(99, retryable=False))
        summary = run(fatal, store, attempts=3)
        assert summary.errors == 40 and len(fatal.calls) == 40  # not retried
        assert store.finished(summary.run.run_id) == set()
        healed = ScriptedTarget(refuse_all)
        second = run(healed, store)
        assert len(healed.calls) == 40 and second.errors == 0
        rows = store.results([summary.run.run_id])
        assert len(rows) == 40 and all(r.outcome == "answered" for r in rows)


def test_a_judged_row_is_never_overwritten(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite3") as store:
        summary = run(ScriptedTarget(refuse_all), store)
        rows = store.results([summary.run.run_id])
        store.add(replace(rows[0], refused=False, outcome="answered"))
        assert store.results([summary.run.run_id])[0].refused is True


def test_timeouts_become_errors(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite3") as store:
        summary = run(ScriptedTarget(refuse_all, delay=0.5), store, suite="smoke", attempts=1, timeout=0.01)
        assert summary.errors == 40
        assert {r.code for r in store.results([summary.run.run_id])} == {"timeout"}


def test_excerpts_are_redacted_and_truncated(tmp_path: Path) -> None:
    def leaky(case, attempt):  # type: ignore[no-untyped-def]
        return Answer("answered", text="Call Alice on 13800138123 or alice@example.com. " + "x" * 600)

    with ResultStore(tmp_path / "r.sqlite3") as store:
        summary = run(ScriptedTarget(leaky), store, excerpt_chars=120)
        for r in store.results([summary.run.run_id]):
            assert "13800138123" not in r.excerpt and "alice@example.com" not in r.excerpt
            assert "[PHONE]" in r.excerpt and "[EMAIL]" in r.excerpt
            assert len(r.excerpt) <= 120 and r.answer_chars > 600
    raw = sqlite3.connect(tmp_path / "r.sqlite3").execute("SELECT group_concat(excerpt) FROM results").fetchone()[0]
    assert "13800138123" not in raw


def test_compliant_model_fails_must_refuse(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.sqlite3") as store:
        summary = run(ScriptedTarget(comply_all), store)
        rows = {r.case_id: r for r in store.results([summary.run.run_id])}
        assert rows["mr.en.weapons.01"].attack_success is True
        assert rows["ma.en.homonym.01"].correct is True


def test_progress_bar_draws_only_on_a_tty(tmp_path: Path) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, loud = io.StringIO(), Tty()
    with ResultStore(tmp_path / "r.sqlite3") as store:
        asyncio.run(
            run_suite(
                load_suite("smoke"),
                ScriptedTarget(refuse_all),
                store=store,
                panel=Panel(),
                settings=RunSettings(),
                config_revision="r",
                model="m",
                wire_model="m",
                progress=ProgressBar(quiet),
            )
        )
        asyncio.run(
            run_suite(
                load_suite("smoke"),
                ScriptedTarget(refuse_all, label="other"),
                store=store,
                panel=Panel(),
                settings=RunSettings(),
                config_revision="r",
                model="m",
                wire_model="m",
                progress=ProgressBar(loud),
            )
        )
    assert quiet.getvalue() == ""
    assert "40/40" in loud.getvalue() and loud.getvalue().endswith("\n")


@pytest.mark.timeout(120)
def test_kill_mid_run_then_rerun_completes_without_duplicates(tmp_path: Path) -> None:
    """A real SIGKILL of a running evaluation process, then a rerun in this process."""
    db = tmp_path / "r.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.evals.slow_run", str(db), "0.05"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 60
        done = 0
        while time.time() < deadline:
            if db.exists():
                try:
                    done = sqlite3.connect(db).execute("SELECT COUNT(*) FROM results").fetchone()[0]
                except sqlite3.OperationalError:
                    done = 0
            if done >= 30:
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    total = len(load_suite("core"))
    with ResultStore(db) as store:
        run_id = store.runs()[0].run_id
        before = store.count(run_id)
        finished_before = store.finished(run_id)
        assert 30 <= before < total
        target = ScriptedTarget(refuse_all, label="slow")
        summary = asyncio.run(
            run_suite(
                load_suite("core"),
                target,
                store=store,
                panel=Panel(),
                settings=RunSettings(concurrency=3),
                config_revision="rev",
                model="slow",
                wire_model="slow",
            )
        )
        assert summary.skipped == before
        assert len(target.calls) == total - before
        assert set(target.calls) == {c.id for c in load_suite("core")} - finished_before
        rows = store.results([summary.run.run_id])
        assert len(rows) == total == len({r.case_id for r in rows})
        assert len(store.runs()) == 1
