"""Docs are tested: the generated references match the code, every command and key is documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _gen() -> object:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_current() -> None:
    gen = _gen()
    assert (ROOT / "docs" / "cli.md").read_text() == gen.cli_reference(), "run scripts/gen_docs.py"  # type: ignore[attr-defined]


def test_config_reference_is_current() -> None:
    gen = _gen()
    assert (ROOT / "docs" / "config-reference.md").read_text() == gen.config_reference(), "run scripts/gen_docs.py"  # type: ignore[attr-defined]


def test_error_codes_are_documented() -> None:
    text = (ROOT / "docs" / "errors.md").read_text()
    codes = ["invalid_json", "invalid_type", "invalid_value", "missing_required_parameter", "request_too_large",
             "missing_api_key", "invalid_api_key", "revoked_api_key", "insufficient_scope", "model_not_found",
             "rate_limit_exceeded", "upstream_error", "upstream_timeout", "upstream_error_mid_stream",
             "no_deployment_available", "audit_unavailable", "client_disconnected", "route_not_found",
             "tenant_not_configured", "context_length_exceeded"]
    missing = [c for c in codes if f"`{c}`" not in text]
    assert not missing, missing


def test_readme_quick_start_has_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "scripts/serve" in readme and "scripts/test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci
