"""AI-generated content labels (China's Labelling Measures, GB 45438-2025).

Two labels per completion, for tenants whose policy asks for them:

- **explicit**: a visible text label at the start or end of the reply, Chinese or English
  (``【本内容由人工智能生成】`` / ``[AI-generated content]`` by default, configurable);
- **implicit**: the ``AIGC`` metadata object (``Label``, ``ContentProducer``, ``ProduceID``,
  ``ReservedCode1``, ``ContentPropagator``, ``PropagateID``, ``ReservedCode2``) in the response
  field ``aigc`` and the header ``x-aigc`` (JSON, ASCII-escaped).

``ReservedCode1`` carries the first 32 hex digits of the SHA-256 of the labelled reply, so a
recipient can check the label still belongs to the text. Labels already present in upstream
content are never removed or duplicated.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from airlock.policy.rules import AigcLabelSettings

__all__ = ["AIGC_FIELD", "AIGC_HEADER", "aigc_metadata", "apply_explicit", "explicit_text", "header_value"]

AIGC_FIELD = "aigc"
AIGC_HEADER = "x-aigc"
_HAN = re.compile(r"[\u4e00-\u9fff]")


def explicit_text(settings: AigcLabelSettings, reply: str) -> str:
    if settings.language == "zh":
        return settings.text_zh
    if settings.language == "en":
        return settings.text_en
    return settings.text_zh if _HAN.search(reply) else settings.text_en


def already_labelled(settings: AigcLabelSettings, text: str) -> bool:
    return settings.text_zh in text or settings.text_en in text


def apply_explicit(settings: AigcLabelSettings, text: str) -> str:
    """Add the explicit label (once); never removes anything from ``text``."""
    if not settings.explicit or already_labelled(settings, text):
        return text
    label = explicit_text(settings, text)
    return f"{label}\n{text}" if settings.position == "start" else f"{text}\n{label}"


def aigc_metadata(settings: AigcLabelSettings, produce_id: str, text: str | None) -> dict[str, str]:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] if text is not None else ""
    propagator = settings.content_propagator or settings.content_producer
    return {
        "Label": settings.label_value,
        "ContentProducer": settings.content_producer,
        "ProduceID": produce_id,
        "ReservedCode1": digest,
        "ContentPropagator": propagator,
        "PropagateID": produce_id,
        "ReservedCode2": "",
    }


def header_value(meta: dict[str, Any]) -> str:
    return json.dumps(meta, ensure_ascii=True, separators=(",", ":"), sort_keys=False)
