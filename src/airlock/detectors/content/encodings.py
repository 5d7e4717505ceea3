"""Hidden payloads: base64 blobs, rot13 text and invisible Unicode tag characters.

Jailbreaks hide the real request in an encoding the model can read but a keyword filter
cannot. :func:`hidden_payloads` returns the decoded texts worth rescanning, each with the
span of the original text it came from; the injection family rescans them with its rules
and the harm lexicon. Decoding is bounded (``max_bytes`` per text), so cost stays linear.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

from airlock.detectors.content.textview import tag_payload

__all__ = ["Payload", "hidden_payloads"]

_B64 = re.compile(
    r"(?<![A-Za-z0-9+/=])(?:[A-Za-z0-9+/]{4}){5,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?(?![A-Za-z0-9+/=])"
)
_TAGS = re.compile("[\U000e0000-\U000e007f]+")
_ROT13_HINT = re.compile(r"rot[\s-]?13|caesar|凯撒", re.IGNORECASE)
_PRINTABLE = re.compile(r"[\x20-\x7e\n\t\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


@dataclass(frozen=True, slots=True)
class Payload:
    encoding: str  # base64 | rot13 | unicode_tags
    text: str
    start: int
    end: int


def _mostly_text(s: str) -> bool:
    if len(s) < 8:
        return False
    good = len(_PRINTABLE.findall(s))
    return good / len(s) >= 0.9 and sum(c.isalpha() for c in s) >= len(s) * 0.5


def hidden_payloads(text: str, *, max_bytes: int = 16384) -> Iterator[Payload]:
    budget = max_bytes
    for m in _TAGS.finditer(text):
        hidden = tag_payload(m.group())
        if hidden.strip():
            yield Payload("unicode_tags", hidden, m.start(), m.end())
    for m in _B64.finditer(text):
        if budget <= 0:
            break
        blob = m.group()
        if blob.isalpha() and (blob.islower() or blob.isupper()):
            continue  # a long plain word, not base64
        try:
            decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)[:budget].decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        budget -= len(decoded)
        if _mostly_text(decoded):
            yield Payload("base64", decoded, m.start(), m.end())
    if _ROT13_HINT.search(text) or _looks_rot13(text):
        yield Payload("rot13", codecs.decode(text[:max_bytes], "rot13"), 0, min(len(text), max_bytes))


_COMMON = re.compile(r"\b(?:the|and|you|to|of|is|how|what|for|this|that|with|are)\b")
_COMMON_ROT = re.compile(r"\b(?:gur|naq|lbh|gb|bs|vf|ubj|jung|sbe|guvf|gung|jvgu|ner)\b")


def _looks_rot13(text: str) -> bool:
    """English text whose rot13 has far more common words than the text itself."""
    sample = text[:4096].lower()
    rot = len(_COMMON_ROT.findall(sample))
    return rot >= 3 and rot > 2 * len(_COMMON.findall(sample))
