from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from benchmarks.content_sets import data_root

REPO = Path(__file__).resolve().parents[2]
WEIGHTS = REPO / "src" / "airlock" / "classifier" / "weights"


@pytest.mark.slow
@pytest.mark.skipif(not (data_root() / "advbench").is_dir(), reason="shared data sets not available")
def test_one_command_retrains_the_shipped_weights_exactly(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "train_classifier.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    shipped = json.loads((WEIGHTS / "metrics.json").read_text())
    again = json.loads((tmp_path / "metrics.json").read_text())
    shipped.pop("train_seconds")
    again.pop("train_seconds")
    assert again == shipped
    with np.load(WEIGHTS / "content-v1.npz") as a, np.load(tmp_path / "content-v1.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in a.files)
