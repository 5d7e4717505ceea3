from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from airlock.detectors import (
    Candidate,
    ContextPatterns,
    Emit,
    Engine,
    Finding,
    Pattern,
    PatternSource,
    ScanContext,
    ScanView,
    Stage,
)
from airlock.detectors.backends import BackendEntry, make_backend
from airlock.detectors.engine import DecodeSettings


def _even(c: Candidate) -> Iterator[Finding]:
    assert c.match is not None
    if int(c.match.group("n")) % 2 == 0:
        yield c.finding("EVEN", score=0.5, explanation="even order number")


class Family(PatternSource):
    def __init__(self, name: str = "fam", patterns: tuple[Pattern, ...] = (), hooks: tuple = ()) -> None:
        self.name = name
        self._patterns = patterns
        self._hooks = hooks
        self.tenant_terms: dict[str, tuple[Pattern, ...]] = {}

    def patterns(self) -> tuple[Pattern, ...]:
        return self._patterns

    def text_hooks(self) -> tuple:
        return self._hooks

    def context_patterns(self, context: ScanContext) -> ContextPatterns | None:
        terms = self.tenant_terms.get(context.tenant or "")
        return ContextPatterns(context.tenant, terms) if terms else None


ORDER = Pattern("fam.order", r"(?<![0-9])ORD-(?P<n>[0-9]{4})(?![0-9])", handler=_even)
HERON = Pattern("fam.heron", "blue heron", literal=True, caseless=True, word=True, emit=Emit("TERM", category="code"))
ZH = Pattern("fam.zh", "天网", literal=True, emit=Emit("TERM"))


def spans(text: str, findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.type, text[f.start : f.end]) for f in findings]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ORD-1234 and ORD-1235", [("EVEN", "ORD-1234")]),
        ("xORD-12345", []),
        ("a Blue Heron, BLUE HERON!", [("TERM", "Blue Heron"), ("TERM", "BLUE HERON")]),
        ("blueheron blue herons", []),
        ("天网计划：天网", [("TERM", "天网"), ("TERM", "天网")]),
        ("", []),
        # normalisation: full-width letters/digits, zero-width space inside the match
        ("ＯＲＤ－１２３４", [("EVEN", "ＯＲＤ－１２３４")]),
        ("blue\u200b heron", [("TERM", "blue\u200b heron")]),
    ],
)
def test_patterns_both_backends(backend: str, text: str, expected: list[tuple[str, str]]) -> None:
    engine = Engine([Family(patterns=(ORDER, HERON, ZH))], backend=backend)
    assert engine.backend_name == backend
    assert spans(text, engine.scan(text)) == expected


def test_finding_fields_filled(backend: str) -> None:
    engine = Engine([Family(patterns=(ORDER,))], backend=backend)
    (f,) = engine.scan("x ORD-0002", stage=Stage.COMPLETION)
    assert (f.rule, f.detector, f.stage, f.score, f.start, f.end) == ("fam.order", "fam", Stage.COMPLETION, 0.5, 2, 10)


def test_context_dictionaries_are_compiled_per_tenant_and_cached(backend: str) -> None:
    fam = Family(patterns=(ZH,))
    fam.tenant_terms["acme"] = (Pattern("fam.t.acme.1", "bluebird", literal=True, emit=Emit("TERM")),)
    engine = Engine([fam], backend=backend)
    text = "bluebird 天网"
    assert spans(text, engine.scan(text)) == [("TERM", "天网")]
    acme = ScanContext(tenant="acme")
    assert spans(text, engine.scan(text, context=acme)) == [("TERM", "bluebird"), ("TERM", "天网")]
    assert engine.compiled_for(acme) is engine.compiled_for(acme)
    assert engine.compiled_for(ScanContext(tenant="other")) is engine.compiled_for(ScanContext())


def test_text_hook_sees_pass_findings(backend: str) -> None:
    seen: list[int] = []

    def hook(view: ScanView) -> Iterator[Finding]:
        seen.append(len(view.findings))
        if "heron" in view.lower:
            yield Finding("BIRD", 0, len(view.text), 0.3, "fam.bird")

    engine = Engine([Family(patterns=(HERON,), hooks=(hook,))], backend=backend)
    out = engine.scan("Blue Heron")
    assert seen == [1]
    assert [f.type for f in out] == ["BIRD", "TERM"]


def test_exclusive_overlaps_keep_longest(backend: str) -> None:
    long = Pattern("fam.long", r"(?<![0-9])[0-9]{18}(?![0-9])", emit=Emit("LONG"), exclusive=True)
    short = Pattern("fam.short", r"1[3-9][0-9]{9}", emit=Emit("SHORT"), exclusive=True)
    free = Pattern("fam.free", r"138", emit=Emit("FREE"))
    engine = Engine([Family(patterns=(long, short, free))], backend=backend)
    text = "110105138001380001 13800138000"
    got = spans(text, engine.scan(text))
    assert ("LONG", "110105138001380001") in got
    assert ("SHORT", "13800138000") in got
    assert ("SHORT", "13800138000") in got
    assert len([t for t, _ in got if t == "SHORT"]) == 1
    assert len([t for t, _ in got if t == "FREE"]) == 4  # non-exclusive findings always stay


def test_encoded_blocks_are_decoded_and_reported_on_the_encoded_span(backend: str) -> None:
    engine = Engine([Family(patterns=(HERON,))], backend=backend)
    inner = base64.b64encode(b"meet the blue heron at dawn").decode()
    nested = base64.b64encode(b"note: " + inner.encode()).decode()
    hexed = b"the blue heron".hex()
    url = "q=the%20blue%20heron%21"
    for block, enc in [(inner, "base64"), (nested, "base64>base64"), (hexed, "hex"), (url, "url")]:
        text = f"payload {block} end"
        (f,) = engine.scan(text)
        assert text[f.start : f.end] in block
        assert len(text[f.start : f.end]) >= len(block) - 2
        assert dict(f.attributes)["encoding"] == enc


def test_decoding_is_bounded(backend: str) -> None:
    engine = Engine([Family(patterns=(HERON,))], backend=backend, decode=DecodeSettings(max_depth=1))
    inner = base64.b64encode(b"the blue heron").decode()
    nested = base64.b64encode(b"x " + inner.encode()).decode()
    assert engine.scan(f"a {inner}") != []
    assert engine.scan(f"a {nested}") == []
    off = Engine([Family(patterns=(HERON,))], backend=backend, decode=DecodeSettings(enabled=False))
    assert off.scan(f"a {inner}") == []


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (Pattern("x.unbounded", r"a[0-9]+", emit=Emit("X")), "unbounded"),
        (Pattern("x.empty", r"a?", emit=Emit("X")), "empty string"),
        (Pattern("x.bad", r"(", emit=Emit("X")), "invalid regular expression"),
    ],
)
def test_bad_patterns_fail_loudly(pattern: Pattern, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Engine([Family(patterns=(pattern,))])


def test_pattern_contract() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Pattern("x", "a")
    with pytest.raises(ValueError, match="word"):
        Pattern("x", "a", word=True, emit=Emit("X"))
    dup = Pattern("fam.zh", "other", literal=True, emit=Emit("X"))
    with pytest.raises(ValueError, match="used by both"):
        Engine([Family(patterns=(ZH,)), Family(name="b", patterns=(dup,))])


def test_backends_agree_on_windows_at_text_edges() -> None:
    import re

    entries = [
        BackendEntry(
            re.compile(r"(?<![0-9])[0-9]{3,6}(?![0-9])"), None, False, False, 6, r"(?<![0-9])[0-9]{3,6}(?![0-9])"
        )
    ]
    py = make_backend(entries, "python")
    texts = ["123", "1234567 12 123456", "中文123中文4567", "x" * 50 + "9999", "12345678901 555"]
    for t in texts:
        expected = [(s, e) for _, s, e, _ in py.matches(t)]
        for kind in ("hyperscan", "python"):
            try:
                b = make_backend(entries, kind)
            except ValueError:
                continue
            assert sorted((s, e) for _, s, e, _ in b.matches(t)) == sorted(expected), (kind, t)


def test_hyperscan_database_cache_round_trip(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("hyperscan")
    monkeypatch.setenv("AIRLOCK_CACHE_DIR", str(tmp_path))
    first = Engine([Family(patterns=(ORDER, HERON, ZH))], backend="hyperscan")
    files = list(tmp_path.iterdir())  # type: ignore[attr-defined]
    assert len(files) == 1
    second = Engine([Family(patterns=(ORDER, HERON, ZH))], backend="hyperscan")
    text = "ORD-0004 blue heron 天网"
    assert spans(text, first.scan(text)) == spans(text, second.scan(text)) != []
    files[0].write_bytes(b"corrupt")
    third = Engine([Family(patterns=(ORDER, HERON, ZH))], backend="hyperscan")
    assert spans(text, third.scan(text)) == spans(text, first.scan(text))


def test_a_family_scans_on_its_own_through_detect(backend: str) -> None:
    fam = Family(patterns=(ORDER, HERON))
    out = fam.detect("ORD-0002 and a blue heron", stage=Stage.PROMPT, context=ScanContext())
    assert [f.type for f in out] == ["EVEN", "TERM"]


def test_scans_from_many_threads_agree(backend: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.detectors.helpers import scanner

    s = scanner(backend)
    texts = [f"客户{i}号 电话1380013{i:04d} mail u{i}@example.com 11010519491231002X" for i in range(200)]
    expected = [[(f.type, f.start, f.end) for f in s.scan(t)] for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda t: [(f.type, f.start, f.end) for f in s.scan(t)], texts))
    assert got == expected
    assert all(any(t == "EMAIL" for t, _, _ in row) for row in got)


def test_prepare_compiles_dictionary_sets_ahead(backend: str) -> None:
    fam = Family(patterns=(ZH,))
    fam.tenant_terms["acme"] = (Pattern("fam.t.acme.1", "bluebird", literal=True, emit=Emit("TERM")),)
    fam.tenant_terms["beta"] = (Pattern("fam.t.beta.1", "redbird", literal=True, emit=Emit("TERM")),)
    engine = Engine([fam], backend=backend)
    contexts = [ScanContext(tenant=t) for t in ("acme", "beta", "acme", "none")]
    assert engine.prepare(contexts) == 3  # acme, beta, and the base set for "none"
    assert engine.compiled_for(ScanContext(tenant="beta")) is engine.compiled_for(ScanContext(tenant="beta"))
