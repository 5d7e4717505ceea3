"""The detector and scan docs name every detector, entity type, setting and CLI option."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from airlock.cli.main import cli
from airlock.detectors import available
from airlock.detectors.pii import PII_TYPES
from airlock.detectors.settings import CustomTerm, MarkingsSettings, PiiSettings, SecretsSettings

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def detectors_md() -> str:
    return (DOCS / "detectors.md").read_text(encoding="utf-8")


def test_every_detector_and_entity_type_is_documented(detectors_md: str) -> None:
    missing = [n for n in [*available(), *PII_TYPES, "CLASSIFICATION_MARKING", "SECRET_CREDENTIAL", "CUSTOM_TERM"]
               if f"`{n}`" not in detectors_md]  # fmt: skip
    assert missing == []


def test_every_setting_is_documented(detectors_md: str) -> None:
    keys = [*PiiSettings.model_fields, *MarkingsSettings.model_fields, *SecretsSettings.model_fields]
    keys += [k for k in CustomTerm.model_fields if k != "id"]
    missing = [k for k in keys if not re.search(rf"\b{k}\b", detectors_md)]
    assert missing == []


def test_every_scan_option_is_documented() -> None:
    scan_md = (DOCS / "scan.md").read_text(encoding="utf-8")
    help_text = CliRunner().invoke(cli, ["scan", "--help"]).output
    options = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    assert options
    assert sorted(o for o in options if o not in scan_md) == []


def test_the_writing_a_detector_example_runs(detectors_md: str) -> None:
    from airlock.detectors import Engine

    section = detectors_md.split("## Writing a detector", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    code = code.replace('@register("orders")', '@register("orders_doc_example")')
    namespace: dict[str, object] = {}
    from airlock.detectors import registry

    registry._REGISTRY.pop("orders_doc_example", None)
    exec(compile(code, "docs/detectors.md", "exec"), namespace)
    engine = Engine([namespace["Orders"]()])  # type: ignore[operator]
    text = "urgent wire transfer for ORD-00000000, the Blue Heron account"
    assert [f.type for f in engine.scan(text)] == ["FRAUD_HINT", "ORDER_NUMBER", "CUSTOM_TERM"]
    assert engine.scan("ORD-12345678") == []  # digit sum 36: the validator rejects it
