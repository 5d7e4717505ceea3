"""Train the shipped Chinese person-name tagger (airlock/detectors/ner/data/person-zh-v1.npz).

    python scripts/train_ner.py            # train, write the weights and metrics.json
    python scripts/train_ner.py --check    # retrain and compare with the shipped files

Data (train-ok only): ``msra_ner/dev.tsv`` from ../shared/data (Apache-2.0, the only split
vendored there) and project-authored synthetic text (``scripts/ner_synth.py``: Faker zh_CN
names in our own templates). msra_ner is split by a hash of each sentence: 30% is held out
for measurement and never trained on; of the other 70%, a "tune" slice (15%) chooses the
number of epochs and the decision threshold, then the final model is trained on all 70%.
The measure-only NER sets (cluener2020, weibo_ner, resume_ner) are not read here.

Deterministic: the same data, seed and library versions give the same weights (the check
compares the SHA-256 of the weight arrays).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ner_synth import Tagged, augment, templated  # noqa: E402

from airlock.detectors.ner.features import COMMON_SURNAMES, FUNCTION_CHARS, codepoints, feature_index  # noqa: E402
from airlock.detectors.ner.tagger import DEFAULT_WEIGHTS, SHAPES, NameSpan, NameTagger, viterbi  # noqa: E402

PACKAGE = ROOT / "src" / "airlock" / "detectors" / "ner"
VERSION = "person-zh-v1"
BITS = 16
PRUNE = -15.0  # Viterbi only around positions where a name tag beats O by more than 15


def shared_data() -> Path:
    return Path(os.environ.get("AIRLOCK_SHARED_DATA", ROOT.parent / "shared" / "data"))


def load_msra(path: Path) -> list[Tagged]:
    rows: list[Tagged] = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        text, labels = line.split("\t")
        chars = text.split(" ")
        tags = [1 if lab == "B-PER" else 2 if lab == "I-PER" else 0 for lab in labels.split(" ")]
        if len(chars) == len(tags):
            rows.append(("".join(c[:1] or " " for c in chars), tags))
    return rows


def bucket(text: str, salt: str) -> int:
    return int(hashlib.sha256((salt + text).encode()).hexdigest()[:8], 16) % 100


def split_msra(rows: list[Tagged]) -> tuple[list[Tagged], list[Tagged]]:
    """(train, held_out): 30% of the sentences are held out."""
    held = [r for r in rows if bucket(r[0], "msra-heldout") < 30]
    rest = [r for r in rows if bucket(r[0], "msra-heldout") >= 30]
    return rest, held


def folds(rows: list[Tagged], k: int) -> list[tuple[list[Tagged], list[Tagged]]]:
    """k (fit, tune) pairs over ``rows`` by a second hash."""
    out = []
    for i in range(k):
        tune = [r for r in rows if bucket(r[0], "msra-fold") % k == i]
        fit = [r for r in rows if bucket(r[0], "msra-fold") % k != i]
        out.append((fit, tune))
    return out


def training_set(rows: Sequence[Tagged], seed: int) -> list[Tagged]:
    rng = random.Random(seed)
    # Han characters of the training text (not function characters): the rare given names
    filler = sorted({ch for text, _ in rows for ch in text if "\u4e00" <= ch <= "\u9fff"} - set(FUNCTION_CHARS))
    out = list(rows)
    for text, tags in rows:
        out.extend(augment(rng, text, tags, COMMON_SURNAMES, copies=3, filler=filler))
    out.extend(templated(rng, n_person=2500, n_foreign=400, n_negative=1200, filler=filler))
    rng.shuffle(out)
    return out


# ---------------------------------------------------------------------- perceptron


class Perceptron:
    """Averaged structured perceptron (lazy averaging: w_avg = w - u / c)."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.w = np.zeros((1 << bits, 3), dtype=np.float64)
        self.u = np.zeros_like(self.w)
        self.t = np.zeros((3, 3), dtype=np.float64)
        self.tu = np.zeros_like(self.t)
        self.c = 1

    def _update(self, idx: npt.NDArray[np.intp], tags: Sequence[int], sign: float) -> None:
        tag_arr = np.repeat(np.asarray(tags, dtype=np.intp), idx.shape[1])
        rows = idx.ravel()
        np.add.at(self.w, (rows, tag_arr), sign)
        np.add.at(self.u, (rows, tag_arr), sign * self.c)

    def _transitions(self, tags: Sequence[int], sign: float) -> None:
        prev = 0
        for tag in [*tags, 0]:
            self.t[prev, tag] += sign
            self.tu[prev, tag] += sign * self.c
            prev = tag

    def step(self, idx: npt.NDArray[np.intp], gold: Sequence[int]) -> None:
        em = self.w[idx].sum(axis=1)
        trans = self.t.copy()
        trans[0, 2] = -1e9
        pred = viterbi(em.tolist(), trans.tolist())
        if pred != list(gold):
            diff = np.flatnonzero(np.asarray(pred) != np.asarray(gold))
            lo, hi = int(diff[0]), int(diff[-1]) + 1
            # emission features where the paths agree cancel out
            self._update(idx[lo:hi], gold[lo:hi], 1.0)
            self._update(idx[lo:hi], pred[lo:hi], -1.0)
            self._transitions(gold, 1.0)
            self._transitions(pred, -1.0)
        self.c += 1

    def averaged(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        return self.w - self.u / self.c, self.t - self.tu / self.c


def featurise(rows: Iterable[Tagged], bits: int) -> list[tuple[npt.NDArray[np.intp], list[int]]]:
    return [(feature_index(codepoints(text), bits), tags) for text, tags in rows]


def to_tagger(
    w: npt.NDArray[np.float64], t: npt.NDArray[np.float64], bits: int, thresholds: dict[str, float]
) -> NameTagger:
    th = thresholds or dict.fromkeys(SHAPES, -float("inf"))
    q, scale = quantise(w)
    return NameTagger(q, scale, t, bits=bits, thresholds=th, prune=PRUNE, version=VERSION)


def quantise(w: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.int16], float]:
    """(B - O, I - O) per feature as int16 with one scale."""
    rel = w[:, 1:] - w[:, :1]
    scale = float(np.abs(rel).max()) / 32767.0 or 1.0
    return np.round(rel / scale).astype(np.int16), scale


# ---------------------------------------------------------------------- evaluation


def gold_spans(tags: Sequence[int]) -> set[tuple[int, int]]:
    spans: set[tuple[int, int]] = set()
    i = 0
    while i < len(tags):
        if tags[i] == 1:
            j = i + 1
            while j < len(tags) and tags[j] == 2:
                j += 1
            spans.add((i, j))
            i = j
        else:
            i += 1
    return spans


Decoded = list[tuple[set[tuple[int, int]], list[NameSpan]]]
THRESHOLDS = (0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 80.0, float("inf"))


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"support": tp + fn, "tp": tp, "fp": fp, "precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def decode_all(tagger: NameTagger, rows: Sequence[Tagged]) -> Decoded:
    return [(gold_spans(tags), tagger.decode(text)) for text, tags in rows]


def score(decoded: Decoded, thresholds: dict[str, float]) -> dict[str, float | int]:
    tp = fp = fn = 0
    for gold, spans in decoded:
        pred = {(s.start, s.end) for s in spans if s.margin >= thresholds[s.shape]}
        tp += len(pred & gold)
        fp += len(pred - gold)
        fn += len(gold - pred)
    return prf(tp, fp, fn)


def best_thresholds(decoded: Decoded, min_precision: float) -> tuple[dict[str, float], dict[str, float | int]]:
    """Per-shape thresholds with the best F1 among those with precision >= min_precision."""
    support = sum(len(g) for g, _ in decoded)
    counts = {sh: {th: [0, 0] for th in THRESHOLDS} for sh in SHAPES}
    for gold, spans in decoded:
        for s in spans:
            for th in THRESHOLDS:
                if s.margin >= th:
                    counts[s.shape][th][0 if (s.start, s.end) in gold else 1] += 1
    best: tuple[tuple[bool, float], dict[str, float]] = ((False, -1.0), {})
    for combo in itertools.product(THRESHOLDS, repeat=len(SHAPES)):
        tp = sum(counts[sh][th][0] for sh, th in zip(SHAPES, combo, strict=True))
        fp = sum(counts[sh][th][1] for sh, th in zip(SHAPES, combo, strict=True))
        r = prf(tp, fp, support - tp)
        key = (float(r["precision"]) >= min_precision, float(r["f1"]))
        if key > best[0]:
            best = (key, dict(zip(SHAPES, combo, strict=True)))
    return best[1], score(decoded, best[1])


def train(
    rows: Sequence[Tagged], epochs: int, bits: int, seed: int, tune: Sequence[Tagged] | None = None
) -> tuple[Perceptron, dict[int, Decoded]]:
    data = featurise(training_set(rows, seed), bits)
    model = Perceptron(bits)
    rng = random.Random(seed + 1)
    decoded: dict[int, Decoded] = {}
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        order = list(range(len(data)))
        rng.shuffle(order)
        for k in order:
            model.step(*data[k])
        if tune is not None:
            w, t = model.averaged()
            decoded[epoch] = decode_all(to_tagger(w, t, bits, {}), tune)
        print(f"epoch {epoch}: {len(data)} sentences, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return model, decoded


def cross_validate(rows: list[Tagged], k: int, epochs: int, seed: int) -> dict[int, Decoded]:
    """Out-of-fold decodings of ``rows`` after each epoch."""
    pooled: dict[int, Decoded] = {}
    for i, (fit, tune) in enumerate(folds(rows, k)):
        _, decoded = train(fit, epochs, BITS, seed + i, tune=tune)
        for epoch, d in decoded.items():
            pooled.setdefault(epoch, []).extend(d)
    return pooled


def choose(pooled: dict[int, Decoded], min_precision: float) -> tuple[int, dict[str, float], dict[int, Any]]:
    """Epochs and thresholds with the best cross-validated F1 at precision >= min_precision."""
    curve: dict[int, Any] = {}
    best: tuple[tuple[bool, float], int, dict[str, float]] = ((False, -1.0), 1, {})
    for epoch, decoded in pooled.items():
        thresholds, r = best_thresholds(decoded, min_precision)
        curve[epoch] = {"thresholds": thresholds, **r}
        key = (float(r["precision"]) >= min_precision, float(r["f1"]))
        if key > best[0]:
            best = (key, epoch, thresholds)
    return best[1], best[2], curve


def serialise(w: npt.NDArray[np.float64], t: npt.NDArray[np.float64], bits: int, thresholds: dict[str, float]) -> bytes:
    q, scale = quantise(w)
    meta = json.dumps(
        {"version": VERSION, "bits": bits, "scale": scale, "thresholds": thresholds, "prune": PRUNE}, sort_keys=True
    )
    buf = io.BytesIO()
    np.savez_compressed(buf, meta=np.array(meta), weights=q, transitions=t.astype(np.float64))
    return buf.getvalue()


def digest(w: npt.NDArray[np.float64], t: npt.NDArray[np.float64]) -> str:
    q, scale = quantise(w)
    h = hashlib.sha256()
    h.update(q.tobytes())
    h.update(np.round(t, 6).tobytes())
    h.update(repr(round(scale, 12)).encode())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--epochs", type=int, default=10, help="most epochs tried on the tune slice")
    ap.add_argument("--min-precision", type=float, default=0.95, help="precision floor when choosing the threshold")
    ap.add_argument("--folds", type=int, default=5, help="cross-validation folds for epochs and threshold")
    ap.add_argument("--check", action="store_true", help="retrain and compare with the shipped files")
    ap.add_argument("--out", type=Path, default=PACKAGE)
    args = ap.parse_args()

    msra = shared_data() / "msra_ner" / "dev.tsv"
    if not msra.exists():
        sys.exit(f"{msra} not found (set AIRLOCK_SHARED_DATA)")
    rows = load_msra(msra)
    train_rows, held = split_msra(rows)
    print(f"msra_ner: {len(rows)} sentences: train {len(train_rows)}, held out {len(held)}", file=sys.stderr)

    pooled = cross_validate(train_rows, args.folds, args.epochs, args.seed)
    epochs, thresholds, curve = choose(pooled, args.min_precision)
    print(f"chosen: {epochs} epochs, thresholds {thresholds}: {curve[epochs]}", file=sys.stderr)
    model, _ = train(train_rows, epochs, BITS, args.seed)
    w, t = model.averaged()
    tagger = to_tagger(w, t, BITS, thresholds)
    held_scores = score(decode_all(tagger, held), thresholds)
    blob = serialise(w, t, BITS, thresholds)
    metrics = {
        "version": VERSION,
        "command": "python scripts/train_ner.py",
        "seed": args.seed,
        "bits": BITS,
        "templates": len(feature_index(codepoints("x"), BITS)[0]),
        "data": {
            "msra_ner/dev.tsv sentences": len(rows),
            "train": len(train_rows),
            "cross_validation_folds": args.folds,
            "held_out": len(held),
            "split": "sha256('msra-heldout' + sentence) % 100 < 30 -> held out; "
            "folds of the rest: sha256('msra-fold' + sentence) % 100 % folds",
            "synthetic": "scripts/ner_synth.py: 3 renamed copies of each msra sentence with a Chinese name, "
            "2,500 person, 400 foreign-name and 1,200 name-free template sentences",
        },
        "epochs": epochs,
        "thresholds": thresholds,
        "cv_person": curve[epochs],
        "cv_curve": {str(e): r for e, r in curve.items()},
        "msra_heldout_person": held_scores,
        "weights_sha256": digest(w, t),
        "weights_bytes": len(blob),
    }
    print(json.dumps({"msra_heldout_person": held_scores, "epochs": epochs, "thresholds": thresholds}), file=sys.stderr)
    weights_path = args.out / "data" / DEFAULT_WEIGHTS
    metrics_path = args.out / "metrics.json"
    if args.check:
        shipped = json.loads(metrics_path.read_text(encoding="utf-8"))
        same = shipped["weights_sha256"] == metrics["weights_sha256"]
        print(f"weights {'match' if same else 'DIFFER'}: {metrics['weights_sha256']}", file=sys.stderr)
        sys.exit(0 if same else 1)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    weights_path.write_bytes(blob)
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {weights_path} ({len(blob):,} bytes) and {metrics_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
