"""MinHash LSH banding: the one rule by which reuse, dedup and the Spark engine find candidate pairs.

A signature of ``bands × rows`` values (the layout from the similarity threshold,
:func:`storyline.fingerprint.lsh_bands`) is cut into bands; each band's values are
hashed to one 64-bit bucket key, and two signatures sharing a key in any band are
candidates. The same key, computed here, serves the in-memory search of the reuse
stage (:func:`buckets`), the native one of ``storyline dedup`` (which keeps the
key's high 32 bits in its hash table) and the Spark engine's shuffle (keyed by
``(band, key)``): the three find the same buckets by construction.

A text with no words has a signature of all maximal values; all such texts would
share every bucket, so they are never candidates (:func:`with_words`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

import numpy as np
from numba import njit

from .fingerprint import estimated_jaccard, lsh_bands

__all__ = ["DEFAULT_THRESHOLD", "DedupResult", "band_keys", "band_keys_into", "buckets", "estimated_jaccard",
           "estimated_jaccards", "find_near_duplicates", "lsh_bands", "min_matches", "signature_band_keys",
           "with_words"]

# Estimated Jaccard at which ``storyline dedup`` calls two texts near-duplicates.
DEFAULT_THRESHOLD = 0.5


def with_words(signatures: np.ndarray) -> np.ndarray:
    """Per row: whether the signature is of a text with words (not all values maximal for its type)."""
    signatures = np.asarray(signatures)
    if len(signatures) == 0:
        return np.zeros(0, dtype=bool)
    return ~np.all(signatures == np.iinfo(signatures.dtype).max, axis=1)


@njit(cache=True, nogil=True)
def band_keys_into(signatures, usable, first_band, rows, keys, shift):
    """Bucket keys of bands ``first_band ..`` (one row of ``keys`` per band), in one pass over the
    signatures: each signature row is read once for all these bands. Each key is the band's
    64-bit hash shifted right by ``shift`` (32 keeps its high half, for a 32-bit table)."""
    for doc in range(signatures.shape[0]):
        if not usable[doc]:
            continue
        for offset in range(keys.shape[0]):
            band = first_band + offset
            key = np.uint64(band + 1) * np.uint64(0x9E3779B97F4A7C15)
            for k in range(band * rows, (band + 1) * rows):
                key = (key ^ np.uint64(signatures[doc, k])) * np.uint64(0x100000001B3)
            key ^= key >> np.uint64(31)
            keys[offset, doc] = key >> np.uint64(shift)


def band_keys(signatures: np.ndarray, first_band: int, count: int, rows: int,
              usable: Optional[np.ndarray] = None) -> np.ndarray:
    """(count, n) uint64 keys of ``count`` bands from ``first_band``; rows not ``usable`` keep key 0."""
    signatures = np.ascontiguousarray(signatures)
    usable = with_words(signatures) if usable is None else np.ascontiguousarray(usable, dtype=np.bool_)
    keys = np.zeros((count, len(signatures)), dtype=np.uint64)
    band_keys_into(signatures, usable, first_band, rows, keys, 0)
    return keys


def signature_band_keys(signature: np.ndarray, bands: int, rows: int) -> list[int]:
    """The bucket key of each band of one signature; none for a text without words."""
    signature = np.asarray(signature).reshape(1, -1)
    if not with_words(signature)[0]:
        return []
    return band_keys(signature, 0, bands, rows)[:, 0].tolist()


def buckets(keys: np.ndarray, members: np.ndarray) -> Iterator[np.ndarray]:
    """The rows ``members`` (ascending) grouped by their key in one band: each bucket of two or more,
    its rows ascending."""
    order = np.argsort(keys[members], kind="stable")
    boundaries = np.flatnonzero(np.diff(keys[members][order])) + 1
    for bucket in np.split(members[order], boundaries):
        if len(bucket) >= 2:
            yield bucket


def min_matches(threshold: float, width: int) -> int:
    """Equal values two signatures of ``width`` need for an estimated Jaccard of at least ``threshold``.

    The small tolerance keeps e.g. 0.5 * 128 = 64 matches from needing 65 through rounding.
    """
    return int(np.ceil(threshold * width - 1e-9))


def estimated_jaccards(signatures: np.ndarray, one: np.ndarray) -> np.ndarray:
    """:func:`estimated_jaccard` of ``one`` with each row of ``signatures``."""
    return np.mean(signatures == one, axis=1)


# --- near-duplicates: candidates verified, then grouped ---------------------------------


@dataclass
class DedupResult:
    """Verified near-duplicate pairs and the groups they form, by row index.

    ``pairs`` is an (n, 2) array of row indices with ``a < b``, sorted; ``similarities``
    their estimated Jaccard similarities; ``groups`` the connected components of the
    pairs (each a sorted list of rows, two or more), largest first.
    """

    pairs: np.ndarray
    similarities: np.ndarray
    groups: list[list[int]]
    threshold: float
    bands: int
    rows: int
    candidates_checked: int = 0


@njit(cache=True, nogil=True)
def _matches_unless_seen(signatures, a, b, band, bands, rows):
    """Equal values of rows a and b; -1 when an earlier band already holds them together
    (that band verified the pair)."""
    total = 0
    width = signatures.shape[1]
    for earlier in range(bands):
        equal = 0
        for k in range(earlier * rows, (earlier + 1) * rows):
            equal += signatures[a, k] == signatures[b, k]
        if earlier < band and equal == rows:
            return -1
        total += equal
    for k in range(bands * rows, width):
        total += signatures[a, k] == signatures[b, k]
    return total


@njit(cache=True, nogil=True)
def _verified_pairs(signatures, usable, bands, rows, min_matches):
    """Candidate pairs by band buckets, each verified in the first band it collides in.

    A bucket is a chain of documents (newest first) whose head sits in an
    open-addressing table slot packed as (32-bit key, head + 1), one memory access per
    document and band. Keys are 32 bits: two buckets whose keys collide only add
    candidates, which verification then drops. Bands are keyed a group at a time so
    the signatures are read sequentially, not once per band.
    """
    n = signatures.shape[0]
    size = 1
    while size < 2 * n:
        size *= 2
    mask = size - 1
    table = np.empty(size, dtype=np.uint64)
    chain = np.empty(n, dtype=np.int64)
    group = min(bands, 8)
    keys = np.empty((group, n), dtype=np.uint32)
    capacity = 1024
    pair_a = np.empty(capacity, dtype=np.int64)
    pair_b = np.empty(capacity, dtype=np.int64)
    pair_matches = np.empty(capacity, dtype=np.int64)
    found = 0
    checked = 0
    for first in range(0, bands, group):
        in_group = min(group, bands - first)
        band_keys_into(signatures, usable, first, rows, keys[:in_group], 32)
        for offset in range(in_group):
            band = first + offset
            table[:] = 0
            for i in range(n):
                if not usable[i]:
                    continue
                key = np.uint64(keys[offset, i])
                slot = np.int64(key) & mask
                while True:
                    entry = table[slot]
                    if entry == 0:
                        table[slot] = (key << np.uint64(32)) | np.uint64(i + 1)
                        chain[i] = -1
                        break
                    if (entry >> np.uint64(32)) == key:
                        head = np.int64(entry & np.uint64(0xFFFFFFFF)) - 1
                        j = head
                        while j != -1:
                            checked += 1
                            matches = _matches_unless_seen(signatures, j, i, band, bands, rows)
                            if matches >= min_matches:
                                if found == capacity:
                                    capacity *= 2
                                    pair_a = _grown(pair_a, capacity)
                                    pair_b = _grown(pair_b, capacity)
                                    pair_matches = _grown(pair_matches, capacity)
                                pair_a[found] = j
                                pair_b[found] = i
                                pair_matches[found] = matches
                                found += 1
                            j = chain[j]
                        chain[i] = head
                        table[slot] = (key << np.uint64(32)) | np.uint64(i + 1)
                        break
                    slot = (slot + 1) & mask
    return pair_a[:found].copy(), pair_b[:found].copy(), pair_matches[:found].copy(), checked


@njit(cache=True, nogil=True)
def _grown(values, capacity):
    bigger = np.empty(capacity, dtype=values.dtype)
    bigger[:values.shape[0]] = values
    return bigger


@njit(cache=True, nogil=True)
def _components(n, pair_a, pair_b):
    parent = np.arange(n)
    for p in range(pair_a.shape[0]):
        x = pair_a[p]
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        y = pair_b[p]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x != y:
            if x < y:
                parent[y] = x
            else:
                parent[x] = y
    for i in range(n):
        root = i
        while parent[root] != root:
            root = parent[root]
        parent[i] = root
    return parent


def find_near_duplicates(signatures: np.ndarray, threshold: float = DEFAULT_THRESHOLD, *,
                         usable: Optional[np.ndarray] = None,
                         bands_rows: Optional[tuple[int, int]] = None) -> DedupResult:
    """Pairs of rows whose estimated Jaccard similarity is at least ``threshold``, and their groups.

    ``signatures``: one MinHash signature per row (any unsigned integer type; the
    ``dedup`` command keeps 16 bits of each value, which changes an estimate by about
    1/65536). ``usable``: rows to consider (default: all but signatures of texts
    without words). ``bands_rows`` overrides the layout derived from the threshold.
    """
    signatures = np.ascontiguousarray(signatures)
    if signatures.ndim != 2:
        raise ValueError(f"signatures must be a 2-d array (one row per document), got {signatures.ndim}-d")
    width = signatures.shape[1]
    bands, rows = bands_rows if bands_rows is not None else lsh_bands(threshold, width)
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"similarity threshold must be between 0 and 1 (exclusive), got {threshold}")
    if bands < 1 or rows < 1 or bands * rows > width:
        raise ValueError(f"{bands} bands of {rows} rows do not fit signatures of {width} values")
    usable = np.ascontiguousarray(with_words(signatures) if usable is None else usable, dtype=np.bool_)
    if len(signatures) >= 0xFFFFFFFF:
        raise ValueError("at most 4,294,967,294 documents at once")
    pair_a, pair_b, matches, checked = _verified_pairs(signatures, usable, bands, rows, min_matches(threshold, width))
    order = np.lexsort((pair_b, pair_a))
    pairs = np.stack([pair_a[order], pair_b[order]], axis=1) if len(order) else np.zeros((0, 2), dtype=np.int64)
    similarities = matches[order] / width
    return DedupResult(pairs=pairs, similarities=similarities, groups=_groups(len(signatures), pairs),
                       threshold=threshold, bands=bands, rows=rows, candidates_checked=int(checked))


def _groups(n: int, pairs: np.ndarray) -> list[list[int]]:
    if len(pairs) == 0:
        return []
    roots = _components(n, np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1]))
    members = np.unique(pairs)
    member_roots = roots[members]
    order = np.argsort(member_roots, kind="stable")
    members, member_roots = members[order], member_roots[order]
    cuts = np.flatnonzero(np.diff(member_roots)) + 1
    groups = [group.tolist() for group in np.split(members, cuts)]
    groups.sort(key=lambda group: (-len(group), group[0]))
    return groups
