"""Reversible pseudonyms: one placeholder per value and type within a scope.

A :class:`PseudonymMap` holds the pseudonyms of one ``(tenant, scope)`` for one request: the
entries loaded from the vault plus those issued now. Numbering is by order of first
appearance (texts in request order, spans by offset), continuing after the highest number
the scope already holds, so a client that resends the whole history gets the same
placeholders on every turn, with or without the vault.

Client-injected placeholders. Before anything is issued, every placeholder-shaped string in
the request (in any tolerated form, see :mod:`airlock.transform.placeholders`) *taints* its key
for this request: the key is never issued, and never restored, in this request. So
``<PERSON_1>`` typed by a client can neither be confused with a real ``PERSON_1`` nor make
the gateway reveal the value behind it; a real person then becomes ``PERSON_2``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from airlock.detectors.base import Finding
from airlock.transform.placeholders import MAX_TYPE_LENGTH, PlaceholderFormat, token
from airlock.transform.spans import Action, TransformError
from airlock.transform.values import normalise_value

__all__ = ["Pseudonym", "PseudonymMap", "RestoreFrom", "pseudonymise"]

#: ``conversation``: restore every pseudonym of the scope; ``request``: only those whose value
#: occurs in this request's prompt
RestoreFrom = Literal["conversation", "request"]

#: types that render into a recognisable placeholder (what every shipped detector emits)
_TYPE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Pseudonym:
    type: str
    n: int
    original: str

    @property
    def token(self) -> str:
        """``PERSON_1``: the format-independent key the vault stores."""
        return token(self.type, self.n)


class PseudonymMap:
    """The pseudonyms of one tenant and scope, as seen by one request."""

    def __init__(
        self,
        tenant: str,
        scope: str,
        fmt: PlaceholderFormat,
        entries: Iterable[Pseudonym] = (),
        *,
        restore_from: RestoreFrom = "conversation",
    ) -> None:
        self.tenant = tenant
        self.scope = scope
        self.format = fmt
        self.restore_from: RestoreFrom = restore_from
        self._by_key: dict[tuple[str, int], Pseudonym] = {}
        self._by_value: dict[tuple[str, str], list[int]] = {}
        self._top: dict[str, int] = {}
        self._tainted: set[tuple[str, int]] = set()
        self._used: set[tuple[str, int]] = set()
        self._new: list[Pseudonym] = []
        for e in entries:
            self._add(e)
        self._stored = len(self._by_key)
        self._issued = 0

    # ------------------------------------------------------------------ state
    def _add(self, p: Pseudonym) -> None:
        key = (p.type, p.n)
        if key in self._by_key:
            return
        self._by_key[key] = p
        numbers = self._by_value.setdefault((p.type, normalise_value(p.type, p.original)), [])
        numbers.append(p.n)
        numbers.sort()
        self._top[p.type] = max(self._top.get(p.type, 0), p.n)

    def taint(self, texts: Iterable[str]) -> None:
        """Mark every placeholder-shaped key in ``texts`` as client-supplied for this request."""
        for text in texts:
            self._tainted |= self.format.keys_in(text)

    def assign(self, type_: str, value: str) -> Pseudonym:
        """The pseudonym of ``value``: the scope's existing one, or the next free number."""
        for n in self._by_value.get((type_, normalise_value(type_, value)), ()):
            if (type_, n) not in self._tainted:
                self._used.add((type_, n))
                return self._by_key[(type_, n)]
        if len(type_) > MAX_TYPE_LENGTH or not _TYPE.match(type_):
            raise TransformError(
                f"type {type_[:60]!r} cannot be pseudonymised: use upper-case letters, digits and "
                f"single underscores, at most {MAX_TYPE_LENGTH} characters"
            )
        n = self._top.get(type_, 0) + 1
        while (type_, n) in self._tainted or (type_, n) in self._by_key:
            n += 1
        p = Pseudonym(type_, n, value)
        self._add(p)
        self._used.add((type_, n))
        self._new.append(p)
        self._issued += 1
        return p

    # ------------------------------------------------------------------ reading
    def original(self, type_: str, n: int) -> str | None:
        """The value behind ``(type, n)`` if it may be restored in this request, else None."""
        key = (type_, n)
        if key in self._tainted:
            return None
        if self.restore_from == "request" and key not in self._used:
            return None
        p = self._by_key.get(key)
        return p.original if p is not None else None

    def known(self) -> tuple[Pseudonym, ...]:
        """Every pseudonym of the scope (stored and new), in number order per type."""
        return tuple(self._by_key[k] for k in sorted(self._by_key))

    @property
    def new(self) -> tuple[Pseudonym, ...]:
        """Pseudonyms issued by this request and not yet saved to the vault."""
        return tuple(self._new)

    def mark_saved(self) -> None:
        self._new.clear()

    @property
    def tainted(self) -> frozenset[tuple[str, int]]:
        return frozenset(self._tainted)

    @property
    def used(self) -> frozenset[tuple[str, int]]:
        """Keys placed into this request's texts."""
        return frozenset(self._used)

    @property
    def size(self) -> int:
        """Pseudonyms known in the scope (stored and new). Deliberately not ``__len__``: an
        empty map must not be falsy."""
        return len(self._by_key)

    def summary(self) -> dict[str, object]:
        """For the audit record: the scope (an opaque id) and counts, never values."""
        return {
            "scope": self.scope,
            "stored": self._stored,
            "issued": self._issued,
            "used": len(self._used),
            "client_placeholders": len(self._tainted),
        }

    def __repr__(self) -> str:  # never the originals
        return f"PseudonymMap(tenant={self.tenant!r}, scope={self.scope!r}, entries={len(self._by_key)})"


def pseudonymise(
    texts: Sequence[tuple[str, str]],
    findings: Iterable[Finding],
    pseudonyms: PseudonymMap,
    *,
    types: Collection[str],
) -> tuple[list[tuple[str, str]], PseudonymMap]:
    """Replace the spans of ``types`` in ``texts`` by placeholders from ``pseudonyms``.

    Returns the new ``(path, text)`` pairs (same order) and the map, which now holds the
    issued pseudonyms (save ``pseudonyms.new`` to the vault). See
    :func:`airlock.transform.apply.transform` for the audit-friendly variant that also
    redacts.
    """
    from airlock.transform.apply import transform

    result = transform(texts, findings, actions=dict.fromkeys(types, Action.PSEUDONYMISE), pseudonyms=pseudonyms)
    return list(result.texts), pseudonyms
