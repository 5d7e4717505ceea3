"""The shipped Chinese person-name tagger: an averaged structured perceptron over characters.

Tags are ``O`` (outside), ``B`` (first character of a name) and ``I`` (inside a name). The
emission score of a tag at a position is the sum of the weights of the position's hashed
features (:mod:`airlock.detectors.ner.features`); a 3x3 transition matrix scores tag pairs
(``O`` -> ``I`` is forbidden). Inference is numpy only:

1. only Han characters (and the middle dot of foreign names) are scored; every other
   position is ``O``;
2. positions where neither name tag beats ``O`` by more than ``-prune`` are ``O`` without
   further thought, so Viterbi runs only on short segments around plausible names;
3. each name on the best path gets a margin: its path score minus the score of the same
   path with the name tagged ``O``. Names below ``threshold`` are dropped.

The weights file (``data/person-zh-v1.npz``) holds, per hashed feature, the ``B`` and ``I``
scores relative to ``O`` as int16 with one scale (2 x 2**16 float32 in memory, 512 KiB, which
stays in the L2 cache), the transitions, the hashing size and the per-shape decision thresholds. ``TRAINING.md`` and
``metrics.json`` beside this module say what it was trained on and how it scored;
``scripts/train_ner.py`` rebuilds it.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from airlock.detectors.ner.features import (
    COMMON_SURNAMES,
    COMPOUND_SURNAMES,
    RARE_SURNAMES,
    class_table,
    codepoints,
    feature_index,
)

__all__ = ["DEFAULT_WEIGHTS", "SHAPES", "NameSpan", "NameTagger", "default_tagger", "shape", "viterbi"]

DEFAULT_WEIGHTS = "person-zh-v1.npz"
O, B, I = 0, 1, 2  # noqa: E741  (the tag names)
_NEG = -1e9
_HAN_KIND = 1
_ACTIVE = class_table() & 7 == _HAN_KIND
_ACTIVE[0xB7] = True  # 克里斯·保罗
_ACTIVE[0x2027] = True


# the shapes a name can take; each has its own decision threshold
SHAPES = ("zh3", "zh2", "zh1", "foreign")
_SURNAME_SET = frozenset(COMMON_SURNAMES + RARE_SURNAMES)
_COMPOUND_SET = frozenset(COMPOUND_SURNAMES)
# a title or form of address right after a surname: 陈小姐, 王老师, 胡老 (the surname alone is the name)
_TITLE_AFTER = re.compile(
    "先生|小姐|女士|太太|夫人|老师|教授|大夫|医生|师傅|阿姨|大娘|大爷|大妈|大伯|大姐|大哥|同志|书记|主任|经理|"
    "校长|院长|部长|局长|总理|主席|老[，。、；：！？说\\s]|总[，。、；：！？说\\s]"
)


@dataclass(frozen=True, slots=True)
class NameSpan:
    start: int
    end: int
    margin: float
    shape: str = ""


def shape(text: str, start: int, end: int) -> tuple[int, int, str] | None:
    """Normalise a decoded span to the name it stands for, with its shape (or ``None``).

    A surname followed by a title keeps the surname alone (陈小姐 -> 陈, as MSRA labels it);
    a single character counts only before a title.
    """
    name = text[start:end]
    n = len(name)
    if n > 10:
        return None
    if name[:2] in _COMPOUND_SET:
        if n == 2:
            return (start, end, "zh1") if _TITLE_AFTER.match(text, end) else None
        return (start, end, "zh3") if n <= 4 else None
    if name[0] in _SURNAME_SET:
        if n <= 2 and _TITLE_AFTER.match(text, start + 1):
            return start, start + 1, "zh1"
        if n == 1:
            return None
        if n <= 3:
            return start, end, f"zh{n}"
    if n == 1:
        return None
    return start, end, "foreign"


def viterbi(emissions: Sequence[Sequence[float]], trans: Sequence[Sequence[float]]) -> list[int]:
    """Best tag path for a segment that is preceded and followed by ``O`` (``O`` -> ``I`` is forbidden).

    Unrolled for the three tags: this runs in the request path.
    """
    n = len(emissions)
    if n == 0:
        return []
    (too, tob, _), (tbo, tbb, tbi), (tio, tib, tii) = trans
    e = emissions[0]
    so, sb, si = too + e[0], tob + e[1], _NEG
    back: list[tuple[int, int, int]] = []
    for k in range(1, n):
        e = emissions[k]
        # to O
        if so + too >= sb + tbo and so + too >= si + tio:
            no, bo = so + too, O
        elif sb + tbo >= si + tio:
            no, bo = sb + tbo, B
        else:
            no, bo = si + tio, I
        # to B
        if so + tob >= sb + tbb and so + tob >= si + tib:
            nb, bb = so + tob, O
        elif sb + tbb >= si + tib:
            nb, bb = sb + tbb, B
        else:
            nb, bb = si + tib, I
        # to I (never from O)
        if sb + tbi >= si + tii:
            ni, bi = sb + tbi, B
        else:
            ni, bi = si + tii, I
        so, sb, si = no + e[0], nb + e[1], ni + e[2]
        back.append((bo, bb, bi))
    last = max(((so + too, O), (sb + tbo, B), (si + tio, I)))[1]
    path = [last]
    for bp in reversed(back):
        last = bp[last]
        path.append(last)
    path.reverse()
    return path


class NameTagger:
    def __init__(
        self,
        weights: npt.NDArray[np.int16],
        scale: float,
        transitions: npt.NDArray[np.float64],
        *,
        bits: int,
        thresholds: dict[str, float],
        prune: float = 0.0,
        version: str = "",
    ) -> None:
        """``weights[h] = (B - O, I - O)`` for hashed feature ``h``, in units of ``scale``."""
        if weights.shape != (1 << bits, 2) or weights.dtype != np.int16:
            raise ValueError(f"weights must be int16 with shape ({1 << bits}, 2), got {weights.dtype} {weights.shape}")
        # float32 rows per tag: two 1-D gathers over 2 x 256 KiB, which stay in the L2 cache
        self._b = np.ascontiguousarray(weights[:, 0], dtype=np.float32) * np.float32(scale)
        self._i = np.ascontiguousarray(weights[:, 1], dtype=np.float32) * np.float32(scale)
        self.scale = scale
        trans = transitions.astype(np.float64).copy()
        trans[O, I] = _NEG
        self.transitions = trans
        self._trans = trans.tolist()
        self.bits = bits
        self.thresholds = {k: float(thresholds.get(k, float("inf"))) for k in SHAPES}
        self.prune = prune
        self.version = version

    @classmethod
    def from_bytes(cls, data: bytes) -> NameTagger:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return cls(
                z["weights"],
                float(meta["scale"]),
                z["transitions"],
                bits=int(meta["bits"]),
                thresholds={k: float(v) for k, v in meta["thresholds"].items()},
                prune=float(meta.get("prune", 0.0)),
                version=str(meta.get("version", "")),
            )

    def emissions(self, cps: npt.NDArray[np.uint32], positions: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        """Scores of ``B`` and ``I`` relative to ``O`` (which scores 0), shape ``(len(positions), 2)``."""
        idx = feature_index(cps, self.bits, positions)
        ones = np.ones(idx.shape[1], dtype=np.float32)
        out = np.empty((len(positions), 2), dtype=np.float32)
        out[:, 0] = self._b.take(idx) @ ones
        out[:, 1] = self._i.take(idx) @ ones
        return out

    def spans(self, text: str) -> list[NameSpan]:
        """Names found in ``text`` (those whose margin reaches their shape's threshold)."""
        th = self.thresholds
        return [s for s in self.decode(text) if s.margin >= th[s.shape]]

    def decode(self, text: str) -> list[NameSpan]:
        """Every name on the best path, shaped (see :func:`shape`), whatever its margin."""
        cps = codepoints(text)
        if not len(cps):
            return []
        active = _ACTIVE[np.minimum(cps, 0xFFFF)]
        active &= cps <= 0xFFFF
        positions = np.flatnonzero(active)
        if not len(positions):
            return []
        em = self.emissions(cps, positions)
        hot = np.flatnonzero(em.max(axis=1) > -self.prune)
        if not len(hot):
            return []
        return self._segments(text, positions, em, hot)

    def _segments(
        self, text: str, positions: npt.NDArray[np.intp], em: npt.NDArray[np.float32], hot: npt.NDArray[np.intp]
    ) -> list[NameSpan]:
        pos = positions.tolist()
        m = len(pos)
        out: list[NameSpan] = []
        # segments: hot positions widened by two on each side, within a run of active text
        segs: list[list[int]] = []
        for j in hot.tolist():
            lo, hi = j, j
            while lo > 0 and j - lo < 2 and pos[lo - 1] == pos[lo] - 1:
                lo -= 1
            while hi < m - 1 and hi - j < 2 and pos[hi + 1] == pos[hi] + 1:
                hi += 1
            if segs and lo <= segs[-1][1] + 1 and pos[lo] <= pos[segs[-1][1]] + 1:
                segs[-1][1] = max(segs[-1][1], hi)
            else:
                segs.append([lo, hi])
        trans = self._trans
        for lo, hi in segs:
            e = [[0.0, b, i] for b, i in em[lo : hi + 1].tolist()]
            path = viterbi(e, trans)
            i = 0
            n = len(path)
            while i < n:
                if path[i] != B:
                    i += 1
                    continue
                j = i + 1
                while j < n and path[j] == I:
                    j += 1
                delta = trans[O][B] + trans[path[j - 1]][O] - (j - i + 1) * trans[O][O]
                for k in range(i, j):
                    delta += e[k][path[k]] - e[k][O]
                for k in range(i, j - 1):
                    delta += trans[path[k]][path[k + 1]]
                shaped = shape(text, pos[lo + i], pos[lo + j - 1] + 1)
                if shaped is not None:
                    out.append(NameSpan(shaped[0], shaped[1], delta, shaped[2]))
                i = j
        return out


@cache
def default_tagger() -> NameTagger:
    """The tagger shipped in the package (loaded once; never downloads anything)."""
    data = resources.files("airlock.detectors.ner").joinpath("data", DEFAULT_WEIGHTS).read_bytes()
    return NameTagger.from_bytes(data)
