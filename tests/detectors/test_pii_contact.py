from __future__ import annotations

import pytest

from tests.detectors.helpers import found, scanner

CASES = [
    # ---------------------------------------------------------------- EMAIL
    ("EMAIL", "联系邮箱 zhang.wei@example.com.cn 谢谢", ["zhang.wei@example.com.cn"]),
    ("EMAIL", "mail john+tag@mail.example.org.", ["john+tag@mail.example.org"]),
    ("EMAIL", "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", ["ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ"]),
    ("EMAIL", "handle @john on twitter", []),
    ("EMAIL", "user@localhost is not routable", []),
    ("EMAIL", "postgres://admin:S3cr3tPw@db.example.com/app", []),
    # ---------------------------------------------------------------- CN_PHONE
    ("CN_PHONE", "手机：13800138000", ["13800138000"]),
    ("CN_PHONE", "call 138 0013 8000 now", ["138 0013 8000"]),
    ("CN_PHONE", "电话 +86 138-0013-8000", ["+86 138-0013-8000"]),
    ("CN_PHONE", "座机010-62751234转8", ["010-62751234"]),
    ("CN_PHONE", "tel (0755) 8765 4321", ["(0755) 8765 4321"]),
    ("CN_PHONE", "订单12800138000", []),  # 12x is not a mobile prefix
    ("CN_PHONE", "编号138001380001234", []),
    ("CN_PHONE", "1380013800 only ten digits", []),
    # ---------------------------------------------------------------- PHONE
    ("PHONE", "Call (415) 555-2671 today", ["(415) 555-2671"]),
    ("PHONE", "UK office +44 20 7946 0958.", ["+44 20 7946 0958"]),
    ("PHONE", "Tokyo 0081 3-1234-5678", ["0081 3-1234-5678"]),
    ("PHONE", "Order 415-555-26711 shipped", []),
    ("PHONE", "score 123-456-7890", []),  # area code cannot start with 1
    ("PHONE", "version 2.4.1-1234", []),
    # ---------------------------------------------------------------- IP_ADDRESS
    ("IP_ADDRESS", "client 192.168.1.10 connected", ["192.168.1.10"]),
    ("IP_ADDRESS", "来自 2001:db8::8a2e:370:7334 的请求", ["2001:db8::8a2e:370:7334"]),
    ("IP_ADDRESS", "addr 256.1.1.1", []),
    ("IP_ADDRESS", "time 12:30:45", []),
    ("IP_ADDRESS", "version 1.2.3.4", []),
    ("IP_ADDRESS", "01.02.03.04 padded", []),
    # ---------------------------------------------------------------- DATE_OF_BIRTH
    ("DATE_OF_BIRTH", "出生日期：1990年1月15日", ["1990年1月15日"]),
    ("DATE_OF_BIRTH", "DOB: 03/07/1985", ["03/07/1985"]),
    ("DATE_OF_BIRTH", "She was born on March 3, 1985 in Ohio.", ["March 3, 1985"]),
    ("DATE_OF_BIRTH", "生于1978-11-02", ["1978-11-02"]),
    ("DATE_OF_BIRTH", "出生年月：1992年5月", ["1992年5月"]),
    ("DATE_OF_BIRTH", "The meeting is on March 3, 1985.", []),
    ("DATE_OF_BIRTH", "出生日期：2099年1月1日", []),  # in the future
    ("DATE_OF_BIRTH", "date of birth: 31/02/1990", []),
    # ---------------------------------------------------------------- GEO_COORDINATE
    ("GEO_COORDINATE", "meet at 39.9042, 116.4074 tonight", ["39.9042, 116.4074"]),
    ("GEO_COORDINATE", '{"lat": 31.23, "lng": 121.47}', ['lat": 31.23, "lng": 121.47']),
    ("GEO_COORDINATE", "位置：北纬39.9度，东经116.4度", ["北纬39.9度，东经116.4度"]),
    ("GEO_COORDINATE", "40°26'46\"N 79°58'56\"W", ["40°26'46\"N 79°58'56\"W"]),
    ("GEO_COORDINATE", "prices 1.5, 2.25", []),
    ("GEO_COORDINATE", "95.12345, 10.12345 out of range", []),
]


@pytest.mark.parametrize(("type_", "text", "expected"), CASES)
def test_contact(backend: str, type_: str, text: str, expected: list[str]) -> None:
    assert found(backend, text, type_) == expected


def test_geo_is_whereabouts_and_child_dob_is_minor(backend: str) -> None:
    fs = {f.type: f for f in scanner(backend).scan("坐标 39.9042, 116.4074；出生日期：2018年2月3日")}
    assert fs["GEO_COORDINATE"].sensitive_category == "whereabouts"
    assert fs["DATE_OF_BIRTH"].sensitive_category == "minor_under_14"
    adult = [f for f in scanner(backend).scan("DOB: 1980-01-01") if f.type == "DATE_OF_BIRTH"]
    assert adult[0].sensitive is False
