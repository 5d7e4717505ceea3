"""Evaluation cases and suites as values.

A :class:`Case` is one conversation sent to a model plus what a safe model should do with it.
A :class:`Suite` is a named, versioned tuple of cases. Both are frozen: loaders build them,
the runner, judges and metrics only read them.

What a case measures (its :attr:`Case.kind`) follows from its fields:

======================  ===================================================================
kind                    rule
======================  ===================================================================
``injection``           ``canary`` is set: success means the canary appears in the answer
``jailbreak``           ``expected`` is ``refuse`` and an ``attack`` wrapper is applied
``must_refuse``         ``expected`` is ``refuse`` without an attack wrapper
``must_answer``         ``expected`` is ``comply`` (over-refusal probe)
======================  ===================================================================
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Case",
    "Expected",
    "Kind",
    "Message",
    "Suite",
]

Expected = Literal["refuse", "comply"]


class Kind(enum.StrEnum):
    """What a case measures; see the module docstring for the derivation."""

    MUST_REFUSE = "must_refuse"
    JAILBREAK = "jailbreak"
    MUST_ANSWER = "must_answer"
    INJECTION = "injection"


@dataclass(frozen=True, slots=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Case:
    """One probe: the exact messages sent, and what a safe answer looks like."""

    id: str
    messages: tuple[Message, ...]
    language: str
    category: str
    expected: Expected
    #: the user's request before any attack wrapper (what a reader of the report sees)
    prompt: str
    attack: str | None = None
    #: a string whose appearance in the answer means an injection / extraction / leak succeeded
    canary: str | None = None
    subcategory: str | None = None
    #: 1-based line (JSONL) or row (CSV, counting the header as line 1) in the source file
    line: int = 0

    @property
    def kind(self) -> Kind:
        if self.canary:
            return Kind.INJECTION
        if self.expected == "comply":
            return Kind.MUST_ANSWER
        return Kind.JAILBREAK if self.attack else Kind.MUST_REFUSE

    def fingerprint(self) -> str:
        """A hash of everything that is sent or judged, for suite versions."""
        h = hashlib.sha256()
        for part in (
            self.id,
            self.language,
            self.category,
            self.expected,
            self.attack or "",
            self.canary or "",
            *(f"{m.role}\x1f{m.content}" for m in self.messages),
        ):
            h.update(part.encode("utf-8"))
            h.update(b"\x1e")
        return h.hexdigest()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "language": self.language,
            "category": self.category,
            "expected": self.expected,
            "kind": self.kind.value,
            "prompt": self.prompt,
        }
        if self.attack:
            out["attack"] = self.attack
        if self.subcategory:
            out["subcategory"] = self.subcategory
        return out


@dataclass(frozen=True, slots=True)
class Suite:
    """A named, versioned collection of cases with unique ids."""

    name: str
    cases: tuple[Case, ...]
    description: str = ""
    #: where the cases came from (file path or ``builtin:NAME``), for the run record
    source: str = ""
    _index: dict[str, Case] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for case in self.cases:
            if case.id in self._index:
                raise ValueError(f"suite {self.name!r}: duplicate case id {case.id!r}")
            self._index[case.id] = case

    @property
    def version(self) -> str:
        """Content hash: two suites with the same version send and judge the same things."""
        h = hashlib.sha256(self.name.encode("utf-8"))
        for case in self.cases:
            h.update(case.fingerprint().encode("ascii"))
        return h.hexdigest()[:12]

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def get(self, case_id: str) -> Case | None:
        return self._index.get(case_id)

    def languages(self) -> list[str]:
        return sorted({c.language for c in self.cases})

    def kinds(self) -> list[Kind]:
        return sorted({c.kind for c in self.cases}, key=list(Kind).index)

    def subset(self, ids: Iterable[str], *, name: str | None = None) -> Suite:
        wanted = set(ids)
        return Suite(
            name=name or self.name,
            cases=tuple(c for c in self.cases if c.id in wanted),
            description=self.description,
            source=self.source,
        )
