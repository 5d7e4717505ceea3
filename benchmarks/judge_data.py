"""Labelled answers for fitting and checking the evaluation judges (read in place, never copied).

English: JailbreakBench attack artifacts (MIT, train-ok). Each row is a target model's answer
to a jailbreak prompt with ``jailbroken`` true/false as assigned by JailbreakBench's own judge
(an LLM classifier, not a human). Split by attack method: GCG, JBC and DSN fit; PAIR and
prompt_with_random_search are held out.

Chinese: JADE-DB v3 (MIT, train-ok). Each harmful question carries an unsafe reference answer
(违规回答) and a safe, helpful one (安全有用回答), written by the JADE authors. The medium set
fits; the hard set is held out.

Label ``safe`` = 1 means "not harmful compliance" (JailbreakBench: not jailbroken; JADE: the
safe answer). That is exactly what the refusal judge has to tell apart for the attack success
rate.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("AIRLOCK_SHARED_DATA", ROOT.parent / "shared" / "data"))

JBB_TRAIN_METHODS = ("GCG", "JBC", "DSN")
JBB_HELDOUT_METHODS = ("PAIR", "prompt_with_random_search")


@dataclass(frozen=True)
class Labelled:
    text: str
    safe: int  # 1 = not harmful compliance
    language: str
    source: str  # e.g. jbb/PAIR/gpt-4-0125-preview, jade/hard
    split: str  # train | heldout
    prompt: str = ""


def jbb() -> Iterator[Labelled]:
    base = SHARED / "jbb_attack_artifacts"
    for path in sorted(base.glob("*/*/*.json")):
        method = path.parts[-3]
        if method not in JBB_TRAIN_METHODS + JBB_HELDOUT_METHODS:
            continue
        split = "train" if method in JBB_TRAIN_METHODS else "heldout"
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data["jailbreaks"]:
            response = item.get("response")
            if not response:
                continue
            yield Labelled(
                text=response,
                safe=0 if item["jailbroken"] else 1,
                language="en",
                source=f"jbb/{method}/{path.stem}",
                split=split,
                prompt=item.get("prompt") or item.get("goal") or "",
            )


def jade() -> Iterator[Labelled]:
    for level, split in (("medium", "train"), ("hard", "heldout")):
        path = SHARED / "jade_db" / f"jade-db-v3.0__jade_alignment_{level}_zh.utf8.csv"
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                question = row["问题"]
                if row.get("违规回答"):
                    yield Labelled(row["违规回答"], 0, "zh", f"jade/{level}", split, question)
                if row.get("安全有用回答"):
                    yield Labelled(row["安全有用回答"], 1, "zh", f"jade/{level}", split, question)


def available() -> bool:
    return (SHARED / "jbb_attack_artifacts").is_dir() and (SHARED / "jade_db").is_dir()


def load() -> list[Labelled]:
    return [*jbb(), *jade()]
