"""Suite files: JSONL or CSV rows → validated :class:`~airlock.evals.cases.Case` values.

Columns (JSONL keys or CSV header names):

===============  ========  ==================================================================
column           required  meaning
===============  ========  ==================================================================
``id``           yes       unique within the suite; letters, digits and ``_ . : / -``
``prompt``       one of    the user's request (a single user turn)
``messages``     one of    the whole conversation, a list of ``{role, content}`` ending with a
                           user turn (in CSV: the list as a JSON string)
``system``       no        a system message put before ``prompt`` (not with ``messages``)
``language``     yes       ``zh``, ``en`` or another ISO 639 code
``category``     yes       lower-case label used to group metrics (``violence``, ``tc260_a1`` …)
``subcategory``  no        finer label shown in reports (``A.1-d``)
``expected``     yes       ``refuse`` or ``comply``: what a safe model does
``attack``       no        with ``prompt``: name of an attack wrapper applied to it (see
                           ``wrappers.json``); with ``messages``: a label for an attack already
                           in the conversation
``canary``       no        text whose appearance in the answer means an injection, extraction or
                           leak succeeded
``note``         no        free text for humans; ignored
===============  ========  ==================================================================

Every problem is reported as a :class:`SuiteError` naming the file and the line.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

from airlock.evals.cases import Case, Expected, Message, Suite
from airlock.evals.wrappers import wrappers

__all__ = [
    "COLUMNS",
    "SuiteError",
    "case_from_row",
    "load_suite_file",
    "read_rows",
    "suite_from_rows",
]

COLUMNS = (
    "id",
    "prompt",
    "messages",
    "system",
    "language",
    "category",
    "subcategory",
    "expected",
    "attack",
    "canary",
    "note",
)
_REQUIRED = ("id", "language", "category", "expected")
_ID = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_CATEGORY = re.compile(r"^[a-z0-9_.-]{1,64}$")
_ROLES = ("system", "user", "assistant")
_CANARY_MIN = 4


class SuiteError(ValueError):
    """A suite file or row is invalid. ``str()`` reads ``path:line: message``."""

    def __init__(self, message: str, *, source: str, line: int | None = None) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
        self.reason = message


def canary_key(text: str) -> str:
    """Case-folded letters and digits only, so ``K9-ORCHID 58`` matches ``k9orchid58``."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _text(row: Mapping[str, Any], key: str, fail: Any, *, required: bool = False) -> str | None:
    value = row.get(key)
    if value is None or value == "":
        if required:
            fail(f"column {key!r} is required")
        return None
    if not isinstance(value, str):
        fail(f"column {key!r} must be a string, got {type(value).__name__}")
    return cast(str, value)


def _messages(raw: Any, fail: Any) -> tuple[Message, ...]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            fail(f"column 'messages' is not valid JSON ({exc.msg} at character {exc.pos})")
    if not isinstance(raw, list) or not raw:
        fail("column 'messages' must be a non-empty list of {role, content} objects")
    out: list[Message] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) - {"role", "content"}:
            fail(f"messages[{i}] must be an object with exactly 'role' and 'content'")
        role, content = item.get("role"), item.get("content")
        if role not in _ROLES:
            fail(f"messages[{i}].role must be one of {', '.join(_ROLES)}, got {role!r}")
        if not isinstance(content, str) or not content.strip():
            fail(f"messages[{i}].content must be a non-empty string")
        out.append(Message(role, content))
    if out[-1].role != "user":
        fail("the last message must have role 'user'")
    return tuple(out)


def case_from_row(row: Mapping[str, Any], *, source: str, line: int) -> Case:
    """Validate one row; raise :class:`SuiteError` naming ``source:line`` on any problem."""

    def fail(message: str) -> None:
        raise SuiteError(message, source=source, line=line)

    unknown = [k for k in row if k not in COLUMNS]
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), COLUMNS, n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        fail(f"unknown column {', '.join(hints)}; accepted: {', '.join(COLUMNS)}")
    for key in _REQUIRED:
        _text(row, key, fail, required=True)

    case_id = cast(str, row["id"])
    if not _ID.match(case_id):
        fail(f"id {case_id!r} may only contain letters, digits and _ . : / - (at most 128)")
    language = cast(str, row["language"])
    if not _LANGUAGE.match(language):
        fail(f"language {language!r} must be an ISO 639 code such as 'zh' or 'en'")
    category = cast(str, row["category"])
    if not _CATEGORY.match(category):
        fail(f"category {category!r} must be lower-case letters, digits and _ . -")
    expected = row["expected"]
    if expected not in ("refuse", "comply"):
        fail(f"expected must be 'refuse' or 'comply', got {expected!r}")

    prompt = _text(row, "prompt", fail)
    system = _text(row, "system", fail)
    attack = _text(row, "attack", fail)
    canary = _text(row, "canary", fail)
    subcategory = _text(row, "subcategory", fail)
    _text(row, "note", fail)
    raw_messages = row.get("messages")
    has_messages = raw_messages not in (None, "", [])

    if (prompt is None) == (not has_messages):
        fail("give exactly one of 'prompt' or 'messages'")
    if has_messages and system is not None:
        fail("'system' goes with 'prompt'; put the system turn inside 'messages' instead")
    if has_messages and attack is not None and not _CATEGORY.match(attack):
        fail(f"attack label {attack!r} must be lower-case letters, digits and _ . -")
    if prompt is not None and attack is not None and attack not in wrappers():
        close = difflib.get_close_matches(attack, list(wrappers()), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(sorted(wrappers()))}"
        fail(f"unknown attack wrapper {attack!r}{hint}")
    if canary is not None and len(canary_key(canary)) < _CANARY_MIN:
        fail(f"canary must have at least {_CANARY_MIN} letters or digits, so it cannot match by chance")

    if prompt is not None:
        if not prompt.strip():
            fail("prompt is empty")
        user_text = wrappers()[attack].apply(prompt, language) if attack else prompt
        messages: tuple[Message, ...] = ((Message("system", system),) if system else ()) + (Message("user", user_text),)
        shown = prompt
    else:
        messages = _messages(raw_messages, fail)
        shown = messages[-1].content

    return Case(
        id=case_id,
        messages=messages,
        language=language,
        category=category,
        expected=cast(Expected, expected),
        prompt=shown,
        attack=attack,
        canary=canary,
        subcategory=subcategory,
        line=line,
    )


def _jsonl_rows(path: Path, source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig") as fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SuiteError(
                    f"not valid JSON ({exc.msg} at column {exc.colno})", source=source, line=number
                ) from None
            if not isinstance(obj, dict):
                raise SuiteError("each line must be a JSON object", source=source, line=number)
            yield number, obj


def _csv_rows(path: Path, source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [h.strip() for h in header]
        start = reader.line_num + 1
        for cells in reader:
            if not any(c.strip() for c in cells):
                start = reader.line_num + 1
                continue
            if len(cells) != len(header):
                raise SuiteError(
                    f"row has {len(cells)} cells but the header has {len(header)}", source=source, line=start
                )
            yield start, {h: c for h, c in zip(header, cells, strict=True) if c != ""}
            start = reader.line_num + 1


def read_rows(path: Path, *, source: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Raw rows with their line numbers, from ``.jsonl`` or ``.csv``."""
    label = source or str(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_rows(path, label)
    if suffix == ".csv":
        return _csv_rows(path, label)
    raise SuiteError("suite files end in .jsonl or .csv", source=label)


def suite_from_rows(
    name: str,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    source: str,
    description: str = "",
) -> Suite:
    """Validate every row; duplicate ids name both lines."""
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        case = case_from_row(row, source=source, line=line)
        if case.id in seen:
            raise SuiteError(f"duplicate id {case.id!r} (first used on line {seen[case.id]})", source=source, line=line)
        seen[case.id] = line
        cases.append(case)
    if not cases:
        raise SuiteError("the suite has no cases", source=source)
    return Suite(name=name, cases=tuple(cases), description=description, source=source)


def load_suite_file(path: str | Path, *, name: str | None = None) -> Suite:
    p = Path(path)
    if not p.is_file():
        raise SuiteError("no such file", source=str(p))
    return suite_from_rows(name or p.stem, read_rows(p), source=str(p))
