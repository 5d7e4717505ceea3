"""The streaming guard: text is released only after it was scanned; a violation stops release."""

from __future__ import annotations

import pytest

from airlock.detectors import Stage, build_scanner
from airlock.detectors.base import Finding
from airlock.moderation import StreamGuard

SCANNER = build_scanner(["secrets", "content_harm"], {})
KEY = "AKIAIOSFODNN7EXAMPLE"


def guard(**kw: int) -> StreamGuard:
    def scan(text: str, full: bool) -> list[Finding]:
        return SCANNER.scan(text, stage=Stage.COMPLETION, hooks=full)

    def judge(findings: list[Finding]) -> tuple[str, ...]:
        return ("block-secrets",) if any(f.type == "SECRET_CREDENTIAL" for f in findings) else ()

    return StreamGuard(scan, judge, **kw)


def feed_all(g: StreamGuard, text: str, size: int) -> str:
    out = "".join(g.feed(text[i : i + size]) for i in range(0, len(text), size))
    return out + g.finish()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 16, 64])
@pytest.mark.parametrize("hold", [0, 32])
def test_clean_text_is_released_whole(size: int, hold: int) -> None:
    text = "The quarterly report shows steady growth. 客户满意度持续提升。" * 4
    assert feed_all(guard(hold=hold), text, size) == text


@pytest.mark.parametrize("size", [1, 3, 8, 20])
def test_secret_split_across_chunks_is_never_released(size: int) -> None:
    text = f"Here it is: {KEY} and more words after the key."
    g = guard(hold=0)
    out = feed_all(g, text, size)
    assert KEY not in out and g.verdict is not None and g.verdict.rules == ("block-secrets",)
    assert text.startswith(out)  # what was released is a clean prefix
    assert any(f.type == "SECRET_CREDENTIAL" and text[f.start:f.end] == KEY for f in g.findings)


def test_hold_keeps_the_start_of_a_phrase_until_it_is_complete() -> None:
    text = "Sure. " + KEY
    no_hold = guard(hold=0)
    released = "".join(no_hold.feed(c) for c in text)
    assert released.startswith("Sure.")  # released before the key arrived
    held = guard(hold=32)
    assert "".join(held.feed(c) for c in text) == ""  # nothing left the gateway
    assert held.verdict is not None


def test_window_bounds_the_work() -> None:
    g = guard(window=16, hold=0)
    seen: list[int] = []
    inner = g.scan
    g.scan = lambda t, full: (seen.append(len(t)), inner(t, full))[1]  # type: ignore[method-assign]
    feed_all(g, "word " * 400, 5)
    assert max(seen) <= 16 + 5


def test_whole_text_detectors_run_every_so_often_and_before_the_end() -> None:
    calls: list[bool] = []

    def scan(text: str, full: bool) -> list[Finding]:
        calls.append(full)
        return []

    g = StreamGuard(scan, lambda f: (), window=64, hold=8, full_every=50)
    feed_all(g, "x" * 200, 5)
    assert calls.count(True) >= 4 and calls.count(False) >= 30
    assert calls[-1] is True  # the tail was scanned in full before it was released
