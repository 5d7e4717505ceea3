"""Versioned lexicon files: the rules the content families match, as data with a cited source.

A lexicon file is YAML (or JSON) with this shape::

    schema: airlock.lexicon/1
    id: tc260                       # the family the file belongs to
    version: "2025.06"
    source: "TC260-003-2024 Appendix A; ..."   # where the categories and terms come from
    license: Apache-2.0             # of this file (project-authored)
    entries:
      - rule: tc260.A.1.d.terror_attack_howto   # cited by policies and audit records
        category: tc260.A.1.d
        severity: 6                 # 0-7, Azure scale
        score: 0.9                  # confidence of one hit in [0, 1]
        lang: zh                    # zh | en | any
        literals: [制造炸弹袭击, 人体炸弹]
        regex: ['如何.{0,6}(?:发动|策划).{0,4}恐怖袭击']

Literals are matched on the folded view (see :mod:`.textview`), so they are written in
lower case; English literals match whole words, Chinese literals match anywhere. Regexes
are Python ``re`` syntax, also against the folded view. Customers extend a family by
pointing its ``extra_lexicons`` setting at more files of the same shape.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from airlock.errors import ConfigError

__all__ = ["Lexicon", "LexiconRule", "load_builtin", "load_lexicon", "parse_lexicon"]

SCHEMA = "airlock.lexicon/1"
_ENTRY_KEYS = {"rule", "category", "severity", "score", "lang", "literals", "regex", "note", "type"}


@dataclass(frozen=True, slots=True)
class LexiconRule:
    """One rule: a set of literals and regexes that share an id, category and severity."""

    rule: str
    category: str
    severity: int
    score: float
    lang: str
    literals: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    type: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Lexicon:
    id: str
    version: str
    source: str
    rules: tuple[LexiconRule, ...] = field(default=())

    @property
    def term_count(self) -> int:
        return sum(len(r.literals) + len(r.regex) for r in self.rules)


def _fail(where: str, msg: str) -> ConfigError:
    return ConfigError(f"{where}: {msg}")


def parse_lexicon(data: Any, where: str) -> Lexicon:
    """Validate a decoded lexicon document; errors name the file and the entry."""
    if not isinstance(data, dict):
        raise _fail(where, "a lexicon must be a mapping with schema, id, version, source, entries")
    if data.get("schema") != SCHEMA:
        raise _fail(where, f"schema must be {SCHEMA!r}, got {data.get('schema')!r}")
    for key in ("id", "version", "source"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise _fail(where, f"{key!r} is required and must be a non-empty string")
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise _fail(where, "'entries' must be a list")
    rules: list[LexiconRule] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries):
        at = f"{where}: entries[{n}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{at}: must be a mapping")
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            raise ConfigError(f"{at}: unknown key(s) {sorted(unknown)}; accepted: {sorted(_ENTRY_KEYS)}")
        rule_id = entry.get("rule")
        if not isinstance(rule_id, str) or not rule_id:
            raise ConfigError(f"{at}: 'rule' (the rule id) is required")
        if rule_id in seen:
            raise ConfigError(f"{at}: rule id {rule_id!r} is repeated")
        seen.add(rule_id)
        severity = entry.get("severity", 4)
        score = entry.get("score", 0.8)
        if not isinstance(severity, int) or not 0 <= severity <= 7:
            raise ConfigError(f"{at}.severity: must be an integer 0-7")
        if not isinstance(score, int | float) or not 0.0 <= float(score) <= 1.0:
            raise ConfigError(f"{at}.score: must be a number in [0, 1]")
        literals = entry.get("literals", []) or []
        regexes = entry.get("regex", []) or []
        if not all(isinstance(x, str) and x.strip() for x in [*literals, *regexes]):
            raise ConfigError(f"{at}: literals and regex must be lists of non-empty strings")
        if not literals and not regexes:
            raise ConfigError(f"{at}: needs at least one literal or regex")
        for rx in regexes:
            try:
                re.compile(rx)
            except re.error as exc:
                raise ConfigError(f"{at}.regex: {rx!r} does not compile: {exc}") from None
        rules.append(
            LexiconRule(
                rule=rule_id,
                category=str(entry.get("category", "")),
                severity=severity,
                score=float(score),
                lang=str(entry.get("lang", "any")),
                literals=tuple(literals),
                regex=tuple(regexes),
                type=entry.get("type"),
                note=str(entry.get("note", "")),
            )
        )
    return Lexicon(id=data["id"], version=str(data["version"]), source=data["source"], rules=tuple(rules))


def load_lexicon(path: str | Path) -> Lexicon:
    """Load a customer lexicon file (YAML or JSON)."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read lexicon file ({exc.strerror})") from None
    try:
        data = json.loads(raw) if p.suffix == ".json" else yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p}: not valid {'JSON' if p.suffix == '.json' else 'YAML'}: {exc}") from None
    return parse_lexicon(data, str(p))


def load_builtin(name: str) -> Lexicon:
    """Load one of the lexicons shipped in ``airlock/detectors/content/data``."""
    ref = resources.files("airlock.detectors.content") / "data" / name
    data = yaml.safe_load(ref.read_text(encoding="utf-8"))
    return parse_lexicon(data, f"airlock/detectors/content/data/{name}")
