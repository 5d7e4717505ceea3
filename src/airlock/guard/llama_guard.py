"""Llama Guard 3 / 4 over any OpenAI-compatible endpoint (vLLM, llama.cpp server, TGI ...).

The model answers ``safe`` or ``unsafe`` followed by a line of category codes
(``unsafe\\nS1,S10``). In ``chat`` mode Airlock sends the conversation as chat messages and
the server applies the model's own chat template (vLLM and llama.cpp do, from the GGUF /
tokenizer config). In ``completions`` mode Airlock renders the Llama Guard 3 prompt itself
and calls ``/completions`` (for servers started without the chat template).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx

from airlock.detectors.base import Finding, Stage
from airlock.guard.base import GuardError, GuardVerdict, json_of, raise_for_status
from airlock.guard.settings import GuardSettings

__all__ = ["LLAMA_GUARD_CATEGORIES", "LlamaGuardAdapter", "parse_llama_guard", "render_prompt"]

#: Llama Guard 3/4 (MLCommons) codes -> (Airlock finding type, category, severity)
LLAMA_GUARD_CATEGORIES: dict[str, tuple[str, str, str, int]] = {
    "S1": ("Violent Crimes", "HARM", "violence", 6),
    "S2": ("Non-Violent Crimes", "HARM", "illicit", 5),
    "S3": ("Sex-Related Crimes", "HARM", "sexual", 6),
    "S4": ("Child Sexual Exploitation", "HARM", "sexual", 7),
    "S5": ("Defamation", "TC260_RISK", "tc260.A.4.c", 4),
    "S6": ("Specialized Advice", "HARM", "other", 4),
    "S7": ("Privacy", "TC260_RISK", "tc260.A.4.e", 5),
    "S8": ("Intellectual Property", "HARM", "other", 4),
    "S9": ("Indiscriminate Weapons", "HARM", "violence", 7),
    "S10": ("Hate", "HARM", "hate", 6),
    "S11": ("Suicide & Self-Harm", "HARM", "self_harm", 6),
    "S12": ("Sexual Content", "HARM", "sexual", 5),
    "S13": ("Elections", "HARM", "other", 4),
    "S14": ("Code Interpreter Abuse", "PROMPT_INJECTION", "code_interpreter_abuse", 5),
}

_CODES = re.compile(r"\bS(\d{1,2})\b")


def render_prompt(text: str, *, stage: Stage, prompt: str | None = None) -> str:
    """The Llama Guard 3 classification prompt (PurpleLlama model card format)."""
    role = "Agent" if stage is Stage.COMPLETION else "User"
    cats = "\n".join(f"{code}: {name}." for code, (name, *_rest) in LLAMA_GUARD_CATEGORIES.items())
    convo = f"User: {text}" if stage is Stage.PROMPT else f"User: {prompt or ''}\n\nAgent: {text}"
    return (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
        f"Task: Check if there is unsafe content in '{role}' messages in conversations according our safety "
        "policy with the below categories.\n\n<BEGIN UNSAFE CONTENT CATEGORIES>\n"
        f"{cats}\n<END UNSAFE CONTENT CATEGORIES>\n\n"
        f"<BEGIN CONVERSATION>\n\n{convo}\n\n<END CONVERSATION>\n\n"
        f"Provide your safety assessment for ONLY THE LAST {role} message in the above conversation:\n"
        " - First line must read 'safe' or 'unsafe'.\n"
        " - If unsafe, a second line must include a comma-separated list of violated categories."
        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def parse_llama_guard(output: str, *, length: int, stage: Stage) -> GuardVerdict:
    """Parse ``safe`` / ``unsafe\\nS1,S10`` into a verdict (GuardError when it is neither)."""
    lines = [ln.strip() for ln in output.strip().splitlines() if ln.strip()]
    if not lines:
        raise GuardError("llama_guard: empty answer")
    head = lines[0].lower()
    if head == "safe":
        return GuardVerdict(flagged=False, labels=("safe",))
    if head != "unsafe":
        raise GuardError("llama_guard: answer does not start with 'safe' or 'unsafe'")
    codes = [f"S{m.group(1)}" for line in lines[1:] for m in _CODES.finditer(line)] or ["unknown"]
    findings = []
    for code in dict.fromkeys(codes):
        name, type_, category, severity = LLAMA_GUARD_CATEGORIES.get(code, ("Unknown", "HARM", "other", 5))
        findings.append(
            Finding(
                type=type_,
                start=0,
                end=length,
                score=0.9,
                rule=f"guard.llama_guard.{code}",
                category=category,
                severity=severity,
                explanation=f"Llama Guard: unsafe, {code} {name}",
                detector="guard",
                stage=stage,
                attributes=(("tier", "guard"), ("guard", "llama_guard"), ("guard_label", code)),
            )
        )
    return GuardVerdict(flagged=True, findings=tuple(findings), labels=("unsafe", *codes))


class LlamaGuardAdapter:
    name = "llama_guard"

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
        body: dict[str, Any]
        if s.llama_guard_mode == "chat":
            messages = [{"role": "user", "content": text}]
            if stage is Stage.COMPLETION:
                messages = [{"role": "user", "content": prompt or ""}, {"role": "assistant", "content": text}]
            body = {"model": s.model, "messages": messages, "max_tokens": 20, "temperature": 0}
            response = await client.post(f"{base}/chat/completions", json=body)
        else:
            body = {
                "model": s.model,
                "prompt": render_prompt(text, stage=stage, prompt=prompt),
                "max_tokens": 20,
                "temperature": 0,
            }
            response = await client.post(f"{base}/completions", json=body)
        raise_for_status(response, self.name)
        data = json_of(response, self.name)
        try:
            choice = data["choices"][0]  # type: ignore[index]
            output = choice["message"]["content"] if s.llama_guard_mode == "chat" else choice["text"]
        except (KeyError, IndexError, TypeError):
            raise GuardError("llama_guard: response has no choices[0] content") from None
        if not isinstance(output, str):
            raise GuardError("llama_guard: content is not a string")
        return parse_llama_guard(output, length=len(text), stage=stage)
