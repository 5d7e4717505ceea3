"""PIPL Art. 28 sensitive attributes: health, religion, biometrics, specific identity,
financial accounts, whereabouts and minors, as ``SENSITIVE_ATTRIBUTE`` findings.

A term alone ("cancer research", "教堂建筑") is not personal information. A term is reported
only when a *personal anchor* is close: a first- or third-person reference (我/他/她/患者/my/
his/patient ...), a kinship word, or a form label (病史：, Diagnosis:). This keeps ordinary
prose quiet while "我父亲确诊了肺癌" or "my son is on insulin" are found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from airlock.detectors.base import Finding
from airlock.detectors.engine import Candidate, Pattern

__all__ = ["SENSITIVE_TERMS", "sensitive_patterns"]

# handler regexes, compiled once (the `re` module cache holds only 512)
_RX0 = re.compile(r"孩子|儿童|小学|幼儿园|child|kid|son|daughter|boy|girl")

SENSITIVE_TERMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # category: (Chinese terms, English terms)
    "medical_health": (
        (
            "病历", "病史", "确诊", "患有", "患上", "艾滋病", "HIV阳性", "癌症", "肺癌", "乳腺癌", "白血病", "糖尿病",
            "抑郁症", "焦虑症", "精神分裂", "双相情感障碍", "高血压", "乙肝", "丙肝", "肝炎", "肺结核", "怀孕",
            "流产", "堕胎", "化疗", "放疗", "处方药", "过敏史", "手术史", "住院治疗", "精神病", "传染病", "性病",
            "体检报告", "化验单", "诊断书", "心脏病", "帕金森", "阿尔茨海默", "自闭症", "癫痫", "哮喘",
            "服用抗抑郁", "透析", "不孕", "梅毒", "淋病", "新冠阳性", "核酸阳性",
        ),
        (
            "diagnosed with", "diagnosis of", "medical record", "medical history", "HIV positive", "HIV-positive",
            "AIDS", "cancer", "leukemia", "diabetes", "diabetic", "clinical depression", "schizophrenia",
            "bipolar disorder", "hepatitis", "tuberculosis", "pregnant", "miscarriage", "abortion", "chemotherapy",
            "radiotherapy", "prescribed", "allergic to", "psychiatric", "antidepressants", "insulin", "dementia",
            "Alzheimer's", "autism", "epilepsy", "asthma", "dialysis", "infertility", "STD", "syphilis",
            "blood test results", "biopsy", "tested positive", "rehab for", "mental illness", "HIV",
        ),
    ),
    "religion": (
        (
            "宗教信仰", "基督徒", "基督教徒", "天主教徒", "伊斯兰教徒", "穆斯林", "佛教徒", "信佛", "信教",
            "道教徒", "犹太教徒", "受洗", "做礼拜", "皈依", "法轮功", "信仰伊斯兰", "信仰基督", "信仰佛教",
        ),
        (
            "religious belief", "religion is", "Jewish faith", "converted to Islam", "converted to Christianity",
            "was baptized", "was baptised", "attends mosque", "attends church", "goes to church", "goes to mosque",
            *(f"{verb} {art}{faith}" for verb in ("is", "am", "was") for art in ("a ", "")
              for faith in ("Muslim", "Christian", "Catholic", "Buddhist", "Hindu", "Sikh", "Jewish")),
        ),
    ),
    "biometric": (
        (
            "指纹", "人脸识别", "面部识别", "人脸信息", "人脸数据", "人脸照片", "虹膜", "声纹", "掌纹", "基因检测",
            "基因信息", "基因序列", "DNA检测", "面部特征", "步态识别", "视网膜", "耳廓",
        ),
        (
            "fingerprint", "fingerprints", "facial recognition", "face print", "faceprint", "face scan", "iris scan",
            "retina scan", "retinal scan", "voiceprint", "voice print", "palm print", "DNA sample", "DNA test",
            "genetic test", "genome sequence", "biometric data", "biometrics",
        ),
    ),
    "specific_identity": (
        (
            "残疾人证", "残疾证", "残疾人", "残障", "犯罪记录", "刑满释放", "前科", "服刑", "吸毒史", "低保户",
            "性取向", "同性恋身份",
        ),
        (
            "disability", "disabled", "criminal record", "convicted of", "ex-offender", "on parole", "on probation",
            "sexual orientation", "immigration status", "undocumented",
        ),
    ),
    "financial_account": (
        (
            "银行流水", "征信报告", "征信记录", "信用记录", "信用报告", "存款余额", "账户余额", "交易记录", "支付密码",
            "银行卡密码", "取款密码", "工资条", "收入证明", "贷款记录", "欠款", "逾期记录", "理财账户", "证券账户",
        ),
        (
            "bank statement", "credit report", "credit score", "credit history", "account balance",
            "transaction history", "PIN number", "PIN code", "pay stub", "payslip", "salary is", "loan default",
            "brokerage account", "net worth",
        ),
    ),
    "whereabouts": (
        (
            "行踪", "行程轨迹", "活动轨迹", "出行记录", "实时位置", "实时定位", "定位信息", "开房记录", "住宿记录",
            "入住记录", "酒店入住", "乘车记录", "航班信息", "轨迹数据", "位置共享",
        ),
        (
            "whereabouts", "location history", "GPS location", "live location", "real-time location",
            "travel itinerary", "check-in record", "hotel stay", "movements of", "tracked location",
        ),
    ),
}  # fmt: skip

# personal anchors: a person the attribute belongs to
_ANCHOR_ZH = (
    r"我(?!们)|您|他(?!们)|她(?!们)|本人|患者|病人|病患|儿子|女儿|父亲|母亲|爸爸|妈妈|丈夫|妻子|老公|老婆|爷爷|奶奶|"
    r"外公|外婆|哥哥|姐姐|弟弟|妹妹|员工|客户|同事|先生|女士|家属|当事人|该人|此人|"
    r"姓名|病史[:：]|诊断[:：]"
)
_ANCHOR_EN = (
    r"\b(?:my|mine|his|her|patient|client|employee|customer|"
    r"son|daughter|father|mother|dad|mom|mum|husband|wife|wife's|husband's|brother|sister|grandfather|"
    r"grandmother|mr|mrs|ms|dr|diagnosis|name)\b"
    r"|\b(?:i|he|she)(?:'m|'ve|'s| (?:am|was|is|has|have|had|got|suffers?|takes?|took|tested|lives?))\b"
)
_ANCHOR = re.compile(f"{_ANCHOR_ZH}|{_ANCHOR_EN}", re.IGNORECASE)
_WINDOW_BEFORE = 40
_WINDOW_AFTER = 16


def _anchored(c: Candidate) -> bool:
    # the term itself may complete the anchor ("He" + "is a Muslim")
    return bool(_ANCHOR.search(c.before(_WINDOW_BEFORE) + c.text) or _ANCHOR.search(c.after(_WINDOW_AFTER)))


def _term_handler(category: str) -> object:
    def handle(c: Candidate) -> Iterator[Finding]:
        if _anchored(c):
            yield c.finding(
                "SENSITIVE_ATTRIBUTE",
                score=0.8,
                sensitive=True,
                sensitive_category=category,
                category=category,
                explanation=f"{category.replace('_', ' ')} information about a person (PIPL Art. 28)",
            )

    return handle


def _minor(c: Candidate) -> Iterator[Finding]:
    if _anchored(c) or _RX0.search(c.before(24) + c.after(16)):
        yield c.finding(
            "SENSITIVE_ATTRIBUTE",
            score=0.75,
            sensitive=True,
            sensitive_category="minor_under_14",
            category="minor_under_14",
            explanation="age of a child under 14",
        )


def sensitive_patterns() -> list[tuple[Pattern, tuple[str, ...]]]:
    out: list[tuple[Pattern, tuple[str, ...]]] = []
    for category, (zh, en) in SENSITIVE_TERMS.items():
        handler = _term_handler(category)
        for i, term in enumerate(zh):
            out.append(
                (
                    Pattern(f"pii.sensitive.{category}.zh{i}", term, literal=True, caseless=True, handler=handler),  # type: ignore[arg-type]
                    ("SENSITIVE_ATTRIBUTE",),
                )
            )
        for i, term in enumerate(en):
            out.append(
                (
                    Pattern(
                        f"pii.sensitive.{category}.en{i}",
                        term,
                        literal=True,
                        caseless=not term.isupper(),
                        word=True,
                        handler=handler,  # type: ignore[arg-type]
                    ),
                    ("SENSITIVE_ATTRIBUTE",),
                )
            )
    out.append(
        (
            Pattern(
                "pii.sensitive.minor_age",
                r"(?<![0-9])(?:[1-9]|1[0-3])(?:岁|周岁|[- ]years?[- ]old|[- ]yr[- ]old)(?![0-9])",
                caseless=True,
                handler=_minor,
            ),
            ("SENSITIVE_ATTRIBUTE",),
        )
    )
    return out
