"""Alignment: each candidate pair's sentences compared by embedding cosine and by word overlap
(so verbatim copies score 1.0 whatever the embedder), one sentence against one or against two
adjacent ones (translations and rewrites split and merge sentences), matched greedily best-first
(reordered passages are allowed); runs of adjacent matches become passages with character spans
in both articles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..model import Passage, Prepared, Sentence
from .profile import _Profile
from .settings import in_use


# --- 2. alignment -------------------------------------------------------------------


@dataclass(frozen=True)
class _Link:
    a: int  # sentence index in a
    b: int  # sentence index in b
    semantic: float
    lexical: float

    @property
    def similarity(self) -> float:
        return max(self.semantic, self.lexical)


def _incidence(profile: _Profile, vocabulary: np.ndarray) -> np.ndarray:
    """0/1 matrix: sentence × word of ``vocabulary`` (sorted hashes); words outside it are left out."""
    matrix = np.zeros((len(profile.tokens), max(len(vocabulary), 1)), dtype=np.float32)
    columns, inside = _lookup(vocabulary, profile.token_hashes)
    matrix[profile.token_rows[inside], columns[inside]] = 1.0
    return matrix


def _lookup(known: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's position in the sorted array ``known``, and whether it is there at all."""
    if len(known) == 0:
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    positions = np.minimum(np.searchsorted(known, values), len(known) - 1)
    return positions, known[positions] == values


def _dice(in_a: np.ndarray, in_b: np.ndarray, sizes_a: np.ndarray, sizes_b: np.ndarray) -> np.ndarray:
    """Dice overlap of every row of ``in_a`` with every row of ``in_b``: 0/1 incidence over the words both
    texts use, and each row's number of distinct words in all."""
    shared = in_a @ in_b.T
    sizes = sizes_a[:, None] + sizes_b[None, :]
    return np.where(sizes > 0, 2.0 * shared / np.maximum(sizes, 1.0), 0.0)


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def _align(a: Prepared, b: Prepared, profile_a: _Profile, profile_b: _Profile,
           threshold: float | None = None) -> list[_Link]:
    """Sentence links: one-to-one and one-to-two matches, best first, each sentence used once.

    Then a sentence left over whose best match is the partner of its
    neighbour joins that link (a third part of a split sentence). ``threshold``: the settings' ``sentence_match``.
    """
    threshold = in_use().sentence_match if threshold is None else threshold
    if not a.sentences or not b.sentences:
        return []
    vectors_a = np.asarray(a.sentence_vectors, dtype=np.float32)
    vectors_b = np.asarray(b.sentence_vectors, dtype=np.float32)
    # Only words both texts use can overlap: the incidence matrices need no other column.
    vocabulary = np.intersect1d(profile_a.token_hashes, profile_b.token_hashes)
    words_a, words_b = _incidence(profile_a, vocabulary), _incidence(profile_b, vocabulary)
    semantic = vectors_a @ vectors_b.T
    lexical = _dice(words_a, words_b, profile_a.token_counts, profile_b.token_counts)
    usable = profile_a.usable[:, None] & profile_b.usable[None, :]
    combined = np.where(usable, np.maximum(semantic, lexical), 0.0)

    # Candidate matches: (score, sentences of a, sentences of b, semantic, lexical).
    options: list[tuple[float, tuple[int, ...], tuple[int, ...], float, float]] = []
    rows, cols = np.nonzero(combined >= threshold)
    options.extend((float(combined[r, c]), (int(r),), (int(c),), float(semantic[r, c]), float(lexical[r, c]))
                   for r, c in zip(rows.tolist(), cols.tolist()))
    # One sentence against two adjacent ones: their mean vector and their joint words.
    for _one_side, vectors_one, words_one, one, vectors_two, words_two, two, flip in (
        ("a", vectors_a, words_a, profile_a, vectors_b, words_b, profile_b, False),
        ("b", vectors_b, words_b, profile_b, vectors_a, words_a, profile_a, True),
    ):
        usable_one, usable_two = one.usable, two.usable
        if len(vectors_two) < 2:
            continue
        merged_vectors = _unit(vectors_two[:-1] + vectors_two[1:])
        merged_words = np.minimum(words_two[:-1] + words_two[1:], 1.0)
        merged_semantic = vectors_one @ merged_vectors.T
        merged_lexical = _dice(words_one, merged_words, one.token_counts, two.adjacent_token_counts)
        merged = np.maximum(merged_semantic, merged_lexical)
        singles = combined.T if flip else combined  # rows: the one side
        best_single = np.maximum(singles[:, :-1], singles[:, 1:])
        either_usable = usable_one[:, None] & (usable_two[:-1] | usable_two[1:])[None, :]
        good = (merged >= threshold) & (merged >= best_single + in_use().merge_gain) & either_usable
        for r, c in zip(*np.nonzero(good)):
            single, pair = (int(r),), (int(c), int(c) + 1)
            options.append((float(merged[r, c]), pair if flip else single, single if flip else pair,
                            float(merged_semantic[r, c]), float(merged_lexical[r, c])))

    options.sort(key=lambda o: (-o[0], o[1], o[2]))
    taken_a: dict[int, int] = {}  # sentence of a -> one sentence of b it is linked to
    taken_b: dict[int, int] = {}
    links: dict[tuple[int, int], _Link] = {}
    for _, sentences_a, sentences_b, sem, lex in options:
        if any(r in taken_a for r in sentences_a) or any(c in taken_b for c in sentences_b):
            continue
        for r in sentences_a:
            for c in sentences_b:
                links[(r, c)] = _Link(r, c, sem, lex)
                taken_a[r], taken_b[c] = c, r

    for r in range(len(a.sentences)):
        if r in taken_a:
            continue
        c = int(np.argmax(combined[r]))
        if combined[r, c] >= threshold and taken_b.get(c) in (r - 1, r + 1):
            links[(r, c)] = _Link(r, c, float(semantic[r, c]), float(lexical[r, c]))
    for c in range(len(b.sentences)):
        if c in taken_b:
            continue
        r = int(np.argmax(combined[:, c]))
        if combined[r, c] >= threshold and taken_a.get(r) in (c - 1, c + 1):
            links[(r, c)] = _Link(r, c, float(semantic[r, c]), float(lexical[r, c]))
    return [links[key] for key in sorted(links)]


def _passages(links: Sequence[_Link], sentences_a: Sequence[Sentence], sentences_b: Sequence[Sentence]) -> list[Passage]:
    """Runs of links adjacent on both sides merged into passages."""
    passages: list[Passage] = []
    run: list[_Link] = []

    def close() -> None:
        if run:
            passages.append(Passage(
                a=(sentences_a[min(l.a for l in run)].start, sentences_a[max(l.a for l in run)].end),
                b=(sentences_b[min(l.b for l in run)].start, sentences_b[max(l.b for l in run)].end),
                similarity=round(float(np.mean([l.similarity for l in run])), 3),
            ))

    for link in sorted(links, key=lambda l: (l.a, l.b)):
        if run and link.a - run[-1].a in (0, 1) and link.b - run[-1].b in (0, 1):
            run.append(link)
        else:
            close()
            run = [link]
    close()
    return passages


@dataclass(frozen=True)
class Coverage:
    """Shares of each text's usable characters that align (plain, similarity-weighted, verbatim).

    ``aligned_*``: share of the text (by characters of its usable sentences)
    that aligns; ``weighted_*``: the same weighted by each aligned pair's
    similarity; ``verbatim_*``: the share copied almost word for word;
    ``lexical``: the word overlap of the aligned sentence pairs (1 a copy, lower
    the more it is reworded).
    """

    aligned_a: float
    aligned_b: float
    weighted_a: float
    weighted_b: float
    verbatim_a: float
    verbatim_b: float
    lexical: float  # mean word overlap of the aligned pairs, weighted by length

    def swapped(self) -> "Coverage":
        """The same measures with the two texts' sides exchanged."""
        return Coverage(self.aligned_b, self.aligned_a, self.weighted_b, self.weighted_a, self.verbatim_b,
                        self.verbatim_a, self.lexical)


def _coverage(links: Sequence[_Link], profile_a: _Profile, profile_b: _Profile) -> Coverage:
    def shares(profile: _Profile, side: str) -> tuple[float, float]:
        total = float(profile.lengths[profile.usable].sum()) or 1.0
        best: dict[int, _Link] = {}
        for link in links:
            index = getattr(link, side)
            if index not in best or link.similarity > best[index].similarity:
                best[index] = link
        aligned = sum(profile.lengths[i] for i in best)
        weighted = sum(profile.lengths[i] * min(l.similarity, 1.0) for i, l in best.items())
        return min(aligned / total, 1.0), min(weighted / total, 1.0)

    aligned_a, weighted_a = shares(profile_a, "a")
    aligned_b, weighted_b = shares(profile_b, "b")
    verbatim_a, verbatim_b = _verbatim_shares(profile_a, profile_b)
    weights = np.array([profile_a.lengths[l.a] + profile_b.lengths[l.b] for l in links])
    lexical = float(np.average([l.lexical for l in links], weights=weights)) if links else 0.0
    return Coverage(aligned_a, aligned_b, weighted_a, weighted_b, verbatim_a, verbatim_b, lexical)


def _verbatim_shares(profile_a: _Profile, profile_b: _Profile) -> tuple[float, float]:
    """Share of each text's words (by letters) inside a word n-gram the other text has too.

    Counted over the whole text, not per aligned sentence, so it measures copying
    whatever the sentence splitter made of hard-wrapped lines or pasted fragments.
    """
    def share(mine: _Profile, theirs: _Profile) -> float:
        hashes, lengths = mine.grams
        known = theirs.gram_set
        if len(hashes) == 0 or len(known) == 0 or lengths.sum() == 0:
            return 0.0
        hit = _lookup(known, hashes)[1]
        covered = np.zeros(len(lengths), dtype=bool)
        for offset in range(in_use().verbatim_gram):
            covered[offset:offset + len(hit)] |= hit
        return float(lengths[covered].sum() / lengths.sum())

    return share(profile_a, profile_b), share(profile_b, profile_a)


def _order_agreement(links: Sequence[_Link]) -> float:
    """Share of links in the longest run that keeps the same order in both texts."""
    if not links:
        return 0.0
    sequence = [l.b for l in sorted(links, key=lambda l: (l.a, l.b))]
    return _longest_non_decreasing(sequence) / len(sequence)


def _longest_non_decreasing(sequence: Sequence[int]) -> int:
    return len(_longest_non_decreasing_positions(sequence))


def _longest_non_decreasing_positions(sequence: Sequence[int]) -> list[int]:
    """Positions of one longest non-decreasing subsequence (patience sorting with back links)."""
    tails: list[int] = []  # value at the end of the best run of each length
    tail_positions: list[int] = []
    previous: list[int] = []
    for position, value in enumerate(sequence):
        slot = int(np.searchsorted(tails, value, side="right"))
        previous.append(tail_positions[slot - 1] if slot else -1)
        if slot == len(tails):
            tails.append(value)
            tail_positions.append(position)
        else:
            tails[slot] = value
            tail_positions[slot] = position
    positions: list[int] = []
    position = tail_positions[-1] if tail_positions else -1
    while position >= 0:
        positions.append(position)
        position = previous[position]
    return positions[::-1]


def _in_order(links: Sequence[_Link]) -> list[_Link]:
    """The largest set of links that keeps the same order in both texts."""
    ordered = sorted(links, key=lambda l: (l.a, l.b))
    return [ordered[i] for i in _longest_non_decreasing_positions([l.b for l in ordered])]
