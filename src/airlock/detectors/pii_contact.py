"""Contact and location patterns: e-mail, phones, IP addresses, dates of birth, coordinates."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

from airlock.detectors.base import Finding
from airlock.detectors.engine import Candidate, Pattern
from airlock.detectors.validators import age_on

__all__ = ["contact_patterns", "parse_date"]

# handler regexes, compiled once (the `re` module cache holds only 512)
_RX0 = re.compile(r"://[^\s/@]*:$")
_RX1 = re.compile(r"[^0-9]")
_RX2 = re.compile(r"^(?:\+|00)86[ -]?")
_RX3 = re.compile(r"[ .-]")
_RX4 = re.compile(r"[^0-9+]")
_RX5 = re.compile(r"(?:version|ver\.?|v|版本)\s?$")

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_MONTH_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE_RE = (
    r"(?P<y1>(?:19|20)[0-9]{2})[-/.年](?P<m1>[01]?[0-9])(?:[-/.月](?P<d1>[0-3]?[0-9])日?|月)"
    r"|(?P<d2>[0-3]?[0-9])[-/.](?P<m2>[0-3]?[0-9])[-/.](?P<y2>(?:19|20)[0-9]{2})"
    rf"|(?P<mn3>{_MONTH_RE}) (?P<d3>[0-3]?[0-9])(?:st|nd|rd|th)?,? (?P<y3>(?:19|20)[0-9]{{2}})"
    rf"|(?P<d4>[0-3]?[0-9])(?:st|nd|rd|th)? (?:of )?(?P<mn4>{_MONTH_RE}),? (?P<y4>(?:19|20)[0-9]{{2}})"
)
_DOB_KW = (
    r"(?:出生日期|出生年月日?|出生于|生日|生于|出生|date of birth|birth ?date|birthday|d\.?o\.?b\.?|"
    r"born(?: on| in)?)"
)
_NUMBER_SPLIT = re.compile(r"[0-9]+")


def _sub(c: Candidate, group: str, handler: Callable[[Candidate], Iterator[Finding]]) -> Iterator[Finding]:
    """Run ``handler`` on the named group of ``c``'s match as if it were the whole match."""
    assert c.match is not None
    s, e = c.match.span(group)
    yield from handler(Candidate(c.pattern, s, e, None, c.view, c.detector))


def parse_date(m: re.Match[str]) -> dt.date | None:
    """The date a ``_DATE_RE`` match denotes (day-first and month-first both tried)."""
    g = m.groupdict()
    try:
        if g["y1"]:
            return dt.date(int(g["y1"]), int(g["m1"]), int(g["d1"] or 1))
        if g["y2"]:
            a, b, y = int(g["d2"]), int(g["m2"]), int(g["y2"])
            try:
                return dt.date(y, b, a)  # day first (most of the world)
            except ValueError:
                return dt.date(y, a, b)  # month first (US)
        if g["y3"]:
            return dt.date(int(g["y3"]), _MONTHS[g["mn3"].lower().rstrip(".")], int(g["d3"]))
        if g["y4"]:
            return dt.date(int(g["y4"]), _MONTHS[g["mn4"].lower().rstrip(".")], int(g["d4"]))
    except (ValueError, KeyError):
        return None
    return None


@lru_cache(maxsize=1)
def _phonenumbers() -> object:
    import phonenumbers

    return phonenumbers


@lru_cache(maxsize=8192)
def _valid_phone(number: str, region: str | None) -> int | None:
    """The country code of ``number`` when libphonenumber says it is valid (parse is ~0.1 ms)."""
    pn: object = _phonenumbers()
    try:
        num = pn.parse(number, region)  # type: ignore[attr-defined]
    except Exception:  # phonenumbers raises NumberParseException on junk
        return None
    if not pn.is_valid_number(num):  # type: ignore[attr-defined]
        return None
    return int(num.country_code)


def _warm_phonenumbers(regions: Sequence[str]) -> None:
    """Load libphonenumber's metadata and compile its per-type patterns for ``regions`` now.

    libphonenumber does both lazily, costing milliseconds inside the first request that
    meets a region; the configured regions (and +86) are warmed when the detector is built.
    """
    pn: object = _phonenumbers()
    for region in (*regions, "CN"):
        try:
            example = pn.example_number(region)  # type: ignore[attr-defined]
            if example is not None:
                pn.number_type(example)  # type: ignore[attr-defined]
        except Exception:  # noqa: S112 - warming only
            continue


def contact_patterns(
    today: Callable[[], dt.date], phone_regions: Sequence[str]
) -> list[tuple[Pattern, tuple[str, ...]]]:
    # numbers written without a country code: PRC numbers have their own patterns, so try
    # the other regions (a PRC parse would claim "(415) 555-2671" as a Dandong landline)
    regions = tuple(r for r in phone_regions if r != "CN")
    _warm_phonenumbers(regions)

    def email(c: Candidate) -> Iterator[Finding]:
        if _RX0.search(c.before(80)):
            return  # user:password@host in a URL, not an address
        domain = c.text.rsplit("@", 1)[1]
        tld = domain.rsplit(".", 1)[-1]
        if tld.isalpha() and ".." not in domain and not domain.startswith(("-", ".")):
            yield c.finding("EMAIL", score=0.98, explanation="e-mail address")

    def cn_mobile(c: Candidate) -> Iterator[Finding]:
        digits = _RX1.sub("", c.text)
        if digits.startswith("0086"):
            digits = digits[4:]
        elif digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        rest = _RX2.sub("", c.text)
        groups = [len(g) for g in _RX3.split(rest)]
        if len(groups) > 1 and groups not in ([3, 4, 4], [3, 8], [7, 4]):
            return  # separators must group the number as 3-4-4 (an IPv4 address is not a phone)
        if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
            yield c.finding("CN_PHONE", score=0.95, explanation="PRC mobile number")

    def cn_landline(c: Candidate) -> Iterator[Finding]:
        assert c.match is not None
        area = c.match.group("area") or c.match.group("area0")
        local = _RX1.sub("", c.match.group("local"))
        area = area.lstrip("0")
        ok_area = area == "10" or (len(area) == 2 and area[0] == "2") or (len(area) == 3 and area[0] in "3456789")
        if ok_area and len(local) in (7, 8) and local[0] != "0" and local[0] != "1":
            yield c.finding("CN_PHONE", score=0.9, explanation="PRC landline number with area code")

    def phone(c: Candidate) -> Iterator[Finding]:
        text = c.text
        international = text.startswith(("+", "00"))
        key = _RX4.sub("", "+" + text[2:] if text.startswith("00") else text)
        country = (
            _valid_phone(key, None)
            if international
            else next((cc for r in regions if (cc := _valid_phone(key, r)) is not None), None)
        )
        if country is not None:
            yield c.finding(
                "CN_PHONE" if country == 86 else "PHONE",
                score=0.9,
                explanation=f"phone number valid for country code +{country}",
                attributes=(("country_code", country),),
            )

    def ip(c: Candidate) -> Iterator[Finding]:
        text = c.text
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return
        if addr.version == 6 and sum(1 for part in text.split(":") if part) < 3:
            return
        if addr.version == 4 and any(len(p) > 1 and p[0] == "0" for p in text.split(".")):
            return
        before = c.before(12).lower()
        if addr.version == 4 and _RX5.search(before):
            return
        yield c.finding("IP_ADDRESS", score=0.9, explanation=f"IPv{addr.version} address")

    def dob(c: Candidate) -> Iterator[Finding]:
        assert c.match is not None
        born = parse_date(c.match)
        now = today()
        if born is None or born > now or born.year < 1900:
            return
        s = min(c.match.start(g) for g in ("y1", "d2", "mn3", "d4") if c.match.group(g) is not None)
        e = max(c.match.end(g) for g in ("d1", "m1", "y2", "y3", "y4") if c.match.group(g) is not None)
        if c.text[e - c.start : e - c.start + 1] in ("日", "月"):
            e += 1
        minor = age_on(born, now) < 14
        yield c.finding(
            "DATE_OF_BIRTH",
            start=s,
            end=e,
            score=0.95,
            sensitive=minor,
            sensitive_category="minor_under_14" if minor else None,
            explanation="date of birth" + ("; the person is under 14" if minor else ""),
        )

    def geo_pair(c: Candidate) -> Iterator[Finding]:
        assert c.match is not None
        try:
            lat, lon = float(c.match.group("lat")), float(c.match.group("lon"))
        except (TypeError, ValueError):
            return
        if -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0.0, 0.0):
            yield c.finding(
                "GEO_COORDINATE",
                score=0.9,
                sensitive=True,
                sensitive_category="whereabouts",
                explanation="precise geographic coordinates",
            )

    def geo_other(c: Candidate) -> Iterator[Finding]:
        yield c.finding(
            "GEO_COORDINATE",
            score=0.9,
            sensitive=True,
            sensitive_category="whereabouts",
            explanation="geographic coordinates",
        )

    sep = "[ .-]?"
    return [
        (
            Pattern(
                "pii.email",
                r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]{1,63}"
                r"(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])",
                handler=email,
                exclusive=True,
            ),
            ("EMAIL",),
        ),
        (
            Pattern(
                "pii.cn_phone.mobile",
                rf"(?<![0-9A-Za-z+])(?:(?:\+|00)86[ -]?)?1[3-9][0-9](?:{sep}[0-9]){{8}}(?![0-9])",
                handler=cn_mobile,
                exclusive=True,
            ),
            ("CN_PHONE",),
        ),
        (
            Pattern(
                "pii.cn_phone.landline",
                r"(?<![0-9A-Za-z+])(?:(?:\+|00)86[ -]?[(（]?(?P<area>10|2[0-9]|[3-9][0-9]{2})"
                r"|[(（]?(?P<area0>0(?:10|2[0-9]|[3-9][0-9]{2})))[)）]?"
                r"[ -]?(?P<local>[2-9][0-9]{2,3}[ -]?[0-9]{4})(?![0-9])",
                handler=cn_landline,
                exclusive=True,
            ),
            ("CN_PHONE",),
        ),
        (
            Pattern(
                "pii.phone.international",
                r"(?<![0-9A-Za-z+])(?:\+|00)[1-9][0-9]{0,2}[ .-]?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]{1,5}"
                r"(?:[ .-]?[0-9]{2,5}){1,4}(?![0-9])",
                handler=phone,
                exclusive=True,
            ),
            ("PHONE", "CN_PHONE"),
        ),
        (
            Pattern(
                "pii.phone.national",
                r"(?<![0-9A-Za-z+])(?:1[ .-])?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}"
                r"(?![0-9])|(?<![0-9A-Za-z+])0[1-9][0-9]{2,4} [0-9]{3,4} ?[0-9]{3,4}(?![0-9])",
                handler=phone,
                exclusive=True,
            ),
            ("PHONE",),
        ),
        (
            Pattern(
                "pii.phone.context",
                r"(?:phone|tel|telephone|call|mobile|cell|fax|whatsapp|电话|手机|联系方式)[^0-9A-Za-z\n]{0,3}"
                r"(?:(?:me |us )?(?:at|on|number|no\.?|#)[^0-9\n]{0,3})?(?P<num>[2-9][0-9]{9})(?![0-9])",
                caseless=True,
                handler=lambda c: _sub(c, "num", phone),
                exclusive=True,
            ),
            ("PHONE",),
        ),
        (
            Pattern(
                "pii.ip_address",
                r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9]|\.[0-9])"
                r"|(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:|:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![0-9A-Fa-f:])",
                handler=ip,
                exclusive=True,
            ),
            ("IP_ADDRESS",),
        ),
        (
            Pattern(
                "pii.date_of_birth",
                rf"{_DOB_KW}[^0-9A-Za-z\n]{{0,12}}(?:{_DATE_RE})",
                caseless=True,
                handler=dob,
                exclusive=True,
            ),
            ("DATE_OF_BIRTH",),
        ),
        (
            Pattern(
                "pii.geo.decimal",
                r"(?<![0-9.])(?P<lat>-?[0-9]{1,2}\.[0-9]{4,8})°?[NSns]?[ ]?[,，][ ]?"
                r"(?P<lon>-?[0-9]{1,3}\.[0-9]{4,8})°?[EWew]?(?![0-9])",
                handler=geo_pair,
                exclusive=True,
            ),
            ("GEO_COORDINATE",),
        ),
        (
            Pattern(
                "pii.geo.labelled",
                r"(?:lat|latitude|纬度)[\"']?[ ]?[:=：][ ]?(?P<lat>-?[0-9]{1,2}\.[0-9]{2,8})[,，; ]{1,3}[\"']?"
                r"(?:lng|lon|long|longitude|经度)[\"']?[ ]?[:=：][ ]?(?P<lon>-?[0-9]{1,3}\.[0-9]{2,8})",
                caseless=True,
                handler=geo_pair,
                exclusive=True,
            ),
            ("GEO_COORDINATE",),
        ),
        (
            Pattern(
                "pii.geo.dms",
                r"[0-9]{1,2}°[ ]?[0-9]{1,2}['′][ ]?(?:[0-9]{1,2}(?:\.[0-9]{1,3})?[\"″][ ]?)?[NS][, ]{0,2}"
                r"[0-9]{1,3}°[ ]?[0-9]{1,2}['′][ ]?(?:[0-9]{1,2}(?:\.[0-9]{1,3})?[\"″][ ]?)?[EW]"
                r"|(?:北纬|南纬)[ ]?[0-9]{1,2}(?:\.[0-9]{1,8})?度?[，, ]{0,2}"
                r"(?:东经|西经)[ ]?[0-9]{1,3}(?:\.[0-9]{1,8})?度?",
                handler=geo_other,
                exclusive=True,
            ),
            ("GEO_COORDINATE",),
        ),
    ]
