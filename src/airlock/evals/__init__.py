"""Model safety evaluation: suites, targets, judges, metrics and the leaderboard.

See ``docs/evals.md``. The CLI is ``airlock eval``; the pieces are usable on their own::

    suite = load_suite("smoke")
    summary = await run_suite(suite, target, store=store, panel=Panel(), settings=RunSettings(), ...)
    board = leaderboard(store.latest_runs(), store.results(...))
"""

from __future__ import annotations

from airlock.evals.cases import Case, Kind, Message, Suite
from airlock.evals.catalog import builtin_suites, load_suite
from airlock.evals.judges import Judge, Judgement, Panel, RefusalJudge, Verdict
from airlock.evals.loaders import SuiteError
from airlock.evals.metrics import Metrics, Rate, summarise, wilson
from airlock.evals.rank import Leaderboard, leaderboard, to_json, to_table
from airlock.evals.records import CaseResult, RunRecord
from airlock.evals.report_html import render_html
from airlock.evals.runner import RunSettings, RunSummary, run_suite
from airlock.evals.store import ResultStore
from airlock.evals.targets import Answer, GatewayTarget, ProviderTarget, Target

__all__ = [
    "Answer",
    "Case",
    "CaseResult",
    "GatewayTarget",
    "Judge",
    "Judgement",
    "Kind",
    "Leaderboard",
    "Message",
    "Metrics",
    "Panel",
    "ProviderTarget",
    "Rate",
    "RefusalJudge",
    "ResultStore",
    "RunRecord",
    "RunSettings",
    "RunSummary",
    "Suite",
    "SuiteError",
    "Target",
    "Verdict",
    "builtin_suites",
    "leaderboard",
    "load_suite",
    "render_html",
    "run_suite",
    "summarise",
    "to_json",
    "to_table",
    "wilson",
]
