"""The `vault:` configuration section."""

from __future__ import annotations

from typing import Any

import pytest

from airlock.config import parse_config
from airlock.errors import ConfigError

DEPLOYMENTS = [{"name": "m", "provider": "openai", "base_url": "http://127.0.0.1:1/v1"}]


def config(**vault: Any) -> Any:
    return parse_config({"deployments": DEPLOYMENTS, "vault": vault})


def test_defaults() -> None:
    v = parse_config({"deployments": DEPLOYMENTS}).vault
    assert (v.key_env, v.key_file, v.ttl, v.placeholder_format, v.redaction_format, v.restore_from) == (
        "AIRLOCK_VAULT_KEY", None, 86400, "<{type}_{n}>", "[REDACTED:{type}]", "conversation",
    )
    assert v.placeholders().render("PERSON", 1) == "<PERSON_1>"
    assert v.redactions().render("EMAIL") == "[REDACTED:EMAIL]"


def test_custom_formats() -> None:
    v = config(placeholder_format="[[{type}_{n}]]", bare_placeholders=False, redaction_format="***").vault
    assert v.placeholders().render("EMAIL", 2) == "[[EMAIL_2]]"
    assert v.placeholders().keys_in("EMAIL_2") == set()
    assert v.redactions().render("EMAIL") == "***"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"placeholder_format": "<{type}>"}, "vault.placeholder_format"),
        ({"redaction_format": "{n}"}, "vault.redaction_format"),
        ({"ttl": 5}, "vault.ttl"),
        ({"restore_from": "tenant"}, "vault.restore_from"),
        ({"key": "c2VjcmV0"}, "secrets never go in the file"),
        ({"ttll": 60}, "did you mean 'ttl'"),
    ],
)
def test_bad_settings_name_the_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config(**section)
