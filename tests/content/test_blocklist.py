from __future__ import annotations

from pathlib import Path

import pytest

from airlock.detectors import build_scanner
from airlock.detectors.base import ScanContext
from airlock.errors import ConfigError

SETTINGS = {
    "blocklist": {
        "lists": [
            {"name": "codenames", "terms": ["Blue Heron", "蓝鲸计划"], "regex": [r"\bproj-[0-9]{3}\b"], "halt": True},
            {"name": "acme_only", "terms": ["widget x"], "tenants": ["acme"]},
            {"name": "gov_deploy", "terms": ["eyes only"], "deployments": ["gov-model"]},
        ]
    }
}


@pytest.fixture(scope="module")
def scanner():  # type: ignore[no-untyped-def]
    return build_scanner(["blocklist"], SETTINGS)


@pytest.mark.parametrize(
    ("text", "context", "rules"),
    [
        ("status of blue heron?", ScanContext(), ["blocklist.codenames"]),
        ("蓝鲸计划的进展", ScanContext(), ["blocklist.codenames"]),
        ("see PROJ-123 and proj-1234", ScanContext(), ["blocklist.codenames"]),
        ("the widget x launch", ScanContext(tenant="acme"), ["blocklist.acme_only"]),
        ("the widget x launch", ScanContext(tenant="other"), []),
        ("eyes only memo", ScanContext(deployment="gov-model"), ["blocklist.gov_deploy"]),
        ("eyes only memo", ScanContext(deployment="public"), []),
        ("blue herons are birds", ScanContext(), []),
    ],
)
def test_lists_apply_by_scope(scanner, text: str, context: ScanContext, rules: list[str]) -> None:  # type: ignore[no-untyped-def]
    found = [f for f in scanner.scan(text, context=context) if f.type == "CUSTOM_BLOCKLIST"]
    assert [f.rule for f in found] == rules
    for f in found:
        assert dict(f.attributes)["halt"] is (f.rule == "blocklist.codenames")


def test_lists_from_file_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "lists.yaml"
    path.write_text("lists:\n  - {name: filed, terms: [secret sauce]}\n", encoding="utf-8")
    s = build_scanner(["blocklist"], {"blocklist": {"files": [str(path)]}})
    assert [f.rule for f in s.scan("the secret sauce")] == ["blocklist.filed"]
    with pytest.raises(ConfigError, match="needs at least one term or regex"):
        build_scanner(["blocklist"], {"blocklist": {"lists": [{"name": "empty"}]}})
    with pytest.raises(ConfigError, match="regex"):
        build_scanner(["blocklist"], {"blocklist": {"lists": [{"name": "bad", "regex": ["("]}]}})
    with pytest.raises(ConfigError, match="repeated"):
        build_scanner(
            ["blocklist"], {"blocklist": {"lists": [{"name": "a", "terms": ["x"]}, {"name": "a", "terms": ["y"]}]}}
        )
