"""Generate docs/cli.md (from --help) and docs/config-reference.md (from the config models).

    .venv/bin/python scripts/gen_docs.py          # rewrite both files
    .venv/bin/python scripts/gen_docs.py --check  # exit 1 if they are out of date (CI runs this as a test)
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import click
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parent.parent
CLI_DOC = ROOT / "docs" / "cli.md"
CONFIG_DOC = ROOT / "docs" / "config-reference.md"


def _walk(cmd: click.Command, path: list[str], out: list[str], parent: click.Context | None = None) -> None:
    settings = {"terminal_width": 100, "max_content_width": 100, **cmd.context_settings}
    ctx = click.Context(cmd, info_name=path[-1], parent=parent, **settings)
    out.append(f"## `{' '.join(path)}`\n")
    out.append("```text")
    out.append(cmd.get_help(ctx).replace("\r", ""))
    out.append("```\n")
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                _walk(sub, [*path, name], out, ctx)


def cli_reference() -> str:
    from airlock.cli.main import cli

    out = [
        "# CLI reference",
        "",
        "Generated from `--help` by `scripts/gen_docs.py`; a test fails when it drifts from the code.",
        "",
    ]
    _walk(cli, ["airlock"], out)
    return "\n".join(out).rstrip() + "\n"


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(annotation))
    if origin is not None:
        args = ", ".join(_type_name(a) for a in get_args(annotation))
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{args}]"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation)).replace("typing.", "")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
        for inner in get_args(candidate):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def _fields(model: type[BaseModel], prefix: str, rows: list[str], seen: set[str]) -> None:
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        sub = _model_of(field.annotation)
        if field.default is PydanticUndefined and field.default_factory is None:
            default = "required"
        elif field.default_factory is not None:
            default = "`" + repr(field.default_factory()) + "`"  # type: ignore[call-arg]
        elif isinstance(field.default, BaseModel):
            default = "(section)"
        else:
            default = f"`{field.default!r}`"
        desc = (field.description or "").replace("|", "\\|")
        type_name = _type_name(field.annotation).replace("|", "\\|")
        rows.append(f"| `{key}` | {type_name} | {default} | {desc} |")
        if sub is not None and key not in seen:
            seen.add(key)
            is_list = get_origin(field.annotation) is list
            _fields(sub, f"{key}[]." if is_list else f"{key}.", rows, seen)


def config_reference() -> str:
    from airlock.config import Config

    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    _fields(Config, "", rows, set())
    return "\n".join(
        [
            "# Configuration reference",
            "",
            "Every key of `airlock.yaml`, generated from the pydantic models by `scripts/gen_docs.py`",
            "(a test fails when it drifts). Unknown keys are errors. See docs/configuration.md for a guide.",
            "",
            *rows,
            "",
        ]
    )


def main() -> None:
    targets = {CLI_DOC: cli_reference(), CONFIG_DOC: config_reference()}
    if "--check" in sys.argv:
        stale = [p.name for p, text in targets.items() if not p.exists() or p.read_text() != text]
        if stale:
            print(f"out of date: {', '.join(stale)}; run scripts/gen_docs.py", file=sys.stderr)
            raise SystemExit(1)
        return
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
