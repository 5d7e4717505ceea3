"""Identifier patterns: resident IDs, payment cards, USCC, IBAN, SSN, passports, permits, plates.

Every identifier is a regex candidate in the single pass plus a validator (checksum, date,
prefix) or a context gate (a keyword such as 护照 / passport inside the regex, so the handler
runs only where the keyword is). Digits separated by spaces, dashes or dots still match.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

from airlock.detectors.base import Finding
from airlock.detectors.engine import Candidate, Pattern
from airlock.detectors.validators import (
    age_on,
    cn_resident_id,
    digits_only,
    iban_valid,
    luhn_valid,
    payment_card_brand,
    us_ssn_valid,
    uscc_valid,
)

__all__ = ["id_patterns"]

# handler regexes, compiled once (the `re` module cache holds only 512)
_RX0 = re.compile(r"(?:chinese|china|prc)\W*$")

_SEP = "[ .-]?"
_NB = "(?<![0-9A-Za-z])"  # not preceded by a letter or digit
_NA = "(?![0-9A-Za-z])"


def _group(c: Candidate, name: str) -> tuple[int, int, str]:
    assert c.match is not None
    s, e = c.match.span(name)
    return s, e, c.match.group(name)


def id_patterns(today: Callable[[], dt.date]) -> list[tuple[Pattern, tuple[str, ...]]]:
    """(pattern, entity types it can produce) for the identifier family."""

    def resident_id(c: Candidate) -> Iterator[Finding]:
        value = digits_only(c.text).upper()
        now = today()
        born = cn_resident_id(value, now)
        if born is None:
            return
        minor = age_on(born, now) < 14
        legacy = len(value) == 15
        yield c.finding(
            "CN_RESIDENT_ID",
            score=0.9 if legacy else 1.0,
            sensitive=True,
            sensitive_category="minor_under_14" if minor else "specific_identity",
            explanation=("legacy 15-digit " if legacy else "")
            + "PRC resident ID with a valid birth date"
            + ("" if legacy else " and MOD 11-2 check")
            + ("; the holder is under 14" if minor else ""),
            attributes=(("minor_under_14", minor),),
        )

    def payment_card(c: Candidate) -> Iterator[Finding]:
        digits = digits_only(c.text)
        if not digits.isdigit() or not luhn_valid(digits):
            return
        brand = payment_card_brand(digits)
        if brand is None or (len(digits) == 18 and cn_resident_id(digits, today()) is not None):
            return
        yield c.finding(
            "PAYMENT_CARD",
            score=0.95,
            sensitive=True,
            sensitive_category="financial_account",
            explanation=f"{brand} card number with a valid Luhn check",
            attributes=(("brand", brand),),
        )

    def uscc(c: Candidate) -> Iterator[Finding]:
        code = c.text.upper()
        if uscc_valid(code) and cn_resident_id(code, today()) is None:
            yield c.finding(
                "CN_USCC", score=0.95, explanation="unified social credit code with a valid check character"
            )

    def iban(c: Candidate) -> Iterator[Finding]:
        if iban_valid(c.text.replace(" ", "")):
            yield c.finding(
                "IBAN",
                score=0.98,
                sensitive=True,
                sensitive_category="financial_account",
                explanation="IBAN with a valid mod-97 check",
            )

    def ssn(c: Candidate) -> Iterator[Finding]:
        assert c.match is not None
        a, g, s = c.match.group("a", "g", "s")
        if not us_ssn_valid(a, g, s):
            return
        gated = c.match.group("kw") is not None if "kw" in c.match.re.groupindex else False
        start, end = c.match.start("a"), c.match.end("s")
        yield c.finding(
            "US_SSN",
            start=start,
            end=end,
            score=0.95 if gated else 0.85,
            sensitive=True,
            sensitive_category="specific_identity",
            explanation="US social security number (valid area, group and serial)",
        )

    def gated(
        type_: str, score: float, explanation: str, sensitive_category: str | None = None
    ) -> Callable[[Candidate], Iterator[Finding]]:
        def handle(c: Candidate) -> Iterator[Finding]:
            s, e, _ = _group(c, "num")
            yield c.finding(
                type_,
                start=s,
                end=e,
                score=score,
                sensitive=sensitive_category is not None,
                sensitive_category=sensitive_category,
                explanation=explanation,
            )

        return handle

    def passport(c: Candidate) -> Iterator[Finding]:
        s, e, num = _group(c, "num")
        num = num.upper()
        if sum(ch.isdigit() for ch in num) < 6:
            return
        cn_format = (num[0] == "E" and len(num) == 9) or (num[0] in "GDSP" and len(num) == 9 and num[1:].isdigit())
        keyword = c.text[: s - c.start].lower()
        e_passport = num[0] == "E" and num[1].isalpha() and len(num) == 9  # PRC e-passport: E + letter + 7 digits
        cn = e_passport or (cn_format and ("护照" in keyword or _RX0.search(c.before(16).lower()) is not None))
        yield c.finding(
            "CN_PASSPORT" if cn else "PASSPORT",
            start=s,
            end=e,
            score=0.95 if cn else 0.9,
            sensitive=True,
            sensitive_category="specific_identity",
            explanation=("PRC " if cn else "") + "passport number after a passport keyword",
        )

    def bank_account(c: Candidate) -> Iterator[Finding]:
        s, e, num = _group(c, "num")
        digits = digits_only(num)
        if not digits.isdigit() or not 8 <= len(digits) <= 30:
            return
        if len(digits) == 18 and cn_resident_id(digits, today()) is not None:
            return
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and payment_card_brand(digits) is not None:
            return  # a card number: PAYMENT_CARD reports it
        yield c.finding(
            "BANK_ACCOUNT",
            start=s,
            end=e,
            score=0.96,
            sensitive=True,
            sensitive_category="financial_account",
            explanation="account number after an account keyword",
        )

    def plate(c: Candidate) -> Iterator[Finding]:
        tail = c.text[2:]
        if sum(ch.isdigit() for ch in tail) >= 3:
            yield c.finding("CN_LICENSE_PLATE", score=0.9, explanation="PRC vehicle licence plate")

    provinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
    plate_letter = "[A-HJ-NP-Z]"
    uscc_char = "[0-9A-HJ-NPQRTUWXY]"
    passport_kw = r"(?:护照|passport)"
    account_kw = (
        r"(?:银行账号|银行帐号|银行卡号|账号|帐号|账户|帐户|卡号|收款账户|"
        r"account(?: number| no\.?| num(?:ber)?| #)?|acct\.?(?: no\.?| #)?|routing(?: number)?)"
    )
    hmt_kw = r"(?:通行证|回乡证|台胞证|permit)"
    return [
        (
            Pattern(
                "pii.cn_resident_id",
                rf"{_NB}[1-8][0-9](?:{_SEP}[0-9]){{15}}{_SEP}[0-9Xx]{_NA}|{_NB}[1-8][0-9](?:{_SEP}[0-9]){{13}}{_NA}",
                handler=resident_id,
                exclusive=True,
            ),
            ("CN_RESIDENT_ID",),
        ),
        (
            Pattern(
                "pii.payment_card",
                r"(?<![0-9])[2-6][0-9](?:[ .-]?[0-9]){11,17}(?![0-9])",
                handler=payment_card,
                exclusive=True,
            ),
            ("PAYMENT_CARD",),
        ),
        (
            Pattern(
                "pii.cn_uscc",
                rf"{_NB}[1-9ANY]{uscc_char}[0-9]{{6}}{uscc_char}{{10}}{_NA}",
                handler=uscc,
                exclusive=True,
            ),
            ("CN_USCC",),
        ),
        (
            Pattern(
                "pii.iban",
                rf"{_NB}[A-Z]{{2}}[0-9]{{2}}(?: ?[A-Z0-9]{{4}}){{2,7}}(?: ?[A-Z0-9]{{1,3}})?{_NA}",
                handler=iban,
                exclusive=True,
            ),
            ("IBAN",),
        ),
        (
            Pattern(
                "pii.us_ssn",
                r"(?<![0-9-])(?P<a>[0-9]{3})-(?P<g>[0-9]{2})-(?P<s>[0-9]{4})(?![0-9-])"
                r"|(?<![0-9 ])(?P<a2>[0-9]{3}) (?P<g2>[0-9]{2}) (?P<s2>[0-9]{4})(?![0-9])",
                handler=lambda c: _ssn_unnamed(c, ssn),
                exclusive=True,
            ),
            ("US_SSN",),
        ),
        (
            Pattern(
                "pii.us_ssn.context",
                r"(?P<kw>ssn|social security(?: number| no\.?| #)?|社会安全号码?)[^0-9\n]{0,16}"
                r"(?P<a>[0-9]{3})[ -]?(?P<g>[0-9]{2})[ -]?(?P<s>[0-9]{4})(?![0-9])",
                caseless=True,
                handler=ssn,
                exclusive=True,
            ),
            ("US_SSN",),
        ),
        (
            Pattern(
                "pii.passport",
                rf"{passport_kw}[^0-9A-Za-z\n]{{0,3}}(?:(?:no|number|num|#|号码|号)[^0-9A-Za-z\n]{{0,3}})?"
                rf"(?P<num>[A-Za-z]{{0,2}}[0-9]{{6,9}}){_NA}",
                caseless=True,
                handler=passport,
                exclusive=True,
            ),
            ("CN_PASSPORT", "PASSPORT"),
        ),
        (
            Pattern(
                "pii.cn_hmt_permit",
                rf"{hmt_kw}[^0-9A-Za-z\n]{{0,3}}(?:(?:no|number|号码|号)[^0-9A-Za-z\n]{{0,3}})?"
                rf"(?P<num>[HM][0-9]{{8}}(?:[0-9]{{2}})?|C[0-9A-Z][0-9]{{7}}|[WLT][0-9]{{8}}|[0-9]{{8}}){_NA}",
                caseless=True,
                handler=gated(
                    "CN_HMT_PERMIT", 0.95, "Hong Kong / Macao / Taiwan travel permit number", "specific_identity"
                ),
                exclusive=True,
            ),
            ("CN_HMT_PERMIT",),
        ),
        (
            Pattern(
                "pii.bank_account",
                rf"{account_kw}[^0-9\n]{{0,6}}(?P<num>[0-9](?:[ -]?[0-9]){{7,29}})(?![0-9])",
                caseless=True,
                handler=bank_account,
                exclusive=True,
            ),
            ("BANK_ACCOUNT",),
        ),
        (
            Pattern(
                "pii.cn_license_plate",
                rf"[{provinces}]{plate_letter}[·•.・ -]?(?:[DF][A-HJ-NP-Z0-9][0-9]{{4}}|[0-9]{{5}}[DF]|"
                rf"[A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]){_NA}",
                handler=plate,
                exclusive=True,
            ),
            ("CN_LICENSE_PLATE",),
        ),
    ]


def _ssn_unnamed(c: Candidate, ssn: Callable[[Candidate], Iterator[Finding]]) -> Iterator[Finding]:
    """The separated SSN forms: dashes, or spaces (two alternatives with their own groups)."""
    assert c.match is not None
    m = c.match
    if m.group("a") is not None:
        yield from ssn(c)
        return
    a, g, s = m.group("a2", "g2", "s2")
    if us_ssn_valid(a, g, s):
        yield c.finding(
            "US_SSN",
            score=0.75,
            sensitive=True,
            sensitive_category="specific_identity",
            explanation="US social security number (valid area, group and serial)",
        )
