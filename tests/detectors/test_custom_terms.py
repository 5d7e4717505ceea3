from __future__ import annotations

import pytest

from airlock.detectors import ScanContext, build_scanner
from airlock.errors import ConfigError

SETTINGS = {
    "terms": [
        {"id": "aurora", "term": "Project Aurora", "category": "codename", "sensitive": True},
        {"term": "天网计划", "category": "codename", "level": "SECRET"},
        {"regex": "AX-[0-9]{4}", "category": "part_number", "caseless": False},
        {"term": "ssn", "category": "word"},
    ],
    "tenants": {"acme": [{"term": "bluebird", "category": "customer"}]},
    "deployments": {"gpt-eu": [{"term": "Falcon", "category": "codename", "caseless": False}]},
}


def _scan(backend: str, text: str, **ctx: str) -> list[tuple[str, str | None]]:
    s = build_scanner(["custom_terms"], {"engine": {"backend": backend}, "custom_terms": SETTINGS})
    return [(text[f.start : f.end], f.category) for f in s.scan(text, context=ScanContext(**ctx))]


@pytest.mark.parametrize(
    ("text", "ctx", "expected"),
    [
        ("about PROJECT AURORA today", {}, [("PROJECT AURORA", "codename")]),
        ("启动天网计划。", {}, [("天网计划", "codename")]),
        ("part AX-1234 and ax-1234", {}, [("AX-1234", "part_number")]),
        ("lessness", {}, []),  # word boundaries for ASCII terms
        ("bluebird Falcon", {}, []),
        ("bluebird Falcon", {"tenant": "acme"}, [("bluebird", "customer")]),
        ("bluebird Falcon falcon", {"tenant": "acme", "deployment": "gpt-eu"},
         [("bluebird", "customer"), ("Falcon", "codename")]),
    ],
)  # fmt: skip
def test_custom_terms(backend: str, text: str, ctx: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert _scan(backend, text, **ctx) == expected


def test_custom_term_flags() -> None:
    s = build_scanner(["custom_terms"], {"custom_terms": SETTINGS})
    (f,) = s.scan("Project Aurora")
    assert (f.type, f.sensitive, f.rule) == ("CUSTOM_TERM", True, "custom.aurora")
    (g,) = s.scan("天网计划")
    assert g.level == "SECRET"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"terms": [{"term": "x", "regex": "y"}]}, "custom_terms.terms[0]: give exactly one"),
        ({"terms": [{"regex": "("}]}, "invalid regular expression"),
        ({"terms": [{"regex": "a*"}]}, "matches the empty string"),
        ({"terms": [{"term": "x", "colour": "red"}]}, "terms[0].colour: unknown key"),
        ({"terms": [{"term": "x", "sensitive_category": "hobby"}]}, "sensitive_category must be one of"),
        ({"words": []}, "custom_terms.words: unknown key"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build_scanner(["custom_terms"], {"custom_terms": settings})


def test_unknown_detector_and_settings_keys() -> None:
    with pytest.raises(ValueError, match="unknown detector 'nope'"):
        build_scanner(["nope"])
    with pytest.raises(ValueError, match="settings has keys for unknown detectors: typo"):
        build_scanner(["pii"], {"typo": {}})
    with pytest.raises(ConfigError, match=r"engine\.backend"):
        build_scanner(["pii"], {"engine": {"backend": "gpu"}})
    with pytest.raises(ConfigError, match="unknown entity types NOPE"):
        build_scanner(["pii"], {"pii": {"types": ["NOPE"]}})
