"""``blocklist``: customer term lists, literal and regex, per tenant or per deployment.

Like Azure AI Content Safety blocklists: each list has a name, literal terms and regexes;
``halt: true`` is ``haltOnBlocklistHit`` (the finding carries ``halt=True`` for the policy).
Lists scoped with ``tenants`` / ``deployments`` apply only when the scan context matches.
Global lists are static patterns of the shared single pass; scoped lists come from
``context_patterns``, so the engine compiles each distinct scope into the same one pass.

Finding type ``CUSTOM_BLOCKLIST``; ``rule`` is ``blocklist.<list name>``; ``category`` is the
list name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from airlock.detectors.base import Finding, ScanContext
from airlock.detectors.content.settings import BlocklistList, BlocklistSettings, parse_settings
from airlock.detectors.engine import Candidate, ContextPatterns, Pattern, PatternSource
from airlock.detectors.registry import register
from airlock.errors import ConfigError

__all__ = ["BlocklistDetector", "load_blocklist_file"]

_ASCII_WORD = re.compile(r"[A-Za-z0-9]")
_REGEX_MAX_LEN = 300

FAMILY = "blocklist"


def load_blocklist_file(path: str) -> list[BlocklistList]:
    """A YAML/JSON file with ``lists: [...]`` (same shape as the inline setting)."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
        data = json.loads(raw) if p.suffix == ".json" else yaml.safe_load(raw)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"detectors.settings.{FAMILY}.files: cannot load {p}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("lists"), list):
        raise ConfigError(f"detectors.settings.{FAMILY}.files: {p} must be a mapping with a 'lists' list")
    out = []
    for n, item in enumerate(data["lists"]):
        try:
            out.append(BlocklistList.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise ConfigError(f"{p}: lists[{n}].{where}: {first['msg']}") from None
    return out


class BlocklistDetector(PatternSource):
    name = FAMILY

    def __init__(self, settings: BlocklistSettings) -> None:
        lists = list(settings.lists)
        for path in settings.files:
            lists.extend(load_blocklist_file(path))
        names = [b.name for b in lists]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"detectors.settings.{FAMILY}: blocklist names repeated across lists/files: {dupes}")
        self.lists = tuple(lists)
        self._by_name = {b.name: b for b in lists}
        self._patterns: dict[str, tuple[Pattern, ...]] = {}
        for b in lists:
            pats: list[Pattern] = []
            for n, term in enumerate(b.terms):
                word = bool(_ASCII_WORD.match(term[0]) or _ASCII_WORD.match(term[-1]))
                pats.append(
                    Pattern(
                        f"blocklist.{b.name}#{n}", term, literal=True, caseless=True, word=word, handler=self._handle
                    )
                )
            for n, rx in enumerate(b.regex, start=len(b.terms)):
                try:
                    re.compile(rx)
                except re.error as exc:
                    raise ConfigError(f"detectors.settings.{FAMILY}: list {b.name!r}: regex {rx!r}: {exc}") from None
                pats.append(
                    Pattern(f"blocklist.{b.name}#{n}", rx, caseless=True, max_len=_REGEX_MAX_LEN, handler=self._handle)
                )
            self._patterns[b.name] = tuple(pats)
        self._global = tuple(p for b in lists if not b.tenants and not b.deployments for p in self._patterns[b.name])

    def patterns(self) -> Sequence[Pattern]:
        return self._global

    def context_patterns(self, context: ScanContext) -> ContextPatterns | None:
        scoped = tuple(
            b.name
            for b in self.lists
            if (b.tenants or b.deployments)
            and (not b.tenants or context.tenant in b.tenants)
            and (not b.deployments or context.deployment in b.deployments)
        )
        if not scoped:
            return None
        return ContextPatterns(key=scoped, patterns=tuple(p for name in scoped for p in self._patterns[name]))

    def _handle(self, c: Candidate) -> Iterator[Finding]:
        name = c.pattern.id.removeprefix("blocklist.").rsplit("#", 1)[0]
        b = self._by_name[name]
        yield c.finding(
            "CUSTOM_BLOCKLIST",
            rule=f"blocklist.{b.name}",
            score=1.0,
            category=b.name,
            severity=b.severity,
            explanation=f"term from custom blocklist {b.name!r}" + (" (halt on hit)" if b.halt else ""),
            attributes=(("halt", b.halt), ("tier", "lexicon")),
        )


@register(FAMILY)
def _factory(settings: Mapping[str, Any]) -> BlocklistDetector:
    return BlocklistDetector(parse_settings(BlocklistSettings, settings, FAMILY))
