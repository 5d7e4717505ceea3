"""What a guard adapter returns, and the errors it raises."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from airlock.detectors.base import Finding, Stage

__all__ = ["GuardAdapter", "GuardError", "GuardVerdict"]


class GuardError(Exception):
    """The guard could not give a verdict (HTTP error, bad answer). Never carries prompt text."""


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """The guard's answer: flagged or not, with findings mapped to Airlock's types."""

    flagged: bool
    findings: tuple[Finding, ...] = ()
    #: the guard's own labels (``S1``, ``Violent``, ``Hate:4``) for the audit record
    labels: tuple[str, ...] = field(default=())


class GuardAdapter(Protocol):
    name: str

    async def check(
        self,
        client: httpx.AsyncClient,
        text: str,
        *,
        stage: Stage,
        prompt: str | None = None,
        documents: Sequence[str] = (),
    ) -> GuardVerdict: ...


def raise_for_status(response: httpx.Response, adapter: str) -> None:
    if response.status_code >= 400:
        raise GuardError(f"{adapter}: HTTP {response.status_code} from guard endpoint")


def json_of(response: httpx.Response, adapter: str) -> object:
    try:
        return response.json()
    except ValueError:
        raise GuardError(f"{adapter}: guard endpoint did not answer JSON") from None
