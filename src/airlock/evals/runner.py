"""Send a suite to a target with bounded concurrency and retries; judge and store each answer.

The runner is resumable: the run id is a hash of everything that changes what is sent or how
it is judged (:func:`~airlock.evals.records.run_id_for`), finished cases are read back from the
store and skipped, and each answer is committed the moment it is judged. Killing a run and
starting it again therefore finishes the remaining cases without duplicating any.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from airlock.detectors.base import Scanner
from airlock.evals.cases import Case, Suite
from airlock.evals.judges import Panel
from airlock.evals.records import CaseResult, RunRecord, run_id_for
from airlock.evals.redact import excerpt
from airlock.evals.store import ResultStore
from airlock.evals.targets import Answer, SendOptions, Target, TargetError

__all__ = ["Progress", "RunSettings", "RunSummary", "plan_run", "run_suite"]


@dataclass(frozen=True, slots=True)
class RunSettings:
    seed: int = 0
    max_tokens: int = 128
    temperature: float = 0.0
    concurrency: int = 4
    #: attempts per case (1 = no retry); only retryable failures are retried
    attempts: int = 3
    backoff: float = 0.5
    backoff_max: float = 8.0
    #: seconds for one send, including the model's generation
    timeout: float = 180.0
    excerpt_chars: int = 280

    def options(self) -> SendOptions:
        return SendOptions(max_tokens=self.max_tokens, temperature=self.temperature, seed=self.seed)


@dataclass(frozen=True, slots=True)
class RunSummary:
    run: RunRecord
    total: int
    skipped: int
    answered: int
    errors: int
    seconds: float


class Progress(Protocol):
    def start(self, label: str, total: int, done: int) -> None: ...

    def advance(self, *, error: bool = False) -> None: ...

    def finish(self) -> None: ...


def _sha(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_run(
    suite: Suite,
    target: Target,
    *,
    panel: Panel,
    settings: RunSettings,
    config_revision: str,
    model: str,
    wire_model: str,
) -> RunRecord:
    """The run record this suite × target × settings would write (same inputs, same id)."""
    from airlock import __version__

    system_sha = _sha(target.system_prompt)
    run_id = run_id_for(
        suite=suite.name,
        suite_version=suite.version,
        target=target.label,
        deployment=target.deployment,
        mode=target.mode,
        config_revision=config_revision,
        seed=settings.seed,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        system_prompt_sha256=system_sha,
        judges=panel.names,
        asr_rule=panel.asr,
    )
    return RunRecord(
        run_id=run_id,
        suite=suite.name,
        suite_version=suite.version,
        suite_source=suite.source,
        target=target.label,
        deployment=target.deployment,
        mode=target.mode,
        model=model,
        wire_model=wire_model,
        config_revision=config_revision,
        seed=settings.seed,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        system_prompt_sha256=system_sha,
        judges=panel.names,
        asr_rule=panel.asr,
        airlock_version=__version__,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        n_cases=len(suite),
    )


async def _send_with_retries(target: Target, case: Case, settings: RunSettings) -> tuple[Answer, int]:
    options = settings.options()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await asyncio.wait_for(target.send(case, options), settings.timeout), attempt
        except TimeoutError:
            code, retryable, retry_after = "timeout", True, None
        except TargetError as exc:
            code, retryable, retry_after = exc.code, exc.retryable, exc.retry_after
        if not retryable or attempt >= settings.attempts:
            return Answer(outcome="error", code=code), attempt
        delay = min(settings.backoff * 2 ** (attempt - 1), settings.backoff_max)
        if retry_after is not None:
            delay = min(max(delay, retry_after), settings.backoff_max)
        await asyncio.sleep(delay)


async def _judge(
    case: Case,
    answer: Answer,
    attempts: int,
    *,
    run: RunRecord,
    panel: Panel,
    scanner: Scanner | None,
    settings: RunSettings,
) -> CaseResult:
    base = CaseResult(
        run_id=run.run_id,
        target=run.target,
        case_id=case.id,
        kind=case.kind.value,
        category=case.category,
        subcategory=case.subcategory,
        language=case.language,
        expected=case.expected,
        attack=case.attack,
        outcome=answer.outcome,
        code=answer.code,
        rules=answer.rules,
        latency_ms=round(answer.latency_ms, 2) if answer.outcome != "error" else None,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        model=answer.model,
        finish_reason=answer.finish_reason,
        prompt=case.prompt,
        attempts=attempts,
    )
    if answer.outcome == "error":
        return base
    verdict = await panel.verdict(case, answer)
    return replace(
        base,
        refused=verdict.refused,
        refusal_score=round(verdict.refusal_score, 4),
        harmful=verdict.harmful,
        leaked=verdict.leaked,
        attack_success=verdict.attack_success,
        correct=verdict.correct,
        judgements=tuple((j.judge, j.aspect, j.positive, round(j.score, 4), j.reasons) for j in verdict.judgements),
        excerpt=excerpt(answer.text, limit=settings.excerpt_chars, scanner=scanner),
        answer_sha256=_sha(answer.text) if answer.text else None,
        answer_chars=len(answer.text),
    )


async def run_suite(
    suite: Suite,
    target: Target,
    *,
    store: ResultStore,
    panel: Panel,
    settings: RunSettings,
    config_revision: str,
    model: str,
    wire_model: str,
    scanner: Scanner | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Run every unfinished case of ``suite`` against ``target``; return counts."""
    planned = plan_run(
        suite,
        target,
        panel=panel,
        settings=settings,
        config_revision=config_revision,
        model=model,
        wire_model=wire_model,
    )
    run = store.ensure_run(planned)
    done = store.finished(run.run_id)
    pending = [c for c in suite.cases if c.id not in done]
    started = time.perf_counter()
    if progress is not None:
        progress.start(target.label, len(suite), len(suite) - len(pending))
    gate = asyncio.Semaphore(max(1, settings.concurrency))
    counts = {"answered": 0, "errors": 0}

    async def one(case: Case) -> None:
        async with gate:
            answer, attempts = await _send_with_retries(target, case, settings)
        result = await _judge(case, answer, attempts, run=run, panel=panel, scanner=scanner, settings=settings)
        store.add(result)
        is_error = result.outcome == "error"
        counts["errors" if is_error else "answered"] += 1
        if progress is not None:
            progress.advance(error=is_error)

    try:
        await asyncio.gather(*(one(c) for c in pending))
    finally:
        if progress is not None:
            progress.finish()
    return RunSummary(
        run=run,
        total=len(suite),
        skipped=len(suite) - len(pending),
        answered=counts["answered"],
        errors=counts["errors"],
        seconds=round(time.perf_counter() - started, 2),
    )
