"""Adapters that read third-party safety sets in place (nothing is copied).

Each adapter turns a file in its upstream format into rows of the suite schema
(:mod:`airlock.evals.loaders`), which are then validated exactly like a suite file, so a
malformed upstream row fails with the file and line number. Use them as ``--suite
ADAPTER:PATH``; for example ``advbench:../shared/data/advbench/splits/dev_minus_heldout_overlap.txt``.

=====================  ==============================================  ===========  ===========
adapter                upstream file                                   kind         language
=====================  ==============================================  ===========  ===========
``advbench``           one goal per line (``.txt``)                    must_refuse  en
``jbb``                JBB-Behaviors CSV (``goal``, ``category``)      must_refuse  en
``jbb_artifacts``      JailbreakBench attack artifact JSON             jailbreak    en
``strongreject``       StrongREJECT CSV (``forbidden_prompt``)         must_refuse  en
``do_not_answer``      Do-Not-Answer JSONL (``prompt``); file or dir   must_refuse  en
``jade``               JADE-DB CSV (``问题``, ``违规类型``)            must_refuse  zh (``_en``
                                                                                    files: en)
``cyberseceval_frr``   CyberSecEval FRR JSON (``mutated_prompt``)      must_answer  en
``xstest``             XSTest CSV (``prompt``, ``type``, ``label``)    both         en
``tensortrust``        Tensor Trust extraction JSONL                   injection    en
=====================  ==============================================  ===========  ===========
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from airlock.evals.cases import Suite
from airlock.evals.loaders import SuiteError, canary_key, suite_from_rows

__all__ = ["ADAPTERS", "load_external"]

Row = tuple[int, dict[str, Any]]
Adapter = Callable[[Path, str], Iterator[Row]]

_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str, default: str) -> str:
    slug = _SLUG.sub("_", text.strip().lower()).strip("_")
    return slug[:64] or default


def _csv_dicts(path: Path, source: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise SuiteError(f"expected CSV columns {', '.join(missing)}", source=source, line=1)
        start = reader.line_num + 1
        for row in reader:
            yield start, {k: (v or "") for k, v in row.items() if k is not None}
            start = reader.line_num + 1


def _json_list(path: Path, source: str) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SuiteError(f"not valid JSON ({exc.msg})", source=source, line=exc.lineno) from None
    return data if isinstance(data, list) else [data]


def _advbench(path: Path, source: str) -> Iterator[Row]:
    with path.open(encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if text.strip():
                yield (
                    number,
                    {
                        "id": f"advbench.{number}",
                        "prompt": text.strip(),
                        "language": "en",
                        "category": "harmful",
                        "expected": "refuse",
                    },
                )


def _jbb(path: Path, source: str) -> Iterator[Row]:
    for line, row in _csv_dicts(path, source, ("goal", "category")):
        yield (
            line,
            {
                "id": f"jbb.{row.get('index') or line}",
                "prompt": row["goal"],
                "language": "en",
                "category": _slug(row["category"], "harmful"),
                "subcategory": row.get("behavior") or None,
                "expected": "refuse",
            },
        )


def _jbb_artifacts(path: Path, source: str) -> Iterator[Row]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        method = str(data["parameters"]["method"])
        items = data["jailbreaks"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise SuiteError(
            "not a JailbreakBench artifact (needs parameters.method and jailbreaks)", source=source
        ) from None
    for position, item in enumerate(items, start=1):
        prompt = item.get("prompt")
        if not prompt:  # the attack found no prompt for this behaviour
            continue
        yield (
            position,
            {
                "id": f"jbb.{method}.{item.get('index', position)}",
                "messages": [{"role": "user", "content": prompt}],
                "language": "en",
                "category": _slug(str(item.get("category", "")), "harmful"),
                "subcategory": item.get("behavior") or None,
                "expected": "refuse",
                "attack": _slug(method, "attack"),
            },
        )


def _strongreject(path: Path, source: str) -> Iterator[Row]:
    for line, row in _csv_dicts(path, source, ("forbidden_prompt", "category")):
        yield (
            line,
            {
                "id": f"strongreject.{line}",
                "prompt": row["forbidden_prompt"],
                "language": "en",
                "category": _slug(row["category"], "harmful"),
                "expected": "refuse",
            },
        )


def _do_not_answer(path: Path, source: str) -> Iterator[Row]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    for file in files:
        area = _slug(file.stem, "harmful")
        with file.open(encoding="utf-8") as fh:
            for number, text in enumerate(fh, start=1):
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise SuiteError(f"not valid JSON ({exc.msg})", source=str(file), line=number) from None
                yield (
                    number,
                    {
                        "id": f"dna.{area}.{number}",
                        "prompt": obj.get("prompt"),
                        "language": "en",
                        "category": area,
                        "expected": "refuse",
                    },
                )


def _jade(path: Path, source: str) -> Iterator[Row]:
    language = "en" if path.stem.endswith("_en") else "zh"
    for line, row in _csv_dicts(path, source, ("问题",)):
        kind = row.get("违规类型", "").strip().replace("侵害", "侵犯")
        yield (
            line,
            {
                "id": f"jade.{row.get('ID') or line}",
                "prompt": row["问题"],
                "language": language,
                "category": {"违法犯罪": "crime", "侵犯权益": "rights", "歧视偏见": "discrimination"}.get(
                    kind, "harmful"
                ),
                "subcategory": row.get("违规子类") or None,
                "expected": "refuse",
            },
        )


def _cyberseceval_frr(path: Path, source: str) -> Iterator[Row]:
    for position, item in enumerate(_json_list(path, source), start=1):
        if not isinstance(item, dict) or "mutated_prompt" not in item:
            raise SuiteError("each item needs 'mutated_prompt'", source=source, line=position)
        yield (
            position,
            {
                "id": f"frr.{position}",
                "prompt": item["mutated_prompt"],
                "language": "en",
                "category": "cyber_benign",
                "expected": "comply",
            },
        )


def _xstest(path: Path, source: str) -> Iterator[Row]:
    for line, row in _csv_dicts(path, source, ("prompt", "type", "label")):
        label = row["label"].strip().lower()
        if label not in ("safe", "unsafe"):
            raise SuiteError(f"label must be 'safe' or 'unsafe', got {label!r}", source=source, line=line)
        yield (
            line,
            {
                "id": f"xstest.{row.get('id') or line}",
                "prompt": row["prompt"],
                "language": "en",
                "category": _slug(row["type"], "xstest"),
                "expected": "comply" if label == "safe" else "refuse",
            },
        )


def _tensortrust(path: Path, source: str) -> Iterator[Row]:
    with path.open(encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
                pre, attack, post, code = (
                    obj["pre_prompt"],
                    obj["attack"],
                    obj["post_prompt"],
                    obj["access_code"],
                )
            except (json.JSONDecodeError, KeyError, TypeError):
                raise SuiteError(
                    "needs pre_prompt, attack, post_prompt and access_code", source=source, line=number
                ) from None
            # Documented filter: a short access code ('a', 'no') appears in answers by chance.
            if len(canary_key(code)) < 4:
                continue
            yield (
                number,
                {
                    "id": f"tensortrust.{obj.get('sample_id', number)}",
                    "messages": ([{"role": "system", "content": pre}] if pre.strip() else [])
                    + [{"role": "user", "content": f"{attack}\n{post}".strip() or attack}],
                    "language": "en",
                    "category": "system_prompt_extraction",
                    "expected": "refuse",
                    "attack": "tensortrust",
                    "canary": code,
                },
            )


ADAPTERS: dict[str, Adapter] = {
    "advbench": _advbench,
    "jbb": _jbb,
    "jbb_artifacts": _jbb_artifacts,
    "strongreject": _strongreject,
    "do_not_answer": _do_not_answer,
    "jade": _jade,
    "cyberseceval_frr": _cyberseceval_frr,
    "xstest": _xstest,
    "tensortrust": _tensortrust,
}


def load_external(adapter: str, path: str | Path) -> Suite:
    """Read ``path`` with the named adapter and validate every row."""
    try:
        reader = ADAPTERS[adapter]
    except KeyError:
        raise SuiteError(
            f"unknown adapter {adapter!r}; known: {', '.join(sorted(ADAPTERS))}", source=str(path)
        ) from None
    p = Path(path)
    if not p.exists():
        raise SuiteError("no such file or directory", source=str(p))
    if p.is_dir() and adapter != "do_not_answer":
        raise SuiteError(f"adapter {adapter!r} reads one file, not a directory", source=str(p))
    return suite_from_rows(f"{adapter}:{p.stem}", reader(p, str(p)), source=str(p))
