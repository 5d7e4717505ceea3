"""``markings``: classification and control markings, with a normalised ``level``.

Systems: US CAPCO banners (``TOP SECRET//SI//NOFORN``) and portion marks (``(TS//SI)``,
``(S//REL TO USA, FVEY)``, ``(U//FOUO)``), CUI (``CUI//SP-PRVCY``), NATO (``NATO SECRET``,
``COSMIC TOP SECRET``), UK (``OFFICIAL-SENSITIVE``), PRC 密级 (``绝密★``, ``机密★10年``,
``密级：秘密``) and customer code words from the configuration.

Markings are upper-case tokens in a grammar, so they are matched case-sensitively. A bare
level word (``SECRET``, ``CONFIDENTIAL``, ``秘密``) counts only where a marking stands: alone
on its line (a banner), after a label (``Classification:``, ``密级：``), or with a ★ / control
block. "a secret recipe", "TOP SECRET RECIPE" in prose or 《秘密花园》 are not markings.

``level`` is normalised to one scale, lowest first (see :data:`LEVELS`); the system-specific
label is in the ``marking`` attribute, ``system`` names the marking system.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from airlock.detectors.base import Finding, ScanContext
from airlock.detectors.engine import Candidate, ContextPatterns, Emit, Pattern, PatternSource
from airlock.detectors.registry import register
from airlock.detectors.settings import CodeWord, MarkingsSettings, parse_settings

__all__ = ["LEVELS", "Markings", "level_rank"]

# handler regexes, compiled once (the `re` module cache holds only 512)
_RX0 = re.compile(r"//|/")
_RX1 = re.compile(r"(?:^|\n)[ \t]*(?:[0-9]{1,2}\.|[a-z]\.)?[ \t]*$")
_RX2 = re.compile(r" [A-Z]")
_RX3 = re.compile(r" ?[0-9]")
_RX4 = re.compile(r"密级[ ]?[:：]?[ ]?$")
_RX5 = re.compile(r"[ \t]*保密期限")

#: the normalised levels, lowest first
LEVELS = ("UNCLASSIFIED", "CUI", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP_SECRET")

_US = {
    "TOP SECRET": "TOP_SECRET",
    "SECRET": "SECRET",
    "CONFIDENTIAL": "CONFIDENTIAL",
    "RESTRICTED": "RESTRICTED",
    "UNCLASSIFIED": "UNCLASSIFIED",
    "TS": "TOP_SECRET",
    "S": "SECRET",
    "C": "CONFIDENTIAL",
    "R": "RESTRICTED",
    "U": "UNCLASSIFIED",
}
_CN = {"绝密": "TOP_SECRET", "机密": "SECRET", "秘密": "CONFIDENTIAL", "内部": "CUI"}
_NATO = {
    "COSMIC TOP SECRET": "TOP_SECRET",
    "NATO SECRET": "SECRET",
    "NATO CONFIDENTIAL": "CONFIDENTIAL",
    "NATO RESTRICTED": "RESTRICTED",
    "NATO UNCLASSIFIED": "UNCLASSIFIED",
}
_UK = {"UK TOP SECRET": "TOP_SECRET", "UK SECRET": "SECRET", "OFFICIAL-SENSITIVE": "CUI", "OFFICIAL": "CUI"}

# control block after a level: //TOKEN[/ TOKEN]... with tokens of two or more characters
_CTL = r"(?://[A-Z0-9][A-Z0-9-]{1,24}(?:(?:, |[ ,/]|//)[A-Z0-9][A-Z0-9-]{1,24}){0,16})"
_LINE_PREFIX = re.compile(
    r"(?:^|\n)[ \t*=#|>\[(_-]*(?:(?:classification|classified|marking|密级|等级)[ \t]*[:：]?[ \t]*)?$", re.I
)
_LINE_SUFFIX = re.compile(r"^[ \t*=#|<\])_.-]*(?:\n|$)")
_LABEL = re.compile(r"(?:classification|classified|marking)[ \t]*[:：][ \t]*$|密级[ \t]*[:：]?[ \t]*$", re.I)


def level_rank(level: str | None) -> int:
    """Rank of a normalised level (−1 for None or unknown); higher is more restricted."""
    try:
        return LEVELS.index(level or "")
    except ValueError:
        return -1


def _stands_alone(c: Candidate) -> bool:
    """The match is a banner (alone on its line) or follows a classification label."""
    before = c.before(48)
    if _LABEL.search(before):
        return True
    return bool(_LINE_PREFIX.search(before) and _LINE_SUFFIX.match(c.after(8)))


def _controls(block: str | None) -> tuple[str, ...]:
    if not block:
        return ()
    return tuple(t.strip() for t in _RX0.split(block.strip("/")) if t.strip())


def _marking(
    c: Candidate, level: str, system: str, label: str, score: float, *, controls: tuple[str, ...] = (), **extra: Any
) -> Finding:
    attrs: list[tuple[str, Any]] = [("system", system), ("marking", label)]
    if controls:
        attrs.append(("controls", controls))
    attrs.extend(extra.items())
    return c.finding(
        "CLASSIFICATION_MARKING",
        score=score,
        level=level,
        explanation=f"{system.upper()} classification marking ({label})",
        attributes=tuple(attrs),
    )


def _us_banner(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    cls, ctl = c.match.group("cls", "ctl")
    controls = _controls(ctl)
    if controls:
        yield _marking(c, _US[cls], "us", cls, 0.98, controls=controls)
    elif _stands_alone(c):
        yield _marking(c, _US[cls], "us", cls, 0.9)


def _us_portion(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    cls, ctl = c.match.group("cls", "ctl")
    controls = _controls(ctl)
    if cls in ("CUI", "FOUO"):
        yield _marking(c, "CUI", "cui", f"({cls})", 0.9 if not controls else 0.95, controls=controls, portion=True)
        return
    if controls:
        yield _marking(c, _US[cls], "us", f"({cls})", 0.95, controls=controls, portion=True)
        return
    # a bare (S) / (C) / (U) / (TS) opens a paragraph; "(C) 2024" is a copyright line
    line_start = _RX1.search(c.before(8)) is not None
    if line_start and _RX2.match(c.after(2)) and not (cls == "C" and _RX3.match(c.after(2))):
        yield _marking(c, _US[cls], "us", f"({cls})", 0.85, portion=True)


def _cui(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    controls = _controls(c.match.group("ctl"))
    if controls or _stands_alone(c):
        yield _marking(c, "CUI", "cui", c.match.group("word"), 0.95 if controls else 0.85, controls=controls)


def _nato(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    label = c.match.group("cls")
    yield _marking(c, _NATO[label], "nato", label, 0.95, controls=_controls(c.match.group("ctl")))


def _uk(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    label = c.match.group("cls").replace(" SENSITIVE", "-SENSITIVE").removeprefix("UK ").strip()
    key = label if label in _UK else f"UK {label}"
    if key == "OFFICIAL" and not _stands_alone(c):
        return
    yield _marking(c, _UK[key], "uk", c.match.group("cls"), 0.95 if key != "OFFICIAL" else 0.85)


def _cn_star(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    lvl, period = c.match.group("lvl", "period")
    extra: dict[str, Any] = {"period": period} if period else {}
    yield _marking(c, _CN[lvl], "cn", lvl, 0.98, **extra)


def _cn_labelled(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    lvl, period = c.match.group("lvl", "period")
    extra: dict[str, Any] = {"period": period} if period else {}
    yield _marking(c, _CN[lvl], "cn", lvl, 0.95, **extra)


def _cn_bare(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    lvl = c.match.group("lvl")
    if _RX4.search(c.before(6)):
        return  # the labelled pattern reports it
    if _stands_alone(c) or _RX5.match(c.after(8)):
        yield _marking(c, _CN[lvl], "cn", lvl, 0.9)


def _system_patterns() -> dict[str, list[Pattern]]:
    return {
        "us": [
            Pattern(
                "markings.us.banner",
                r"(?<![A-Za-z/])(?<!TOP )(?<!NATO )(?<!UK )"
                r"(?P<cls>TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|RESTRICTED)"
                rf"(?P<ctl>{_CTL})?(?![A-Za-z])",
                handler=_us_banner,
            ),
            Pattern(
                "markings.us.portion",
                rf"\((?P<cls>TS|S|C|U|R|CUI|FOUO)(?P<ctl>{_CTL})?\)",
                handler=_us_portion,
            ),
            Pattern(
                "markings.us.fouo",
                r"(?<![A-Za-z])FOR OFFICIAL USE ONLY(?![A-Za-z])",
                emit=Emit(
                    "CLASSIFICATION_MARKING",
                    score=0.9,
                    level="CUI",
                    explanation="legacy FOR OFFICIAL USE ONLY marking",
                ),
            ),
        ],
        "cui": [
            Pattern(
                "markings.cui",
                rf"(?<![A-Za-z/(])(?P<word>CUI|CONTROLLED)(?P<ctl>{_CTL})?(?![A-Za-z)])",
                handler=_cui,
            ),
        ],
        "nato": [
            Pattern(
                "markings.nato",
                r"(?<![A-Za-z])"
                r"(?P<cls>COSMIC TOP SECRET|NATO SECRET|NATO CONFIDENTIAL|NATO RESTRICTED|NATO UNCLASSIFIED)"
                rf"(?:-(?:ATOMAL|BOHEMIA|BALK))?(?P<ctl>{_CTL})?(?![A-Za-z])",
                handler=_nato,
            ),
        ],
        "uk": [
            Pattern(
                "markings.uk",
                r"(?<![A-Za-z-])(?P<cls>UK TOP SECRET|UK SECRET|(?:UK )?OFFICIAL[- ]SENSITIVE|OFFICIAL)"
                r"(?:[- ](?:COMMERCIAL|PERSONAL|LOCSEN))?(?![A-Za-z-])",
                handler=_uk,
            ),
        ],
        "cn": [
            Pattern(
                "markings.cn.star",
                r"(?P<lvl>绝密|机密|秘密|内部)[ ]?[★☆*][ ]?(?P<period>[0-9一二三四五六七八九十]{1,3}年|长期)?",
                handler=_cn_star,
            ),
            Pattern(
                "markings.cn.labelled",
                r"密级[ ]?[:：]?[ ]?(?P<lvl>绝密|机密|秘密|内部)(?:[ ]?[★☆*])?(?:[，, ]{0,2}保密期限[:：]?[ ]?"
                r"(?P<period>[0-9一二三四五六七八九十]{1,3}年|长期))?",
                handler=_cn_labelled,
            ),
            Pattern(
                "markings.cn.bare",
                r"(?<![\u4e00-\u9fff])(?P<lvl>绝密|机密|秘密)(?![\u4e00-\u9fff★☆*])",
                handler=_cn_bare,
            ),
        ],
    }


def _code_word_patterns(words: Sequence[CodeWord], prefix: str) -> tuple[Pattern, ...]:
    return tuple(
        Pattern(
            f"{prefix}.{i}",
            w.term,
            literal=True,
            caseless=w.caseless,
            word=True,
            emit=Emit(
                "CLASSIFICATION_MARKING",
                score=0.95,
                level=w.level,
                category="code_word",
                explanation="configured classified code word",
            ),
        )
        for i, w in enumerate(words)
    )


class Markings(PatternSource):
    name = "markings"

    def __init__(self, settings: MarkingsSettings | None = None) -> None:
        self.settings = settings or MarkingsSettings()
        by_system = _system_patterns()
        patterns = [p for system in self.settings.systems for p in by_system[system]]
        patterns.extend(_code_word_patterns(self.settings.code_words, "markings.code_word"))
        self._patterns = tuple(patterns)
        self._tenants = {
            k: _code_word_patterns(v, f"markings.code_word.tenant.{k}") for k, v in self.settings.tenants.items()
        }
        self._deployments = {
            k: _code_word_patterns(v, f"markings.code_word.deployment.{k}")
            for k, v in self.settings.deployments.items()
        }

    def patterns(self) -> Sequence[Pattern]:
        return self._patterns

    def context_patterns(self, context: ScanContext) -> ContextPatterns | None:
        tenant = self._tenants.get(context.tenant or "", ())
        deployment = self._deployments.get(context.deployment or "", ())
        if not tenant and not deployment:
            return None
        key = (context.tenant if tenant else None, context.deployment if deployment else None)
        return ContextPatterns(key, (*tenant, *deployment))


@register("markings")
def _factory(settings: Mapping[str, Any]) -> Markings:
    return Markings(parse_settings(MarkingsSettings, settings, "markings"))
