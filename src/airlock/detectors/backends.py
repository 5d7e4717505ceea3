"""Multi-pattern matching backends: hyperscan (one SIMD pass) and a portable pure-Python one.

Both backends take the same compiled entries and return the same candidates: for every regex
entry the matches Python's ``re`` finds (``finditer`` semantics), for every literal entry
every occurrence (overlapping occurrences included). The hyperscan backend only decides
*where* to look: it scans the UTF-8 bytes once for all patterns in prefilter mode (a superset
of the true matches), then runs the exact Python regex in small windows around the reported
match ends. The Python backend runs each regex over the whole text and finds literals with
Aho-Corasick (``pyahocorasick``) or ``str.find``.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Backend", "BackendEntry", "available_backends", "make_backend"]

# characters of context a window keeps after a match end so that look-aheads see them
_LOOKAHEAD = 16
_WORD = re.compile(r"\w", re.ASCII)
_UTF8_CONTINUATION = bytes(range(0x80, 0xC0))
_UNICODE_ESCAPE = re.compile(r"(?<!\\)\\u([0-9a-fA-F]{4})")
_BOUNDED_REPEAT = re.compile(r"(?<!\\)\{([0-9]+),([0-9]+)\}")
# bounded repeats at least this long are opened up ({m,n} -> {m,}) for hyperscan: the
# prefilter stays a superset, compiles ~6x faster and scans faster; ``re`` applies the bound
_RELAX_REPEATS_FROM = 16

Candidate = tuple[int, int, int, "re.Match[str] | None"]


@dataclass(frozen=True, slots=True)
class BackendEntry:
    """One pattern as the backends see it."""

    regex: re.Pattern[str] | None  # exact matcher for regex entries
    literal: str | None  # normalised literal for literal entries
    caseless: bool
    word: bool
    width: int  # longest possible match in characters (regexes: declared or computed)
    source: str  # the regex source (for hyperscan) or the literal


class Backend(Protocol):
    name: str

    def matches(self, text: str) -> Iterator[Candidate]: ...


def _word_ok(text: str, start: int, end: int, literal: str) -> bool:
    if _WORD.match(literal[0]) and start > 0 and _WORD.match(text[start - 1]):
        return False
    return not (_WORD.match(literal[-1]) and end < len(text) and _WORD.match(text[end]))


def _lowered(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # a few characters (e.g. U+0130) lower to two; keep offsets by lowering one at a time
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


class PythonBackend:
    """Portable backend: ``re`` per regex, Aho-Corasick (or ``str.find``) for literals."""

    name = "python"

    def __init__(self, entries: Sequence[BackendEntry]) -> None:
        self._regexes = [(i, e.regex) for i, e in enumerate(entries) if e.regex is not None]
        self._literals = [(i, e) for i, e in enumerate(entries) if e.literal is not None]
        self._automata: dict[bool, Any] = {}
        try:
            import ahocorasick
        except ImportError:  # pragma: no cover - exercised where pyahocorasick is absent
            ahocorasick = None
        if ahocorasick is not None and self._literals:
            for caseless in (False, True):
                group = [(i, e) for i, e in self._literals if e.caseless == caseless]
                if not group:
                    continue
                automaton = ahocorasick.Automaton()
                by_key: dict[str, list[tuple[int, BackendEntry]]] = {}
                for i, e in group:
                    assert e.literal is not None
                    key = e.literal.lower() if caseless else e.literal
                    by_key.setdefault(key, []).append((i, e))
                for key, items in by_key.items():
                    automaton.add_word(key, (len(key), items))
                automaton.make_automaton()
                self._automata[caseless] = automaton

    def matches(self, text: str) -> Iterator[Candidate]:
        for i, regex in self._regexes:
            for m in regex.finditer(text):
                yield i, m.start(), m.end(), m
        if self._automata:
            for caseless, automaton in self._automata.items():
                hay = _lowered(text) if caseless else text
                for end_incl, (length, items) in automaton.iter(hay):
                    start, end = end_incl + 1 - length, end_incl + 1
                    for i, e in items:
                        assert e.literal is not None
                        if not e.word or _word_ok(text, start, end, e.literal):
                            yield i, start, end, None
        else:
            for i, e in self._literals:
                assert e.literal is not None
                needle = e.literal.lower() if e.caseless else e.literal
                hay = _lowered(text) if e.caseless else text
                pos = hay.find(needle)
                while pos >= 0:
                    end = pos + len(needle)
                    if not e.word or _word_ok(text, pos, end, e.literal):
                        yield i, pos, end, None
                    pos = hay.find(needle, pos + 1)


def _hs_expression(entry: BackendEntry) -> bytes:
    if entry.literal is not None:
        return re.escape(entry.literal).encode("utf-8")
    expr = _UNICODE_ESCAPE.sub(r"\\x{\1}", entry.source)
    expr = _BOUNDED_REPEAT.sub(
        lambda m: f"{{{m.group(1)},}}" if int(m.group(2)) >= _RELAX_REPEATS_FROM else m.group(0), expr
    )
    expr = "|".join(_consume_trailing_lookahead(branch) for branch in _top_level_branches(expr))
    return expr.encode("utf-8")


_TRAILING_LOOKAHEAD = re.compile(r"\(\?!\[(?P<cls>(?:\\.|[^\]\\])+)\]\)$")


def _consume_trailing_lookahead(branch: str) -> str:
    """``X(?![0-9])`` -> ``X(?:[^0-9]|$)`` for hyperscan.

    Prefilter mode drops look-arounds, so a pattern ending in a repeat would report a match
    end after every character of a digit run; consuming one non-matching character (or the
    end) makes it report once per candidate. Still a superset: ``re`` checks the real thing.
    """
    m = _TRAILING_LOOKAHEAD.search(branch)
    if m is None or m.group("cls").startswith("^"):
        return branch
    return branch[: m.start()] + f"(?:[^{m.group('cls')}]|$)"


def _top_level_branches(expr: str) -> list[str]:
    """Split ``expr`` on ``|`` outside groups and character classes."""
    out: list[str] = []
    depth = 0
    in_class = False
    start = 0
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            if expr[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(expr[start:i])
            start = i + 1
        i += 1
    out.append(expr[start:])
    return out


class HyperscanBackend:
    """One hyperscan pass (prefilter mode) picks windows; ``re`` confirms inside them."""

    name = "hyperscan"

    def __init__(self, entries: Sequence[BackendEntry]) -> None:
        import hyperscan

        self._hs = hyperscan
        self._entries = tuple(entries)
        ids: list[int] = []
        expressions: list[bytes] = []
        flags: list[int] = []
        for i, e in enumerate(entries):
            f = hyperscan.HS_FLAG_UTF8
            if e.literal is None:
                # UCP only matters for \w \d \s \b; literals compile much faster without it
                f |= hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_UCP
            if e.caseless:
                f |= hyperscan.HS_FLAG_CASELESS
            ids.append(i)
            expressions.append(_hs_expression(e))
            flags.append(f)
        # patterns hyperscan rejects even in prefilter mode run through ``re`` on the whole text
        self._leftover: list[int] = []
        self._db: Any = None
        self._local = threading.local()
        if not ids:
            return
        try:
            self._db = _cached_database(expressions, ids, flags)
            return
        except hyperscan.error:
            pass
        good = self._compile_ok(ids, expressions, flags)
        if good:
            self._db = _cached_database(
                [expressions[k] for k in good], [ids[k] for k in good], [flags[k] for k in good]
            )

    def _compile_ok(self, ids: list[int], expressions: list[bytes], flags: list[int]) -> list[int]:
        """Indexes of the expressions hyperscan accepts; the others go to ``_leftover``."""
        hs = self._hs
        good: list[int] = []
        for k in range(len(ids)):
            try:
                hs.Database().compile(expressions=[expressions[k]], ids=[ids[k]], elements=1, flags=[flags[k]])
                good.append(k)
            except hs.error:
                self._leftover.append(ids[k])
        return good

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._hs.Scratch(self._db)
            self._local.scratch = scratch
        return scratch

    def matches(self, text: str) -> Iterator[Candidate]:
        entries = self._entries
        for i in self._leftover:
            regex = entries[i].regex
            if regex is not None:
                for m in regex.finditer(text):
                    yield i, m.start(), m.end(), m
        if self._db is None:
            return
        data = text.encode("utf-8", "replace")
        hits: list[tuple[int, int]] = []
        append = hits.append

        def on_match(pid: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
            append((to, pid))

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch())
        if not hits:
            return
        if len(data) != len(text):  # byte offsets -> character offsets
            hits.sort()
            converted: list[tuple[int, int]] = []
            prev_b = 0
            chars = 0
            for b, pid in hits:
                if b != prev_b:
                    chars += len(data[prev_b:b].translate(None, _UTF8_CONTINUATION))
                    prev_b = b
                converted.append((chars, pid))
            hits = converted
        n = len(text)
        ends: dict[int, list[int]] = {}
        for end, pid in hits:
            e = entries[pid]
            if e.literal is not None:
                start = end - len(e.literal)
                if start >= 0 and (not e.word or _word_ok(text, start, end, e.literal)):
                    yield pid, start, end, None
            else:
                ends.setdefault(pid, []).append(end)
        for pid, pid_ends in ends.items():
            e = entries[pid]
            regex = e.regex
            assert regex is not None
            pid_ends.sort()
            ws = we = -1
            windows: list[tuple[int, int]] = []
            for end in pid_ends:
                lo = max(0, end - e.width - 1)
                hi = min(n, end + _LOOKAHEAD)
                if lo <= we:
                    we = max(we, hi)
                else:
                    if we >= 0:
                        windows.append((ws, we))
                    ws, we = lo, hi
            windows.append((ws, we))
            last_end = -1
            for ws, we in windows:
                limit = n if we == n else we - _LOOKAHEAD
                for m in regex.finditer(text, ws, we):
                    if m.end() > limit:
                        break
                    if m.start() >= last_end or m.start() == m.end():
                        last_end = m.end()
                        yield pid, m.start(), m.end(), m


def _cache_dir() -> Path | None:
    configured = os.environ.get("AIRLOCK_CACHE_DIR")
    if configured == "":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "airlock"


def _cached_database(expressions: list[bytes], ids: list[int], flags: list[int]) -> Any:
    """Compile, or load a database serialised by an earlier compile of the same patterns.

    Compiling the full default set takes about a second; loading it takes milliseconds. The
    cache key covers the expressions, ids, flags and the hyperscan version; any cache error
    falls back to compiling (``AIRLOCK_CACHE_DIR=""`` turns the cache off).
    """
    import hyperscan

    digest = hashlib.sha256(
        repr((getattr(hyperscan, "__version__", ""), expressions, ids, flags)).encode()
    ).hexdigest()[:32]
    folder = _cache_dir()
    path = folder / f"hs-{digest}.db" if folder else None
    if path is not None and path.is_file():
        try:
            return hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK)
        except Exception:  # noqa: S110 - a stale or corrupt cache entry is recompiled below
            pass
    db = hyperscan.Database()
    db.compile(expressions=expressions, ids=ids, elements=len(ids), flags=flags)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(hyperscan.dumpb(db))
            tmp.replace(path)
        except OSError:
            pass
    return db


def available_backends() -> list[str]:
    names = ["python"]
    try:
        import hyperscan  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the platform
        return names
    return ["hyperscan", *names]


def make_backend(entries: Sequence[BackendEntry], kind: str = "auto") -> Backend:
    """``kind``: ``auto`` (hyperscan when importable), ``hyperscan`` or ``python``."""
    if kind not in {"auto", "hyperscan", "python"}:
        raise ValueError(f"unknown matching backend {kind!r}; use auto, hyperscan or python")
    if kind == "python":
        return PythonBackend(entries)
    if kind == "hyperscan" or "hyperscan" in available_backends():
        try:
            return HyperscanBackend(entries)
        except ImportError:
            if kind == "hyperscan":
                raise ValueError("backend 'hyperscan' requested but the hyperscan package is not installed") from None
    return PythonBackend(entries)
