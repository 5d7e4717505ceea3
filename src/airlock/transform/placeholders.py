"""Placeholder formats: how a pseudonym is written, and how it is recognised again.

A format is a template with exactly one ``{type}`` and one ``{n}``, in that order, e.g.
``<{type}_{n}>`` (the default), ``[[{type}_{n}]]`` or ``{{type}}-{n}``. Nothing else in the
template is special: it splits into an opening delimiter (required), a separator (required)
and a closing delimiter (may be empty), none of which may contain letters or digits.

Rendering is exact: ``<PERSON_1>``. Recognition is tolerant, because models copy, re-order and
reformat what they are given. :meth:`PlaceholderFormat.pattern` matches, and nothing else:

* each delimiter or separator character, or its full-width form, or a bracket of the same
  family (``<`` ≡ ``＜`` ≡ ``〈`` ≡ ``《`` ≡ ``‹`` ≡ ``⟨``; ``[`` ≡ ``［`` ≡ ``【`` ≡ ``〔``; ``{`` ≡ ``｛``;
  ``(`` ≡ ``（``);
* the connectors ``_ - ‐ ‑ － ＿`` are interchangeable inside the type name and in the
  separator, where a space is also accepted (``<CN-RESIDENT-ID-1>``, ``<PERSON 1>``);
* up to two spaces (space, tab, no-break or ideographic space) inside the delimiters
  (``< PERSON_1 >``); never a line break;
* the type name in any letter case (``<person_1>``), ASCII letters and digits, at most 48
  characters; the number 1-999999 without leading zeros, in ASCII or full-width digits;
* with ``bare`` on, also the canonical token without delimiters, ``PERSON_1``: upper case,
  ``_`` connectors only, not preceded or followed by an ASCII letter, digit or ``_``.

Recognising a string is not restoring it: :mod:`airlock.transform.restore` replaces a match
only when its canonical key (``PERSON``, 1) is a pseudonym issued in the same tenant and scope.
So ordinary text that happens to look like ``<b_1>`` is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_FORMAT",
    "MAX_NUMBER",
    "MAX_TYPE_LENGTH",
    "PlaceholderFormat",
    "canonical_type",
    "token",
]

DEFAULT_FORMAT = "<{type}_{n}>"
MAX_TYPE_LENGTH = 48
MAX_NUMBER = 999_999

#: interchangeable inside a type name; the separator also accepts a space
_CONNECTORS = "_-‐‑－＿"
_SEP_CONNECTORS = _CONNECTORS + " "
_CONN = "[" + re.escape(_CONNECTORS) + "]"
_WS_CHARS = " \t\u00a0\u3000"
_WS = "[" + re.escape(_WS_CHARS) + "]"
_ALNUM = "[A-Za-z0-9]"
_DIGIT = "[0-9０-９]"
_DIGIT19 = "[1-9１-９]"
_WORD = "[A-Za-z0-9_]"

#: brackets of one family are interchangeable (the first character is the canonical one)
_FAMILIES = (
    "<＜〈《‹⟨",
    ">＞〉》›⟩",
    "[［【〔",
    "]］】〕",
    "{｛",
    "}｝",
    "(（",
    ")）",
)


def _equivalents(ch: str) -> str:
    """Characters accepted in place of delimiter character ``ch``."""
    if ch in _SEP_CONNECTORS:
        return _SEP_CONNECTORS
    for family in _FAMILIES:
        if ch in family:
            return family
    out = ch
    if "!" <= ch <= "~":
        out += chr(ord(ch) + 0xFEE0)  # the full-width form (U+FF01-FF5E)
    return out


def _cls(ch: str) -> str:
    return "[" + re.escape(_equivalents(ch)) + "]"


def canonical_type(raw: str) -> str:
    """``cn-resident id`` → ``CN_RESIDENT_ID``: upper case, every connector an underscore."""
    out = raw.upper()
    for c in _SEP_CONNECTORS:
        if c != "_":
            out = out.replace(c, "_")
    return out


def token(type_: str, n: int) -> str:
    """The format-independent name of a pseudonym, ``PERSON_1`` (what the vault stores)."""
    return f"{type_}_{n}"


@dataclass(frozen=True, slots=True)
class _Element:
    cls: str
    lo: int
    hi: int


def _prefix_language(elements: list[_Element]) -> str:
    """A regex matching every proper prefix of the concatenation of ``elements``.

    Element ``i`` is either consumed (``cls{lo,hi}``) and followed by a prefix of the rest,
    or the input ends inside it (``cls{0,hi}\\Z``). The last element may end the input only
    while it can still grow (``{0,hi-1}``), so a finished match is not a prefix, but one that
    may go on (more digits after ``{PERSON}-1``) is.
    """
    tail = "(?!)"
    for i, e in enumerate(reversed(elements)):
        room = e.hi - 1 if i == 0 else e.hi
        tail = f"(?:{e.cls}{{{e.lo},{e.hi}}}{tail}|{e.cls}{{0,{room}}}\\Z)"
    return tail


class PlaceholderFormat:
    """A parsed placeholder template (build it once, at configuration time)."""

    def __init__(self, template: str = DEFAULT_FORMAT, *, bare: bool = True) -> None:
        if template.count("{type}") != 1 or template.count("{n}") != 1:
            raise ValueError(f"placeholder format {template!r} must contain {{type}} and {{n}} exactly once")
        t, n = template.index("{type}"), template.index("{n}")
        if n < t:
            raise ValueError(f"placeholder format {template!r}: {{type}} must come before {{n}}")
        self.template = template
        self.bare = bare
        self.prefix = template[:t]
        self.separator = template[t + len("{type}") : n]
        self.suffix = template[n + len("{n}") :]
        for name, part in (("opening delimiter", self.prefix), ("separator", self.separator)):
            if not part:
                raise ValueError(f"placeholder format {template!r}: the {name} must not be empty")
        for name, part in (
            ("opening delimiter", self.prefix),
            ("separator", self.separator),
            ("closing delimiter", self.suffix),
        ):
            if any(c.isalnum() for c in part):
                raise ValueError(f"placeholder format {template!r}: the {name} must not contain letters or digits")
            if "\n" in part or "\r" in part or len(part) > 8:
                raise ValueError(f"placeholder format {template!r}: the {name} must be 1-8 characters, one line")
        if any(c in _WS_CHARS for c in self.prefix + self.suffix):
            raise ValueError(f"placeholder format {template!r}: delimiters must not contain spaces")
        self._compile()

    # ------------------------------------------------------------------ rendering
    def render(self, type_: str, n: int) -> str:
        return f"{self.prefix}{type_}{self.separator}{n}{self.suffix}"

    # ------------------------------------------------------------------ recognition
    def _compile(self) -> None:
        open_ = "".join(_cls(c) for c in self.prefix)
        sep = "".join(_cls(c) for c in self.separator)
        close = "".join(_cls(c) for c in self.suffix)
        type_ = f"[A-Za-z](?:{_ALNUM}|{_CONN}(?={_ALNUM})){{0,{MAX_TYPE_LENGTH - 1}}}"
        number = f"{_DIGIT19}{_DIGIT}{{0,5}}"
        end = f"{_WS}{{0,2}}{close}" if self.suffix else f"(?!{_DIGIT})"
        bracketed = f"{open_}{_WS}{{0,2}}(?P<type>{type_}){sep}(?P<n>{number}){end}"
        alternatives = [bracketed]
        starts = "".join(_equivalents(self.prefix[0]))
        if self.bare:
            upper = f"[A-Z](?:[A-Z0-9]|_(?=[A-Z0-9])){{0,{MAX_TYPE_LENGTH - 1}}}"
            alternatives.append(f"(?<!{_WORD})(?P<btype>{upper})_(?P<bn>[1-9][0-9]{{0,5}})(?!{_WORD})")
            starts += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        start_class = "[" + re.escape(starts) + "]"
        # the leading look-ahead lets the engine skip non-starting characters quickly (2x faster)
        self._pattern = re.compile(f"(?={start_class})(?:" + "|".join(alternatives) + ")")
        self._starts = frozenset(starts)
        self._start_re = re.compile(start_class)

        # proper prefixes of a match (what a stream must hold back), slightly over-approximated:
        # the type name may contain any connector sequence here
        elements = [_Element(_cls(c), 1, 1) for c in self.prefix]
        elements.append(_Element(_WS, 0, 2))
        elements.append(_Element("[A-Za-z]", 1, 1))
        elements.append(_Element(f"(?:{_ALNUM}|{_CONN})", 0, MAX_TYPE_LENGTH - 1))
        elements.extend(_Element(_cls(c), 1, 1) for c in self.separator)
        elements.append(_Element(_DIGIT19, 1, 1))
        elements.append(_Element(_DIGIT, 0, 5))
        if self.suffix:
            elements.append(_Element(_WS, 0, 2))
            elements.extend(_Element(_cls(c), 1, 1) for c in self.suffix)
        partial = [_prefix_language(elements)]
        longest = sum(e.hi for e in elements)
        if self.bare:
            # an upper-case word that may still grow into PERSON_12; complete tokens included,
            # since the next character decides the boundary
            partial.append(f"(?<!{_WORD})[A-Z][A-Z0-9_]{{0,{MAX_TYPE_LENGTH + 7}}}\\Z")
            longest = max(longest, MAX_TYPE_LENGTH + 8)
        self._partial = re.compile("(?:" + "|".join(partial) + ")")
        #: the most characters a stream ever holds back
        self.max_pending = longest

    @property
    def pattern(self) -> re.Pattern[str]:
        """Tolerant matcher; use :meth:`key` on its matches."""
        return self._pattern

    @staticmethod
    def key(match: re.Match[str]) -> tuple[str, int]:
        """``(canonical type, number)`` of a match of :attr:`pattern`."""
        raw_type = match.group("type")
        if raw_type is not None:
            return canonical_type(raw_type), int(match.group("n"))
        return match.group("btype"), int(match.group("bn"))

    def keys_in(self, text: str) -> set[tuple[str, int]]:
        """Every placeholder-shaped key in ``text`` (used to spot client-injected placeholders)."""
        if not self._start_re.search(text):
            return set()
        return {self.key(m) for m in self._pattern.finditer(text)}

    def could_start(self, ch: str) -> bool:
        return ch in self._starts

    def first_start(self, text: str, pos: int = 0) -> int:
        """Index of the first character at or after ``pos`` that could open a placeholder, or -1."""
        m = self._start_re.search(text, pos)
        return m.start() if m else -1

    def is_partial(self, text: str, pos: int) -> bool:
        """True if ``text[pos:]`` could still grow into a placeholder (or finish one)."""
        return self._partial.fullmatch(text, pos) is not None

    def __repr__(self) -> str:
        return f"PlaceholderFormat({self.template!r}, bare={self.bare})"
