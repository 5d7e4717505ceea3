"""Detector registry: built-in detectors register exactly like third-party ones.

A detector family is one module that calls :func:`register` with a name and a factory; a
configuration names the families to enable. :func:`build_scanner` turns the configured names
into one :class:`~airlock.detectors.base.Scanner` for the gateway: every family that is a
:class:`~airlock.detectors.engine.PatternSource` is merged into one single-pass
:class:`~airlock.detectors.engine.Engine`; plain :class:`~airlock.detectors.base.Detector`
objects run after it on the original text.

``settings`` maps family names to their settings dicts; the reserved key ``engine`` configures
the engine itself (``backend``, ``decode``; see :mod:`airlock.detectors.settings`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from airlock.detectors.base import Detector, Finding, ScanContext, Stage
from airlock.detectors.engine import Engine, PatternSource

__all__ = ["DetectorSet", "available", "build_scanner", "register"]

DetectorFactory = Callable[[Mapping[str, Any]], "Detector | PatternSource"]

_REGISTRY: dict[str, DetectorFactory] = {}
_EMPTY_CONTEXT = ScanContext()
ENGINE_KEY = "engine"


def register(name: str) -> Callable[[DetectorFactory], DetectorFactory]:
    """Class or function decorator: ``@register("pii")`` makes ``pii`` configurable."""
    if name == ENGINE_KEY:
        raise ValueError(f"{ENGINE_KEY!r} is reserved for the engine's own settings")

    def decorate(factory: DetectorFactory) -> DetectorFactory:
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ValueError(f"detector {name!r} is already registered")
        _REGISTRY[name] = factory
        return factory

    return decorate


def available() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def _load_builtins() -> None:
    # Importing the package registers the built-in families.
    import airlock.detectors.builtin  # noqa: F401


class DetectorSet:
    """Runs plain detectors one after the other and returns findings ordered by position."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self.detectors = tuple(detectors)

    @property
    def empty(self) -> bool:
        return not self.detectors

    def scan(
        self, text: str, *, stage: Stage = Stage.PROMPT, context: ScanContext | None = None, hooks: bool = True
    ) -> list[Finding]:
        if not text:
            return []
        ctx = context or _EMPTY_CONTEXT
        findings: list[Finding] = []
        for detector in self.detectors:
            findings.extend(detector.detect(text, stage=stage, context=ctx))
        findings.sort(key=lambda f: (f.start, -f.end, f.type))
        return findings


def build_scanner(names: Sequence[str], settings: Mapping[str, Mapping[str, Any]] | None = None) -> Engine:
    """Build the scanner for the named detector families (unknown names are an error)."""
    from airlock.detectors.settings import engine_settings

    _load_builtins()
    settings = settings or {}
    unknown = sorted(set(settings) - set(names) - {ENGINE_KEY} - set(_REGISTRY))
    if unknown:
        raise ValueError(
            f"detectors.settings has keys for unknown detectors: {', '.join(unknown)}; "
            f"registered detectors: {', '.join(sorted(_REGISTRY))}"
        )
    sources: list[PatternSource] = []
    plain: list[Detector] = []
    for name in names:
        try:
            factory = _REGISTRY[name]
        except KeyError:
            known = ", ".join(sorted(_REGISTRY)) or "none"
            raise ValueError(f"unknown detector {name!r}; registered detectors: {known}") from None
        made = factory(settings.get(name, {}))
        if isinstance(made, PatternSource):
            sources.append(made)
        else:
            plain.append(made)
    eng = engine_settings(settings.get(ENGINE_KEY, {}))
    return Engine(sources, detectors=plain, backend=eng.backend, decode=eng.decode_settings())
