"""MinHash signatures over word shingles, vectorised with numpy.

Tokens are hashed once (crc32), shingles are combined from token hashes with
integer arithmetic over whole arrays, and each permutation is a
multiply-shift hash applied to the shingle array at once, so no Python loop
runs per shingle or per permutation.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

NUM_PERM = 128
SHINGLE_WORDS = 5

_WORD = re.compile(r"\w+", re.UNICODE)
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                 0x27D4EB2F165667C5, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53,
                 0x94D049BB133111EB, 0xBF58476D1CE4E5B9], dtype=np.uint64)


def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    # A fixed seed: signatures stored by one run must compare with the next.
    rng = np.random.default_rng(0x5709)
    a = rng.integers(1, 2**63 - 1, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63 - 1, size=num_perm, dtype=np.uint64)
    return a, b


_PERM_A, _PERM_B = _permutations(NUM_PERM)


def token_hashes(text: str) -> np.ndarray:
    words = _WORD.findall(text.lower())
    return np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))


def shingle_hashes(tokens: np.ndarray, width: int = SHINGLE_WORDS) -> np.ndarray:
    """64-bit hashes of every run of ``width`` consecutive tokens (fewer when the text is shorter)."""
    if len(tokens) == 0:
        return tokens
    width = min(width, len(tokens), len(_MIX))
    count = len(tokens) - width + 1
    acc = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(width):
            acc ^= tokens[offset:offset + count] * _MIX[offset]
            acc = (acc << np.uint64(13)) | (acc >> np.uint64(51))
    return np.unique(acc)


def minhash(text: str, num_perm: int = NUM_PERM) -> np.ndarray:
    """A uint32 MinHash signature of the text's word shingles; all 0xFFFFFFFF for a text with no words."""
    a, b = (_PERM_A, _PERM_B) if num_perm == NUM_PERM else _permutations(num_perm)
    shingles = shingle_hashes(token_hashes(text))
    if len(shingles) == 0:
        return np.full(num_perm, 0xFFFFFFFF, dtype=np.uint32)
    with np.errstate(over="ignore"):
        mixed = (shingles[None, :] * a[:, None] + b[:, None]) >> np.uint64(32)
    return mixed.min(axis=1).astype(np.uint32)


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    return float(np.mean(sig_a == sig_b))


def lsh_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """Bands and rows whose S-curve crosses 0.5 nearest to ``threshold``, weighting missed pairs
    twice as heavily as extra candidates (candidates are verified; misses are lost)."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"similarity threshold must be between 0 and 1, got {threshold}")
    grid = np.linspace(0.0, 1.0, 201)
    best, best_cost = (1, num_perm), float("inf")
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if bands == 0:
            break
        p = 1.0 - (1.0 - grid**rows) ** bands
        false_positive = np.trapezoid(np.where(grid < threshold, p, 0.0), grid)
        false_negative = np.trapezoid(np.where(grid >= threshold, 1.0 - p, 0.0), grid)
        cost = false_positive + 2.0 * false_negative
        if cost < best_cost:
            best, best_cost = (bands, rows), cost
    return best
