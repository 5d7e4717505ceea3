"""A one-line progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Implements :class:`airlock.evals.runner.Progress`; silent when ``stream`` is not a TTY."""

    def __init__(self, stream: TextIO | None = None, *, width: int = 28, force: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.enabled = force or self.stream.isatty()
        self.width = width
        self.label = ""
        self.total = 0
        self.done = 0
        self.errors = 0
        self._resumed = 0
        self._started = 0.0

    def start(self, label: str, total: int, done: int) -> None:
        self.label, self.total, self.done, self.errors = label, total, done, 0
        self._resumed = done
        self._started = time.monotonic()
        self._draw()

    def advance(self, *, error: bool = False) -> None:
        self.done += 1
        self.errors += int(error)
        self._draw()

    def finish(self) -> None:
        if self.enabled:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def line(self) -> str:
        filled = int(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        fresh = self.done - self._resumed
        elapsed = time.monotonic() - self._started
        eta = ""
        if fresh and self.done < self.total:
            eta = f" eta {elapsed / fresh * (self.total - self.done):.0f}s"
        errors = f" errors {self.errors}" if self.errors else ""
        return f"{self.label} [{bar}] {self.done}/{self.total}{errors}{eta}"

    def _draw(self) -> None:
        if not self.enabled:
            return
        self.stream.write("\r\x1b[2K" + self.line())
        self.stream.flush()
