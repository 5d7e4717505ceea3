"""The detector contract: what a detector returns and how the gateway calls it.

Detectors *find*; they never rewrite text. Redaction and pseudonymisation are separate
operators driven by the spans in :class:`Finding`.

Offsets are Python string indices into the ORIGINAL text the caller passed in, never into a
normalised copy.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Detector",
    "Finding",
    "ScanContext",
    "Scanner",
    "Stage",
]


class Stage(enum.StrEnum):
    """Where in the request path a text was scanned."""

    PROMPT = "prompt"
    COMPLETION = "completion"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a detector found in one text.

    ``type`` is a canonical entity or finding type (``CN_RESIDENT_ID``, ``EMAIL``,
    ``CLASSIFICATION_MARKING``, ``HARM``, ``PROMPT_INJECTION`` ...). ``rule`` is the id of the
    rule that produced it (``pii.cn_resident_id``), which policies and audit records cite.
    """

    type: str
    start: int
    end: int
    score: float
    rule: str
    sensitive: bool = False
    #: PIPL Art. 28 category when ``sensitive``: biometric, religion, specific_identity,
    #: medical_health, financial_account, whereabouts, minor_under_14
    sensitive_category: str | None = None
    #: normalised classification level for CLASSIFICATION_MARKING (e.g. ``SECRET``)
    level: str | None = None
    #: harm / prohibited-use / custom-term category (e.g. ``violence``, ``tc260.A.1.d``)
    category: str | None = None
    #: Azure-compatible severity 0-7 for HARM findings
    severity: int | None = None
    explanation: str = ""
    detector: str = ""
    stage: Stage = Stage.PROMPT
    #: where in the request the text came from, e.g. ``messages[2].content``
    path: str = ""
    #: free-form, JSON-serialisable details that are not raw text (e.g. marking caveats)
    attributes: tuple[tuple[str, Any], ...] = field(default=())

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"finding score must be in [0, 1], got {self.score!r}")
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad finding span [{self.start}, {self.end})")

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (``airlock scan`` output and audit records)."""
        out: dict[str, Any] = {
            "type": self.type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "rule": self.rule,
            "sensitive": self.sensitive,
            "sensitive_category": self.sensitive_category,
            "level": self.level,
        }
        if self.category is not None:
            out["category"] = self.category
        if self.severity is not None:
            out["severity"] = self.severity
        if self.path:
            out["path"] = self.path
        return out


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Who the text belongs to, for tenant- or deployment-scoped dictionaries."""

    tenant: str | None = None
    deployment: str | None = None


@runtime_checkable
class Detector(Protocol):
    """One detector family (PII, markings, secrets, content safety ...)."""

    name: str

    def detect(self, text: str, *, stage: Stage, context: ScanContext) -> Iterable[Finding]: ...


@runtime_checkable
class Scanner(Protocol):
    """What the gateway calls: the whole configured detector set behind one method."""

    @property
    def empty(self) -> bool:
        """True when no detector is configured; the gateway then skips scanning entirely."""
        ...

    def scan(
        self, text: str, *, stage: Stage = Stage.PROMPT, context: ScanContext | None = None, hooks: bool = True
    ) -> list[Finding]:
        """``hooks=False``: the compiled single pass only, without whole-text detectors."""
        ...
