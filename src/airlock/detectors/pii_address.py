"""``ADDRESS``: Chinese structured addresses and English street addresses.

Chinese: province / city / district / town, then a road with a house number (and optional
building, unit and room), or at least a city and a district. Leading words such as 住在 /
地址是 are trimmed from the span. English: a house number, one to four capitalised words and
a USPS street suffix (USPS Publication 28), optionally a unit, city, state and ZIP code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from airlock.detectors.base import Finding
from airlock.detectors.engine import Candidate, Pattern

__all__ = ["address_patterns"]

_HAN = "[\u4e00-\u9fff]"
_CN_NUM = "(?:[0-9]{1,5}|[一二三四五六七八九十百零]{1,4})"
_PROVINCE = (
    r"(?:北京|天津|上海|重庆)市?|(?:河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|"
    r"四川|贵州|云南|陕西|甘肃|青海|台湾)省?|(?:内蒙古|广西|西藏|宁夏|新疆)(?:[\u4e00-\u9fff]{0,4}自治区)?|"
    r"(?:香港|澳门)(?:特别行政区)?"
)
_ZH_ADDRESS = (
    rf"(?:{_PROVINCE})?"
    rf"(?:{_HAN}{{2,5}}?(?:市|自治州|地区|盟))?"
    rf"(?:{_HAN}{{1,5}}?(?:区|县|旗))?"
    rf"(?:{_HAN}{{1,6}}?(?:镇|乡|街道))?"
    rf"(?:[\u4e00-\u9fff0-9]{{1,8}}?(?:路|街|大街|大道|巷|胡同|弄|里))"
    rf"{_CN_NUM}[号弄]"
    rf"(?:{_HAN}{{2,8}}?(?:小区|花园|公寓|大厦|中心|广场|苑|园))?"
    r"(?:[0-9A-Za-z]{1,4}(?:号楼|栋|幢|座))?(?:[0-9]{1,3}单元)?(?:[0-9]{1,5}(?:室|房|号))?"
    rf"|(?:{_PROVINCE})?{_HAN}{{2,5}}?市{_HAN}{{1,5}}?(?:区|县)(?:{_HAN}{{1,6}}?(?:镇|乡|街道))?"
)
_LEADING = re.compile(
    r"^(?:我家住在|我住在|家住在|住在|家住|地址是|地址为|地址|位于|坐落于|来自|前往|寄到|送到|搬到|我在|他在|她在|在|住|于|到|是|为|去|从|往)+"
)

_USPS_SUFFIXES = [
    "Alley",
    "Aly",
    "Avenue",
    "Ave",
    "Boulevard",
    "Blvd",
    "Bridge",
    "Brook",
    "Bypass",
    "Byp",
    "Causeway",
    "Center",
    "Ctr",
    "Circle",
    "Cir",
    "Cliff",
    "Court",
    "Ct",
    "Cove",
    "Creek",
    "Crescent",
    "Crest",
    "Crossing",
    "Xing",
    "Drive",
    "Dr",
    "Estates",
    "Expressway",
    "Expy",
    "Extension",
    "Falls",
    "Ferry",
    "Field",
    "Fields",
    "Flat",
    "Ford",
    "Forest",
    "Fork",
    "Fort",
    "Freeway",
    "Fwy",
    "Garden",
    "Gardens",
    "Gateway",
    "Glen",
    "Green",
    "Grove",
    "Harbor",
    "Haven",
    "Heights",
    "Hts",
    "Highway",
    "Hwy",
    "Hill",
    "Hills",
    "Hollow",
    "Island",
    "Junction",
    "Jct",
    "Key",
    "Knoll",
    "Lake",
    "Landing",
    "Lane",
    "Ln",
    "Light",
    "Lock",
    "Lodge",
    "Loop",
    "Mall",
    "Manor",
    "Meadow",
    "Meadows",
    "Mews",
    "Mill",
    "Mills",
    "Mission",
    "Motorway",
    "Mount",
    "Mountain",
    "Mtn",
    "Orchard",
    "Oval",
    "Park",
    "Parkway",
    "Pkwy",
    "Pass",
    "Path",
    "Pike",
    "Pines",
    "Place",
    "Pl",
    "Plaza",
    "Plz",
    "Point",
    "Pt",
    "Port",
    "Prairie",
    "Ranch",
    "Ridge",
    "River",
    "Road",
    "Rd",
    "Route",
    "Row",
    "Run",
    "Shore",
    "Shores",
    "Spring",
    "Springs",
    "Square",
    "Sq",
    "Station",
    "Stravenue",
    "Stream",
    "Street",
    "St",
    "Summit",
    "Terrace",
    "Ter",
    "Trace",
    "Trail",
    "Trl",
    "Tunnel",
    "Turnpike",
    "Tpke",
    "Valley",
    "Via",
    "Viaduct",
    "View",
    "Village",
    "Ville",
    "Vista",
    "Walk",
    "Way",
    "Well",
    "Wells",
]
_EN_ADDRESS = (
    r"(?<![0-9A-Za-z])[0-9]{1,6}[A-Z]? (?:[NSEW]\.? |North |South |East |West )?(?:[A-Z][a-z]{1,20} ){1,3}"
    rf"(?:{'|'.join(_USPS_SUFFIXES)})\.?(?: (?:NW|NE|SW|SE|N|S|E|W)\.?)?"
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Room|Rm|#)\.? ?#?[0-9A-Za-z-]{1,6})?"
    r"(?:,? (?:[A-Z][a-z]{1,20} ){0,2}[A-Z][a-z]{1,20},? [A-Z]{2} [0-9]{5}(?:-[0-9]{4})?)?(?![0-9A-Za-z])"
)


def _zh_address(c: Candidate) -> Iterator[Finding]:
    text = c.text
    lead = _LEADING.match(text)
    start = c.start + (lead.end() if lead else 0)
    body = c.view.text[start : c.end]
    if len(body) < 4:
        return
    has_number = re.search(r"[号弄室]$|单元|栋|幢", body) is not None
    yield c.finding(
        "ADDRESS",
        start=start,
        score=0.9 if has_number else 0.75,
        explanation="Chinese address" + (" with a house number" if has_number else " (city and district)"),
    )


def _en_address(c: Candidate) -> Iterator[Finding]:
    yield c.finding("ADDRESS", score=0.85, explanation="street address")


def address_patterns() -> list[tuple[Pattern, tuple[str, ...]]]:
    return [
        (Pattern("pii.address.zh", _ZH_ADDRESS, handler=_zh_address, exclusive=True), ("ADDRESS",)),
        (Pattern("pii.address.en", _EN_ADDRESS, handler=_en_address, exclusive=True), ("ADDRESS",)),
    ]
