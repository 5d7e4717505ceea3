"""Text normalisation for detection, with an exact offset map back to the original text.

Detectors match on a *normalised* copy of the text so that obfuscations do not hide data:

- NFKC compatibility folding (ligatures, circled and super-script digits, mathematical letters,
  full-width Latin letters and digits, the ideographic space ...),
- zero-width characters, bidi controls and soft hyphens removed,
- Unicode dashes and spaces folded to ``-`` and `` ``,
- common homoglyphs (Cyrillic and Greek letters that look Latin) folded to ASCII.

Chinese full-width *punctuation* (``，：；（）！？``) is left alone: it carries meaning in
Chinese text and patterns accept both forms. This keeps ordinary Chinese text on the fast
path: a text that needs no change is returned as is, with an identity map, after one C-speed
regex search.

Offsets: :meth:`Normalized.span_to_original` maps a span in the normalised text to the span
of the original characters it came from (a deleted control character inside a match is
covered; a character that expanded to several is covered whole).
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Normalized", "normalize"]

# Removed outright: zero-width space/joiners, LRM/RLM, bidi embeddings/overrides/isolates,
# word joiner and invisible operators, BOM / ZWNBSP, soft hyphen, Mongolian vowel separator.
_DELETE = (
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)

# Chinese full-width punctuation that NFKC would fold but that we keep (meaningful, frequent).
_KEEP = "\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f"

# One-to-one folds applied on top of NFKC.
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ɡ": "g",
    "һ": "h",
    "ӏ": "l",
    "ԛ": "q",
    "ԝ": "w",
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "Х": "X",
    "І": "I",
    "Ј": "J",
    "Ѕ": "S",
    # Greek
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
    "ο": "o",
    "ν": "v",
    # dashes, minus signs and spaces
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\ufe58": "-",
    "\ufe63": "-",
    "\uff0d": "-",
    "\u00a0": " ",
    "\u2000": " ",
    "\u2001": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2007": " ",
    "\u2008": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\u205f": " ",
    "\u3000": " ",
    # full stops used as digit separators
    "\uff0e": ".",
}


# Blocks that must never be swept into the coarse "maybe changes" class: ordinary text in
# them has to stay on the fast path.
_PROTECTED = (
    (0x20, 0x7E),
    (0xC0, 0x2AF),
    (0x2018, 0x201F),
    (0x3001, 0x303F),
    (0x3040, 0x30FF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xFF01, 0xFF1F),
)


@functools.cache
def _needs_change() -> re.Pattern[str]:
    """A *superset* class of the code points the normaliser changes (built once, lazily).

    ``re`` scans a class of a few dozen ranges at hundreds of MB/s but one of ~300 ranges at
    ~20 MB/s, so exact ranges are merged across gaps that hold no protected block; the slow
    path then checks each hit exactly.
    """
    ranges: list[list[int]] = []
    for cp in range(0x30000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        if ch in _KEEP:
            continue
        if ch in _DELETE or ch in _HOMOGLYPHS or unicodedata.normalize("NFKC", ch) != ch:
            if ranges and cp == ranges[-1][1] + 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    merged = [ranges[0]]
    for lo, hi in ranges[1:]:
        gap_lo, gap_hi = merged[-1][1] + 1, lo - 1
        if any(not (p_hi < gap_lo or p_lo > gap_hi) for p_lo, p_hi in _PROTECTED):
            merged.append([lo, hi])
        else:
            merged[-1][1] = hi
    parts = [re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in merged]
    return re.compile("[" + "".join(parts) + "]")


_FOLDED: dict[str, str] = {}


def _fold(chunk: str) -> str:
    kept = "".join(c for c in chunk if c not in _DELETE)
    if not kept:
        return ""
    folded = kept if kept in _HOMOGLYPHS else unicodedata.normalize("NFKC", kept)
    return "".join(_HOMOGLYPHS.get(c, c) for c in folded)


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised text and the map from its offsets to the original's."""

    text: str
    original: str
    #: sorted normalised start offsets of changed segments (empty for an identity map)
    norm_starts: tuple[int, ...] = ()
    norm_ends: tuple[int, ...] = ()
    orig_starts: tuple[int, ...] = ()
    orig_ends: tuple[int, ...] = ()

    @property
    def identity(self) -> bool:
        """Offsets are the same in both texts (characters may still have been replaced 1:1)."""
        return not self.norm_starts

    def _orig_start(self, pos: int) -> int:
        k = bisect.bisect_right(self.norm_starts, pos) - 1
        if k < 0:
            return pos
        if pos < self.norm_ends[k]:  # inside a changed segment: its whole original span
            return self.orig_starts[k]
        return self.orig_ends[k] + (pos - self.norm_ends[k])

    def _orig_end(self, pos: int) -> int:
        # ``pos`` is exclusive: map the last character it covers, then take its end
        if pos <= 0:
            return self._orig_start(0)
        last = pos - 1
        k = bisect.bisect_right(self.norm_starts, last) - 1
        if k < 0:
            return pos
        if last < self.norm_ends[k]:
            return self.orig_ends[k]
        return self.orig_ends[k] + (pos - self.norm_ends[k])

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        if not self.norm_starts:
            return start, end
        s = self._orig_start(start)
        e = self._orig_end(end) if end > start else s
        return s, max(s, e)


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for detection; cheap (one regex search) when nothing changes."""
    if text.isascii():
        return Normalized(text, text)
    pattern = _needs_change()
    first = pattern.search(text)
    if first is None:
        return Normalized(text, text)
    out: list[str] = []
    ns: list[int] = []
    ne: list[int] = []
    os_: list[int] = []
    oe: list[int] = []
    pos = 0  # original position copied so far
    npos = 0  # length of the normalised output so far
    for m in pattern.finditer(text, first.start()):
        a, b = m.span()
        if a > pos:
            out.append(text[pos:a])
            npos += a - pos
        chunk = m.group()
        folded = _FOLDED.get(chunk)
        if folded is None:
            folded = _fold(chunk)
            if len(_FOLDED) < 65536:
                _FOLDED[chunk] = folded
        out.append(folded)
        if len(folded) == b - a:  # one-to-one: offsets stay aligned, no segment needed
            npos += len(folded)
        else:
            ns.append(npos)
            npos += len(folded)
            ne.append(npos)
            os_.append(a)
            oe.append(b)
        pos = b
    if pos < len(text):
        out.append(text[pos:])
    return Normalized("".join(out), text, tuple(ns), tuple(ne), tuple(os_), tuple(oe))
