"""Restore originals in a completion, whole or streamed.

:class:`Restorer` replaces every placeholder the format recognises (exact or tolerated
variant, see :mod:`airlock.transform.placeholders`) whose key is restorable in the request's
:class:`~airlock.transform.pseudonymise.PseudonymMap` — same tenant and scope, not injected
by the client — and leaves every other string exactly as it is.

:class:`StreamRestorer` does the same over a stream of deltas. ``feed(delta)`` returns the
text that is safe to release now; it holds back only a tail that could still become a
placeholder (``<PERS``, ``PERSON_1`` before the next character shows it is not
``PERSON_12``), at most :attr:`PlaceholderFormat.max_pending` characters, and only when such
a tail starts with a character that can open one. ``flush()`` releases the rest at the end.
For any split of a text into deltas, the concatenated output equals ``Restorer.restore`` of
the whole text (property-tested).
"""

from __future__ import annotations

import re
from collections import Counter

import orjson

from airlock.transform.pseudonymise import PseudonymMap

__all__ = ["Restorer", "StreamRestorer"]


class Restorer:
    """Restores one request's placeholders; counts what it did (types only, for the audit)."""

    def __init__(self, pseudonyms: PseudonymMap, *, json_string: bool = False) -> None:
        """``json_string``: the text is the inside of a JSON string (tool-call arguments), so
        originals are inserted JSON-escaped."""
        self.pseudonyms = pseudonyms
        self.format = pseudonyms.format
        self.json_string = json_string
        #: restored placeholders per type
        self.restored: Counter[str] = Counter()
        #: placeholder-shaped strings left unchanged (unknown, other scope, or client-injected)
        self.unresolved = 0

    def replacement(self, match: re.Match[str]) -> str:
        type_, n = self.format.key(match)
        original = self.pseudonyms.original(type_, n)
        if original is None:
            self.unresolved += 1
            return match.group(0)
        self.restored[type_] += 1
        if self.json_string:
            return orjson.dumps(original).decode()[1:-1]
        return original

    def restore(self, text: str) -> str:
        if self.format.first_start(text) < 0:
            return text
        return self.format.pattern.sub(self.replacement, text)

    def stream(self) -> StreamRestorer:
        return StreamRestorer(self)

    def summary(self) -> dict[str, object]:
        return {"restored": dict(sorted(self.restored.items())), "unresolved": self.unresolved}


class StreamRestorer:
    """``feed(delta) -> str`` and ``flush() -> str`` over one choice's content deltas."""

    def __init__(self, restorer: Restorer) -> None:
        self._restorer = restorer
        self._format = restorer.format
        self._pending = ""
        #: the last released character of the original text (look-behind for bare tokens)
        self._context = ""
        #: the most characters ever held back at once
        self.max_held = 0

    @property
    def held(self) -> int:
        """Characters received but not yet released."""
        return len(self._pending)

    def feed(self, delta: str) -> str:
        if not delta:
            return ""
        fmt = self._format
        buf = self._context + self._pending + delta
        base = len(self._context)
        first = fmt.first_start(buf, base)
        if first < 0:
            # nothing in the buffer can open a placeholder: release it all
            self._pending = ""
            self._context = buf[-1]
            return buf[base:]
        end = len(buf)
        cut = end
        i = fmt.first_start(buf, max(first, end - fmt.max_pending))
        while i >= 0:
            if fmt.is_partial(buf, i):
                cut = i
                break
            i = fmt.first_start(buf, i + 1)
        parts: list[str] = []
        pos = base
        for m in fmt.pattern.finditer(buf, first):
            if m.start() >= cut:
                break
            if m.end() > cut:
                cut = m.start()  # a whole match across the cut waits with the tail
                break
            parts.append(buf[pos : m.start()])
            parts.append(self._restorer.replacement(m))
            pos = m.end()
        parts.append(buf[pos:cut])
        if cut > base:
            self._context = buf[cut - 1]
        self._pending = buf[cut:]
        self.max_held = max(self.max_held, len(self._pending))
        return "".join(parts)

    def flush(self) -> str:
        """The held-back tail, restored as final (the stream has ended)."""
        if not self._pending:
            return ""
        buf = self._context + self._pending
        base = len(self._context)
        self._pending = ""
        parts: list[str] = []
        pos = base
        for m in self._format.pattern.finditer(buf, base):
            parts.append(buf[pos : m.start()])
            parts.append(self._restorer.replacement(m))
            pos = m.end()
        parts.append(buf[pos:])
        self._context = buf[-1]
        return "".join(parts)
