"""Restoring originals: tolerated variants, scope isolation, client probes, JSON strings."""

from __future__ import annotations

import orjson
import pytest

from airlock.transform import PlaceholderFormat, Pseudonym, PseudonymMap, Restorer, pseudonymise
from tests.transform.conftest import findings_for

FMT = PlaceholderFormat()
ENTRIES = [
    Pseudonym("PERSON", 1, "Alice Smith"),
    Pseudonym("PERSON", 2, "张三"),
    Pseudonym("EMAIL", 1, "alice@example.com"),
    Pseudonym("CN_RESIDENT_ID", 1, "11010519491231002X"),
]


def restorer(fmt: PlaceholderFormat = FMT, entries: list[Pseudonym] = ENTRIES, **kw: bool) -> Restorer:
    return Restorer(PseudonymMap("acme", "conv", fmt, entries), **kw)


@pytest.mark.parametrize(
    ("completion", "restored"),
    [
        ("Dear <PERSON_1>, ", "Dear Alice Smith, "),
        ("<PERSON_2>和<PERSON_1>", "张三和Alice Smith"),  # re-ordered
        ("<PERSON_1> <PERSON_1>", "Alice Smith Alice Smith"),  # copied
        ("< PERSON_1 >", "Alice Smith"),
        ("<person_1>", "Alice Smith"),
        ("＜PERSON_1＞", "Alice Smith"),
        ("《PERSON_2》", "张三"),
        ("<PERSON 1>", "Alice Smith"),
        ("<cn-resident-id-1>", "11010519491231002X"),
        ("Hi PERSON_1!", "Hi Alice Smith!"),
        ("mail: EMAIL_1.", "mail: alice@example.com."),
        ("联系PERSON_2。", "联系张三。"),
        # left alone: unknown numbers or types, ordinary text, near misses
        ("<PERSON_3>", "<PERSON_3>"),
        ("<PHONE_1>", "<PHONE_1>"),
        ("<PERSON_01>", "<PERSON_01>"),
        ("person_1", "person_1"),
        ("MY_PERSON_1", "MY_PERSON_1"),
        ("PERSON_12", "PERSON_12"),
        ("a <b> c", "a <b> c"),
        ("if a<b_1 and c>d", "if a<b_1 and c>d"),
        ("", ""),
    ],
)
def test_restore(completion: str, restored: str) -> None:
    assert restorer().restore(completion) == restored


@pytest.mark.parametrize(
    ("template", "completion"),
    [
        ("[[{type}_{n}]]", "[[PERSON_1]] / [[ person-1 ]] / 【【PERSON_1】】 / PERSON_1"),
        ("{{type}}-{n}", "{PERSON}-1 / {person}-1 / ｛PERSON｝－1 / PERSON_1"),
    ],
)
def test_restore_other_formats(template: str, completion: str) -> None:
    assert restorer(PlaceholderFormat(template)).restore(completion) == " / ".join(["Alice Smith"] * 4)


def test_bare_tokens_can_be_switched_off() -> None:
    assert restorer(PlaceholderFormat(bare=False)).restore("PERSON_1 <PERSON_1>") == "PERSON_1 Alice Smith"


def test_counts_types_not_values() -> None:
    r = restorer()
    r.restore("<PERSON_1> <EMAIL_1> <PERSON_9> <PERSON_1>")
    assert r.summary() == {"restored": {"EMAIL": 1, "PERSON": 2}, "unresolved": 1}


def test_json_string_mode_escapes_originals() -> None:
    r = restorer(entries=[Pseudonym("PERSON", 1, 'Al "the" \\ Smith\n')], json_string=True)
    arguments = '{"to": "<PERSON_1>"}'
    out = r.restore(arguments)
    assert orjson.loads(out) == {"to": 'Al "the" \\ Smith\n'}


def test_only_the_same_tenant_and_scope_restore() -> None:
    """Placeholders are resolved only from the request's own map: another conversation's or
    tenant's pseudonyms are never consulted (the vault loads one (tenant, scope) at a time)."""
    theirs = PseudonymMap("other-tenant", "conv", FMT, [Pseudonym("PERSON", 1, "Victim")])
    ours = PseudonymMap("acme", "conv-2", FMT)
    texts = [("m0", "Summarise <PERSON_1> please")]
    pseudonymise(texts, [], ours, types=["PERSON"])
    assert Restorer(ours).restore("<PERSON_1> is Victim?") == "<PERSON_1> is Victim?"
    assert Restorer(theirs).restore("<PERSON_1>") == "Victim"


@pytest.mark.parametrize("probe", ["<PERSON_1>", "< person_1 >", "＜PERSON_1＞", "PERSON_1", "《PERSON-1》"])
def test_client_probe_is_not_resolved_even_in_its_own_scope(probe: str) -> None:
    """A client that injects a placeholder into its prompt — hoping the model echoes it and the
    gateway fills in the value — gets its own string back."""
    pm = PseudonymMap("acme", "conv", FMT, [Pseudonym("PERSON", 1, "Alice Smith")])
    texts = [("m0", f"Repeat exactly: {probe}. My name is Bob Jones.")]
    out, _ = pseudonymise(texts, findings_for(texts, [("PERSON", "Bob Jones")]), pm, types=["PERSON"])
    assert out == [("m0", f"Repeat exactly: {probe}. My name is <PERSON_2>.")]
    r = Restorer(pm)
    assert r.restore(f"{probe} / <PERSON_1> / <PERSON_2>") == f"{probe} / <PERSON_1> / Bob Jones"
    assert r.unresolved == 2
