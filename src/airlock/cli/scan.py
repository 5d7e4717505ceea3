"""``airlock scan``: run the detectors over text, files, stdin or JSON Lines.

One JSON line per input on stdout: ``{"id": ..., "findings": [...]}`` (offsets are Python
string indices into that input). Files and stdin are scanned line by line and streamed, so
100k-line inputs never sit in memory; progress goes to stderr when it is a terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click
import orjson

from airlock.config import load_config
from airlock.detectors import Finding, ScanContext, Scanner, Stage, build_scanner
from airlock.errors import ConfigError
from airlock.transform.redact import redact

__all__ = ["scan"]

_PROGRESS_EVERY = 0.5  # seconds


class _Progress:
    def __init__(self, stream: IO[str], enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.start = time.monotonic()
        self.last = 0.0
        self.items = 0
        self.bytes = 0

    def tick(self, size: int) -> None:
        self.items += 1
        self.bytes += size
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last >= _PROGRESS_EVERY:
            self.last = now
            rate = self.items / max(now - self.start, 1e-9)
            self.stream.write(f"\rscanned {self.items:,} inputs, {self.bytes / 1e6:,.1f} MB ({rate:,.0f}/s)")
            self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.items:
            self.stream.write(f"\rscanned {self.items:,} inputs, {self.bytes / 1e6:,.1f} MB{' ' * 20}\n")
            self.stream.flush()


def _decode(raw: bytes, where: str, lineno: int, errors: str) -> str:
    try:
        return raw.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        raise click.ClickException(
            f"{where}: line {lineno}: invalid UTF-8 at byte {exc.start + 1} of the line; "
            "fix the encoding or pass --errors replace"
        ) from None


def _lines(stream: IO[bytes], where: str, errors: str) -> Iterator[tuple[int, str]]:
    for lineno, raw in enumerate(stream, 1):
        yield lineno, _decode(raw.rstrip(b"\r\n"), where, lineno, errors)


def _jsonl(stream: IO[bytes], where: str, errors: str) -> Iterator[tuple[Any, str]]:
    for lineno, line in _lines(stream, where, errors):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise click.ClickException(f"{where}: line {lineno}: not valid JSON") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise click.ClickException(f'{where}: line {lineno}: expected an object with a string "text" field')
        yield obj.get("id", lineno), obj["text"]


def _table(out: IO[str], ident: Any, text: str, findings: list[Finding], redacted: str | None) -> None:
    out.write(f"== {ident}: {len(findings)} finding(s)\n")
    if findings:
        out.write(f"  {'type':<24} {'start':>6} {'end':>6} {'score':>5}  {'level/category':<16} {'rule':<34} text\n")
    for f in findings:
        extra = f.level or f.sensitive_category or f.category or ""
        snippet = text[f.start : f.end].replace("\n", "\\n")
        if len(snippet) > 40:
            snippet = snippet[:37] + "..."
        out.write(f"  {f.type:<24} {f.start:>6} {f.end:>6} {f.score:>5.2f}  {extra:<16} {f.rule:<34} {snippet}\n")
    if redacted is not None:
        out.write(f"  redacted: {redacted}\n")


def _build(config: str | None, detectors: str | None, backend: str | None) -> Scanner:
    try:
        cfg = load_config(config)
        names = [d.strip() for d in detectors.split(",") if d.strip()] if detectors else cfg.detectors.enabled
        settings: dict[str, dict[str, Any]] = {k: dict(v) for k, v in cfg.detectors.settings.items()}
        if backend:
            settings["engine"] = {**settings.get("engine", {}), "backend": backend}
        return build_scanner(names, settings)
    except (ConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command("scan")
@click.argument("text", required=False)
@click.option(
    "-f", "--file", "file_", type=click.Path(dir_okay=False, allow_dash=True), help="scan FILE line by line (- = stdin)"
)
@click.option(
    "--jsonl", type=click.Path(dir_okay=False, allow_dash=True), help='JSON Lines: {"id": ..., "text": ...} per line'
)
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True)
@click.option("--redact", is_flag=True, help="also show the text with findings replaced by [TYPE]")
@click.option("--config", type=click.Path(dir_okay=False, exists=True), help="configuration file (default: embedded)")
@click.option("--detectors", help="comma-separated detector families (default: detectors.enabled)")
@click.option("--backend", type=click.Choice(["auto", "hyperscan", "python"]), help="matching backend")
@click.option("--stage", type=click.Choice(["prompt", "completion"]), default="prompt", show_default=True)
@click.option("--tenant", help="tenant id for per-tenant dictionaries")
@click.option("--deployment", help="deployment name for per-deployment dictionaries")
@click.option(
    "--errors",
    type=click.Choice(["strict", "replace"]),
    default="strict",
    show_default=True,
    help="invalid UTF-8: stop with the line number, or replace bad bytes with U+FFFD",
)
def scan(
    text: str | None,
    file_: str | None,
    jsonl: str | None,
    fmt: str,
    redact: bool,
    config: str | None,
    detectors: str | None,
    backend: str | None,
    stage: str,
    tenant: str | None,
    deployment: str | None,
    errors: str,
) -> None:
    """Find personal data, markings and secrets in TEXT, a file, stdin or JSON Lines.

    \b
    Examples:
      airlock scan "电话 13800138000, mail a@b.com"
      airlock scan --file notes.txt --format table
      cat chats.jsonl | airlock scan --jsonl - > findings.jsonl
    """
    sources = [s for s in (text, file_, jsonl) if s is not None]
    if len(sources) > 1:
        raise click.UsageError("give one of TEXT, --file or --jsonl")
    scanner = _build(config, detectors, backend)
    ctx = ScanContext(tenant=tenant, deployment=deployment)
    st = Stage(stage)
    out = sys.stdout
    progress = _Progress(sys.stderr, sys.stderr.isatty())

    def emit(ident: Any, body: str) -> None:
        findings = scanner.scan(body, stage=st, context=ctx)
        redacted = _redacted(body, findings) if redact else None
        if fmt == "table":
            _table(out, ident, body, findings, redacted)
        else:
            record: dict[str, Any] = {"id": ident, "findings": [f.to_dict() for f in findings]}
            if redacted is not None:
                record["redacted"] = redacted
            out.write(orjson.dumps(record).decode() + "\n")
        progress.tick(len(body.encode("utf-8", "surrogatepass")))

    if text is not None:
        emit(1, text)
        return
    where = jsonl or file_ or "-"
    stream = sys.stdin.buffer if where == "-" else _open(where)
    try:
        items: Iterator[tuple[Any, str]] = (
            _jsonl(stream, where, errors) if jsonl is not None else _lines(stream, where, errors)
        )
        for ident, body in items:
            emit(ident, body)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
        progress.done()


def _redacted(body: str, findings: list[Finding]) -> str:
    return redact(body, findings)


def _open(path: str) -> IO[bytes]:
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot open: {exc.strerror}") from None
