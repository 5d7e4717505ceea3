"""Subjects: normalisation, keyed hashing, linking of co-occurring identifiers, sensitivity."""

from __future__ import annotations

import pytest

from airlock.errors import ConfigError
from airlock.ledger.subjects import Subject, load_key, normalise, subjects_from
from tests.ledger.pii import find, find_all, phone, resident_id

KEY = b"k" * 32
P = "messages[0].content"


def subjects(text: str, *, names: bool = False, key: bytes = KEY, minor: tuple[str, ...] = ()) -> list[Subject]:
    return subjects_from([(P, text)], find(text, P, minor=minor), key=key, include_names=names)


@pytest.mark.parametrize(
    ("type_", "raw", "kind", "value"),
    [
        ("CN_RESIDENT_ID", "11010119900101123x", "cn_resident_id", "11010119900101123X"),
        ("CN_RESIDENT_ID", "110101 19900101 123X", "cn_resident_id", "11010119900101123X"),
        ("CN_RESIDENT_ID", "１１０１０１１９９００１０１１２３Ｘ", "cn_resident_id", "11010119900101123X"),  # full width
        ("CN_PHONE", "138-0013-8000", "phone", "+8613800138000"),
        ("CN_PHONE", "+86 138 0013 8000", "phone", "+8613800138000"),
        ("CN_PHONE", "008613800138000", "phone", "+8613800138000"),
        ("PHONE", "13800138000", "phone", "+8613800138000"),  # CN_PHONE and PHONE hash alike
        ("CN_PHONE", "010-6552 9988", "phone", "+861065529988"),  # landline, trunk 0 dropped
        ("PHONE", "+1 (415) 555-0100", "phone", "+14155550100"),
        ("EMAIL", " Li.Si@Example.COM ", "email", "li.si@example.com"),
        ("CN_PASSPORT", "e1234 5678", "passport", "E12345678"),
        ("PASSPORT", "E12345678", "passport", "E12345678"),
        ("PAYMENT_CARD", "6222 0212 3456 7890", "account", "6222021234567890"),
        ("BANK_ACCOUNT", "6222-0212-3456-7890", "account", "6222021234567890"),
        ("PERSON", "张 三", "name", "张三"),
        ("PERSON", "Zhang   San", "name", "zhang san"),
        ("ADDRESS", "北京市 朝阳区，建国路 1 号", "address", "北京市朝阳区建国路1号"),
    ],
)
def test_normalisation(type_: str, raw: str, kind: str, value: str) -> None:
    assert normalise(type_, raw) == (kind, value)


def test_not_identifiers() -> None:
    assert normalise("CLASSIFICATION_MARKING", "SECRET") is None
    assert normalise("CN_PHONE", "--") is None


def test_same_person_in_different_formats_is_one_subject() -> None:
    text = "Call 138-0013-8000 or +86 138 0013 8000 (same phone)."
    out = subjects(text)
    assert len(out) == 1 and out[0].identifiers == (out[0].key,)


def test_one_record_on_one_line_links() -> None:
    rid = resident_id(1)
    out = subjects(f"客户张三，身份证 {rid}，手机 {phone(1)}，邮箱 zs@example.com")
    assert len(out) == 1
    s = out[0]
    assert s.kinds == ("cn_resident_id", "phone", "email") and len(s.identifiers) == 3
    assert s.anchored and s.sensitive and s.categories == ("specific_identity",)


def test_a_multi_line_record_in_one_paragraph_links() -> None:
    out = subjects(f"Name: Li Si\nID: {resident_id(2)}\nPhone: {phone(2)}\n\nThanks")
    assert len(out) == 1 and len(out[0].identifiers) == 2


def test_a_table_links_row_by_row() -> None:
    rows = "\n".join(f"{resident_id(i)},{phone(i)},u{i}@example.com" for i in range(3))
    out = subjects("id,phone,email\n" + rows)
    assert len(out) == 3 and all(len(s.identifiers) == 3 for s in out)


def test_ambiguous_line_links_nothing() -> None:
    # two phones and one ID on one line: cannot tell whose phone is whose → three persons
    out = subjects(f"{resident_id(3)} {phone(3)} {phone(4)}")
    assert len(out) == 3
    assert [s.sensitive for s in out].count(True) == 1


def test_two_ids_never_merge_through_a_shared_phone() -> None:
    texts = [(P, f"{resident_id(5)} {phone(9)}"), ("messages[1].content", f"{resident_id(6)} {phone(9)}")]
    out = subjects_from(texts, find_all(texts), key=KEY, include_names=False)
    assert len(out) == 2  # the phone stays with the first ID; the second ID is its own person
    assert sorted(len(s.identifiers) for s in out) == [1, 2]


def test_a_shared_identifier_merges_across_messages() -> None:
    texts = [(P, f"{resident_id(7)} {phone(7)}"), ("messages[1].content", f"{phone(7)} q7@example.com")]
    out = subjects_from(texts, find_all(texts), key=KEY, include_names=False)
    assert len(out) == 1 and out[0].kinds == ("cn_resident_id", "phone", "email")


def test_sensitive_non_identifier_marks_the_people_next_to_it() -> None:
    out = subjects(f"{phone(10)} diagnosed with diabetes\n\n{phone(11)} is fine")
    by_sensitive = {s.sensitive: s for s in out}
    assert set(by_sensitive) == {True, False}
    assert by_sensitive[True].categories == ("medical_health",)


def test_minor_category_is_kept() -> None:
    rid = resident_id(12, birth="20200101")
    (s,) = subjects(f"child {rid}", minor=(rid,))
    assert s.sensitive and s.categories == ("minor_under_14",)


def test_names_only_when_configured() -> None:
    assert subjects("张三 asked about the weather") == []
    (s,) = subjects("张三 asked about the weather", names=True)
    assert s.kinds == ("name",) and not s.anchored and not s.sensitive


def test_hashes_are_keyed_and_never_hold_the_value() -> None:
    rid = resident_id(13)
    a, b = subjects(rid), subjects(rid, key=b"x" * 32)
    assert a[0].key != b[0].key and len(a[0].key) == 16
    dumped = repr(a) + str(a[0].to_audit())
    assert rid not in dumped and rid[:10] not in dumped


def test_key_from_environment_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRLOCK_LEDGER_KEY", raising=False)
    with pytest.raises(ConfigError, match="AIRLOCK_LEDGER_KEY is not set"):
        load_key()
    monkeypatch.setenv("AIRLOCK_LEDGER_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        load_key()
    monkeypatch.setenv("AIRLOCK_LEDGER_KEY", "s" * 32)
    assert load_key() == b"s" * 32


def test_finding_without_its_text_is_an_error() -> None:
    with pytest.raises(ValueError, match="has no text"):
        subjects_from([], find(phone(1), P), key=KEY, include_names=False)


def test_audit_round_trip() -> None:
    (s,) = subjects(f"{resident_id(14)} {phone(14)}")
    back = Subject.from_audit(s.to_audit())
    assert (back.key, back.identifiers, back.anchored, back.sensitive, back.categories) == (
        s.key, s.identifiers, s.anchored, s.sensitive, s.categories)
