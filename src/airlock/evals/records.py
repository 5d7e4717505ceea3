"""Stored values: one :class:`RunRecord` per (suite, target, settings) and one
:class:`CaseResult` per case answered in that run.

These are what :mod:`airlock.evals.store` persists and what metrics and the leaderboard read;
they carry no raw answer text, only a redacted, truncated excerpt for the report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["CaseResult", "RunRecord", "run_id_for"]


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    suite: str
    suite_version: str
    suite_source: str
    target: str
    deployment: str
    mode: str
    #: the deployment's model id (public name) and the model name sent upstream
    model: str
    wire_model: str
    config_revision: str
    seed: int
    max_tokens: int
    temperature: float
    system_prompt_sha256: str | None
    judges: tuple[str, ...]
    asr_rule: str
    airlock_version: str
    started_at: str
    n_cases: int

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["judges"] = list(self.judges)
        return out


def run_id_for(
    *,
    suite: str,
    suite_version: str,
    target: str,
    deployment: str,
    mode: str,
    config_revision: str,
    seed: int,
    max_tokens: int,
    temperature: float,
    system_prompt_sha256: str | None,
    judges: tuple[str, ...],
    asr_rule: str,
) -> str:
    """Everything that changes what is sent or how it is judged; a rerun with the same
    inputs gets the same id and resumes instead of starting over."""
    key = json.dumps(
        [
            suite,
            suite_version,
            target,
            deployment,
            mode,
            config_revision,
            seed,
            max_tokens,
            round(temperature, 6),
            system_prompt_sha256,
            list(judges),
            asr_rule,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class CaseResult:
    run_id: str
    target: str
    case_id: str
    kind: str
    category: str
    language: str
    expected: str
    outcome: str
    subcategory: str | None = None
    attack: str | None = None
    code: str | None = None
    rules: tuple[str, ...] = ()
    refused: bool | None = None
    refusal_score: float | None = None
    harmful: bool | None = None
    leaked: bool | None = None
    attack_success: bool | None = None
    correct: bool | None = None
    #: (judge, aspect, positive, score, reasons) per judge
    judgements: tuple[tuple[str, str, bool, float, tuple[str, ...]], ...] = ()
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str | None = None
    finish_reason: str | None = None
    #: the request as written in the suite (before attack wrappers): suite data, not user data
    prompt: str = ""
    #: the first characters of the answer after personal-data redaction
    excerpt: str = ""
    answer_sha256: str | None = None
    answer_chars: int = 0
    attempts: int = 1

    @property
    def judged(self) -> bool:
        return self.outcome in ("answered", "blocked")
