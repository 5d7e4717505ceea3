"""The single-pass detection engine: every detector family's patterns in one compiled pass.

A detector family contributes :class:`Pattern` objects (literals or regexes, each with an id
and either a handler that turns a candidate match into findings or an :class:`Emit` template)
and optionally :data:`TextHook` callables that see the whole normalised text (classifiers).
The :class:`Engine` compiles the patterns of all enabled families -- plus the per-tenant /
per-deployment dictionaries that families return from ``context_patterns`` -- into ONE
matcher per distinct dictionary set (cached), and per scan:

1. normalises the text (:mod:`airlock.detectors.normalize`, offsets kept),
2. runs the one pass (hyperscan when importable, else the portable Python backend),
3. calls each matched pattern's handler (validators run only on candidates),
4. decodes base64 / hex / URL-encoded blocks (bounded) and rescans them; findings inside point
   at the encoded span,
5. runs the text hooks, which also see the findings so far,
6. resolves overlaps between *exclusive* patterns (identifiers), and
7. maps every span back to the original text.

See ``docs/detectors.md`` ("Writing a detector") for the contract in prose.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from airlock.detectors.backends import Backend, BackendEntry, make_backend
from airlock.detectors.base import Detector, Finding, ScanContext, Stage
from airlock.detectors.normalize import normalize

__all__ = [
    "Candidate",
    "ContextPatterns",
    "DecodeSettings",
    "Emit",
    "Engine",
    "MatchHandler",
    "Pattern",
    "PatternDetector",
    "PatternSource",
    "ScanView",
    "TextHook",
]

_EMPTY_CONTEXT = ScanContext()
_DEFAULT_MAX_LEN = 256


@dataclass(frozen=True, slots=True)
class Emit:
    """What a handler-less pattern reports for each match."""

    type: str
    score: float = 1.0
    sensitive: bool = False
    sensitive_category: str | None = None
    level: str | None = None
    category: str | None = None
    severity: int | None = None
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class Pattern:
    """One literal or regular expression contributed to the single pass.

    ``id`` is unique within the engine and becomes the finding's ``rule`` unless the handler
    says otherwise. Regexes use Python ``re`` syntax; keep them to the subset hyperscan
    accepts in prefilter mode (no backreferences; look-arounds are fine, they are checked by
    ``re``) and use ``[0-9]`` rather than ``\\d``. Literals are normalised like the text.
    """

    id: str
    expr: str
    literal: bool = False
    caseless: bool = False
    #: literals only: the match must not touch ASCII letters/digits/underscore on either side
    word: bool = False
    #: longest match in characters; required for unbounded regexes (``+``, ``*``)
    max_len: int | None = None
    handler: MatchHandler | None = None
    emit: Emit | None = None
    #: identifiers compete: of overlapping exclusive findings only the longest survives
    exclusive: bool = False
    #: also match inside decoded base64 / hex / URL-encoded blocks
    in_decoded: bool = True

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("pattern id must not be empty")
        if not self.expr:
            raise ValueError(f"pattern {self.id!r}: empty expression")
        if (self.handler is None) == (self.emit is None):
            raise ValueError(f"pattern {self.id!r}: give exactly one of handler= or emit=")
        if self.word and not self.literal:
            raise ValueError(f"pattern {self.id!r}: word= applies to literals; use \\b or look-arounds")


MatchHandler = Callable[["Candidate"], Iterable[Finding]]


@dataclass(slots=True)
class ScanView:
    """What handlers and hooks see of one scan (offsets are into ``text``, the normalised text)."""

    text: str
    stage: Stage
    context: ScanContext
    #: 0 for the text the caller passed; 1, 2 ... inside decoded blocks
    depth: int = 0
    #: findings of the pattern pass so far (complete when text hooks run)
    findings: list[Finding] = field(default_factory=list)
    #: decoded characters this scan may still rescan (shared by the nested views of one scan)
    budget: list[int] = field(default_factory=lambda: [0])
    _lower: str | None = None

    @property
    def lower(self) -> str:
        if self._lower is None:
            low = self.text.lower()
            self._lower = low if len(low) == len(self.text) else self.text
        return self._lower


@dataclass(slots=True)
class Candidate:
    """One match of one pattern, handed to the pattern's handler."""

    pattern: Pattern
    start: int
    end: int
    match: re.Match[str] | None
    view: ScanView
    detector: str

    @property
    def text(self) -> str:
        return self.view.text[self.start : self.end]

    def before(self, n: int) -> str:
        """Up to ``n`` characters of normalised text before the match."""
        return self.view.text[max(0, self.start - n) : self.start]

    def after(self, n: int) -> str:
        return self.view.text[self.end : self.end + n]

    def finding(self, type: str, *, start: int | None = None, end: int | None = None, **fields: Any) -> Finding:
        """A finding for this match (or a sub-span of it), stage and detector filled in."""
        fields.setdefault("rule", self.pattern.id)
        fields.setdefault("score", 1.0)
        return Finding(
            type=type,
            start=self.start if start is None else start,
            end=self.end if end is None else end,
            detector=self.detector,
            stage=self.view.stage,
            **fields,
        )


TextHook = Callable[[ScanView], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class ContextPatterns:
    """Patterns that apply to one tenant/deployment; ``key`` identifies the set for caching."""

    key: Hashable
    patterns: tuple[Pattern, ...]


class PatternSource:
    """Base class for a detector family that contributes to the single pass.

    Override :meth:`patterns` (static patterns), optionally :meth:`text_hooks` and
    :meth:`context_patterns`. Registered with :func:`airlock.detectors.registry.register`,
    a family is merged into the gateway's one :class:`Engine`; used on its own,
    :meth:`detect` scans with a private engine holding just this family.
    """

    name: str = ""

    def patterns(self) -> Sequence[Pattern]:
        return ()

    def text_hooks(self) -> Sequence[TextHook]:
        return ()

    def context_patterns(self, context: ScanContext) -> ContextPatterns | None:
        return None

    _own_engine: Engine | None = None

    def detect(self, text: str, *, stage: Stage, context: ScanContext) -> list[Finding]:
        """Scan with a private engine holding only this family (the gateway merges families)."""
        if self._own_engine is None:
            self._own_engine = Engine([self])
        return self._own_engine.scan(text, stage=stage, context=context)


PatternDetector = PatternSource


@dataclass(frozen=True, slots=True)
class DecodeSettings:
    """Bounds for decoding base64 / hex / URL-encoded blocks and rescanning them."""

    enabled: bool = True
    max_depth: int = 2
    #: total decoded characters rescanned per top-level scan
    max_total: int = 1 << 20
    #: longest encoded block considered
    max_block: int = 16384
    min_printable: float = 0.9


@dataclass(frozen=True, slots=True)
class _Entry:
    pattern: Pattern
    source: str


class _Compiled:
    """The patterns of one dictionary set, compiled into one backend."""

    def __init__(self, entries: Sequence[_Entry], hooks: Sequence[tuple[str, TextHook]], backend: str) -> None:
        self.entries = tuple(entries)
        self.hooks = tuple(hooks)
        backend_entries = []
        seen: dict[str, str] = {}
        for e in self.entries:
            p = e.pattern
            if p.id in seen:
                raise ValueError(f"pattern id {p.id!r} is used by both {seen[p.id]!r} and {e.source!r}")
            seen[p.id] = e.source
            backend_entries.append(_backend_entry(p))
        self.backend: Backend = make_backend(backend_entries, backend)


def _backend_entry(p: Pattern) -> BackendEntry:
    if p.literal:
        lit = normalize(p.expr).text
        if not lit:
            raise ValueError(f"pattern {p.id!r}: literal is empty after normalisation")
        return BackendEntry(None, lit, p.caseless, p.word, len(lit), lit)
    flags = re.IGNORECASE if p.caseless else 0
    try:
        regex = re.compile(p.expr, flags)
    except re.error as exc:
        raise ValueError(f"pattern {p.id!r}: invalid regular expression: {exc}") from None
    if regex.match(""):
        raise ValueError(f"pattern {p.id!r} matches the empty string")
    width = _max_width(regex)
    if width is None:
        if p.max_len is None:
            raise ValueError(f"pattern {p.id!r} is unbounded (+ or *): set max_len")
        width = p.max_len
    elif p.max_len is not None:
        width = min(width, p.max_len)
    return BackendEntry(regex, None, p.caseless, False, width, p.expr)


def _max_width(regex: re.Pattern[str]) -> int | None:
    try:
        from re import _parser  # type: ignore[attr-defined]

        _lo, hi = _parser.parse(regex.pattern, regex.flags).getwidth()
    except Exception:  # pragma: no cover - internal API changed
        return _DEFAULT_MAX_LEN
    return None if hi >= 65535 else int(hi)


class Engine:
    """A :class:`~airlock.detectors.base.Scanner` running all pattern families in one pass."""

    def __init__(
        self,
        sources: Sequence[PatternSource],
        *,
        detectors: Sequence[Detector] = (),
        backend: str = "auto",
        decode: DecodeSettings | None = None,
        cache_size: int = 64,
    ) -> None:
        self.sources = tuple(sources)
        self.detectors = tuple(detectors)
        self.decode = decode or DecodeSettings()
        self._backend_kind = backend
        self._cache: OrderedDict[tuple[Hashable, ...], _Compiled] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError(f"detector families must have distinct names: {names}")
        from airlock.detectors.decode import decoder_patterns

        self._decoders = decoder_patterns(self) if self.decode.enabled else ()
        self._static: list[_Entry] = [_Entry(p, "decode") for p in self._decoders]
        self._hooks: list[tuple[str, TextHook]] = []
        for s in self.sources:
            self._static.extend(_Entry(p, s.name) for p in s.patterns())
            self._hooks.extend((s.name, h) for h in s.text_hooks())
        self._base = _Compiled(self._static, self._hooks, backend)

    @property
    def empty(self) -> bool:
        return not self.sources and not self.detectors

    @property
    def backend_name(self) -> str:
        return self._base.backend.name

    def compiled_for(self, context: ScanContext) -> _Compiled:
        extra: list[tuple[str, ContextPatterns]] = []
        for s in self.sources:
            cp = s.context_patterns(context)
            if cp is not None and cp.patterns:
                extra.append((s.name, cp))
        if not extra:
            return self._base
        key = tuple((name, cp.key) for name, cp in extra)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        entries = list(self._static)
        for name, cp in extra:
            entries.extend(_Entry(p, name) for p in cp.patterns)
        compiled = _Compiled(entries, self._hooks, self._backend_kind)
        with self._lock:
            self._cache[key] = compiled
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return compiled

    def prepare(self, contexts: Iterable[ScanContext]) -> int:
        """Compile (or load from the disk cache) the databases these contexts need, now.

        A tenant or deployment with its own dictionary otherwise pays the compile (about a
        second for the default set) on its first request. Returns the number of distinct
        databases ready; the in-memory cache keeps at most ``cache_size`` of them.
        """
        return len({id(self.compiled_for(ctx)) for ctx in contexts})

    def scan(
        self, text: str, *, stage: Stage = Stage.PROMPT, context: ScanContext | None = None, hooks: bool = True
    ) -> list[Finding]:
        """All findings in ``text``. ``hooks=False`` runs the compiled pass and its handlers only,
        skipping whole-text hooks (classifiers, name taggers): the streaming guard uses it for
        every chunk and runs the full scan every few hundred characters."""
        if not text:
            return []
        ctx = context or _EMPTY_CONTEXT
        findings: list[Finding] = []
        if self.sources:
            compiled = self.compiled_for(ctx)
            norm = normalize(text)
            budget = [self.decode.max_total]
            found = self.scan_normalized(norm.text, stage, ctx, compiled, depth=0, budget=budget, hooks=hooks)
            if norm.identity:
                findings = found
            else:
                for f in found:
                    s, e = norm.span_to_original(f.start, f.end)
                    findings.append(f if (s, e) == (f.start, f.end) else replace(f, start=s, end=e))
        for d in self.detectors:
            findings.extend(d.detect(text, stage=stage, context=ctx))
        findings.sort(key=lambda f: (f.start, -f.end, f.type, f.rule))
        return findings

    def scan_normalized(
        self,
        text: str,
        stage: Stage,
        context: ScanContext,
        compiled: _Compiled,
        *,
        depth: int,
        budget: list[int],
        hooks: bool = True,
    ) -> list[Finding]:
        """Run the pass, handlers and hooks over already-normalised text (offsets into it)."""
        view = ScanView(text, stage, context, depth, budget=budget)
        findings = view.findings
        exclusive: list[bool] = []
        entries = compiled.entries
        for idx, start, end, m in compiled.backend.matches(text):
            entry = entries[idx]
            p = entry.pattern
            if depth and not p.in_decoded:
                continue
            if p.handler is None:
                em = p.emit
                assert em is not None
                findings.append(
                    Finding(
                        type=em.type,
                        start=start,
                        end=end,
                        score=em.score,
                        rule=p.id,
                        sensitive=em.sensitive,
                        sensitive_category=em.sensitive_category,
                        level=em.level,
                        category=em.category,
                        severity=em.severity,
                        explanation=em.explanation,
                        detector=entry.source,
                        stage=stage,
                    )
                )
                exclusive.append(p.exclusive)
            else:
                for f in p.handler(Candidate(p, start, end, m, view, entry.source)):
                    findings.append(f)
                    exclusive.append(p.exclusive)
        for _source, hook in compiled.hooks if hooks else ():
            hooked = list(hook(view))
            findings.extend(hooked)
            exclusive.extend(False for _ in hooked)
        return _resolve(findings, exclusive)

    def rescan(self, decoded: str, parent: ScanView) -> list[Finding]:
        """Scan a decoded block found inside ``parent`` (used by the decoders; bounded)."""
        budget = parent.budget
        if parent.depth >= self.decode.max_depth or budget[0] < len(decoded):
            return []
        budget[0] -= len(decoded)
        compiled = self.compiled_for(parent.context)
        norm = normalize(decoded)
        return self.scan_normalized(
            norm.text, parent.stage, parent.context, compiled, depth=parent.depth + 1, budget=budget
        )


def _resolve(findings: list[Finding], exclusive: list[bool]) -> list[Finding]:
    """Drop exact duplicates, and exclusive findings overlapped by a longer exclusive one."""
    if len(findings) < 2:
        return findings
    best: dict[tuple[str, int, int], int] = {}
    for i, f in enumerate(findings):
        key = (f.type, f.start, f.end)
        j = best.get(key)
        if j is None or f.score > findings[j].score:
            best[key] = i
    keep = sorted(best.values())
    excl = sorted((i for i in keep if exclusive[i]), key=lambda i: findings[i].start)
    if len(excl) < 2:
        return [findings[i] for i in keep]
    dropped: set[int] = set()
    # sweep clusters of mutually overlapping spans; inside a cluster the longest wins
    cluster: list[int] = []
    reach = -1
    for i in [*excl, -1]:
        if i >= 0 and findings[i].start < reach:
            cluster.append(i)
            reach = max(reach, findings[i].end)
            continue
        if len(cluster) > 1:
            order = sorted(cluster, key=lambda k: (-(findings[k].end - findings[k].start), -findings[k].score, k))
            taken: list[tuple[int, int]] = []
            for k in order:
                f = findings[k]
                if any(f.start < e and s < f.end for s, e in taken):
                    dropped.add(k)
                else:
                    taken.append((f.start, f.end))
        if i >= 0:
            cluster = [i]
            reach = findings[i].end
    return [findings[i] for i in keep if i not in dropped]
