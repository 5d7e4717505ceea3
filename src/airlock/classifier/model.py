"""The shipped content classifier: a multi-head linear model over hashed character n-grams.

Inference is numpy only. The weights file (``weights/content-v1.npz``) holds int8 weights
with one scale per head, the biases and a JSON header (heads, hashing parameters, version).
``TRAINING.md`` and ``metrics.json`` next to it say what it was trained on and how it scored.

Long texts are scored in windows of ``window`` characters (half-window stride, at most
``max_windows`` windows spread over the text), and each head reports its maximum, so the
cost is linear in the text length and bounded per text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from airlock.classifier.features import sparse_features
from airlock.errors import ConfigError

__all__ = [
    "DEFAULT_WEIGHTS",
    "ContentClassifier",
    "Scores",
    "cached_predict",
    "enough_text",
    "head_threshold",
    "load_default",
]

DEFAULT_WEIGHTS = "content-v1.npz"


@dataclass(frozen=True, slots=True)
class Scores:
    """Per-head probabilities of one text (maximum over its windows)."""

    values: tuple[tuple[str, float], ...]
    windows: int
    truncated: bool

    def __getitem__(self, head: str) -> float:
        for name, value in self.values:
            if name == head:
                return value
        raise KeyError(head)

    def get(self, head: str, default: float = 0.0) -> float:
        for name, value in self.values:
            if name == head:
                return value
        return default

    def as_dict(self) -> dict[str, float]:
        return dict(self.values)


class ContentClassifier:
    """Multi-head logistic regression; ``predict(text)`` returns :class:`Scores`."""

    def __init__(
        self,
        weights: npt.NDArray[np.int8],
        scale: npt.NDArray[np.float32],
        bias: npt.NDArray[np.float32],
        header: dict[str, Any],
    ) -> None:
        self.heads: tuple[str, ...] = tuple(header["heads"])
        self.bits = int(header["bits"])
        self.max_n = int(header["max_n"])
        self.version = str(header.get("version", "unknown"))
        self.header = header
        if weights.shape != (1 << self.bits, len(self.heads)):
            raise ConfigError(
                f"classifier weights have shape {weights.shape}, expected {(1 << self.bits, len(self.heads))}"
            )
        self._w = weights
        self._scale = scale.astype(np.float64)
        self._b = bias.astype(np.float64)

    @classmethod
    def load(cls, path: str | Path) -> ContentClassifier:
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(bytes(data["header"]).decode("utf-8"))
                return cls(data["weights"], data["scale"], data["bias"], header)
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigError(f"cannot load classifier weights from {path}: {exc}") from None

    def _score_window(self, text: str) -> npt.NDArray[np.float64]:
        ids, values = sparse_features(text, bits=self.bits, max_n=self.max_n)
        logits = self._b if ids.size == 0 else (values @ self._w[ids].astype(np.float64)) * self._scale + self._b
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float64)

    def predict(self, text: str, *, window: int = 2048, max_windows: int = 64) -> Scores:
        starts = _window_starts(len(text), window, max_windows)
        best = np.zeros(len(self.heads), dtype=np.float64)
        for start in starts:
            best = np.maximum(best, self._score_window(text[start : start + window]))
        truncated = len(starts) * (window // 2) + window // 2 < len(text)
        return Scores(
            values=tuple((h, float(v)) for h, v in zip(self.heads, best, strict=True)),
            windows=len(starts),
            truncated=truncated,
        )


def _window_starts(length: int, window: int, max_windows: int) -> list[int]:
    if length <= window:
        return [0]
    stride = max(window // 2, 1)
    starts = list(range(0, length - window + stride, stride))
    if len(starts) > max_windows:
        # spread the budget over the whole text: beginning, end and evenly in between
        step = (len(starts) - 1) / (max_windows - 1) if max_windows > 1 else 0
        starts = sorted({starts[round(i * step)] for i in range(max_windows)})
    return starts


@lru_cache(maxsize=1)
def load_default() -> ContentClassifier:
    """The classifier shipped in the package (loaded once per process)."""
    ref = resources.files("airlock.classifier") / "weights" / DEFAULT_WEIGHTS
    with resources.as_file(ref) as path:
        return ContentClassifier.load(path)


_UNITS = re.compile(r"[A-Za-z0-9]+|[\u3400-\u9fff]")


def enough_text(text: str, minimum: int = 3) -> bool:
    """At least ``minimum`` Latin words or Chinese characters: shorter texts carry no signal."""
    return any(n + 1 >= minimum for n, _ in enumerate(_UNITS.finditer(text)))


def head_threshold(head: str, default: float = 0.5) -> float:
    """The threshold calibrated for ``head`` at training time (see TRAINING.md)."""
    value = load_default().header.get("thresholds", {}).get(head)
    return float(value) if value is not None else default


@lru_cache(maxsize=64)
def cached_predict(text: str, window: int, max_windows: int) -> Scores:
    """Scores of the default classifier, cached: several families ask about the same text."""
    return load_default().predict(text, window=window, max_windows=max_windows)
