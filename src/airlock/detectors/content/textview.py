"""Folded views of a text for lexicon matching, with a map back to original offsets.

Content rules must survive the usual evasions: full-width and compatibility forms, mixed
case, Cyrillic or Greek look-alike letters, zero-width and bidi controls, invisible Unicode
tag characters, leetspeak inside words (``k1ll``, ``b0mb``), spaced-out letters
(``k i l l``) and separators pushed between Chinese characters (``炸 药``, ``炸*药``).

:func:`fold` builds one :class:`TextView` per text in a single linear pass. ``view.text`` is
what patterns run against; ``view.origin(i, j)`` maps a span of the view back to the span
of the ORIGINAL text. Views are cached for the last few texts, so the content families that
scan the same prompt share one fold.

This is the content families' own folding (more aggressive than the engine's NFKC pass:
leetspeak and spacing are content-specific evasions).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["TextView", "fold", "is_cjk", "tag_payload"]

#: Cyrillic and Greek letters that render like Latin ones (after casefold).
_HOMOGLYPHS = {
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ɡ": "g",
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "ѵ": "v",
    "ԛ": "q",
    "ԝ": "w",
    "ı": "i",
}
#: Digits and symbols read as letters inside a word that also has real letters.
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"}
_INVISIBLE_CATEGORIES = {"Cf"}
_TAG_START, _TAG_END = 0xE0000, 0xE007F
_WHITESPACE = set(" \t\r\n\u3000\xa0")
_SEPARATORS = set(" \t\r\n.,;:*_-~/\\|+'\"`·•、，。；：！？…—－＿＊")


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FFFF


def tag_payload(text: str) -> str:
    """The ASCII hidden in Unicode tag characters (U+E0020..U+E007E), '' when there is none."""
    return "".join(chr(ord(c) - 0xE0000) for c in text if 0xE0020 <= ord(c) <= 0xE007E)


@dataclass(frozen=True, slots=True)
class TextView:
    """A folded copy of a text; ``index[k]`` is the original index of ``text[k]``."""

    text: str
    index: tuple[int, ...]
    source_length: int

    def origin(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering the view span ``[start, end)``."""
        if not self.index:
            return 0, 0
        start = min(max(start, 0), len(self.index) - 1)
        last = min(max(end - 1, start), len(self.index) - 1)
        return self.index[start], min(self.index[last] + 1, self.source_length)


_WORD = re.compile(r"[a-z0-9@$]+")
_LETTER = re.compile(r"[a-z]")
_SPACED = re.compile(r"(?<![a-z0-9])(?:[a-z0-9][ .\-_*]){3,}[a-z0-9](?![a-z0-9])")


def _base_fold(text: str) -> tuple[list[str], list[int]]:
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        o = ord(ch)
        if o < 128:
            c = ch.lower()
            chars.append(c)
            index.append(i)
            continue
        if _TAG_START <= o <= _TAG_END or unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
            continue  # zero-width, bidi controls, tag characters: invisible to a reader
        folded = unicodedata.normalize("NFKC", ch).casefold()
        for f in folded:
            chars.append(_HOMOGLYPHS.get(f, f))
            index.append(i)
    return chars, index


def _deleet(chars: list[str]) -> None:
    joined = "".join(chars)
    for m in _WORD.finditer(joined):
        word = m.group()
        if len(word) < 2 or word.isalpha() or not _LETTER.search(word):
            continue
        # words that mix letters with look-alike digits/symbols: "k1ll", "b0mb", "h@te", "t0";
        # a trailing number after two or more letters is a version or name ("covid19", "mp3")
        end = len(word.rstrip("0123456789"))
        word_end = m.start() + end if end >= 2 and word[:end].isalpha() else m.end()
        for k in range(m.start(), word_end):
            rep = _LEET.get(chars[k])
            if rep is not None:
                chars[k] = rep


def _compact(chars: list[str], index: list[int]) -> tuple[list[str], list[int]]:
    """Drop separators between CJK characters and inside spaced-out letter runs; one space per run."""
    n = len(chars)
    drop = [False] * n
    for k in range(n):
        if chars[k] in _WHITESPACE:
            chars[k] = " "
            if k > 0 and chars[k - 1] == " ":
                drop[k] = True
    # separators between two CJK characters (at most 3 in a row)
    k = 0
    while k < n:
        if chars[k] in _SEPARATORS and k > 0 and is_cjk(chars[k - 1]):
            j = k
            while j < n and chars[j] in _SEPARATORS and j - k < 3:
                j += 1
            if j < n and is_cjk(chars[j]):
                for q in range(k, j):
                    drop[q] = True
            k = j
            continue
        k += 1
    joined = "".join(chars)
    for m in _SPACED.finditer(joined):
        for k in range(m.start(), m.end()):
            if not chars[k].isalnum():
                drop[k] = True
    if not any(drop):
        return chars, index
    return [c for c, d in zip(chars, drop, strict=True) if not d], [
        i for i, d in zip(index, drop, strict=True) if not d
    ]


@lru_cache(maxsize=16)
def fold(text: str) -> TextView:
    """The folded view of ``text`` (cached: several families scan the same text)."""
    chars, index = _base_fold(text)
    _deleet(chars)
    chars, index = _compact(chars, index)
    return TextView(text="".join(chars), index=tuple(index), source_length=len(text))
