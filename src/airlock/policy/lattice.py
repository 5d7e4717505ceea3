"""Classification levels: ordered ladders (US, China, NATO, UK) on one rank scale.

Every ladder maps its levels onto a shared rank so levels from different systems compare:

===== =================== ============ ====================== ====================
rank  US                  China        NATO                   UK
===== =================== ============ ====================== ====================
0     UNCLASSIFIED        公开          NATO UNCLASSIFIED      OFFICIAL
1     CUI                 内部          NATO RESTRICTED        OFFICIAL-SENSITIVE
2     CONFIDENTIAL        秘密          NATO CONFIDENTIAL      –
3     SECRET              机密          NATO SECRET            SECRET
4     TOP SECRET          绝密          COSMIC TOP SECRET      TOP SECRET
===== =================== ============ ====================== ====================

The equivalences are a configurable default, not a legal mapping: a customer replaces or
extends them under ``policy.classification``. Names are matched case-insensitively with
whitespace, ``-`` and ``_`` normalised; each level has aliases (``TS``, ``S``, ``U``,
``(U//FOUO)`` → CUI …). Unknown names are errors that list the accepted values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["DEFAULT_LADDERS", "Lattice", "Level", "UnknownLevel"]


class UnknownLevel(ValueError):
    def __init__(self, value: str, accepted: Sequence[str]) -> None:
        super().__init__(f"unknown classification {value[:60]!r}; accepted: {', '.join(accepted)}")
        self.value = value
        self.accepted = list(accepted)


@dataclass(frozen=True, slots=True)
class Level:
    name: str  # canonical name, e.g. "SECRET", "机密"
    rank: int
    ladder: str  # us | cn | nato | uk | custom ladder name

    def __str__(self) -> str:
        return self.name


#: ladder → [(canonical name, rank, aliases)]
DEFAULT_LADDERS: dict[str, list[tuple[str, int, tuple[str, ...]]]] = {
    "us": [
        ("UNCLASSIFIED", 0, ("U", "UNCLASS", "PUBLIC")),
        ("CUI", 1, ("CONTROLLED", "FOUO", "U//FOUO", "CONTROLLED UNCLASSIFIED INFORMATION", "SBU")),
        ("CONFIDENTIAL", 2, ("C",)),
        ("SECRET", 3, ("S",)),
        ("TOP SECRET", 4, ("TS", "TOP SECRET//SCI", "TS//SCI")),
    ],
    "cn": [
        ("公开", 0, ("PUBLIC-CN", "GONGKAI")),
        ("内部", 1, ("INTERNAL", "NEIBU")),
        ("秘密", 2, ("MIMI",)),
        ("机密", 3, ("JIMI",)),
        ("绝密", 4, ("JUEMI",)),
    ],
    "nato": [
        ("NATO UNCLASSIFIED", 0, ("NU",)),
        ("NATO RESTRICTED", 1, ("NR", "RESTRICTED", "R")),
        ("NATO CONFIDENTIAL", 2, ("NC",)),
        ("NATO SECRET", 3, ("NS",)),
        ("COSMIC TOP SECRET", 4, ("CTS", "NATO TOP SECRET")),
    ],
    "uk": [
        ("OFFICIAL", 0, ("UK OFFICIAL",)),
        ("OFFICIAL-SENSITIVE", 1, ("OFFICIAL SENSITIVE", "OS", "UK OFFICIAL-SENSITIVE")),
        ("UK SECRET", 3, ("GBR SECRET",)),
        ("UK TOP SECRET", 4, ("GBR TOP SECRET",)),
    ],
}

_SPACES = re.compile(r"[\s_]+")


def _norm(value: str) -> str:
    v = value.strip().strip("()").upper()
    v = v.replace("★", "").replace("－", "-").replace("—", "-")
    v = _SPACES.sub(" ", v)
    return v.strip()


class Lattice:
    """All known levels, by normalised name and alias."""

    def __init__(self, ladders: Mapping[str, Iterable[tuple[str, int, Sequence[str]]]] | None = None) -> None:
        self._by_name: dict[str, Level] = {}
        self._canonical: list[Level] = []
        for ladder, levels in (ladders or DEFAULT_LADDERS).items():
            for name, rank, aliases in levels:
                level = Level(name, rank, ladder)
                self._canonical.append(level)
                for key in (name, *aliases):
                    k = _norm(key)
                    existing = self._by_name.get(k)
                    if existing is not None and existing != level:
                        raise ValueError(f"classification name {key!r} is defined twice ({existing.ladder}, {ladder})")
                    self._by_name[k] = level

    @property
    def accepted(self) -> list[str]:
        return [lv.name for lv in sorted(self._canonical, key=lambda lv: (lv.ladder, lv.rank))]

    def get(self, value: str) -> Level | None:
        return self._by_name.get(_norm(value))

    def parse(self, value: str) -> Level:
        level = self.get(value)
        if level is None:
            # "SECRET//NOFORN", "秘密★10年": the classification is the leading token
            head = re.split(r"//|★|\s*\(", value.strip().lstrip("(（").rstrip(")）"), maxsplit=1)[0]
            level = self.get(head)
        if level is None:
            raise UnknownLevel(value, self.accepted)
        return level

    def highest(self, levels: Iterable[Level | None]) -> Level | None:
        best: Level | None = None
        for lv in levels:
            if lv is not None and (best is None or lv.rank > best.rank):
                best = lv
        return best

    def top(self) -> int:
        return max(lv.rank for lv in self._canonical)

    @staticmethod
    def exceeds(level: Level | None, ceiling: Level) -> bool:
        return level is not None and level.rank > ceiling.rank
