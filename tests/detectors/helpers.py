from __future__ import annotations

from functools import cache

from airlock.detectors import Engine, build_scanner


@cache
def scanner(backend: str, families: tuple[str, ...] = ("pii", "markings", "secrets")) -> Engine:
    return build_scanner(
        list(families),
        {"engine": {"backend": backend}, "pii": {"reference_date": "2026-06-01"}},
    )


def found(backend: str, text: str, type_: str) -> list[str]:
    return [text[f.start : f.end] for f in scanner(backend).scan(text) if f.type == type_]
