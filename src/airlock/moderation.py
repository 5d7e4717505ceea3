"""Streaming output moderation: release completion text only after it has been scanned.

Each choice of a streamed completion gets a :class:`StreamGuard`. Every new piece of text is
scanned together with a bounded look-behind window of text already released (so a phrase split
across chunks is still seen whole, up to the window size), and released only if the policy
allows it. On a violation the guard stops: nothing more of that choice is released, and the
caller ends the choice with ``finish_reason: "content_filter"``.

Cost: one scan of at most ``window + len(piece)`` characters per piece; findings are reported
once, with offsets into the whole completion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from airlock.detectors.base import Finding

__all__ = ["GuardVerdict", "StreamGuard"]

Scan = Callable[[str], list[Finding]]
#: returns the blocking rule ids (empty = allowed) for findings in the completion so far
Judge = Callable[[list[Finding]], tuple[str, ...]]


@dataclass
class GuardVerdict:
    blocked: bool
    rules: tuple[str, ...] = ()
    offset: int = 0  # characters of the choice released before the cut


@dataclass
class StreamGuard:
    scan: Scan
    judge: Judge
    window: int = 256
    hold: int = 0
    text: str = ""
    released: int = 0
    findings: list[Finding] = field(default_factory=list)
    verdict: GuardVerdict | None = None
    _seen: set[tuple[str, str, int, int]] = field(default_factory=set)

    def _check(self, upto: int) -> bool:
        """Scan text[released - window : upto]; record new findings; False if blocked."""
        start = max(0, self.released - self.window)
        segment = self.text[start:upto]
        new: list[Finding] = []
        for f in self.scan(segment):
            absolute = replace(f, start=f.start + start, end=f.end + start)
            key = (absolute.type, absolute.rule, absolute.start, absolute.end)
            if absolute.end <= self.released or key in self._seen:
                continue  # judged when its text was released
            self._seen.add(key)
            new.append(absolute)
        if not new:
            return True
        self.findings.extend(new)
        rules = self.judge(self.findings)
        if rules:
            self.verdict = GuardVerdict(True, rules, self.released)
            return False
        return True

    def feed(self, piece: str) -> str:
        """Add upstream text; return the text that may be released now."""
        if self.verdict is not None:
            return ""
        self.text += piece
        upto = max(self.released, len(self.text) - self.hold)
        if upto == self.released:
            return ""
        if not self._check(upto):
            return ""
        out = self.text[self.released : upto]
        self.released = upto
        return out

    def finish(self) -> str:
        """The stream ended: scan and release whatever is still held."""
        if self.verdict is not None or self.released >= len(self.text):
            return ""
        if not self._check(len(self.text)):
            return ""
        out = self.text[self.released :]
        self.released = len(self.text)
        return out
