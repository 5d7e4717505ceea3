"""Qwen3Guard-Gen over any OpenAI-compatible endpoint.

Prompt moderation answers ``Safety: Safe|Unsafe|Controversial`` and ``Categories: ...``;
response moderation adds ``Refusal: Yes|No``. ``strict`` counts Controversial as unsafe,
``loose`` as safe (Qwen3Guard README).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx

from airlock.detectors.base import Finding, Stage
from airlock.guard.base import GuardError, GuardVerdict, json_of, raise_for_status
from airlock.guard.settings import GuardSettings

__all__ = ["QWEN_CATEGORIES", "Qwen3GuardAdapter", "parse_qwen3guard"]

#: Qwen3Guard category -> (Airlock finding type, category, severity when Unsafe)
QWEN_CATEGORIES: dict[str, tuple[str, str, int]] = {
    "violent": ("HARM", "violence", 6),
    "non-violent illegal acts": ("HARM", "illicit", 5),
    "sexual content or sexual acts": ("HARM", "sexual", 5),
    "pii": ("TC260_RISK", "tc260.A.4.f", 5),
    "suicide & self-harm": ("HARM", "self_harm", 6),
    "unethical acts": ("HARM", "other", 4),
    "politically sensitive topics": ("TC260_RISK", "tc260.A.1.h", 4),
    "copyright violation": ("HARM", "other", 4),
    "jailbreak": ("JAILBREAK", "guard", 6),
}

_SAFETY = re.compile(r"safety:\s*(safe|unsafe|controversial)", re.IGNORECASE)
_CATEGORIES = re.compile(r"categories:\s*(.+)", re.IGNORECASE)
_REFUSAL = re.compile(r"refusal:\s*(yes|no)", re.IGNORECASE)


def parse_qwen3guard(output: str, *, length: int, stage: Stage, strict: bool = True) -> GuardVerdict:
    m = _SAFETY.search(output)
    if m is None:
        raise GuardError("qwen3guard: answer has no 'Safety:' line")
    label = m.group(1).capitalize()
    refusal = _REFUSAL.search(output)
    labels = [label] + ([f"Refusal:{refusal.group(1).capitalize()}"] if refusal else [])
    unsafe = label == "Unsafe" or (label == "Controversial" and strict)
    if not unsafe:
        return GuardVerdict(flagged=False, labels=tuple(labels))
    cm = _CATEGORIES.search(output)
    names = [c.strip() for c in cm.group(1).split(",") if c.strip() and c.strip().lower() != "none"] if cm else []
    findings = []
    for name in names or ["unknown"]:
        type_, category, severity = QWEN_CATEGORIES.get(name.lower(), ("HARM", "other", 5))
        if label == "Controversial":
            severity = min(severity, 4)
        findings.append(
            Finding(
                type=type_,
                start=0,
                end=length,
                score=0.9 if label == "Unsafe" else 0.6,
                rule="guard.qwen3guard." + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_"),
                category=category,
                severity=severity,
                explanation=f"Qwen3Guard: {label}, {name}",
                detector="guard",
                stage=stage,
                attributes=(("tier", "guard"), ("guard", "qwen3guard"), ("guard_label", name)),
            )
        )
        labels.append(name)
    return GuardVerdict(flagged=True, findings=tuple(findings), labels=tuple(labels))


class Qwen3GuardAdapter:
    name = "qwen3guard"

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
        messages = [{"role": "user", "content": text}]
        if stage is Stage.COMPLETION:
            messages = [{"role": "user", "content": prompt or ""}, {"role": "assistant", "content": text}]
        body = {"model": s.model, "messages": messages, "max_tokens": 64, "temperature": 0}
        response = await client.post(f"{s.base_url.rstrip('/')}/chat/completions", json=body)
        raise_for_status(response, self.name)
        data = json_of(response, self.name)
        try:
            output = data["choices"][0]["message"]["content"]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            raise GuardError("qwen3guard: response has no choices[0].message.content") from None
        if not isinstance(output, str):
            raise GuardError("qwen3guard: content is not a string")
        return parse_qwen3guard(output, length=len(text), stage=stage, strict=s.qwen_strictness == "strict")
