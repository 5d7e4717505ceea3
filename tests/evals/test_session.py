from __future__ import annotations

import pytest

from airlock.config import parse_config
from airlock.detectors import available
from airlock.evals.redact import excerpt
from airlock.evals.session import (
    HARM_FAMILIES,
    build_panel,
    detector_scanner,
    harm_families,
    resolve_system_prompt,
    select_deployments,
)


def config(enabled: list[str]):  # type: ignore[no-untyped-def]
    return parse_config(
        {
            "deployments": [{"name": "a", "provider": "local"}, {"name": "b", "provider": "local"}],
            "tenants": [{"id": "demo"}],
            "detectors": {"enabled": enabled},
        }
    )


def test_harm_judge_only_for_content_safety_families() -> None:
    registered = available()
    cfg = config([n for n in registered if n in ("pii", "secrets", "markings")])
    assert harm_families(cfg) == []
    panel = build_panel(scanner=detector_scanner(cfg, harm_families(cfg)))
    assert not any(name == "detectors" for name in panel.names)
    content = [n for n in registered if n in HARM_FAMILIES]
    if content:
        assert harm_families(config(content)) == content


def test_excerpts_are_redacted_with_the_configured_detectors() -> None:
    if "pii" not in available():
        pytest.skip("the pii detector family is not registered")
    scanner = detector_scanner(config(["pii"]))
    assert scanner is not None
    text = "客户王芳的银行卡号是6222021001123456785，住在北京市朝阳区建国路88号。"
    out = excerpt(text, scanner=scanner)
    assert "王芳" not in out and "建国路" not in out and "6222021001123456785" not in out
    assert "[PERSON]" in out


def test_no_scanner_without_registered_families() -> None:
    assert detector_scanner(config([])) is None


@pytest.mark.parametrize(("names", "expected"), [(["all"], ["a", "b"]), (["b", "a", "b"], ["b", "a"])])
def test_select_deployments(names: list[str], expected: list[str]) -> None:
    assert [d.name for d in select_deployments(config([]), names)] == expected


def test_system_prompts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    safety = resolve_system_prompt("safety")
    assert safety is not None and safety.tag == "safety" and "拒绝" in safety.text and "Refuse" in safety.text
    f = tmp_path / "p.txt"
    f.write_text("Be careful.", encoding="utf-8")
    custom = resolve_system_prompt(f"@{f}")
    assert custom is not None and custom.text == "Be careful." and custom.tag.startswith("sp-")
    assert resolve_system_prompt(None) is None
    with pytest.raises(ValueError, match="unknown system prompt"):
        resolve_system_prompt("grumpy")
