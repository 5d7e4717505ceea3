"""``detectors.settings.guard``: which guard model to ask, where, and what to do when it fails.

The endpoint comes only from this configuration and the key only from the environment
variable named by ``api_key_env``; a request can never choose where its text is sent.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from airlock.errors import ConfigError

__all__ = ["GuardSettings"]

Kind = Literal["llama_guard", "qwen3guard", "azure_content_safety", "openai_moderation"]


class GuardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind = Field(..., description="wire format of the guard endpoint")
    base_url: str = Field(
        default=...,
        description="OpenAI-compatible base URL incl. /v1 (llama_guard, qwen3guard, openai_moderation) "
        "or the Azure Content Safety endpoint (https://<resource>.cognitiveservices.azure.com)",
    )
    model: str = Field(default="", description="model name sent to OpenAI-compatible endpoints")
    api_key_env: str | None = Field(default=None, description="environment variable holding the key (never the key)")
    timeout: float = Field(default=2.0, gt=0, le=120, description="seconds for one guard call, connect included")
    on_failure: Literal["fail_closed", "fail_open"] = Field(
        default="fail_closed",
        description="timeout / error / unparseable answer: refuse (default) or pass, audited",
    )
    escalate: Literal["uncertain", "always"] = Field(
        default="uncertain",
        description="ask the guard only for uncertain classifier scores, or for every text",
    )
    stages: list[Literal["prompt", "completion"]] = ["prompt", "completion"]
    # llama_guard
    llama_guard_mode: Literal["chat", "completions"] = Field(
        default="chat",
        description="chat: server applies the chat template; completions: Airlock sends the LG3 prompt",
    )
    # qwen3guard
    qwen_strictness: Literal["strict", "loose"] = Field(
        default="strict", description="strict: Controversial counts as unsafe; loose: as safe"
    )
    # azure_content_safety
    api_version: str = "2024-09-01"
    prompt_shields: bool = Field(
        default=True, description="also call text:shieldPrompt for prompts (user and document attacks)"
    )
    blocklist_names: list[str] = []
    min_severity: int = Field(default=2, ge=0, le=7, description="Azure severities below this are not reported")
    max_chars: int = Field(default=10000, ge=100, description="text sent per call (Azure limit: 10,000 characters)")

    @model_validator(mode="after")
    def _check(self) -> GuardSettings:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        if self.kind in {"llama_guard", "qwen3guard", "openai_moderation"} and not self.model:
            raise ValueError(f"model is required for kind {self.kind!r}")
        return self

    def api_key(self) -> str | None:
        if self.api_key_env is None:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise ConfigError(
                f"detectors.settings.guard.api_key_env: environment variable {self.api_key_env} is not set"
            )
        return value
