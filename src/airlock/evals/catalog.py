"""Find a suite by name: built-in suites, suite files and external sets.

``load_suite(spec)`` accepts

* a built-in name (``smoke``, ``must_refuse``, ``must_answer``, ``jailbreak``, ``injection``,
  ``core``), read from the package data in ``airlock/evals/suites``;
* a path to a ``.jsonl`` or ``.csv`` suite file;
* ``ADAPTER:PATH`` for a third-party set read in place (:mod:`airlock.evals.external`).

``limit`` keeps a deterministic, seeded sample of that many cases (stratified by kind and
language, so a small sample still covers every behaviour).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib.resources import as_file, files
from pathlib import Path

from airlock.evals.cases import Case, Suite
from airlock.evals.external import ADAPTERS, load_external
from airlock.evals.loaders import SuiteError, load_suite_file, read_rows, suite_from_rows

__all__ = ["BuiltinSuite", "builtin_suites", "load_builtin", "load_suite", "sample"]


@dataclass(frozen=True, slots=True)
class BuiltinSuite:
    name: str
    description: str
    files: tuple[str, ...]


@cache
def builtin_suites() -> dict[str, BuiltinSuite]:
    index = json.loads(files("airlock.evals").joinpath("suites", "index.json").read_text(encoding="utf-8"))
    return {name: BuiltinSuite(name, spec["description"], tuple(spec["files"])) for name, spec in index.items()}


def load_builtin(name: str) -> Suite:
    try:
        spec = builtin_suites()[name]
    except KeyError:
        raise SuiteError(
            f"no built-in suite {name!r}; built-in: {', '.join(builtin_suites())}", source="builtin"
        ) from None
    base = files("airlock.evals").joinpath("suites")
    # Line numbers in a multi-file suite refer to each file; errors name the file they came from.
    cases: list[Case] = []
    for filename in spec.files:
        source = f"builtin:{filename}"
        with as_file(base.joinpath(filename)) as path:
            cases.extend(suite_from_rows(name, read_rows(path, source=source), source=source).cases)
    try:
        return Suite(name=name, cases=tuple(cases), description=spec.description, source=f"builtin:{name}")
    except ValueError as exc:
        raise SuiteError(str(exc), source=f"builtin:{name}") from None


def sample(suite: Suite, limit: int, *, seed: int = 0) -> Suite:
    """A deterministic sample of at most ``limit`` cases, stratified by (kind, language)."""
    if limit >= len(suite):
        return suite
    groups: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for case in suite.cases:
        groups[(case.kind.value, case.language)].append(case)
    rng = random.Random(seed)  # noqa: S311 - sampling, not security
    for members in groups.values():
        rng.shuffle(members)
    # round-robin over strata so every behaviour is represented before any repeats
    picked: list[Case] = []
    order = sorted(groups)
    while len(picked) < limit:
        for key in order:
            if groups[key] and len(picked) < limit:
                picked.append(groups[key].pop())
    keep = {c.id for c in picked}
    return Suite(
        name=f"{suite.name}[{limit}@{seed}]",
        cases=tuple(c for c in suite.cases if c.id in keep),
        description=suite.description,
        source=suite.source,
    )


def load_suite(spec: str, *, limit: int | None = None, seed: int = 0) -> Suite:
    """Resolve a built-in name, a suite file or ``ADAPTER:PATH``."""
    adapter, sep, rest = spec.partition(":")
    if sep and adapter in ADAPTERS:
        suite = load_external(adapter, rest)
    elif spec in builtin_suites():
        suite = load_builtin(spec)
    elif Path(spec).suffix.lower() in (".jsonl", ".ndjson", ".csv"):
        suite = load_suite_file(spec)
    else:
        raise SuiteError(
            "not a built-in suite, a .jsonl/.csv file or ADAPTER:PATH; "
            f"built-in: {', '.join(builtin_suites())}; adapters: {', '.join(sorted(ADAPTERS))}",
            source=spec,
        )
    return sample(suite, limit, seed=seed) if limit else suite
