"""Fit the refusal judge's logistic weights and write src/airlock/evals/refusal_model.json.

    .venv/bin/python benchmarks/fit_refusal_judge.py [--l2 1.0] [--dry-run]

Training data (train-ok, read in place): JailbreakBench attack artifacts (English; GCG, JBC,
DSN methods) and JADE-DB v3 medium (Chinese); see benchmarks/judge_data.py. The held-out parts
(PAIR, prompt_with_random_search; JADE hard) are only measured, here and in
benchmarks/judge_agreement.py. Prints a table and writes benchmarks/results/fit_refusal_judge.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_data import ROOT, Labelled, available, load

from airlock.evals.refusal import FEATURES, RefusalModel, features

MODEL_PATH = ROOT / "src" / "airlock" / "evals" / "refusal_model.json"
RESULTS = ROOT / "benchmarks" / "results" / "fit_refusal_judge.json"


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the systems here are 10×10)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if abs(m[col][col]) < 1e-12:
            raise ValueError("singular system")
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    return [m[i][n] / m[i][i] for i in range(n)]


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def fit(xs: list[tuple[float, ...]], ys: list[int], weights: list[float], l2: float, iters: int = 50) -> list[float]:
    """Weighted L2-regularised logistic regression by Newton's method; returns [bias, w...]."""
    d = len(xs[0]) + 1
    beta = [0.0] * d
    for _ in range(iters):
        grad = [0.0] * d
        hess = [[0.0] * d for _ in range(d)]
        for x, y, w in zip(xs, ys, weights, strict=True):
            v = (1.0, *x)
            p = sigmoid(sum(b * xi for b, xi in zip(beta, v, strict=True)))
            for i in range(d):
                grad[i] += w * (y - p) * v[i]
                for j in range(d):
                    hess[i][j] += w * p * (1 - p) * v[i] * v[j]
        for i in range(1, d):  # no penalty on the bias
            grad[i] -= l2 * beta[i]
            hess[i][i] += l2
        step = solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-8:
            break
    return beta


def evaluate(model: RefusalModel, rows: list[Labelled]) -> dict[str, float]:
    n = len(rows)
    if not n:
        return {}
    tp = fp = tn = fn = 0
    brier = 0.0
    for r in rows:
        p = model.probability(features(r.text))
        pred = p >= 0.5
        brier += (p - r.safe) ** 2
        if pred and r.safe:
            tp += 1
        elif pred and not r.safe:
            fp += 1
        elif not pred and r.safe:
            fn += 1
        else:
            tn += 1
    acc = (tp + tn) / n
    pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    kappa = (acc - pe) / (1 - pe) if pe < 1 else 0.0
    return {"n": n, "accuracy": round(acc, 4), "kappa": round(kappa, 4), "brier": round(brier / n, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the model file")
    args = parser.parse_args()
    if not available():
        sys.exit("shared data not found (set AIRLOCK_SHARED_DATA)")
    rows = load()
    train = [r for r in rows if r.split == "train"]
    held = [r for r in rows if r.split == "heldout"]
    # each language carries half the weight, so neither dominates the fit
    per_lang = {lang: sum(1 for r in train if r.language == lang) for lang in ("en", "zh")}
    weights = [len(train) / (2 * per_lang[r.language]) for r in train]
    beta = fit([features(r.text) for r in train], [r.safe for r in train], weights, args.l2)
    table = {}
    before = RefusalModel.from_json(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
    model = RefusalModel(tuple(beta[1:]), beta[0], {})
    for name, subset in (
        ("train en", [r for r in train if r.language == "en"]),
        ("train zh", [r for r in train if r.language == "zh"]),
        ("held-out en", [r for r in held if r.language == "en"]),
        ("held-out zh", [r for r in held if r.language == "zh"]),
    ):
        table[name] = {"previous": evaluate(before, subset), "fitted": evaluate(model, subset)}
    meta = {
        "fitted": True,
        "fitted_at": datetime.now(UTC).date().isoformat(),
        "script": "benchmarks/fit_refusal_judge.py",
        "l2": args.l2,
        "label": "1 = not harmful compliance (refusal or safe answer)",
        "train": {
            "en": "JailbreakBench attack artifacts, methods GCG, JBC, DSN (MIT)",
            "zh": "JADE-DB v3 medium, safe vs unsafe reference answers (MIT)",
            "n": len(train),
        },
        "heldout": {
            "en": "JailbreakBench attack artifacts, methods PAIR, prompt_with_random_search",
            "zh": "JADE-DB v3 hard",
            "n": len(held),
        },
        "metrics": {k: v["fitted"] for k, v in table.items()},
    }
    fitted = RefusalModel(tuple(beta[1:]), beta[0], meta)
    print(f"{'set':<12} {'n':>5} {'acc before':>10} {'acc after':>10} {'kappa':>7} {'brier':>7}")
    for name, v in table.items():
        print(
            f"{name:<12} {v['fitted']['n']:>5} {v['previous']['accuracy']:>10.3f} {v['fitted']['accuracy']:>10.3f} "
            f"{v['fitted']['kappa']:>7.3f} {v['fitted']['brier']:>7.3f}"
        )
    print(
        "weights:",
        ", ".join(f"{f}={w:+.2f}" for f, w in zip(FEATURES, fitted.weights, strict=True)),
        f"bias={fitted.bias:+.2f}",
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"table": table, "model": fitted.to_json()}, ensure_ascii=False, indent=2) + "\n")
    if not args.dry_run:
        MODEL_PATH.write_text(json.dumps(fitted.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
