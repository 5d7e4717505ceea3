"""Azure AI Content Safety: ``text:analyze`` (harm categories, blocklists) and Prompt Shields.

``POST {endpoint}/contentsafety/text:analyze?api-version=...`` with ``{"text", "categories",
"outputType": "EightSeverityLevels", "blocklistNames", "haltOnBlocklistHit"}`` answers
``{"blocklistsMatch": [...], "categoriesAnalysis": [{"category": "Hate", "severity": 4}]}``.
``POST {endpoint}/contentsafety/text:shieldPrompt?api-version=...`` with ``{"userPrompt",
"documents"}`` answers ``{"userPromptAnalysis": {"attackDetected": bool},
"documentsAnalysis": [{"attackDetected": bool}]}``. The key goes in
``Ocp-Apim-Subscription-Key``. Works against the Azure cloud and the disconnected containers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx

from airlock.detectors.base import Finding, Stage
from airlock.guard.base import GuardError, GuardVerdict, json_of, raise_for_status
from airlock.guard.settings import GuardSettings

__all__ = ["AZURE_CATEGORIES", "AzureContentSafetyAdapter", "parse_analyze", "parse_shield"]

AZURE_CATEGORIES = {"Hate": "hate", "Sexual": "sexual", "Violence": "violence", "SelfHarm": "self_harm"}


def _finding(
    type_: str, *, rule: str, category: str, severity: int, length: int, stage: Stage, why: str, label: str
) -> Finding:
    return Finding(
        type=type_,
        start=0,
        end=length,
        score=0.9,
        rule=rule,
        category=category,
        severity=severity,
        explanation=why,
        detector="guard",
        stage=stage,
        attributes=(("tier", "guard"), ("guard", "azure_content_safety"), ("guard_label", label)),
    )


def parse_analyze(data: Any, *, length: int, stage: Stage, min_severity: int) -> GuardVerdict:
    if not isinstance(data, dict) or not isinstance(data.get("categoriesAnalysis"), list):
        raise GuardError("azure_content_safety: text:analyze answer has no categoriesAnalysis")
    findings: list[Finding] = []
    labels: list[str] = []
    for item in data["categoriesAnalysis"]:
        name, severity = item.get("category"), item.get("severity")
        if name not in AZURE_CATEGORIES or not isinstance(severity, int):
            raise GuardError("azure_content_safety: malformed categoriesAnalysis item")
        labels.append(f"{name}:{severity}")
        if severity >= min_severity:
            cat = AZURE_CATEGORIES[name]
            findings.append(
                _finding(
                    "HARM",
                    rule=f"guard.azure.{cat}",
                    category=cat,
                    severity=severity,
                    length=length,
                    stage=stage,
                    why=f"Azure Content Safety: {name} severity {severity}",
                    label=f"{name}:{severity}",
                )
            )
    for match in data.get("blocklistsMatch") or []:
        name = str(match.get("blocklistName", "unknown"))
        labels.append(f"blocklist:{name}")
        findings.append(
            _finding(
                "CUSTOM_BLOCKLIST",
                rule=f"guard.azure.blocklist.{name}",
                category=name,
                severity=6,
                length=length,
                stage=stage,
                why=f"Azure Content Safety blocklist {name!r} matched",
                label=f"blocklist:{name}",
            )
        )
    return GuardVerdict(flagged=bool(findings), findings=tuple(findings), labels=tuple(labels))


def parse_shield(data: Any, *, length: int, stage: Stage) -> GuardVerdict:
    if not isinstance(data, dict) or "userPromptAnalysis" not in data:
        raise GuardError("azure_content_safety: text:shieldPrompt answer has no userPromptAnalysis")
    findings: list[Finding] = []
    labels: list[str] = []
    if (data.get("userPromptAnalysis") or {}).get("attackDetected") is True:
        labels.append("userPromptAttack")
        findings.append(
            _finding(
                "JAILBREAK",
                rule="guard.azure.prompt_shields.user",
                category="guard",
                severity=6,
                length=length,
                stage=stage,
                why="Azure Prompt Shields: user prompt attack detected",
                label="userPromptAttack",
            )
        )
    for n, doc in enumerate(data.get("documentsAnalysis") or []):
        if isinstance(doc, dict) and doc.get("attackDetected") is True:
            labels.append(f"documentAttack[{n}]")
            findings.append(
                _finding(
                    "PROMPT_INJECTION",
                    rule="guard.azure.prompt_shields.document",
                    category="indirect",
                    severity=6,
                    length=length,
                    stage=stage,
                    why=f"Azure Prompt Shields: attack in document {n}",
                    label=f"documentAttack[{n}]",
                )
            )
    return GuardVerdict(flagged=bool(findings), findings=tuple(findings), labels=tuple(labels))


class AzureContentSafetyAdapter:
    name = "azure_content_safety"

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
        base = s.base_url.rstrip("/")
        params = {"api-version": s.api_version}
        analyze_body = {
            "text": text,
            "categories": list(AZURE_CATEGORIES),
            "outputType": "EightSeverityLevels",
            "blocklistNames": list(s.blocklist_names),
            "haltOnBlocklistHit": False,
        }
        calls = [client.post(f"{base}/contentsafety/text:analyze", params=params, json=analyze_body)]
        shield = s.prompt_shields and stage is Stage.PROMPT
        if shield:
            docs, budget = [], s.max_chars
            for d in list(documents)[:5]:
                docs.append(d[:budget])
                budget -= len(docs[-1])
            calls.append(
                client.post(
                    f"{base}/contentsafety/text:shieldPrompt",
                    params=params,
                    json={"userPrompt": text, "documents": docs},
                )
            )
        responses = await asyncio.gather(*calls)
        for r in responses:
            raise_for_status(r, self.name)
        verdict = parse_analyze(
            json_of(responses[0], self.name), length=len(text), stage=stage, min_severity=s.min_severity
        )
        if shield:
            sv = parse_shield(json_of(responses[1], self.name), length=len(text), stage=stage)
            verdict = GuardVerdict(
                flagged=verdict.flagged or sv.flagged,
                findings=verdict.findings + sv.findings,
                labels=verdict.labels + sv.labels,
            )
        return verdict
