"""``blocklist``: customer term lists, literal and regex, per tenant or per deployment.

Like Azure AI Content Safety blocklists: each list has a name, literal terms and regexes;
``halt: true`` is ``haltOnBlocklistHit`` (the finding carries ``halt=True`` for the policy).
Lists scoped with ``tenants`` / ``deployments`` apply only when the scan context matches.
Every list of the configuration is compiled into ONE expression per scope, once.

Finding type ``CUSTOM_BLOCKLIST``; ``rule`` is ``blocklist.<list name>``; ``category`` is the
list name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from airlock.detectors.base import Finding, ScanContext, Stage
from airlock.detectors.content.lexicon import LexiconRule
from airlock.detectors.content.matcher import RuleMatcher
from airlock.detectors.content.settings import BlocklistList, BlocklistSettings, parse_settings
from airlock.detectors.content.textview import fold
from airlock.detectors.registry import register
from airlock.errors import ConfigError

__all__ = ["BlocklistDetector", "load_blocklist_file"]

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


class BlocklistDetector:
    name = FAMILY

    def __init__(self, settings: BlocklistSettings) -> None:
        lists = list(settings.lists)
        for path in settings.files:
            lists.extend(load_blocklist_file(path))
        names = [b.name for b in lists]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(
                f"detectors.settings.{FAMILY}: blocklist names repeated across lists/files: {dupes}"
            )
        self.lists = tuple(lists)
        self._by_name = {b.name: b for b in lists}
        self._matchers: dict[tuple[str | None, str | None], RuleMatcher] = {}
        for b in lists:
            for rx in b.regex:
                try:
                    import re

                    re.compile(rx)
                except re.error as exc:
                    raise ConfigError(
                        f"detectors.settings.{FAMILY}: list {b.name!r}: regex {rx!r}: {exc}"
                    ) from None

    def _matcher(self, context: ScanContext) -> RuleMatcher:
        key = (context.tenant, context.deployment)
        matcher = self._matchers.get(key)
        if matcher is None:
            rules = [
                LexiconRule(
                    rule=f"blocklist.{b.name}",
                    category=b.name,
                    severity=b.severity,
                    score=1.0,
                    lang="any",
                    literals=tuple(b.terms),
                    regex=tuple(b.regex),
                    type="CUSTOM_BLOCKLIST",
                )
                for b in self.lists
                if (not b.tenants or context.tenant in b.tenants)
                and (not b.deployments or context.deployment in b.deployments)
            ]
            matcher = RuleMatcher(rules)
            if len(self._matchers) < 1024:
                self._matchers[key] = matcher
        return matcher

    def detect(self, text: str, *, stage: Stage, context: ScanContext) -> list[Finding]:
        matcher = self._matcher(context)
        if matcher.empty:
            return []
        out = []
        for hit in matcher.hits(fold(text)):
            b = self._by_name[hit.rule.category]
            out.append(
                Finding(
                    type="CUSTOM_BLOCKLIST",
                    start=hit.start,
                    end=hit.end,
                    score=1.0,
                    rule=hit.rule.rule,
                    category=b.name,
                    severity=b.severity,
                    explanation=f"term from custom blocklist {b.name!r}"
                    + (" (halt on hit)" if b.halt else ""),
                    detector=FAMILY,
                    stage=stage,
                    attributes=(("halt", b.halt), ("tier", "lexicon")),
                )
            )
        return out


@register(FAMILY)
def _factory(settings: Mapping[str, Any]) -> BlocklistDetector:
    return BlocklistDetector(parse_settings(BlocklistSettings, settings, FAMILY))
