"""Hidden payloads the engine does not decode itself: rot13 text and Unicode tag characters.

Jailbreaks hide the real request in an encoding the model can read but a keyword filter
cannot. The engine already decodes base64, hex and URL-encoded blocks and rescans them
(:mod:`airlock.detectors.decode`); :func:`hidden_payloads` adds rot13 and the invisible tag
characters (U+E0000 block), each with the span of the original text it came from; the
injection family rescans them with its rules and the harm lexicon. Decoding is bounded
(``max_bytes`` per text), so cost stays linear.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

from airlock.detectors.content.textview import tag_payload

__all__ = ["Payload", "hidden_payloads"]

_TAGS = re.compile("[\U000e0000-\U000e007f]+")
_ROT13_HINT = re.compile(r"rot[\s-]?13|caesar|凯撒", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Payload:
    encoding: str  # rot13 | unicode_tags
    text: str
    start: int
    end: int


def hidden_payloads(text: str, *, max_bytes: int = 16384) -> Iterator[Payload]:
    for m in _TAGS.finditer(text):
        hidden = tag_payload(m.group())
        if hidden.strip():
            yield Payload("unicode_tags", hidden, m.start(), m.end())
    if _ROT13_HINT.search(text) or _looks_rot13(text):
        yield Payload("rot13", codecs.decode(text[:max_bytes], "rot13"), 0, min(len(text), max_bytes))


_COMMON = re.compile(r"\b(?:the|and|you|to|of|is|how|what|for|this|that|with|are)\b")
_COMMON_ROT = re.compile(r"\b(?:gur|naq|lbh|gb|bs|vf|ubj|jung|sbe|guvf|gung|jvgu|ner)\b")


def _looks_rot13(text: str) -> bool:
    """English text whose rot13 has far more common words than the text itself."""
    sample = text[:4096].lower()
    rot = len(_COMMON_ROT.findall(sample))
    return rot >= 3 and rot > 2 * len(_COMMON.findall(sample))
