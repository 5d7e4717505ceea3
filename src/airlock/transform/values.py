"""When two mentions are the same value: a normalisation per entity type.

Pseudonyms are consistent per value, so ``Alice@Example.com`` and ``alice@example.com`` get one
placeholder, and so do ``+86 138-0013-8000`` and ``13800138000``. The normal form is used only
to compare mentions inside one scope; the vault stores the first mention as written.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable

__all__ = ["normalise_value"]

_SPACES = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"[^0-9]")
_ID_NOISE = re.compile(r"[\s\-‐‑–—.·/]")


def _text(value: str) -> str:
    """Default: NFKC, whitespace collapsed, case folded (names, addresses, free text)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()


def _identifier(value: str) -> str:
    """Document and account numbers: NFKC, separators removed, upper case (``x`` → ``X``)."""
    return _ID_NOISE.sub("", unicodedata.normalize("NFKC", value)).upper()


def _digits(value: str) -> str:
    return _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", value))


def _cn_phone(value: str) -> str:
    """Digits only, without the ``+86`` / ``0086`` country code of a mainland mobile number."""
    digits = _digits(value)
    for cc in ("0086", "86"):
        rest = digits.removeprefix(cc)
        if rest != digits and len(rest) == 11 and rest.startswith("1"):
            return rest
    return digits


def _email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


def _ip(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text.lower()


_BY_TYPE: dict[str, Callable[[str], str]] = {
    "EMAIL": _email,
    "PHONE": _digits,
    "CN_PHONE": _cn_phone,
    "IP_ADDRESS": _ip,
    "CN_RESIDENT_ID": _identifier,
    "CN_PASSPORT": _identifier,
    "PASSPORT": _identifier,
    "CN_HMT_PERMIT": _identifier,
    "CN_USCC": _identifier,
    "CN_LICENSE_PLATE": _identifier,
    "PAYMENT_CARD": _identifier,
    "BANK_ACCOUNT": _identifier,
    "IBAN": _identifier,
    "US_SSN": _identifier,
}


def normalise_value(type_: str, value: str) -> str:
    """The form under which two mentions of ``type_`` count as the same value."""
    return _BY_TYPE.get(type_, _text)(value)
