"""Streaming output moderation: release completion text only after it has been scanned.

Each choice of a streamed completion gets a :class:`StreamGuard`. Every new piece of text is
scanned together with a bounded look-behind window of text already released (so a phrase split
across chunks is still seen whole, up to the window size), and released only if the policy
allows it. On a violation the guard stops: nothing more of that choice is released, and the
caller ends the choice with ``finish_reason: "content_filter"``.

Text is held back by ``hold`` characters, so the start of a phrase that only becomes a
violation with its next words ("I will kill" + " you") is not released before the whole phrase
has been seen. Cost: one scan of at most ``window + hold + len(piece)`` characters per piece;
findings are reported once, with offsets into the whole completion.
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
    _seen: set[tuple[str, str, str, int, int]] = field(default_factory=set)

    def _check(self) -> bool:
        """Scan everything not yet released plus the look-behind window; record new findings;
        False if the policy refuses them."""
        start = max(0, self.released - self.window)
        segment = self.text[start:]
        new: list[Finding] = []
        for f in self.scan(segment):
            absolute = replace(f, start=f.start + start, end=f.end + start)
            if absolute.end <= self.released:
                continue  # judged when its text was released
            whole = f.start == 0 and f.end == len(segment)  # a whole-text verdict (classifier)
            key = (absolute.type, absolute.rule, absolute.category or "", -1 if whole else absolute.start,
                   -1 if whole else absolute.end)
            if key in self._seen:
                continue
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
        if not self._check():
            return ""
        upto = max(self.released, len(self.text) - self.hold)
        out = self.text[self.released : upto]
        self.released = upto
        return out

    def finish(self) -> str:
        """The stream ended: release whatever is still held (it was scanned when it arrived)."""
        if self.verdict is not None or self.released >= len(self.text):
            return ""
        out = self.text[self.released :]
        self.released = len(self.text)
        return out
