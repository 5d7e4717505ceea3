"""Bounded decoding of base64, hex and URL-encoded blocks, rescanned by the engine.

The decoders are patterns in the same single pass. A candidate block is decoded only when the
result is valid UTF-8 text (mostly printable); the decoded text is normalised and scanned
again (up to ``DecodeSettings.max_depth`` levels and ``max_total`` decoded characters per
scan), and every finding inside is reported on the *encoded* span, with an ``encoding``
attribute (``base64``, ``hex``, ``url``; nested: ``base64>hex``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from airlock.detectors.base import Finding

if TYPE_CHECKING:
    from airlock.detectors.engine import Candidate, Engine, Pattern

__all__ = ["decode_base64", "decode_hex", "decode_url", "decoder_patterns", "printable_text"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def printable_text(raw: bytes, min_printable: float) -> str | None:
    """``raw`` as text when it is valid UTF-8 and mostly printable, else None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.strip():
        return None
    bad = len(_CONTROL.findall(text))
    if bad > len(text) * (1.0 - min_printable):
        return None
    return text


def decode_base64(block: str) -> bytes | None:
    s = block.rstrip("=")
    if len(s) % 4 == 1:
        return None
    s += "=" * (-len(s) % 4)
    try:
        if "-" in s or "_" in s:
            return base64.urlsafe_b64decode(s)
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None


def decode_hex(block: str) -> bytes | None:
    try:
        return bytes.fromhex(block)
    except ValueError:
        return None


def decode_url(block: str) -> bytes | None:
    return unquote_to_bytes(block.replace("+", " "))


_DECODERS: dict[str, tuple[str, Callable[[str], bytes | None], int]] = {
    # name: (regex, decoder, minimum decoded length worth scanning)
    "base64": (r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])", decode_base64, 8),
    "hex": (r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){8,}(?![0-9A-Fa-f])", decode_hex, 8),
    "url": (r"(?:[A-Za-z0-9._~+-]{0,64}%[0-9A-Fa-f]{2}){3,}[A-Za-z0-9._~+-]{0,64}", decode_url, 3),
}


def decoder_patterns(engine: Engine) -> tuple[Pattern, ...]:
    """The decode patterns of ``engine`` (their handlers call back into ``engine.rescan``)."""
    from airlock.detectors.engine import Pattern

    settings = engine.decode
    out = []
    for name, (expr, decoder, min_len) in _DECODERS.items():

        def handle(
            cand: Candidate,
            name: str = name,
            decoder: Callable[[str], bytes | None] = decoder,
            min_len: int = min_len,
        ) -> Iterator[Finding]:
            if cand.end - cand.start > settings.max_block:
                return
            raw = decoder(cand.text)
            if raw is None or len(raw) < min_len:
                return
            text = printable_text(raw, settings.min_printable)
            if text is None or text == cand.text:
                return
            for f in engine.rescan(text, cand.view):
                attrs = dict(f.attributes)
                inner = attrs.get("encoding")
                attrs["encoding"] = f"{name}>{inner}" if inner else name
                yield replace(
                    f,
                    start=cand.start,
                    end=cand.end,
                    attributes=tuple(attrs.items()),
                    explanation=(f.explanation + f" (inside a {name}-encoded block)").strip(),
                )

        out.append(Pattern(id=f"decode.{name}", expr=expr, max_len=settings.max_block, handler=handle))
    return tuple(out)
