"""Rule packs: threshold edges for both packs, filings, and that the data carries its sources."""

from __future__ import annotations

import pytest

from airlock.ledger.rules import Facts, PackError, available_packs, load_pack

EDGES = [
    # pack, persons, sensitive, facts, expected tier, rule
    ("cn-2024", 0, 0, {}, "exempt", "CN-XB-11"),
    ("cn-2024", 99_999, 0, {}, "exempt", "CN-XB-11"),
    ("cn-2024", 100_000, 0, {}, "standard_contract", "CN-XB-10"),
    ("cn-2024", 999_999, 0, {}, "standard_contract", "CN-XB-10"),
    ("cn-2024", 1_000_000, 0, {}, "security_assessment", "CN-XB-09"),
    ("cn-2024", 1, 1, {}, "standard_contract", "CN-XB-10"),  # no small-volume exemption for sensitive PI
    ("cn-2024", 9_999, 9_999, {}, "standard_contract", "CN-XB-10"),
    ("cn-2024", 10_000, 10_000, {}, "security_assessment", "CN-XB-09"),
    ("cn-2024", 1, 0, {"ciio": True}, "security_assessment", "CN-XB-08"),
    ("cn-2024", 0, 0, {"ciio": True}, "exempt", "CN-XB-11"),  # a CIIO that sends no PI
    ("cn-2024", 0, 0, {"important_data": True}, "security_assessment", "CN-XB-07"),
    ("cn-2022", 0, 0, {}, "exempt", "CN-2022-NONE"),
    ("cn-2022", 1, 0, {}, "standard_contract", "CN-SCC-2023-4"),
    ("cn-2022", 99_999, 0, {}, "standard_contract", "CN-SCC-2023-4"),
    ("cn-2022", 100_000, 0, {}, "security_assessment", "CN-2022-4.3"),
    ("cn-2022", 999_999, 0, {}, "security_assessment", "CN-2022-4.3"),
    ("cn-2022", 1_000_000, 0, {}, "security_assessment", "CN-2022-4.3"),
    ("cn-2022", 9_999, 9_999, {}, "standard_contract", "CN-SCC-2023-4"),
    ("cn-2022", 10_000, 10_000, {}, "security_assessment", "CN-2022-4.3"),
    ("cn-2022", 1, 0, {"persons_processed": 999_999}, "standard_contract", "CN-SCC-2023-4"),
    ("cn-2022", 1, 0, {"persons_processed": 1_000_000}, "security_assessment", "CN-2022-4.2-1M"),
    ("cn-2022", 1, 0, {"ciio": True}, "security_assessment", "CN-2022-4.2-CIIO"),
    ("cn-2022", 0, 0, {"important_data": True}, "security_assessment", "CN-2022-4.1"),
]


@pytest.mark.parametrize(("pack", "persons", "sensitive", "facts", "tier", "rule"), EDGES)
def test_threshold_edges(pack: str, persons: int, sensitive: int, facts: dict[str, object], tier: str,
                         rule: str) -> None:
    result = load_pack(pack).evaluate(Facts(persons, sensitive, **facts))  # type: ignore[arg-type]
    assert (result.tier, result.rule) == (tier, rule)


@pytest.mark.parametrize(
    ("mechanism", "covered"),
    [("none", "exempt"), ("standard_contract", "standard_contract"), ("certification", "standard_contract"),
     ("security_assessment", "security_assessment")],
)
def test_filed_mechanism_covers(mechanism: str, covered: str) -> None:
    for pack in available_packs():
        assert load_pack(pack).covered(mechanism).id == covered


def test_packs_are_data_with_sources_and_flags() -> None:
    assert available_packs() == ["cn-2022", "cn-2024"]
    p24, p22 = load_pack("cn-2024"), load_pack("cn-2022")
    assert (p24.window, p22.window) == ("current_year", "previous_and_current_year")
    assert p24.timezone == p22.timezone == "Asia/Shanghai"
    for pack in (p24, p22):
        assert all(r.sources for r in pack.rules) and pack.sources and pack.unverified
    # the article-7 rules were not verified against the official text: the pack says so
    assert {r.id for r in p24.rules if not r.verified} == {"CN-XB-07", "CN-XB-08", "CN-XB-09"}
    assert set(p24.purpose_exemptions) == {"contract_performance", "hr_management", "emergency"}
    assert p24.ftz_exemption is not None and p24.ftz_exemption.rule == "CN-XB-06"
    assert p22.purpose_exemptions == {} and p22.ftz_exemption is None


def test_next_thresholds_and_alert_lines() -> None:
    p = load_pack("cn-2024")
    nxt = p.next_thresholds(Facts(50_000, 0), above_rank=0)
    assert [(t.measure, t.value, t.tier) for t in nxt] == [
        ("persons", 100_000, "standard_contract"), ("sensitive_persons", 1, "standard_contract")]
    nxt = p.next_thresholds(Facts(150_000, 3), above_rank=1)
    assert [(t.measure, t.value) for t in nxt] == [("persons", 1_000_000), ("sensitive_persons", 10_000)]


def test_unknown_pack() -> None:
    with pytest.raises(PackError, match="unknown rule pack 'cn-1999'"):
        load_pack("cn-1999")
