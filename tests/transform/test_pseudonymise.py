"""Pseudonymisation: consistent placeholders per value and type, across turns, with and
without stored state; client-injected placeholders; redaction in the same pass."""

from __future__ import annotations

import pytest

from airlock.transform import (
    Action,
    PlaceholderFormat,
    Pseudonym,
    PseudonymMap,
    RedactionFormat,
    pseudonymise,
    redact_texts,
    transform,
)
from tests.transform.conftest import findings_for
from tests.transform.conftest import make_finding as make

FMT = PlaceholderFormat()
VALUES = [
    ("PERSON", "Alice Smith"),
    ("PERSON", "Bob Jones"),
    ("EMAIL", "alice@example.com"),
    ("EMAIL", "ALICE@EXAMPLE.COM"),
    ("CN_PHONE", "13800138000"),
    ("CN_PHONE", "+86 138 0013 8000"),
    ("CN_RESIDENT_ID", "11010519491231002X"),
    ("PERSON", "alice  smith"),
]
TYPES = ["PERSON", "EMAIL", "CN_PHONE", "CN_RESIDENT_ID"]


def fresh(scope: str = "s", fmt: PlaceholderFormat = FMT) -> PseudonymMap:
    return PseudonymMap("acme", scope, fmt)


def run(texts: list[tuple[str, str]], pm: PseudonymMap | None = None) -> list[tuple[str, str]]:
    out, _ = pseudonymise(texts, findings_for(texts, VALUES), pm if pm is not None else fresh(), types=TYPES)
    return out


def test_same_value_same_placeholder_by_first_appearance() -> None:
    texts = [
        ("messages[0].content", "Bob Jones wrote to Alice Smith at alice@example.com."),
        ("messages[1].content", "Alice Smith (ALICE@EXAMPLE.COM, +86 138 0013 8000) and Bob Jones; call 13800138000."),
    ]
    assert run(texts) == [
        ("messages[0].content", "<PERSON_1> wrote to <PERSON_2> at <EMAIL_1>."),
        ("messages[1].content", "<PERSON_2> (<EMAIL_1>, <CN_PHONE_1>) and <PERSON_1>; call <CN_PHONE_1>."),
    ]


def test_resending_the_history_gives_the_same_placeholders_without_state() -> None:
    turn1 = [("messages[0].content", "Alice Smith here, my id is 11010519491231002X.")]
    turn2 = [*turn1, ("messages[1].content", "Noted."), ("messages[2].content", "Also Bob Jones and Alice Smith.")]
    out1 = run(turn1)
    out2 = run(turn2)
    assert out2[0] == out1[0] == ("messages[0].content", "<PERSON_1> here, my id is <CN_RESIDENT_ID_1>.")
    assert out2[2] == ("messages[2].content", "Also <PERSON_2> and <PERSON_1>.")


def test_stored_state_keeps_numbers_when_history_is_truncated() -> None:
    pm = fresh()
    run([("m0", "Alice Smith and Bob Jones")], pm)
    # the next turn no longer carries Alice's first mention; Bob keeps PERSON_2
    stored = PseudonymMap("acme", "s", FMT, [Pseudonym("PERSON", 1, "Alice Smith"), Pseudonym("PERSON", 2, "Bob Jones")])
    out = run([("m0", "Bob Jones again, then Carol"), ("m1", "and alice  smith")], stored)
    assert out == [("m0", "<PERSON_2> again, then Carol"), ("m1", "and <PERSON_1>")]
    assert stored.new == ()  # nothing new to save


def test_new_values_continue_after_the_highest_stored_number() -> None:
    stored = PseudonymMap("acme", "s", FMT, [Pseudonym("PERSON", 4, "Zed Zee")])
    out = run([("m0", "Bob Jones")], stored)
    assert out == [("m0", "<PERSON_5>")]
    assert [(p.type, p.n, p.original) for p in stored.new] == [("PERSON", 5, "Bob Jones")]


def test_the_first_mention_is_what_is_stored() -> None:
    pm = fresh()
    run([("m0", "ALICE@EXAMPLE.COM then alice@example.com")], pm)
    assert [p.original for p in pm.new] == ["ALICE@EXAMPLE.COM"]


def test_only_requested_types_are_replaced() -> None:
    texts = [("m0", "Alice Smith, alice@example.com")]
    out, _ = pseudonymise(texts, findings_for(texts, VALUES), fresh(), types=["EMAIL"])
    assert out == [("m0", "Alice Smith, <EMAIL_1>")]


def test_texts_without_findings_are_unchanged_and_order_is_kept() -> None:
    texts = [("a", "nothing"), ("b", "Bob Jones"), ("c", "still nothing")]
    assert run(texts) == [("a", "nothing"), ("b", "<PERSON_1>"), ("c", "still nothing")]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("<{type}_{n}>", "<PERSON_1> / <EMAIL_1>"),
        ("[[{type}_{n}]]", "[[PERSON_1]] / [[EMAIL_1]]"),
        ("{{type}}-{n}", "{PERSON}-1 / {EMAIL}-1"),
    ],
)
def test_formats(template: str, expected: str) -> None:
    texts = [("m0", "Alice Smith / alice@example.com")]
    assert run(texts, fresh(fmt=PlaceholderFormat(template))) == [("m0", expected)]


@pytest.mark.parametrize(
    ("injected", "tainted"),
    [
        ("<PERSON_1>", {("PERSON", 1)}),
        ("< person-1 >", {("PERSON", 1)}),
        ("＜PERSON_1＞", {("PERSON", 1)}),
        ("PERSON_1", {("PERSON", 1)}),
        ("<PERSON_1> <PERSON_2>", {("PERSON", 1), ("PERSON", 2)}),
    ],
)
def test_client_injected_placeholders_are_never_issued(injected: str, tainted: set[tuple[str, int]]) -> None:
    pm = fresh()
    out = run([("m0", f"Who is {injected}? I am Alice Smith.")], pm)
    assert pm.tainted == tainted
    n = max(n for _, n in tainted) + 1
    assert out == [("m0", f"Who is {injected}? I am <PERSON_{n}>.")]
    for key in tainted:
        assert pm.original(*key) is None


def test_injected_placeholder_hides_a_stored_one_for_this_request() -> None:
    stored = PseudonymMap("acme", "s", FMT, [Pseudonym("PERSON", 1, "Alice Smith")])
    out = run([("m0", "Tell me about <PERSON_1>; also Alice Smith")], stored)
    # PERSON_1 is ambiguous in this request: Alice gets a fresh, unambiguous placeholder
    assert out == [("m0", "Tell me about <PERSON_1>; also <PERSON_2>")]
    assert stored.original("PERSON", 1) is None
    assert stored.original("PERSON", 2) == "Alice Smith"


def test_restore_from_request_only_restores_values_present_in_the_prompt() -> None:
    entries = [Pseudonym("PERSON", 1, "Alice Smith"), Pseudonym("PERSON", 2, "Bob Jones")]
    pm = PseudonymMap("acme", "s", FMT, entries, restore_from="request")
    run([("m0", "Bob Jones")], pm)
    assert pm.original("PERSON", 2) == "Bob Jones"
    assert pm.original("PERSON", 1) is None
    conv = PseudonymMap("acme", "s", FMT, entries)
    run([("m0", "Bob Jones")], conv)
    assert conv.original("PERSON", 1) == "Alice Smith"


def test_redaction_and_pseudonymisation_in_one_pass() -> None:
    texts = [("m0", "Alice Smith, id 11010519491231002X, alice@example.com")]
    pm = fresh()
    result = transform(
        texts,
        findings_for(texts, VALUES),
        actions={"PERSON": Action.PSEUDONYMISE, "CN_RESIDENT_ID": Action.REDACT, "EMAIL": Action.PSEUDONYMISE},
        pseudonyms=pm,
    )
    assert result.texts == (("m0", "<PERSON_1>, id [REDACTED:CN_RESIDENT_ID], <EMAIL_1>"),)
    assert result.changed() == {"m0": result.texts[0][1]}
    assert result.summary() == {
        "counts": {"pseudonymise": {"EMAIL": 1, "PERSON": 1}, "redact": {"CN_RESIDENT_ID": 1}},
        "placeholders": ["EMAIL_1", "PERSON_1"],
    }
    assert [r.to_dict() for r in result.replacements][1] == {
        "path": "m0", "start": 16, "end": 34, "type": "CN_RESIDENT_ID", "action": "redact", "rule": "pii.cn_resident_id",
    }
    assert "Alice" not in repr(result.summary()) and "Alice" not in repr(pm)


@pytest.mark.parametrize(
    ("template", "expected"),
    [("[REDACTED:{type}]", "[REDACTED:PERSON] wrote"), ("█████", "█████ wrote"), ("<{type}>", "<PERSON> wrote")],
)
def test_redact_formats(template: str, expected: str) -> None:
    texts = [("m0", "Alice Smith wrote")]
    assert redact_texts(texts, findings_for(texts, VALUES), types=["PERSON"], fmt=RedactionFormat(template)) == [
        ("m0", expected)
    ]


@pytest.mark.parametrize("template", ["", "[{n}]", "{type}{type}", "a\nb"])
def test_bad_redaction_formats(template: str) -> None:
    with pytest.raises(ValueError, match="redaction format"):
        RedactionFormat(template)


def test_pseudonymise_needs_a_map() -> None:
    with pytest.raises(ValueError, match="PseudonymMap"):
        transform([("m0", "x")], [], actions={"PERSON": Action.PSEUDONYMISE})


@pytest.mark.parametrize(
    ("texts", "detected", "expected"),
    [
        # found once with context, missed elsewhere: rewritten everywhere
        ([("m0", "我叫张伟。"), ("m1", "张伟的电话")], [("m0", "张伟")], ["我叫<PERSON_1>。", "<PERSON_1>的电话"]),
        # ASCII values do not match inside ASCII words
        ([("m0", "Li wrote: Lithium, Li."),], [("m0", "Li")], ["<PERSON_1> wrote: Lithium, <PERSON_1>."]),
        # one-character values are not propagated
        ([("m0", "X said X")], [("m0", "X")], ["<PERSON_1> said X"]),
    ],
)
def test_values_propagate_to_undetected_mentions(
    texts: list[tuple[str, str]], detected: list[tuple[str, str]], expected: list[str]
) -> None:
    found = [make(texts, path, "PERSON", value) for path, value in detected]
    result = transform(texts, found, actions={"PERSON": Action.PSEUDONYMISE}, pseudonyms=fresh())
    assert [t for _, t in result.texts] == expected
    off = transform(texts, found, actions={"PERSON": Action.PSEUDONYMISE}, pseudonyms=fresh(), propagate_values=False)
    assert [t for _, t in off.texts][1:] == [t for _, t in texts][1:]


def test_redaction_propagates_and_wins_over_pseudonymisation_of_the_same_value() -> None:
    texts = [("m0", "id 110105 and 110105")]
    found = [make(texts, "m0", "CN_RESIDENT_ID", "110105"), make(texts, "m0", "PHONE", "110105", nth=1)]
    result = transform(texts, found, actions={"CN_RESIDENT_ID": Action.REDACT, "PHONE": Action.PSEUDONYMISE},
                       pseudonyms=fresh())
    assert result.texts == (("m0", "id [REDACTED:CN_RESIDENT_ID] and [REDACTED:CN_RESIDENT_ID]"),)


def test_values_the_scope_already_holds_are_rewritten_without_a_finding() -> None:
    stored = PseudonymMap("acme", "s", FMT, [Pseudonym("PERSON", 1, "Alice Smith"), Pseudonym("EMAIL", 1, "a@b.c")])
    result = transform([("m0", "Alice Smith again, a@b.c")], [], actions={"PERSON": Action.PSEUDONYMISE},
                       pseudonyms=stored)
    # only the types the policy pseudonymises in this request
    assert result.texts == (("m0", "<PERSON_1> again, a@b.c"),)
    assert result.replacements[0].rule == "propagated"


def test_map_summary_counts_without_values() -> None:
    stored = PseudonymMap("acme", "c_x", FMT, [Pseudonym("PERSON", 1, "Alice Smith")])
    run([("m0", "<EMAIL_1> Alice Smith and Bob Jones")], stored)
    stored.mark_saved()
    assert stored.summary() == {"scope": "c_x", "stored": 1, "issued": 1, "used": 2, "client_placeholders": 1}


@pytest.mark.parametrize("type_", ["person", "X.Y", "A__B", "_A", "A" * 49, "TC260-A"])
def test_types_that_could_not_be_restored_are_refused(type_: str) -> None:
    from airlock.transform import TransformError

    with pytest.raises(TransformError, match="cannot be pseudonymised"):
        fresh().assign(type_, "value")
