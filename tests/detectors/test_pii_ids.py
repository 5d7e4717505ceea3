from __future__ import annotations

import pytest

from tests.detectors.helpers import found, scanner

CASES = [
    # ---------------------------------------------------------------- CN_RESIDENT_ID
    ("CN_RESIDENT_ID", "身份证号：11010519491231002X", ["11010519491231002X"]),
    ("CN_RESIDENT_ID", "ID number 110105194912310021x please", []),  # wrong check digit
    ("CN_RESIDENT_ID", "身份证 1101 0519 4912 3100 2X 已核验", ["1101 0519 4912 3100 2X"]),
    ("CN_RESIDENT_ID", "证件号 110105-1949-1231-002X", ["110105-1949-1231-002X"]),
    ("CN_RESIDENT_ID", "legacy id 110105491231002 on file", ["110105491231002"]),
    ("CN_RESIDENT_ID", "110105194913310029 bad month", []),  # month 13
    ("CN_RESIDENT_ID", "990105194912310028 bad province", []),
    ("CN_RESIDENT_ID", "订单号 1101051949123100211 (19 digits)", []),
    ("CN_RESIDENT_ID", "ｉｄ：１１０１０５１９４９１２３１００２Ｘ", ["１１０１０５１９４９１２３１００２Ｘ"]),
    # ---------------------------------------------------------------- PAYMENT_CARD
    ("PAYMENT_CARD", "Visa 4111 1111 1111 1111 exp 12/29", ["4111 1111 1111 1111"]),
    ("PAYMENT_CARD", "银联卡 6212 2612 0200 5301 012", []),  # Luhn fails
    ("PAYMENT_CARD", "银联卡号6222020200112233446", ["6222020200112233446"]),
    ("PAYMENT_CARD", "amex 3782-822463-10005", ["3782-822463-10005"]),
    ("PAYMENT_CARD", "MasterCard 5555555555554444.", ["5555555555554444"]),
    ("PAYMENT_CARD", "tracking 1234567812345670", []),  # Luhn ok, no card prefix
    ("PAYMENT_CARD", "card 4111 1111 1111 1112", []),
    # ---------------------------------------------------------------- CN_USCC
    ("CN_USCC", "统一社会信用代码：91350100M000100Y43", ["91350100M000100Y43"]),
    ("CN_USCC", "USCC 91350100M000100Y44", []),
    ("CN_USCC", "code 913501OOM000100Y43", []),  # letter O is not in the alphabet
    # ---------------------------------------------------------------- IBAN
    ("IBAN", "IBAN GB82 WEST 1234 5698 7654 32", ["GB82 WEST 1234 5698 7654 32"]),
    ("IBAN", "DE89370400440532013000 is the account", ["DE89370400440532013000"]),
    ("IBAN", "IBAN GB82 WEST 1234 5698 7654 33", []),
    ("IBAN", "ZZ82WEST12345698765432", []),
    # ---------------------------------------------------------------- US_SSN
    ("US_SSN", "SSN 536-22-1234", ["536-22-1234"]),
    ("US_SSN", "my social security number is 536221234", ["536221234"]),
    ("US_SSN", "社会安全号码 536 22 1234", ["536 22 1234"]),
    ("US_SSN", "SSN 666-22-1234", []),
    ("US_SSN", "SSN 900-22-1234", []),
    ("US_SSN", "SSN 536-00-1234", []),
    ("US_SSN", "part 536221234 without context", []),
    ("US_SSN", "phone 555-123-4567", []),
    # ---------------------------------------------------------------- passports
    ("CN_PASSPORT", "护照号码：E12345678", ["E12345678"]),
    ("CN_PASSPORT", "passport no. EA1234567", ["EA1234567"]),
    ("CN_PASSPORT", "订单 E12345678 已发货", []),  # no passport context
    ("PASSPORT", "US passport number 561234567", ["561234567"]),
    ("PASSPORT", "Passport: K1234567", ["K1234567"]),
    ("PASSPORT", "passport photo taken 2024", []),
    # ---------------------------------------------------------------- CN_HMT_PERMIT
    ("CN_HMT_PERMIT", "港澳通行证号码：C12345678", ["C12345678"]),
    ("CN_HMT_PERMIT", "回乡证 H1234567801", ["H1234567801"]),
    ("CN_HMT_PERMIT", "台胞证号 12345678", ["12345678"]),
    ("CN_HMT_PERMIT", "型号 C12345678", []),
    # ---------------------------------------------------------------- CN_LICENSE_PLATE
    ("CN_LICENSE_PLATE", "车牌号京A12345违章", ["京A12345"]),
    ("CN_LICENSE_PLATE", "新能源车粤B·D12345", ["粤B·D12345"]),
    ("CN_LICENSE_PLATE", "沪AD12345", ["沪AD12345"]),
    ("CN_LICENSE_PLATE", "京ABCDE", []),
    ("CN_LICENSE_PLATE", "京I12345", []),  # I is not used on plates
    # ---------------------------------------------------------------- BANK_ACCOUNT
    ("BANK_ACCOUNT", "银行账号：6222 0212 3456 7890 123", ["6222 0212 3456 7890 123"]),
    ("BANK_ACCOUNT", "account number 000123456789", ["000123456789"]),
    ("BANK_ACCOUNT", "Account number: 651541241303 (checking)", ["651541241303"]),  # 12 digits: not a card
    ("BANK_ACCOUNT", "account balance 12345", []),
    ("BANK_ACCOUNT", "the number 000123456789", []),
]


@pytest.mark.parametrize(("type_", "text", "expected"), CASES)
def test_identifiers(backend: str, type_: str, text: str, expected: list[str]) -> None:
    assert found(backend, text, type_) == expected


@pytest.mark.parametrize(
    ("text", "category", "minor"),
    [
        ("身份证号110105201503080019", "minor_under_14", True),
        ("身份证号110105200001010016", "specific_identity", False),
    ],
)
def test_resident_id_minor(backend: str, text: str, category: str, minor: bool) -> None:
    (f,) = [f for f in scanner(backend).scan(text) if f.type == "CN_RESIDENT_ID"]
    assert f.sensitive
    assert f.sensitive_category == category
    assert dict(f.attributes)["minor_under_14"] is minor


def test_card_and_id_are_sensitive_financial_and_identity(backend: str) -> None:
    fs = {f.type: f for f in scanner(backend).scan("4111111111111111 / 11010519491231002X")}
    assert (fs["PAYMENT_CARD"].sensitive_category, fs["CN_RESIDENT_ID"].sensitive_category) == (
        "financial_account",
        "specific_identity",
    )


def test_phone_inside_id_is_not_reported(backend: str) -> None:
    types = [f.type for f in scanner(backend).scan("11010513800138000X")]
    assert "CN_PHONE" not in types
