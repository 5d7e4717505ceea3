from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from airlock.cli.main import cli
from tests.upstream import FakeUpstream


def write_config(tmp_path: Path, upstream_url: str) -> Path:
    data = {
        "deployments": [
            {
                "name": "fake",
                "provider": "openai",
                "base_url": upstream_url,
                "retries": {"max_attempts": 1},
            },
            {
                "name": "fake-b",
                "provider": "openai",
                "base_url": upstream_url,
                "retries": {"max_attempts": 1},
            },
        ],
        "tenants": [{"id": "acme", "limits": {"rpm": 100000, "tpm": 100000000}}],
    }
    path = tmp_path / "airlock.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path, upstream: FakeUpstream) -> list[str]:
    config = write_config(tmp_path, upstream.base_url)
    return ["--config", str(config), "--data-dir", str(tmp_path / "data")]


def stdout_json_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_run_direct_and_through_gateway_then_rank(env: list[str], upstream: FakeUpstream, tmp_path: Path) -> None:
    upstream.script.reply = "I'm sorry, but I can't help with that."
    r1 = CliRunner().invoke(cli, ["eval", "run", "--suite", "smoke", "--target", "fake", "--no-progress", *env])
    assert r1.exit_code == 0, r1.output
    (summary,) = stdout_json_lines(r1.stdout)
    assert summary["target"] == "fake" and summary["answered"] == 40 and summary["errors"] == 0

    r2 = CliRunner().invoke(
        cli, ["eval", "run", "--suite", "smoke", "--target", "fake", "--through-gateway", "--no-progress", *env]
    )
    assert r2.exit_code == 0, r2.output
    (summary2,) = stdout_json_lines(r2.stdout)
    assert summary2["target"] == "fake@airlock" and summary2["answered"] == 40
    # the gateway passed the requests on to the same upstream under the deployment's name
    assert len(upstream.received) == 80
    assert {rec.body["model"] for rec in upstream.received if rec.body} == {"fake"}

    rank = CliRunner().invoke(cli, ["eval", "rank", "--format", "json", *env])
    assert rank.exit_code == 0, rank.output
    rows = json.loads(rank.stdout)
    assert [row["target"] for row in rows] == ["fake", "fake@airlock"]
    for row in rows:
        assert row["refusal_rate"] == 1.0 and row["over_refusal_rate"] == 1.0 and row["n"] == 40

    html_path = tmp_path / "board.html"
    html = CliRunner().invoke(cli, ["eval", "rank", "--format", "html", "-o", str(html_path), *env])
    assert html.exit_code == 0 and "fake@airlock" in html_path.read_text(encoding="utf-8")

    table = CliRunner().invoke(cli, ["eval", "rank", *env])
    assert "fake@airlock" in table.stdout and "TC260" in table.stdout

    both = CliRunner().invoke(
        cli,
        ["eval", "rank", "--write-json", str(tmp_path / "b.json"), "--write-html", str(tmp_path / "b.html"), *env],
    )
    assert both.exit_code == 0 and "TC260" in both.stdout
    assert json.loads((tmp_path / "b.json").read_text(encoding="utf-8")) == rows
    assert (tmp_path / "b.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_rerun_resumes_and_other_targets_get_their_own_runs(env: list[str], upstream: FakeUpstream) -> None:
    args = ["eval", "run", "--suite", "smoke", "--limit", "6", "--no-progress", *env]
    first = CliRunner().invoke(cli, [*args, "--target", "fake"])
    again = CliRunner().invoke(cli, [*args, "--target", "fake,fake-b"])
    assert first.exit_code == 0 and again.exit_code == 0, again.output
    a, b = stdout_json_lines(again.stdout)
    assert (a["target"], a["skipped"], a["answered"]) == ("fake", 6, 0)
    assert (b["target"], b["skipped"], b["answered"]) == ("fake-b", 0, 6)
    assert len(upstream.received) == 12


def test_system_prompt_variant_is_its_own_target(env: list[str], upstream: FakeUpstream) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            "run",
            "--suite",
            "smoke",
            "--limit",
            "3",
            "--target",
            "fake",
            "--system-prompt",
            "safety",
            "--no-progress",
            *env,
        ],
    )
    assert result.exit_code == 0, result.output
    (summary,) = stdout_json_lines(result.stdout)
    assert summary["target"] == "fake+safety"
    first = upstream.received[0].body
    assert first is not None and first["messages"][0]["role"] == "system"
    assert "safety rules" in first["messages"][0]["content"]


def test_upstream_failures_exit_3_and_rerun_retries(env: list[str], upstream: FakeUpstream) -> None:
    upstream.script.fail_with = [500] * 50
    args = [
        "eval",
        "run",
        "--suite",
        "smoke",
        "--limit",
        "4",
        "--target",
        "fake",
        "--attempts",
        "1",
        "--no-progress",
        *env,
    ]
    failed = CliRunner().invoke(cli, args)
    assert failed.exit_code == 3
    assert stdout_json_lines(failed.stdout)[0]["errors"] == 4
    upstream.script.fail_with = []
    healed = CliRunner().invoke(cli, args)
    assert healed.exit_code == 0
    assert stdout_json_lines(healed.stdout)[0]["answered"] == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--suite", "nope", "--target", "fake"], "not a built-in suite"),
        (["--suite", "smoke", "--target", "ghost"], "unknown deployment ghost; configured: fake, fake-b"),
        (["--suite", "smoke", "--target", "fake", "--system-prompt", "grumpy"], "unknown system prompt"),
        (["--suite", "smoke", "--target", "fake", "--gateway-url", "http://x"], "--gateway-url goes with"),
        (
            ["--suite", "smoke", "--target", "fake", "--asr", "harmful", "--harm-detectors", "none"],
            "needs a harm judge",
        ),
    ],
)
def test_run_usage_errors(env: list[str], args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["eval", "run", *args, *env])
    assert result.exit_code == 1
    assert message in result.output


def test_validate_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"id": "a", "prompt": "x", "language": "en", "category": "c", "expected": "comply"}\n'
        '{"id": "b", "prompt": "x", "language": "en", "category": "c", "expected": "nope"}\n',
        encoding="utf-8",
    )
    bad = CliRunner().invoke(cli, ["eval", "validate", str(path)])
    assert bad.exit_code == 1 and f"{path}:2: expected must be" in bad.output
    good = CliRunner().invoke(cli, ["eval", "validate", "smoke"])
    assert good.exit_code == 0 and json.loads(good.stdout)["cases"] == 40


def test_suites_lists_builtins() -> None:
    result = CliRunner().invoke(cli, ["eval", "suites"])
    names = [json.loads(line).get("suite") for line in result.stdout.splitlines()]
    assert {"smoke", "core", "must_refuse", "must_answer", "jailbreak", "injection"} <= set(names)


def test_rank_with_no_results(env: list[str]) -> None:
    result = CliRunner().invoke(cli, ["eval", "rank", "--format", "json", *env])
    assert result.exit_code == 0 and json.loads(result.stdout) == []
