"""``cn_tc260``: the jurisdiction pack for China's TC260-003-2024 Appendix A risks.

Finding type ``TC260_RISK`` with ``category`` ``tc260.A.<class>.<item>`` (A.1 a-h, A.2 a-i,
A.3 c, A.4 a-g: the text-detectable risks) and the rule id of the keyword group that hit.
The built-in library (``data/tc260.yaml``) is a starting set: §8 of the standard expects a
provider's own library of >= 10,000 keywords, so customers add files with
``detectors.settings.cn_tc260.extra_lexicons`` (same schema; see docs/content-safety.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from airlock.detectors.base import Finding
from airlock.detectors.content.common import azure_level, load_lexicons, rules_of
from airlock.detectors.content.lexicon import LexiconRule
from airlock.detectors.content.settings import TC260Settings, parse_settings
from airlock.detectors.content.source import LexiconSource
from airlock.detectors.engine import Candidate
from airlock.detectors.registry import register
from airlock.errors import ConfigError

__all__ = ["TC260Detector", "category_counts"]

FAMILY = "cn_tc260"

#: TC260-003-2024 Appendix A risks that text detection covers (A.3 a/b/d/e and A.5 need context)
CATEGORIES = {
    "tc260.A.1.a": "煽动颠覆国家政权、推翻社会主义制度 / inciting subversion of state power",
    "tc260.A.1.b": "危害国家安全和利益、损害国家形象 / endangering national security, harming national image",
    "tc260.A.1.c": "煽动分裂国家、破坏国家统一和社会稳定 / inciting secession, undermining stability",
    "tc260.A.1.d": "宣扬恐怖主义、极端主义 / promoting terrorism or extremism",
    "tc260.A.1.e": "宣扬民族仇恨 / promoting ethnic hatred",
    "tc260.A.1.f": "宣扬暴力、淫秽色情 / promoting violence, obscenity, pornography",
    "tc260.A.1.g": "传播虚假有害信息 / spreading false and harmful information",
    "tc260.A.1.h": "其他法律、行政法规禁止的内容 / other content prohibited by law",
    "tc260.A.2.a": "民族歧视 / ethnic discrimination",
    "tc260.A.2.b": "信仰歧视 / discrimination by belief",
    "tc260.A.2.c": "国别歧视 / discrimination by nationality",
    "tc260.A.2.d": "地域歧视 / regional discrimination",
    "tc260.A.2.e": "性别歧视 / gender discrimination",
    "tc260.A.2.f": "年龄歧视 / age discrimination",
    "tc260.A.2.g": "职业歧视 / occupational discrimination",
    "tc260.A.2.h": "健康歧视 / health discrimination",
    "tc260.A.2.i": "其他方面歧视 / other discrimination",
    "tc260.A.3.c": "泄露他人商业秘密 / disclosing trade secrets",
    "tc260.A.4.a": "危害他人身心健康 / harming others' physical or mental health",
    "tc260.A.4.b": "侵害他人肖像权 / infringing portrait rights",
    "tc260.A.4.c": "侵害他人名誉权 / infringing reputation rights",
    "tc260.A.4.d": "侵害他人荣誉权 / infringing honour rights",
    "tc260.A.4.e": "侵害他人隐私权 / infringing privacy rights",
    "tc260.A.4.f": "侵害他人个人信息权益 / infringing personal-information rights",
    "tc260.A.4.g": "侵犯他人其他合法权益 / infringing other lawful rights",
}


class TC260Detector(LexiconSource):
    name = FAMILY
    default_type = "TC260_RISK"

    def __init__(self, settings: TC260Settings) -> None:
        self.settings = settings
        self.lexicons = load_lexicons(["tc260.yaml"], settings.extra_lexicons)
        unknown = sorted({r.category for r in rules_of(self.lexicons)} - set(CATEGORIES))
        if unknown:
            raise ConfigError(
                f"detectors.settings.{FAMILY}.extra_lexicons: unknown categories {unknown}; "
                f"use one of {', '.join(sorted(CATEGORIES))}"
            )
        self._only = frozenset(settings.categories)
        super().__init__(rules_of(self.lexicons))

    def accept(self, rule: LexiconRule) -> bool:
        return not self._only or rule.category in self._only

    def explain(self, rule: LexiconRule) -> str:
        return (
            f"TC260-003-2024 Appendix A {rule.category.removeprefix('tc260.')} keyword group {rule.rule}, "
            f"severity {rule.severity} ({azure_level(rule.severity)})"
        )

    def findings_for(self, c: Candidate, rule: LexiconRule) -> Iterable[Finding]:
        for f in super().findings_for(c, rule):
            yield replace(f, attributes=(*f.attributes, ("pack", "cn-tc260")))


def category_counts(detector: TC260Detector) -> dict[str, int]:
    """Terms per category in the loaded library (for the docs and `lexicon-stats`)."""
    counts = dict.fromkeys(CATEGORIES, 0)
    for rule in rules_of(detector.lexicons):
        counts[rule.category] = counts.get(rule.category, 0) + len(rule.literals) + len(rule.regex)
    return counts


@register(FAMILY)
def _factory(settings: Mapping[str, Any]) -> TC260Detector:
    return TC260Detector(parse_settings(TC260Settings, settings, FAMILY))
