"""Checksum and structure validators for identifiers (pure functions, no I/O).

Each returns ``False``/``None`` for a candidate that is not a real identifier; detectors call
them only on candidates the single pass found.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "cn_resident_id",
    "digits_only",
    "iban_valid",
    "luhn_valid",
    "mod11_2_check",
    "payment_card_brand",
    "us_ssn_valid",
    "uscc_valid",
]

_NOT_DIGIT = re.compile(r"[^0-9Xx]")


def digits_only(s: str) -> str:
    """``s`` without separators (spaces, dashes, dots); keeps a trailing check ``X``."""
    return _NOT_DIGIT.sub("", s)


# --------------------------------------------------------------------------- PRC resident ID

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# first two digits: province-level division codes (GB/T 2260)
_PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    ]
)


def mod11_2_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits of a resident ID."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def cn_resident_id(value: str, today: dt.date | None = None) -> dt.date | None:
    """The birth date of a valid 18- or 15-digit PRC resident ID number, else None.

    18 digits: province code, a valid birth date (not in the future, after 1900) and the
    MOD 11-2 check character. 15 digits (legacy, before 1999): province code and a valid
    ``YYMMDD`` birth date in the 1900s.
    """
    today = today or dt.date.today()
    if value[:2] not in _PROVINCES:
        return None
    if len(value) == 18:
        if not value[:17].isdigit() or value[17].upper() != mod11_2_check(value[:17]):
            return None
        born = _date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        if born is None or born.year < 1900 or born > today:
            return None
        return born
    if len(value) == 15 and value.isdigit():
        return _date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    return None


def age_on(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# --------------------------------------------------------------------------- cards, IBAN, SSN


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = ord(c) - 48
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def payment_card_brand(digits: str) -> str | None:
    """The card scheme implied by the number's prefix and length, or None."""
    n = len(digits)
    p2 = int(digits[:2])
    p4 = int(digits[:4])
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if p2 == 62 and 16 <= n <= 19:
        return "unionpay"
    if (digits.startswith("6011") or p2 == 65 or 644 <= int(digits[:3]) <= 649) and 16 <= n <= 19:
        return "discover"
    if 3528 <= p4 <= 3589 and 16 <= n <= 19:
        return "jcb"
    if (p2 in (36, 38) or 300 <= int(digits[:3]) <= 305) and 14 <= n <= 19:
        return "diners"
    if (p2 == 50 or 56 <= p2 <= 69) and 12 <= n <= 19:
        return "maestro"
    return None


_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_valid(compact: str) -> bool:
    """ISO 13616: known country, its length, and the mod-97 check."""
    compact = compact.upper()
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def us_ssn_valid(area: str, group: str, serial: str) -> bool:
    """SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    a = int(area)
    if a in {0, 666} or a >= 900 or group == "00" or serial == "0000":
        return False
    # numbers the SSA voided after they were printed in advertising
    return f"{area}{group}{serial}" not in {"078051120", "219099999", "123456789"}


# --------------------------------------------------------------------------- USCC (GB 32100-2015)

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_AUTHORITY = frozenset("123456789ANY")


def uscc_valid(code: str) -> bool:
    """Unified social credit code: registration authority, region digits, check character."""
    code = code.upper()
    if len(code) != 18 or code[0] not in _USCC_AUTHORITY or not code[2:8].isdigit():
        return False
    try:
        values = [_USCC_CHARS.index(c) for c in code]
    except ValueError:
        return False
    total = sum(v * w for v, w in zip(values[:17], _USCC_WEIGHTS, strict=True))
    check = (31 - total % 31) % 31
    return values[17] == check
