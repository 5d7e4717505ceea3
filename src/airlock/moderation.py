"""Streaming output moderation: release completion text only after it has been scanned.

Each choice of a streamed completion gets a :class:`StreamGuard`. Every new piece of text is
scanned together with a bounded look-behind window of text already released (so a phrase split
across chunks is still seen whole, up to the window size), and released only if the policy
allows it. On a violation the guard stops: nothing more of that choice is released, and the
caller ends the choice with ``finish_reason: "content_filter"``.

Text is held back by ``hold`` characters, so the start of a phrase that only becomes a
violation with its next words ("I will kill" + " you") is not released before the whole phrase
has been seen. Cost: one scan of at most ``window + hold + len(piece)`` characters per piece;
findings are reported once, with offsets into the whole completion. Whole-text detectors
(classifiers, name taggers) run every ``full_every`` new characters and before the held tail is
released at the end, not on every chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from airlock.detectors.base import Finding

__all__ = ["GuardVerdict", "StreamGuard"]

#: scan(text, full): full=False may skip whole-text detectors (classifiers) for speed
Scan = Callable[[str, bool], list[Finding]]
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
    #: run the full scan (with whole-text detectors) at least every this many new characters
    full_every: int = 192
    text: str = ""
    released: int = 0
    findings: list[Finding] = field(default_factory=list)
    verdict: GuardVerdict | None = None
    _seen: set[tuple[str, str, str, int, int]] = field(default_factory=set)
    _full_at: int = 0

    def _check(self, *, final: bool = False) -> bool:
        """Scan everything not yet released plus the look-behind window; record new findings;
        False if the policy refuses them."""
        start = max(0, self.released - self.window)
        segment = self.text[start:]
        full = final or len(self.text) - self._full_at >= self.full_every
        if full:
            self._full_at = len(self.text)
        new: list[Finding] = []
        for f in self.scan(segment, full):
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
        """The stream ended: release what is still held, after the full scan has seen it."""
        if self.verdict is not None or self.released >= len(self.text):
            return ""
        if self._full_at < len(self.text) and not self._check(final=True):
            return ""  # the whole-text detectors had not seen the held tail yet
        out = self.text[self.released :]
        self.released = len(self.text)
        return out
