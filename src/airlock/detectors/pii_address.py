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

# handler regexes, compiled once (the `re` module cache holds only 512)
_RX0 = re.compile(r"[号弄室]$|单元|栋|幢")

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
_PROVINCE_RE = re.compile(_PROVINCE)
_LEAD_ANYWHERE = re.compile(r"寄到|送到|搬到|住在|位于|地址[是为:：]|坐落于|前往")
_LEADING = re.compile(
    r"^(?:我家住在|我住在|家住在|住在|家住|地址是|地址为|地址|位于|坐落于|来自|前往|寄到|送到|搬到|我在|他在|她在|在|住|于|到|是|为|去|从|往)+"
)

_USPS_SUFFIX_TEXT = (
    "Alley Aly Annex Arcade Avenue Ave Bayou Beach Bend Bluff Bluffs Bottom Boulevard Blvd Branch Bridge Brook Brooks "
    "Burg Burgs Bypass Byp Camp Canyon Cape Causeway Center Centers Ctr Circle Circles Cir Cliff Cliffs Club Common "
    "Commons Corner Corners Course Court Courts Ct Cove Coves Creek Crescent Crest Crossing Crossroad Crossroads Curve "
    "Dale Dam Divide Drive Drives Dr Estate Estates Expressway Expy Extension Extensions Falls Ferry Field Fields Flat "
    "Flats Ford Fords Forest Forge Forges Fork Forks Fort Freeway Fwy Garden Gardens Gateway Glen Glens Green Greens "
    "Grove Groves Harbor Harbors Haven Heights Hts Highway Hwy Hill Hills Hollow Inlet Island Islands Isle Junction "
    "Junctions Jct Key Keys Knoll Knolls Lake Lakes Land Landing Lane Ln Light Lights Loaf Lock Locks Lodge Loop Mall "
    "Manor Manors Meadow Meadows Mews Mill Mills Mission Motorway Mount Mountain Mountains Mtn Neck Orchard Oval "
    "Overpass Park Parks Parkway Parkways Pkwy Pass Passage Path Pike Pine Pines Place Pl Plain Plains Plaza Plz Point "
    "Points Pt Port Ports Prairie Radial Ramp Ranch Rapid Rapids Rest Ridge Ridges River Road Roads Rd Route Row Rue "
    "Run Shoal Shoals Shore Shores Skyway Spring Springs Spur Spurs Square Squares Sq Station Stravenue Stream Street "
    "Streets St Summit Terrace Ter Throughway Trace Track Trafficway Trail Trailer Trl Tunnel Turnpike Tpke Underpass "
    "Union Unions Valley Valleys Via Viaduct View Views Village Villages Ville Vista Walk Walks Wall Way Ways "
    "Well Wells"
)
# longest first so that "Streets" is not cut to "Street"
_USPS_SUFFIXES = sorted(_USPS_SUFFIX_TEXT.split(), key=len, reverse=True)
_EN_ADDRESS = (
    r"(?<![0-9A-Za-z])[0-9]{1,6}[A-Z]? (?:[NSEW]\.? |North |South |East |West )?(?:[A-Z][a-z]{1,20} ){1,3}"
    rf"(?:{'|'.join(_USPS_SUFFIXES)})\.?(?: (?:NW|NE|SW|SE|N|S|E|W)\.?)?"
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Room|Rm|#)\.? ?#?[0-9A-Za-z-]{1,6})?"
    r"(?:,? (?:[A-Z][a-z]{1,20} ){0,2}[A-Z][a-z]{1,20},? [A-Z]{2} [0-9]{5}(?:-[0-9]{4})?)?(?![0-9A-Za-z])"
)


def _zh_address(c: Candidate) -> Iterator[Finding]:
    text = c.text
    cut = 0
    lead = _LEADING.match(text)
    if lead:
        cut = lead.end()
    # "请把发票寄到上海市..." matched from 票: start at a province, or after a leading verb phrase
    head = text[:10]
    province = _PROVINCE_RE.search(head)
    if province and province.start() > cut:
        cut = province.start()
    else:
        for m in _LEAD_ANYWHERE.finditer(head):
            cut = max(cut, m.end())
    start = c.start + cut
    body = c.view.text[start : c.end]
    if len(body) < 4:
        return
    has_number = _RX0.search(body) is not None
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
