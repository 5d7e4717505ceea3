from __future__ import annotations

import pytest

from tests.detectors.helpers import found, scanner

CASES = [
    # ---------------------------------------------------------------- PERSON zh
    ("PERSON", "联系人：张伟，电话见下", ["张伟"]),
    ("PERSON", "患者王秀英今日复诊", ["王秀英"]),
    ("PERSON", "请李明先生到前台", ["李明"]),
    ("PERSON", "欧阳娜娜女士已签到", ["欧阳娜娜"]),
    ("PERSON", "刘建国说，项目进展顺利。", ["刘建国"]),
    ("PERSON", "克林顿总统访问了北京", ["克林顿"]),
    ("PERSON", "研究部主任李成说，东亚的和平", ["李成"]),
    ("PERSON", "以色列总理内塔尼亚胡24日在这里说", ["内塔尼亚胡"]),
    ("PERSON", "记者陶世安、徐运平报道：", ["陶世安", "徐运平"]),
    ("PERSON", "罗干说，合作很重要", ["罗干"]),
    ("PERSON", "应当说明须补办的项目", []),
    ("PERSON", "高兴地说", []),
    ("PERSON", "黄色的花和方向盘", []),
    ("PERSON", "王国的历史很长", []),
    # ---------------------------------------------------------------- PERSON en
    ("PERSON", "Please ask Dr. Emily Carter about it.", ["Emily Carter"]),
    ("PERSON", "Mary Johnson called yesterday.", ["Mary Johnson"]),
    ("PERSON", "Name: Robert Brown", ["Robert Brown"]),
    ("PERSON", "Dear Alice,", ["Alice"]),
    ("PERSON", "The United States and New York", []),
    ("PERSON", "We visit in May Street Fair", []),
    # ---------------------------------------------------------------- ADDRESS zh
    ("ADDRESS", "我住在北京市海淀区中关村大街27号", ["北京市海淀区中关村大街27号"]),
    ("ADDRESS", "地址：广东省深圳市南山区科技园路1号A栋1201室", ["广东省深圳市南山区科技园路1号A栋1201室"]),
    ("ADDRESS", "寄到上海市浦东新区张江镇祖冲之路887弄", ["上海市浦东新区张江镇祖冲之路887弄"]),
    ("ADDRESS", "家住杭州市西湖区", ["杭州市西湖区"]),
    ("ADDRESS", "这条路很长，走了三号线", []),
    # ---------------------------------------------------------------- ADDRESS en
    (
        "ADDRESS",
        "Ship to 1600 Pennsylvania Avenue NW, Washington, DC 20500.",
        ["1600 Pennsylvania Avenue NW, Washington, DC 20500"],
    ),
    ("ADDRESS", "office at 221B Baker Street, London", ["221B Baker Street"]),
    ("ADDRESS", "42 Elm St. Apt 5", ["42 Elm St. Apt 5"]),
    ("ADDRESS", "We sold 3 Big Trucks", []),
    ("ADDRESS", "In 2024 Street Fighter released", []),
]


@pytest.mark.parametrize(("type_", "text", "expected"), CASES)
def test_names_and_addresses(backend: str, type_: str, text: str, expected: list[str]) -> None:
    assert found(backend, text, type_) == expected


SENSITIVE = [
    ("我父亲确诊了糖尿病", {"medical_health"}),
    ("My son was diagnosed with asthma last year.", {"medical_health"}),
    ("患者有艾滋病史", {"medical_health"}),
    ("她是虔诚的基督徒", {"religion"}),
    ("He is a Muslim and prays daily.", {"religion"}),
    ("员工的指纹信息已录入", {"biometric"}),
    ("we store her fingerprint template", {"biometric"}),
    ("他有犯罪记录", {"specific_identity"}),
    ("我的征信报告有逾期记录", {"financial_account"}),
    ("他的行踪被人泄露了", {"whereabouts"}),
    ("我的孩子今年8岁", {"minor_under_14"}),
    ("my daughter is 9 years old", {"minor_under_14"}),
    # no personal anchor: ordinary prose
    ("癌症研究取得了新进展。", set()),
    ("Cancer research funding increased in 2023.", set()),
    ("The church was built in 1820.", set()),
    ("指纹识别技术的发展历史", set()),
    ("a 5-year-old company", set()),
]


@pytest.mark.parametrize(("text", "categories"), SENSITIVE)
def test_sensitive_attributes(backend: str, text: str, categories: set[str]) -> None:
    got = {f.sensitive_category for f in scanner(backend).scan(text) if f.type == "SENSITIVE_ATTRIBUTE"}
    assert got == categories
    for f in scanner(backend).scan(text):
        if f.type == "SENSITIVE_ATTRIBUTE":
            assert f.sensitive
