from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from airlock.cli.main import cli


def run(*args: str, input: bytes | str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["scan", *args], input=input)
    return result.exit_code, result.stdout, result.stderr


def records(out: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in out.splitlines()]


def test_text_argument_outputs_one_json_line() -> None:
    code, out, _ = run("电话13800138000")
    assert code == 0
    (rec,) = records(out)
    assert rec["id"] == 1
    (f,) = rec["findings"]  # type: ignore[misc]
    assert f == {
        "type": "CN_PHONE",
        "start": 2,
        "end": 13,
        "score": 0.95,
        "rule": "pii.cn_phone.mobile",
        "sensitive": False,
        "sensitive_category": None,
        "level": None,
    }


def test_jsonl_keeps_ids_and_redacts(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "x1", "text": "mail a.b@example.com"}\n\n{"id": 7, "text": "clean"}\n', encoding="utf-8")
    code, out, _ = run("--jsonl", str(path), "--redact")
    assert code == 0
    recs = records(out)
    assert [r["id"] for r in recs] == ["x1", 7]
    assert recs[0]["redacted"] == "mail [EMAIL]"
    assert recs[1]["findings"] == []


def test_stdin_lines_are_streamed_with_line_numbers() -> None:
    lines = ["nothing here", "SSN 536-22-1234", "绝密★"] * 3000
    code, out, _ = run("--file", "-", input="\n".join(lines) + "\n")
    assert code == 0
    recs = records(out)
    assert len(recs) == len(lines)
    assert recs[1]["id"] == 2
    assert recs[1]["findings"][0]["type"] == "US_SSN"  # type: ignore[index]
    assert recs[2]["findings"][0]["level"] == "TOP_SECRET"  # type: ignore[index]


def test_table_format() -> None:
    code, out, _ = run("--format", "table", "--redact", "TOP SECRET//SI//NOFORN")
    assert code == 0
    assert "CLASSIFICATION_MARKING" in out
    assert "TOP_SECRET" in out
    assert "redacted: [CLASSIFICATION_MARKING]" in out


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"fine\nbad \xff byte 13800138000\n")
    code, _out, err = run("--file", str(path))
    assert code == 1
    assert "line 2: invalid UTF-8" in err
    code, out, _ = run("--file", str(path), "--errors", "replace")
    assert code == 0
    assert records(out)[1]["findings"][0]["type"] == "CN_PHONE"  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--jsonl", "-"), "line 1: not valid JSON"),
        (("a", "--file", "x"), "give one of TEXT"),
        (("--detectors", "nope", "x"), "unknown detector 'nope'"),
    ],
)
def test_errors(args: tuple[str, ...], message: str) -> None:
    code, _out, err = run(*args, input="{not json\n")
    assert code != 0
    assert message in err


def test_python_backend_and_detector_subset() -> None:
    code, out, _ = run("--backend", "python", "--detectors", "markings", "电话13800138000 绝密★")
    assert code == 0
    assert [f["type"] for f in records(out)[0]["findings"]] == ["CLASSIFICATION_MARKING"]  # type: ignore[union-attr]
