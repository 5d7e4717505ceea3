"""Detection quality: precision, recall and F1 per entity type, Airlock vs Presidio.

    python benchmarks/pii_quality.py                 # full run (Presidio in its own venv)
    python benchmarks/pii_quality.py --no-presidio   # Airlock only

Parts:
1. a reproducible synthetic corpus (``benchmarks/corpus.py``: Faker zh_CN/en_US values in our
   own templates, with obfuscations); strict = exact span, overlap = any overlap, same type;
2. the Chinese NER sets in ../shared/data, with the context rules alone and with the rules
   plus the shipped name tagger. PERSON: cluener2020 ``name``, msra_ner ``PER``, weibo_ner
   ``PER.NAM``, resume_ner ``NAME``. ADDRESS: the place labels (cluener2020 ``address``,
   msra_ner ``LOC``, weibo_ner ``LOC.*``/``GPE.*``, resume_ner ``LOC``) that hold a house,
   building, unit or room number (``precise_address``); coarse places (countries, cities,
   districts, roads, landmarks) are not personal data, and an ADDRESS finding on one counts
   neither way. cluener2020, weibo_ner and resume_ner are measure-only; of msra_ner only the
   30% that ``scripts/train_ner.py`` holds out is measured (the rest trained the tagger);
3. false findings per 100 KB of prose without personal data (Chinese: held-out msra_ner
   sentences with no entity; English: CyberSecEval FRR prompts and ToxiGen seed statements);
4. Presidio (spaCy en_core_web_sm) on the English part of 1 and on the English prose of 3.

Prints tables and writes benchmarks/results/pii_quality.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import run_presidio, shared_data, write_result
from corpus import generate

from airlock.detectors import build_scanner

Span = tuple[int, int, str]

PRESIDIO_MAP = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "PAYMENT_CARD",
    "US_SSN": "US_SSN",
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP_ADDRESS",
    "PERSON": "PERSON",
    "LOCATION": "ADDRESS",
    "US_PASSPORT": "PASSPORT",
    "DATE_TIME": "DATE_OF_BIRTH",
    "US_BANK_NUMBER": "BANK_ACCOUNT",
}


class Score:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0
        self.otp = self.ofp = self.ofn = 0

    def add(self, gold: list[tuple[int, int]], pred: list[tuple[int, int]]) -> None:
        g, p = set(gold), set(pred)
        self.tp += len(g & p)
        self.fp += len(p - g)
        self.fn += len(g - p)
        matched_gold = {x for x in g if any(a < x[1] and x[0] < b for a, b in p)}
        matched_pred = {x for x in p if any(a < x[1] and x[0] < b for a, b in g)}
        self.otp += len(matched_gold)
        self.ofn += len(g) - len(matched_gold)
        self.ofp += len(p) - len(matched_pred)

    @staticmethod
    def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def strict(self) -> tuple[float, float, float]:
        return self._prf(self.tp, self.fp, self.fn)

    def overlap(self) -> tuple[float, float, float]:
        return self._prf(self.otp, self.ofp, self.ofn)

    def as_dict(self) -> dict[str, float | int]:
        p, r, f = self.strict()
        op, orr, of = self.overlap()
        return {
            "support": self.tp + self.fn,
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "overlap_precision": round(op, 4),
            "overlap_recall": round(orr, 4),
            "overlap_f1": round(of, 4),
        }


def evaluate(samples: Iterable[tuple[str, list[Span], list[Span]]], types: set[str]) -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    for _text, gold, pred in samples:
        for t in types:
            scores[t].add([(s, e) for s, e, ty in gold if ty == t], [(s, e) for s, e, ty in pred if ty == t])
    return scores


# ---------------------------------------------------------------------- NER sets


def _bio_sentences(
    path: Path, sep: str | None, person: set[str], address: set[str]
) -> Iterator[tuple[str, list[Span]]]:
    """(text, spans) per sentence; ``address`` labels become ``LOC`` (see :func:`precise_address`)."""
    chars: list[str] = []
    tags: list[str] = []

    def flush() -> Iterator[tuple[str, list[Span]]]:
        if chars:
            yield "".join(chars), _spans_from_tags(tags, person, address)

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            yield from flush()
            chars, tags = [], []
            continue
        parts = line.split(sep) if sep else line.split()
        ch, tag = parts[0], parts[-1]
        chars.append(ch[0] if ch else " ")
        tags.append(tag)
    yield from flush()


def _spans_from_tags(tags: list[str], person: set[str], address: set[str]) -> list[Span]:
    spans: list[Span] = []
    start, label = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, name = tag.partition("-")
        if prefix in ("B", "S") or prefix == "O" or (prefix in ("I", "M", "E") and name != label):
            if start >= 0 and label:
                kind = "PERSON" if label in person else "LOC" if label in address else None
                if kind:
                    spans.append((start, i, kind))
            start, label = (i, name) if prefix in ("B", "S", "I", "M", "E") and prefix != "O" else (-1, "")
            if prefix == "S":
                kind = "PERSON" if name in person else "LOC" if name in address else None
                if kind:
                    spans.append((i, i + 1, kind))
                start, label = -1, ""
    return spans


# a precise, personal location: a house, building, unit or room number (中关村大街27号, 8号楼,
# 1201室, 3单元). A country, city, district, road or landmark alone is not personal data.
_PRECISE = re.compile(r"[0-9０-９零一二三四五六七八九十百]+[A-Za-z]?(?:号|弄|栋|幢|座|楼|层|室|单元)")


def precise_address(text: str) -> bool:
    return _PRECISE.search(text) is not None


def msra_heldout(sentence: str) -> bool:
    """The msra_ner sentences that scripts/train_ner.py holds out (30%, by hash)."""
    return int(hashlib.sha256(("msra-heldout" + sentence).encode()).hexdigest()[:8], 16) % 100 < 30


def address_gold(text: str, spans: list[Span]) -> tuple[list[Span], list[tuple[int, int]]]:
    """Spans with ``LOC`` split into ADDRESS (precise) and ignored (coarse places)."""
    out: list[Span] = []
    ignored: list[tuple[int, int]] = []
    for s, e, t in spans:
        if t != "LOC":
            out.append((s, e, t))
        elif precise_address(text[s:e]):
            out.append((s, e, "ADDRESS"))
        else:
            ignored.append((s, e))
    return out, ignored


def ner_sets(root: Path) -> dict[str, list[tuple[str, list[Span]]]]:
    sets: dict[str, list[tuple[str, list[Span]]]] = {}
    cl = root / "cluener2020" / "train.json"
    if cl.exists():
        rows = []
        for line in cl.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            spans: list[Span] = []
            for label, kind in (("name", "PERSON"), ("address", "LOC")):
                for positions in obj.get("label", {}).get(label, {}).values():
                    for s, e in positions:
                        spans.append((s, e + 1, kind))
            rows.append((obj["text"], spans))
        sets["cluener2020"] = rows
    msra = root / "msra_ner" / "dev.tsv"
    if msra.exists():
        rows = []
        for line in msra.read_text(encoding="utf-8").splitlines()[1:]:
            text, labels = line.split("\t")
            chars = text.split(" ")
            text = "".join(chars)
            if msra_heldout(text):  # the other 70% trained the shipped name tagger
                rows.append((text, _spans_from_tags(labels.split(" "), {"PER"}, {"LOC"})))
        sets["msra_ner (held-out 30%)"] = rows
    weibo = root / "weibo_ner"
    if weibo.exists():
        rows = []
        for name in ("weiboNER_2nd_conll.dev", "weiboNER_2nd_conll.train"):
            rows.extend(_bio_sentences(weibo / name, None, {"PER.NAM"}, {"LOC.NAM", "LOC.NOM", "GPE.NAM", "GPE.NOM"}))
        sets["weibo_ner"] = rows
    resume = root / "resume_ner"
    if resume.exists():
        rows = []
        for name in ("dev.char.bmes", "train.char.bmes"):
            rows.extend(_bio_sentences(resume / name, None, {"NAME"}, {"LOC"}))
        sets["resume_ner"] = rows
    return sets


def _drop_ignored(pred: list[Span], ignored: list[tuple[int, int]]) -> list[Span]:
    """ADDRESS predictions on a coarse place (a city, a country) count neither way."""
    return [(s, e, t) for s, e, t in pred if t != "ADDRESS" or not any(a < e and s < b for a, b in ignored)]


def prose(root: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    msra = root / "msra_ner" / "dev.tsv"
    if msra.exists():
        zh = []
        for line in msra.read_text(encoding="utf-8").splitlines()[1:]:
            text, labels = line.split("\t")
            sentence = text.replace(" ", "")
            if set(labels.split(" ")) == {"O"} and msra_heldout(sentence):
                zh.append(sentence)
        out["zh"] = zh
    en: list[str] = []
    frr = root / "cyberseceval_frr" / "mitre_frr.json"
    if frr.exists():
        en.extend(item["mutated_prompt"] for item in json.loads(frr.read_text(encoding="utf-8")))
    seeds = root / "toxigen_seed_statements"
    if seeds.exists():
        for path in sorted(seeds.glob("*.txt")) + sorted(seeds.glob("*.jsonl")) + sorted(seeds.glob("*.csv")):
            for raw in path.read_text(encoding="utf-8").splitlines():
                line = raw.strip().strip('"')
                if 20 < len(line) < 400:
                    en.append(line)
    if en:
        out["en"] = en
    return out


def multipriv(root: Path, predict: Callable[[str], list[Span]]) -> dict[str, dict[str, float | int]]:
    """Recall on MultiPriv's English paragraphs (measure-only): is each field value found?

    The paragraphs are LLM-written around structured fields, so the value of a field can be
    located by string search; a value counts as found when a finding of the expected type
    overlaps it. Medical details count per paragraph (any medical_health finding).
    """
    path = root / "multipriv_pii" / "data_person_1000.json"
    if not path.exists():
        return {}
    fields = {"emailAddress": "EMAIL", "name": "PERSON", "location": "ADDRESS", "phoneNumbers": "PHONE"}
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for person in json.loads(path.read_text(encoding="utf-8")):
        text = person.get("naturalParagraph") or ""
        pred = predict(text)
        for field, type_ in fields.items():
            value = str(person.get(field) or "")
            at = text.lower().find(value.lower()) if value else -1
            if at < 0:
                continue
            total[type_] += 1
            types = {type_, "CN_PHONE"} if type_ == "PHONE" else {type_}
            if any(t in types and s < at + len(value) and at < e for s, e, t in pred):
                found[type_] += 1
        if person.get("diagnosticOutcome"):
            total["SENSITIVE_ATTRIBUTE (medical)"] += 1
            found["SENSITIVE_ATTRIBUTE (medical)"] += any(t == "SENSITIVE_ATTRIBUTE" for _, _, t in pred)
    return {t: {"support": total[t], "recall": round(found[t] / total[t], 4)} for t in sorted(total)}


# ---------------------------------------------------------------------- main


def table(title: str, rows: dict[str, dict[str, float | int]], other: dict[str, dict[str, float | int]] | None) -> None:
    print(f"\n{title}")
    head = f"{'type':<24}{'support':>8}{'P':>7}{'R':>7}{'F1':>7}{'F1~':>7}"
    if other is not None:
        head += f"   {'Presidio P':>10}{'R':>7}{'F1':>7}{'F1~':>7}"
    print(head)
    for t in sorted(rows):
        r = rows[t]
        line = (
            f"{t:<24}{r['support']:>8}{r['precision']:>7.3f}{r['recall']:>7.3f}{r['f1']:>7.3f}{r['overlap_f1']:>7.3f}"
        )
        if other is not None:
            o = other.get(t)
            line += (
                f"   {o['precision']:>10.3f}{o['recall']:>7.3f}{o['f1']:>7.3f}{o['overlap_f1']:>7.3f}"
                if o
                else f"   {'-':>10}{'-':>7}{'-':>7}{'-':>7}"
            )
        print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=4000, help="synthetic samples")
    ap.add_argument("--seed", type=int, default=20260601)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--no-presidio", action="store_true")
    args = ap.parse_args()

    scanner = build_scanner(["pii", "markings", "secrets"], {"engine": {"backend": args.backend}})
    samples = generate(args.n, args.seed)
    gold_types = {t for s in samples for _, _, t in s.spans}

    def predict(text: str) -> list[Span]:
        return [(f.start, f.end, f.type) for f in scanner.scan(text)]

    t0 = time.perf_counter()
    synthetic = [(s.text, s.spans, predict(s.text)) for s in samples]
    elapsed = time.perf_counter() - t0
    syn_scores = {t: sc.as_dict() for t, sc in evaluate(synthetic, gold_types).items()}
    by_lang: dict[str, dict[str, dict[str, float | int]]] = {}
    for lang in ("zh", "en", "mixed"):
        part = [x for x, s in zip(synthetic, samples, strict=True) if s.lang == lang]
        by_lang[lang] = {t: sc.as_dict() for t, sc in evaluate(part, gold_types).items() if sc.tp + sc.fn}

    presidio_en: dict[str, dict[str, float | int]] | None = None
    presidio_fp: float | None = None
    en_samples = [s for s in samples if s.lang == "en"]
    data = shared_data()
    prose_sets = prose(data) if data.exists() else {}
    if not args.no_presidio:
        items = [(s.id, s.text) for s in en_samples] + [(f"p{i}", t) for i, t in enumerate(prose_sets.get("en", []))]
        res = run_presidio(items)
        rows = []
        for s in en_samples:
            pred = [
                (f["start"], f["end"], PRESIDIO_MAP[f["type"]])
                for f in res[s.id]["findings"]
                if f["type"] in PRESIDIO_MAP
            ]
            rows.append((s.text, s.spans, pred))
        en_types = {t for s in en_samples for _, _, t in s.spans}
        presidio_en = {t: sc.as_dict() for t, sc in evaluate(rows, en_types).items()}
        if prose_sets.get("en"):
            n_find = sum(len(res[f"p{i}"]["findings"]) for i in range(len(prose_sets["en"])))
            size = sum(len(t.encode()) for t in prose_sets["en"])
            presidio_fp = n_find / size * 100_000

    table(f"Synthetic corpus, all languages ({len(samples)} samples; F1 strict, F1~ overlap)", syn_scores, None)
    table("Synthetic corpus, English part (Airlock | Presidio)", by_lang["en"], presidio_en)
    table("Synthetic corpus, Chinese part", by_lang["zh"], None)

    rules_only = build_scanner(
        ["pii", "markings", "secrets"], {"engine": {"backend": args.backend}, "pii": {"person_model": False}}
    )
    ner: dict[str, dict[str, dict[str, float | int]]] = {}
    ner_rules: dict[str, dict[str, dict[str, float | int]]] = {}
    if data.exists():
        for name, rows_ in ner_sets(data).items():
            gold_rows = [(t, *address_gold(t, g)) for t, g in rows_]
            for key, sc, out in (("rules", rules_only, ner_rules), ("rules+tagger", scanner, ner)):
                scored = evaluate(
                    (
                        (t, g, _drop_ignored([(f.start, f.end, f.type) for f in sc.scan(t)], ign))
                        for t, g, ign in gold_rows
                    ),
                    {"PERSON", "ADDRESS"},
                )
                out[name] = {t: sc_.as_dict() for t, sc_ in scored.items()}
                out[name]["ADDRESS"]["coarse_places_ignored"] = sum(len(ign) for _, _, ign in gold_rows)
                table(f"{name} ({len(rows_)} sentences; measure only; {key})", out[name], None)

    mp = multipriv(data, predict) if data.exists() else {}
    if mp:
        print("\nMultiPriv English paragraphs (measure only; recall of the structured fields)")
        for t, r in mp.items():
            print(f"  {t:<32}{r['support']:>6}  recall {r['recall']:.3f}")

    fp: dict[str, dict[str, float | int]] = {}
    for lang, texts in prose_sets.items():
        counts: Counter[str] = Counter()
        for t in texts:
            counts.update(f.type for f in scanner.scan(t))
        size = sum(len(t.encode()) for t in texts)
        fp[lang] = {
            "bytes": size,
            "false_findings": sum(counts.values()),
            "per_100kb": round(sum(counts.values()) / size * 100_000, 3),
            "by_type": dict(counts),
        }
    print("\nFalse findings in prose without personal data")
    for lang, r in fp.items():
        extra = f"   Presidio: {presidio_fp:.1f}/100 KB" if lang == "en" and presidio_fp is not None else ""
        print(
            f"  {lang}: {r['false_findings']} in {r['bytes'] / 1000:.0f} KB = {r['per_100kb']:.2f} per 100 KB"
            f" {r['by_type']}{extra}"
        )

    path = write_result(
        "pii_quality",
        {
            "command": "python benchmarks/pii_quality.py" + (" --no-presidio" if args.no_presidio else ""),
            "samples": len(samples),
            "seed": args.seed,
            "airlock_seconds": round(elapsed, 3),
            "synthetic": syn_scores,
            "synthetic_by_language": by_lang,
            "presidio_english": presidio_en,
            "ner_sets": ner,
            "ner_sets_rules_only": ner_rules,
            "multipriv_recall": mp,
            "false_findings_prose": fp,
            "presidio_false_findings_en_per_100kb": presidio_fp,
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
