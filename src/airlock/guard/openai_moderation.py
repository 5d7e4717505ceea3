"""The OpenAI moderation endpoint (``POST {base_url}/moderations``), or a compatible one.

Answer: ``{"results": [{"flagged", "categories": {...}, "category_scores": {...}}]}``.
Categories map onto Airlock's: harassment and hate -> ``hate``; ``sexual/minors`` ->
``sexual`` at severity 7; ``illicit*`` -> ``illicit``. Severity grows with the score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from airlock.detectors.base import Finding, Stage
from airlock.guard.base import GuardError, GuardVerdict, json_of, raise_for_status
from airlock.guard.settings import GuardSettings

__all__ = ["OPENAI_CATEGORIES", "OpenAIModerationAdapter", "parse_moderation"]

OPENAI_CATEGORIES = {
    "harassment": "hate",
    "harassment/threatening": "hate",
    "hate": "hate",
    "hate/threatening": "hate",
    "sexual": "sexual",
    "sexual/minors": "sexual",
    "violence": "violence",
    "violence/graphic": "violence",
    "self-harm": "self_harm",
    "self-harm/intent": "self_harm",
    "self-harm/instructions": "self_harm",
    "illicit": "illicit",
    "illicit/violent": "illicit",
}


def _severity(name: str, score: float) -> int:
    if name == "sexual/minors":
        return 7
    return max(2, min(7, 2 + int(max(score - 0.5, 0.0) / 0.5 * 6)))


def parse_moderation(data: Any, *, length: int, stage: Stage) -> GuardVerdict:
    try:
        result = data["results"][0]
        categories = result["categories"]
        scores = result.get("category_scores", {})
        flagged = bool(result["flagged"])
    except (KeyError, IndexError, TypeError):
        raise GuardError("openai_moderation: answer has no results[0].categories / flagged") from None
    findings = []
    labels = []
    for name, hit in categories.items():
        if not hit:
            continue
        labels.append(name)
        score = float(scores.get(name, 0.9) or 0.0)
        category = OPENAI_CATEGORIES.get(name, "other")
        findings.append(
            Finding(
                type="HARM",
                start=0,
                end=length,
                score=min(max(score, 0.0), 1.0),
                rule="guard.openai." + name.replace("/", "_").replace("-", "_"),
                category=category,
                severity=_severity(name, score),
                explanation=f"OpenAI moderation: {name} ({score:.2f})",
                detector="guard",
                stage=stage,
                attributes=(("tier", "guard"), ("guard", "openai_moderation"), ("guard_label", name)),
            )
        )
    return GuardVerdict(flagged=flagged or bool(findings), findings=tuple(findings), labels=tuple(labels))


class OpenAIModerationAdapter:
    name = "openai_moderation"

    def __init__(self, settings: GuardSettings) -> None:
        self.settings = settings

    async def check(
        self,
        client: httpx.AsyncClient,
        text: str,
        *,
        stage: Stage,
        prompt: str | None = None,
        documents: Sequence[str] = (),
    ) -> GuardVerdict:
        s = self.settings
        text = text[: s.max_chars]
        response = await client.post(f"{s.base_url.rstrip('/')}/moderations", json={"model": s.model, "input": text})
        raise_for_status(response, self.name)
        return parse_moderation(json_of(response, self.name), length=len(text), stage=stage)
