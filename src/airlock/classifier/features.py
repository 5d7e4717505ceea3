"""Hashed character n-gram features, computed with numpy only (no per-n-gram Python loop).

The same function builds the training matrix (``scripts/train_classifier.py``) and the
inference vector, so the shipped weights always see the features they were fitted on.

Text is first folded (:func:`airlock.detectors.content.textview.fold`: NFKC, lower case,
homoglyphs, leetspeak, invisible characters removed), then every character n-gram with
``1 <= n <= max_n`` is hashed with a polynomial rolling hash into ``2**bits`` buckets, and so
is every Latin-script word and word pair (CRC-32, deterministic across processes). Feature
values are counts scaled to unit L2 norm.
"""

from __future__ import annotations

import itertools
import re
import zlib

import numpy as np
import numpy.typing as npt

from airlock.detectors.content.textview import fold

__all__ = ["hash_ngrams", "sparse_features"]

_PRIME = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MASK32 = np.uint64(0xFFFFFFFF)


def hash_ngrams(text: str, *, bits: int, max_n: int, fold_text: bool = True) -> npt.NDArray[np.int64]:
    """Bucket ids of all character 1..max_n-grams of ``text`` (with repeats), as int64."""
    folded = fold(text).text if fold_text else text
    if not folded:
        return np.zeros(0, dtype=np.int64)
    codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n_chars = codes.shape[0]
    shift = np.uint64(64 - bits)
    out: list[npt.NDArray[np.uint64]] = []
    h = np.zeros(n_chars, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for n in range(1, max_n + 1):
            if n > n_chars:
                break
            length = n_chars - n + 1
            h = (h[:length] * _PRIME + codes[n - 1 : n - 1 + length] + np.uint64(n)) & _MASK32
            out.append(((h + np.uint64(n) * np.uint64(0x1F1F)) * _MIX) >> shift)
    words = _WORDS.findall(folded)
    if words:
        tokens = words + [a + " " + b for a, b in itertools.pairwise(words)]
        mask = (1 << bits) - 1
        out.append(np.array([(zlib.crc32(t.encode()) * 2654435761 >> 7) & mask for t in tokens], dtype=np.uint64))
    return np.concatenate(out).astype(np.int64)


_WORDS = re.compile(r"[a-z][a-z0-9']+")


def sparse_features(text: str, *, bits: int, max_n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(bucket ids, values) of the L2-normalised count vector of ``text``."""
    buckets = hash_ngrams(text, bits=bits, max_n=max_n)
    if buckets.size == 0:
        return buckets, np.zeros(0, dtype=np.float64)
    ids, counts = np.unique(buckets, return_counts=True)
    values = counts.astype(np.float64)
    values /= float(np.sqrt(np.dot(values, values)))
    return ids, values
