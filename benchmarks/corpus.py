# ruff: noqa: E501 - the template tables read best one template per line
"""Reproducible labelled PII corpus (Chinese + English) for the detector benchmarks.

Values come from Faker (``zh_CN``, ``en_US``, ``en_GB``/``de_DE`` for IBANs) where it has a
generator, otherwise from small generators here that follow the published formats (UnionPay
62 + Luhn, USCC with its GB 32100 check character, PRC passports and permits, markings from
the CAPCO/CUI/NATO/UK/密级 grammars). Sentences come from our own templates: chat messages,
forms, tables, log lines, mixed-language text and obfuscations (full-width digits, zero-width
characters, spaced digits, base64). Every sample records the exact spans it inserted.

Faker is a benchmark-only dependency (``pip install faker``).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker

Span = tuple[int, int, str]


@dataclass
class Sample:
    id: str
    lang: str
    text: str = ""
    spans: list[Span] = field(default_factory=list)

    def add(self, piece: str, type_: str | None = None) -> None:
        if type_:
            self.spans.append((len(self.text), len(self.text) + len(piece), type_))
        self.text += piece


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for d in "0123456789":
        digits = body + d
        total = 0
        for i, c in enumerate(reversed(digits)):
            n = int(c) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _uscc(rng: random.Random) -> str:
    body = rng.choice("9156") + rng.choice("123") + f"{rng.randint(110000, 659999)}"
    body += "".join(rng.choice(_USCC_CHARS) for _ in range(9))
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


def _spaced(digits: str, rng: random.Random) -> str:
    sep = rng.choice([" ", "-", "."])
    groups = [3, 4, 4] if len(digits) == 11 else [6, 8, 4] if len(digits) == 18 else [4] * (len(digits) // 4 + 1)
    out, pos = [], 0
    for g in groups:
        if pos >= len(digits):
            break
        out.append(digits[pos : pos + g])
        pos += g
    return sep.join(out)


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _zero_width(s: str, rng: random.Random) -> str:
    i = rng.randint(1, max(1, len(s) - 1))
    return s[:i] + "\u200b" + s[i:]


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.zh = Faker("zh_CN")
        self.en = Faker("en_US")
        self.gb = Faker("en_GB")
        self.de = Faker("de_DE")
        for i, f in enumerate((self.zh, self.en, self.gb, self.de)):
            f.seed_instance(seed + i)
        import phonenumbers

        self._pn = phonenumbers

    # ------------------------------------------------------------------ values
    def resident_id(self) -> str:
        return str(self.zh.ssn())

    def cn_phone(self) -> str:
        num = str(self.zh.phone_number())
        style = self.rng.random()
        if style < 0.5:
            return num
        if style < 0.8:
            return _spaced(num, self.rng)
        return self.rng.choice(["+86 ", "+86-", "0086 "]) + num

    def card(self) -> str:
        if self.rng.random() < 0.3:
            num = _luhn_complete("62" + str(self.rng.randint(0, 9)), self.rng.choice([16, 19]), self.rng)
        else:
            kind = self.rng.choice(["visa16", "mastercard", "amex", "discover", "jcb16"])
            num = str(self.en.credit_card_number(card_type=kind))
            while kind == "jcb16" and not 3528 <= int(num[:4]) <= 3589:
                # Faker draws JCB numbers from all of 35xx; JCB's IIN range is 3528-3589
                num = str(self.en.credit_card_number(card_type=kind))
        return _spaced(num, self.rng) if self.rng.random() < 0.3 and len(num) == 16 else num

    def en_phone(self) -> str:
        while True:
            num = str(self.en.phone_number()).split("x")[0].strip()
            try:
                parsed = self._pn.parse(num, "US")
            except self._pn.NumberParseException:
                continue
            if self._pn.is_valid_number(parsed) and not num.startswith("001"):
                return num

    def intl_phone(self) -> str:
        n = self.rng.randint
        return self.rng.choice(
            [
                f"+44 20 7946 {n(1000, 9999)}",
                f"+49 30 {n(1000000, 9999999)}",
                f"+81 3-{n(1000, 9999)}-{n(1000, 9999)}",
                f"+33 1 {n(10, 99)} {n(10, 99)} {n(10, 99)} {n(10, 99)}",
                f"+65 {n(6000, 6999)} {n(1000, 9999)}",
            ]
        )

    def ssn(self) -> str:
        while True:
            s = str(self.en.ssn())
            a, g, n = s.split("-")
            if a not in ("000", "666") and a[0] != "9" and g != "00" and n != "0000":
                return s

    def account(self, lo: int, hi: int) -> str:
        """Random account digits that are not also a valid card number (Luhn + card IIN)."""
        while True:
            digits = "".join(self.rng.choice("0123456789") for _ in range(self.rng.randint(lo, hi)))
            card_like = digits[0] in "3456" and 13 <= len(digits) <= 19 and _luhn_ok(digits)
            if not card_like:
                return digits

    def iban(self) -> str:
        value = str((self.gb if self.rng.random() < 0.5 else self.de).iban())
        if self.rng.random() < 0.5:
            value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value

    def ip(self) -> str:
        return str(self.en.ipv4_public() if self.rng.random() < 0.7 else self.en.ipv6())

    def plate(self) -> str:
        # Faker also emits the letters I and O, which PRC plates never use
        while True:
            plate = str(self.zh.license_plate()).replace("-", "")
            if "I" not in plate and "O" not in plate:
                return plate

    def dob(self, lang: str) -> str:
        d = self.en.date_of_birth(minimum_age=1, maximum_age=90)
        if lang == "zh":
            return self.rng.choice(
                [f"{d.year}年{d.month}月{d.day}日", d.isoformat(), f"{d.year}/{d.month:02d}/{d.day:02d}"]
            )
        return self.rng.choice(
            [d.strftime("%B %-d, %Y"), d.strftime("%m/%d/%Y"), d.isoformat(), d.strftime("%-d %B %Y")]
        )

    def geo(self) -> str:
        lat = self.rng.uniform(-60, 70)
        lon = self.rng.uniform(-170, 170)
        return f"{lat:.{self.rng.randint(4, 6)}f}, {lon:.{self.rng.randint(4, 6)}f}"

    def zh_name(self) -> str:
        return str(self.zh.name())

    def en_name(self) -> str:
        return f"{self.en.first_name()} {self.en.last_name()}"

    def zh_address(self) -> str:
        z = self.zh
        road = str(z.street_name())
        if not road.endswith(("路", "街", "道")):
            road += "路"
        addr = f"{z.province()}{z.city()}{z.district()}区{road}{self.rng.randint(1, 999)}号"
        if self.rng.random() < 0.4:
            addr += f"{self.rng.randint(1, 30)}栋{self.rng.randint(101, 2999)}室"
        return addr

    def en_address(self) -> str:
        addr = str(self.en.street_address())
        if self.rng.random() < 0.5:
            addr += f", {self.en.city()}, {self.en.state_abbr()} {self.en.zipcode()}"
        return addr

    def marking(self, lang: str) -> str:
        if lang == "zh":
            lvl = self.rng.choice(["绝密", "机密", "秘密"])
            return self.rng.choice([f"{lvl}★", f"{lvl}★{self.rng.randint(1, 30)}年", f"{lvl}★长期", f"密级：{lvl}"])
        return self.rng.choice(
            [
                "TOP SECRET//SI//NOFORN",
                "SECRET//REL TO USA, FVEY",
                "(TS//SI)",
                "(S//REL TO USA, GBR)",
                "(U//FOUO)",
                "CUI//SP-PRVCY",
                "CUI//SP-CTI//NOFORN",
                "NATO SECRET",
                "COSMIC TOP SECRET",
                "OFFICIAL-SENSITIVE",
                "SECRET//NOFORN",
                "CONFIDENTIAL//REL TO USA, FVEY",
            ]
        )

    def obfuscate(self, value: str) -> str:
        r = self.rng.random()
        if r < 0.4:
            return _fullwidth(value)
        if r < 0.8:
            return _zero_width(value, self.rng)
        return base64.b64encode(f"note {value} end".encode()).decode()


# ---------------------------------------------------------------------- templates
# each template is a list of literal strings and (type, value-maker) slots

Maker = Callable[[Generator], str]
Slot = tuple[str, Maker]
Template = list[str | Slot]

ZH: list[Template] = [
    ["客户", ("PERSON", lambda g: g.zh_name()), "来电，手机号", ("CN_PHONE", lambda g: g.cn_phone()), "，请尽快回电。"],
    ["姓名：", ("PERSON", lambda g: g.zh_name()), "\n身份证号：", ("CN_RESIDENT_ID", lambda g: g.resident_id()), "\n住址：",
     ("ADDRESS", lambda g: g.zh_address())],
    ["请把发票寄到", ("ADDRESS", lambda g: g.zh_address()), "，收件人", ("PERSON", lambda g: g.zh_name()), "。"],
    ["退款请打到银联卡", ("PAYMENT_CARD", lambda g: g.card()), "，谢谢。"],
    ["我的邮箱是", ("EMAIL", lambda g: str(g.zh.email())), "，有问题联系我。"],
    ["公司统一社会信用代码：", ("CN_USCC", lambda g: _uscc(g.rng)), "，开户行见附件。"],
    ["护照号码：", ("CN_PASSPORT", lambda g: "E" + "".join(g.rng.choice("0123456789") for _ in range(8))), "，有效期十年。"],
    ["港澳通行证号码：", ("CN_HMT_PERMIT", lambda g: "C" + "".join(g.rng.choice("0123456789") for _ in range(8))), "。"],
    ["车辆", ("CN_LICENSE_PLATE", lambda g: g.plate()), "在停车场违停。"],
    ["患者", ("PERSON", lambda g: g.zh_name()), "，出生日期：", ("DATE_OF_BIRTH", lambda g: g.dob("zh")), "，今日复诊。"],
    ["定位坐标 ", ("GEO_COORDINATE", lambda g: g.geo()), "，请派车。"],
    ["文件标注", ("CLASSIFICATION_MARKING", lambda g: g.marking("zh")), "，不得外传。"],
    ["| ", ("PERSON", lambda g: g.zh_name()), " | ", ("CN_PHONE", lambda g: g.cn_phone()), " | ", ("EMAIL", lambda g: str(g.zh.email())),
     " |"],
    ["2024-05-01 12:00:01 INFO 登录 ip=", ("IP_ADDRESS", lambda g: g.ip()), " 用户=", ("EMAIL", lambda g: str(g.zh.email()))],
    ["订单号 2024050112345 已发货，预计三天到达。"],
    ["会议定于2024年5月1日下午三点举行，地点另行通知。"],
    ["请联系", ("PERSON", lambda g: g.zh_name()), "女士，电话", ("CN_PHONE", lambda g: g.cn_phone()), "。"],
    ["银行账号：", ("BANK_ACCOUNT", lambda g: g.account(12, 17)),
     "，户名见合同。"],
    ["（混淆）电话 ", ("CN_PHONE", lambda g: g.obfuscate(str(g.zh.phone_number()))), " 请回电"],
    ["（混淆）身份证 ", ("CN_RESIDENT_ID", lambda g: g.obfuscate(g.resident_id())), " 已提交"],
]  # fmt: skip

EN: list[Template] = [
    ["Hi, this is ", ("PERSON", lambda g: g.en_name()), ". Call me at ", ("PHONE", lambda g: g.en_phone()), " tomorrow."],
    ["Please update my email to ", ("EMAIL", lambda g: str(g.en.email())), ", thanks!"],
    ["Card on file: ", ("PAYMENT_CARD", lambda g: g.card()), " exp 09/28"],
    ["SSN: ", ("US_SSN", lambda g: g.ssn()), "\nDOB: ", ("DATE_OF_BIRTH", lambda g: g.dob("en"))],
    ["Wire the funds to IBAN ", ("IBAN", lambda g: g.iban()), " before Friday."],
    ["Ship it to ", ("ADDRESS", lambda g: g.en_address()), " please."],
    ["Mr. ", ("PERSON", lambda g: str(g.en.last_name())), " asked about his passport number ",
     ("PASSPORT", lambda g: str(g.en.passport_number())), "."],
    ["[2024-05-01T12:00:01Z] login ok from ", ("IP_ADDRESS", lambda g: g.ip()), " user=", ("EMAIL", lambda g: str(g.en.email()))],
    ["Document header: ", ("CLASSIFICATION_MARKING", lambda g: g.marking("en")), "\nThe analysis follows."],
    ["She was born on ", ("DATE_OF_BIRTH", lambda g: g.dob("en")), " in a small town."],
    ["Our London office is at ", ("PHONE", lambda g: g.intl_phone()), "."],
    ["The GPS fix was ", ("GEO_COORDINATE", lambda g: g.geo()), " at noon."],
    ["Dear ", ("PERSON", lambda g: g.en_name()), ",\nyour order #100234 has shipped."],
    ["Meeting moved to 3pm on March 3, 2025. Bring the Q3 report."],
    ["Invoice 4521-883 totals $1,250.00 and is due in 30 days."],
    ["Account number: ", ("BANK_ACCOUNT", lambda g: g.account(9, 14)), " (checking)"],
    ["Obfuscated: ", ("EMAIL", lambda g: g.obfuscate(str(g.en.email()))), " - please fix"],
    ["Contact ", ("PERSON", lambda g: g.en_name()), " via ", ("EMAIL", lambda g: str(g.en.email())), " or ",
     ("PHONE", lambda g: g.en_phone()), "."],
]  # fmt: skip

MIXED: list[Template] = [
    ["Hi 王经理，my number is ", ("CN_PHONE", lambda g: g.cn_phone()), "，邮箱 ", ("EMAIL", lambda g: str(g.en.email())), "。"],
    ["客户 ", ("PERSON", lambda g: g.en_name()), " 的卡号 ", ("PAYMENT_CARD", lambda g: g.card()), " 已冻结。"],
]  # fmt: skip


def generate(n: int, seed: int = 20260601) -> list[Sample]:
    """``n`` labelled samples, about 45% Chinese, 45% English and 10% mixed."""
    g = Generator(seed)
    out: list[Sample] = []
    for i in range(n):
        r = g.rng.random()
        lang, pool = ("zh", ZH) if r < 0.45 else ("en", EN) if r < 0.9 else ("mixed", MIXED)
        template = g.rng.choice(pool)
        s = Sample(f"s{i}", lang)
        for part in template:
            if isinstance(part, str):
                s.add(part)
            else:
                type_, make = part
                s.add(make(g), type_)
        out.append(s)
    return out
