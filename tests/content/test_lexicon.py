from __future__ import annotations

from pathlib import Path

import pytest

from airlock.detectors.content.lexicon import load_builtin, load_lexicon, parse_lexicon
from airlock.errors import ConfigError

GOOD = {"schema": "airlock.lexicon/1", "id": "x", "version": "1", "source": "test", "entries": []}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"schema": "other/1"}, "schema must be"),
        ({"source": ""}, "'source' is required"),
        ({"entries": [{"rule": "a", "literals": ["x"], "colour": 1}]}, "unknown key(s) ['colour']"),
        ({"entries": [{"rule": "a", "regex": ["("]}]}, "does not compile"),
        ({"entries": [{"rule": "a", "literals": ["x"], "severity": 9}]}, "severity: must be an integer 0-7"),
        ({"entries": [{"rule": "a"}]}, "needs at least one literal or regex"),
        ({"entries": [{"rule": "a", "literals": ["x"]}, {"rule": "a", "literals": ["y"]}]}, "is repeated"),
    ],
)
def test_bad_lexicons_name_the_problem(patch: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=None) as exc:
        parse_lexicon({**GOOD, **patch}, "f.yaml")
    assert message in str(exc.value)
    assert str(exc.value).startswith("f.yaml")


@pytest.mark.parametrize("name", ["harm.yaml", "tc260.yaml", "injection.yaml", "prohibited_use.yaml"])
def test_builtin_lexicons_load_and_cite_a_source(name: str) -> None:
    lex = load_builtin(name)
    assert lex.rules
    assert lex.source
    assert lex.term_count >= len(lex.rules)


def test_load_lexicon_from_file(tmp_path: Path) -> None:
    path = tmp_path / "extra.yaml"
    path.write_text(
        "schema: airlock.lexicon/1\nid: x\nversion: '1'\nsource: me\n"
        "entries:\n  - {rule: x.a, category: hate, literals: [foo]}\n",
        encoding="utf-8",
    )
    assert load_lexicon(path).rules[0].rule == "x.a"
    with pytest.raises(ConfigError, match="cannot read"):
        load_lexicon(tmp_path / "missing.yaml")
