"""Alignment: each candidate pair's sentences compared by embedding cosine and by word overlap
(so verbatim copies score 1.0 whatever the embedder), one sentence against one or against two
adjacent ones (translations and rewrites split and merge sentences), matched greedily best-first
(reordered passages are allowed); runs of adjacent matches become passages with character spans
in both articles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence

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


_Product = Callable[[np.ndarray, np.ndarray], np.ndarray]

# Two texts of up to this many sentence pairs (every news article) are aligned every sentence against
# every other. A longer pair (a long report and its copy) is aligned in bands of rows, each against
# the sentences its rows' rare words and positions point to: the work grows with the texts' length,
# not with its square.
_ALIGN_ALL_PAIRS = 400 * 400
_ALIGN_BAND_ROWS = 16
# A word in more sentences of the other text than this points nowhere in particular.
_ALIGN_RARE_POSTING = 32
# Sentences each sentence's rare words point to (the most shared first), and the sentences either side
# of its proportional position in the other text, that its band is compared with.
_ALIGN_NEIGHBOURS = 3
_ALIGN_DIAGONAL = 8


def _token_starts(profile: _Profile) -> np.ndarray:
    """Where each sentence's words begin in ``profile.token_hashes`` (they are stored sentence by sentence)."""
    counts = profile.token_counts.astype(np.int64)
    return np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64) if len(counts) else counts


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``starts[i] .. starts[i] + lengths[i] - 1`` of every ``i``, concatenated."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + np.arange(total, dtype=np.int64) - offsets


_Tokens = tuple[np.ndarray, np.ndarray, int]  # positions in token_hashes, each one's row, the number of rows


def _sentence_tokens(profile: _Profile, starts: np.ndarray, sentences: np.ndarray) -> _Tokens:
    """The words of ``sentences``: their positions in ``profile.token_hashes``, each one's row among
    ``sentences``, and how many sentences there are."""
    lengths = profile.token_counts[sentences].astype(np.int64)
    rows = np.repeat(np.arange(len(sentences), dtype=np.int64), lengths)
    return _ranges(starts[sentences], lengths), rows, len(sentences)


def _incidence(profile: _Profile, vocabulary: np.ndarray,
               tokens: Optional[_Tokens] = None) -> np.ndarray:
    """0/1 matrix: sentence × word of ``vocabulary`` (sorted hashes); words outside it are left out.

    Over every sentence of the text, or over those whose words are ``tokens`` (see ``_sentence_tokens``).
    """
    positions, rows, size = tokens or (np.arange(len(profile.token_hashes)), profile.token_rows, profile.sentence_count)
    matrix = np.zeros((size, max(len(vocabulary), 1)), dtype=np.float32)
    columns, inside = _lookup(vocabulary, profile.token_hashes[positions])
    matrix[rows[inside], columns[inside]] = 1.0
    return matrix


def _lookup(known: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's position in the sorted array ``known``, and whether it is there at all."""
    if len(known) == 0:
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    positions = np.minimum(np.searchsorted(known, values), len(known) - 1)
    return positions, known[positions] == values


def _dice(in_a: np.ndarray, in_b: np.ndarray, sizes_a: np.ndarray, sizes_b: np.ndarray,
          product: _Product = np.matmul) -> np.ndarray:
    """Dice overlap of every row of ``in_a`` with every row of ``in_b``: 0/1 incidence over the words both
    texts use, and each row's number of distinct words in all."""
    shared = product(in_a, in_b.T)
    sizes = sizes_a[:, None] + sizes_b[None, :]
    return np.where(sizes > 0, 2.0 * shared / np.maximum(sizes, 1.0), 0.0)


def _small_product(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x @ y`` without the BLAS library: a band's products are small, and its threads cost more to wake
    (and to spin, on a busy machine) than the arithmetic."""
    return np.einsum("ij,jk->ik", x, y)


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def _bands(profile_a: _Profile, profile_b: _Profile) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(sentences of a, sentences of b) to compare, each sorted: every pair at once for two texts of usual
    length; for a longer pair, bands of ``_ALIGN_BAND_ROWS`` rows of a, each with one row of the next so
    that a split sentence across the edge is still seen, against the sentences of b the band points to."""
    rows, columns = profile_a.sentence_count, profile_b.sentence_count
    if rows * columns <= _ALIGN_ALL_PAIRS:
        yield np.arange(rows, dtype=np.int64), np.arange(columns, dtype=np.int64)
        return
    pointed = _rare_word_neighbours(profile_a, profile_b)
    for start in range(0, rows, _ALIGN_BAND_ROWS):
        band = np.arange(start, min(start + _ALIGN_BAND_ROWS + 1, rows), dtype=np.int64)
        # Around the band's proportional place in b: a translation shares few words but keeps the order.
        low = int(band[0] * columns / rows) - _ALIGN_DIAGONAL
        high = int(np.ceil((band[-1] + 1) * columns / rows)) + _ALIGN_DIAGONAL
        near = np.concatenate([pointed[r] for r in band.tolist()] + [np.zeros(0, dtype=np.int64)])
        # Each pointed sentence with its neighbours, which a split sentence or a reworded one next to it needs.
        around = (near[:, None] + np.arange(-1, 2, dtype=np.int64)[None, :]).ravel()
        chosen = np.concatenate((np.arange(max(low, 0), min(high, columns), dtype=np.int64), around))
        yield band, np.unique(chosen[(chosen >= 0) & (chosen < columns)])


def _rare_word_neighbours(profile_a: _Profile, profile_b: _Profile) -> list[np.ndarray]:
    """Per sentence of a: up to ``_ALIGN_NEIGHBOURS`` sentences of b sharing the most of its words that are
    rare in b (in at most ``_ALIGN_RARE_POSTING`` sentences), in the order of b.

    Reads each word of a once and at most that many sentences of b for it: linear in the two texts.
    """
    order = np.argsort(profile_b.token_hashes, kind="stable")
    hashes_b, rows_b = profile_b.token_hashes[order], profile_b.token_rows[order]
    known, first, postings = np.unique(hashes_b, return_index=True, return_counts=True)
    positions, inside = _lookup(known, profile_a.token_hashes)
    inside &= postings[positions] <= _ALIGN_RARE_POSTING
    lengths = postings[positions[inside]]
    pair_rows = np.repeat(profile_a.token_rows[inside], lengths)
    pair_columns = rows_b[_ranges(first[positions[inside]], lengths)]
    columns = profile_b.sentence_count
    cells, shared = np.unique(pair_rows * columns + pair_columns, return_counts=True)
    rows, cols = cells // columns, cells % columns
    ranked = np.lexsort((cols, -shared, rows))  # by row, the most shared first, then in b's order
    rows, cols = rows[ranked], cols[ranked]
    row_starts = np.searchsorted(rows, np.arange(profile_a.sentence_count + 1))
    return [np.sort(cols[row_starts[r]:min(row_starts[r + 1], row_starts[r] + _ALIGN_NEIGHBOURS)])
            for r in range(profile_a.sentence_count)]


@dataclass
class _BestCells:
    """Per sentence of one text, its highest-scoring sentence of the other among those compared (the first
    on a tie, as ``np.argmax`` over a whole row), kept for the leftover joins of ``_align``."""

    score: np.ndarray  # float32, the combined similarity, as compared against the threshold
    partner: np.ndarray  # int64, -1 when nothing was compared
    semantic: np.ndarray
    lexical: np.ndarray

    @classmethod
    def empty(cls, size: int) -> "_BestCells":
        return cls(np.full(size, -np.inf, dtype=np.float32), np.full(size, -1, dtype=np.int64),
                   np.zeros(size, dtype=np.float32), np.zeros(size, dtype=np.float32))

    def update(self, own: np.ndarray, others: np.ndarray, combined: np.ndarray, semantic: np.ndarray,
               lexical: np.ndarray) -> None:
        """Take the best of ``combined`` (rows ``own``, columns ``others``, sorted) where it beats the kept one."""
        if combined.shape[1] == 0:
            return
        local = np.argmax(combined, axis=1)
        every = np.arange(len(own))
        score, partner = combined[every, local], others[local]
        kept_score, kept_partner = self.score[own], self.partner[own]
        better = (score > kept_score) | ((score == kept_score) & ((partner < kept_partner) | (kept_partner < 0)))
        target = own[better]
        self.score[target], self.partner[target] = score[better], partner[better]
        self.semantic[target] = semantic[every, local][better]
        self.lexical[target] = lexical[every, local][better]


_Option = tuple[float, tuple[int, ...], tuple[int, ...], float, float]


def _band_options(
    vectors: tuple[np.ndarray, np.ndarray], profiles: tuple[_Profile, _Profile], starts: tuple[np.ndarray, np.ndarray],
    rows: np.ndarray, columns: np.ndarray, threshold: float, best: tuple[_BestCells, _BestCells],
    product: _Product = np.matmul,
) -> list[_Option]:
    """Candidate matches among sentences ``rows`` of a and ``columns`` of b: (score, sentences of a,
    sentences of b, semantic, lexical), one-to-one and one against two adjacent sentences."""
    profile_a, profile_b = profiles
    vectors_a, vectors_b = vectors[0][rows], vectors[1][columns]
    tokens_a = _sentence_tokens(profile_a, starts[0], rows)
    tokens_b = _sentence_tokens(profile_b, starts[1], columns)
    # Only words both texts use can overlap: the incidence matrices need no other column.
    vocabulary = np.intersect1d(profile_a.token_hashes[tokens_a[0]], profile_b.token_hashes[tokens_b[0]])
    words_a = _incidence(profile_a, vocabulary, tokens_a)
    words_b = _incidence(profile_b, vocabulary, tokens_b)
    counts_a, counts_b = profile_a.token_counts[rows], profile_b.token_counts[columns]
    usable_a, usable_b = profile_a.usable[rows], profile_b.usable[columns]
    semantic = product(vectors_a, vectors_b.T)
    lexical = _dice(words_a, words_b, counts_a, counts_b, product)
    usable = usable_a[:, None] & usable_b[None, :]
    combined = np.where(usable, np.maximum(semantic, lexical), 0.0)
    best[0].update(rows, columns, combined, semantic, lexical)
    best[1].update(columns, rows, combined.T, semantic.T, lexical.T)

    options: list[_Option] = []
    found_rows, found_columns = np.nonzero(combined >= threshold)
    options.extend((float(combined[r, c]), (int(rows[r]),), (int(columns[c]),), float(semantic[r, c]),
                    float(lexical[r, c])) for r, c in zip(found_rows.tolist(), found_columns.tolist()))
    # One sentence against two adjacent ones: their mean vector and their joint words.
    for vectors_one, words_one, counts_one, usable_one, one, vectors_two, words_two, usable_two, two, profile_two, flip in (
        (vectors_a, words_a, counts_a, usable_a, rows, vectors_b, words_b, usable_b, columns, profile_b, False),
        (vectors_b, words_b, counts_b, usable_b, columns, vectors_a, words_a, usable_a, rows, profile_a, True),
    ):
        if len(vectors_two) < 2:
            continue
        adjacent = two[1:] == two[:-1] + 1
        merged_vectors = _unit(vectors_two[:-1] + vectors_two[1:])
        merged_words = np.minimum(words_two[:-1] + words_two[1:], 1.0)
        merged_semantic = product(vectors_one, merged_vectors.T)
        merged_lexical = _dice(words_one, merged_words, counts_one, profile_two.adjacent_token_counts[two[:-1]],
                               product)
        merged = np.maximum(merged_semantic, merged_lexical)
        singles = combined.T if flip else combined  # rows: the one side
        best_single = np.maximum(singles[:, :-1], singles[:, 1:])
        either_usable = usable_one[:, None] & ((usable_two[:-1] | usable_two[1:]) & adjacent)[None, :]
        good = (merged >= threshold) & (merged >= best_single + in_use().merge_gain) & either_usable
        for r, c in zip(*np.nonzero(good)):
            single, pair = (int(one[r]),), (int(two[c]), int(two[c]) + 1)
            options.append((float(merged[r, c]), pair if flip else single, single if flip else pair,
                            float(merged_semantic[r, c]), float(merged_lexical[r, c])))
    return options


# Slack under the threshold for the bounds of ``_may_link``: they sum the same products in another order.
_BOUND_SLACK = 1e-4


def _may_link(vectors: tuple[np.ndarray, np.ndarray], profile_a: _Profile, profile_b: _Profile,
              threshold: float) -> bool:
    """False only when no sentence pair and no sentence against two adjacent ones can reach ``threshold``,
    so ``_align`` would link nothing: most candidate pairs (same-story reports that share no sentence).

    Cheap upper bounds of what ``_band_options`` computes, over every pair of sentences: the cosines
    exactly (one product; a merged pair's from its two cosines and the norm of their vector sum), and
    the word overlap from how many of each sentence's words the other text uses at all.
    """
    vectors_a, vectors_b = vectors
    if not len(vectors_a) or not len(vectors_b):
        return False
    semantic = vectors_a @ vectors_b.T
    shared_vocabulary = np.intersect1d(profile_a.token_hashes, profile_b.token_hashes)
    known_a = _words_known(profile_a, shared_vocabulary)
    known_b = _words_known(profile_b, shared_vocabulary)
    bar = threshold - _BOUND_SLACK
    lexical = 2.0 * np.minimum(known_a[:, None], known_b[None, :]) / np.maximum(
        profile_a.token_counts[:, None] + profile_b.token_counts[None, :], 1.0)
    usable = profile_a.usable[:, None] & profile_b.usable[None, :]
    if (usable & (np.maximum(semantic, lexical) >= bar)).any():
        return True
    for one_vs_two, counts_one, known_one, usable_one, vectors_two, profile_two, known_two in (
        (semantic, profile_a.token_counts, known_a, profile_a.usable, vectors_b, profile_b, known_b),
        (semantic.T, profile_b.token_counts, known_b, profile_b.usable, vectors_a, profile_a, known_a),
    ):
        if len(vectors_two) < 2:
            continue
        norms = np.linalg.norm(vectors_two[:-1] + vectors_two[1:], axis=1)
        merged_semantic = (one_vs_two[:, :-1] + one_vs_two[:, 1:]) / np.where(norms == 0, 1.0, norms)[None, :]
        merged_lexical = 2.0 * np.minimum(known_one[:, None], (known_two[:-1] + known_two[1:])[None, :]) / np.maximum(
            counts_one[:, None] + profile_two.adjacent_token_counts[None, :], 1.0)
        either_usable = usable_one[:, None] & (profile_two.usable[:-1] | profile_two.usable[1:])[None, :]
        if (either_usable & (np.maximum(merged_semantic, merged_lexical) >= bar)).any():
            return True
    return False


def _words_known(profile: _Profile, vocabulary: np.ndarray) -> np.ndarray:
    """Per sentence, how many of its words are in ``vocabulary`` (sorted hashes)."""
    inside = _lookup(vocabulary, profile.token_hashes)[1]
    return np.bincount(profile.token_rows[inside], minlength=profile.sentence_count).astype(np.float32)


def _align(a: Prepared, b: Prepared, profile_a: _Profile, profile_b: _Profile,
           threshold: float | None = None) -> list[_Link]:
    """Sentence links: one-to-one and one-to-two matches, best first, each sentence used once.

    Then a sentence left over whose best match is the partner of its
    neighbour joins that link (a third part of a split sentence). ``threshold``: the settings' ``sentence_match``.
    """
    threshold = in_use().sentence_match if threshold is None else threshold
    if not a.sentences or not b.sentences:
        return []
    vectors = (np.asarray(a.sentence_vectors, dtype=np.float32), np.asarray(b.sentence_vectors, dtype=np.float32))
    if len(a.sentences) * len(b.sentences) <= _ALIGN_ALL_PAIRS and not _may_link(vectors, profile_a, profile_b,
                                                                                  threshold):
        return []
    profiles, starts = (profile_a, profile_b), (_token_starts(profile_a), _token_starts(profile_b))
    best = (_BestCells.empty(len(a.sentences)), _BestCells.empty(len(b.sentences)))
    # Keyed by the sentences matched: a band's extra row is compared twice, and counts once.
    options: dict[tuple[tuple[int, ...], tuple[int, ...]], _Option] = {}
    product = np.matmul if len(a.sentences) * len(b.sentences) <= _ALIGN_ALL_PAIRS else _small_product
    for rows, columns in _bands(profile_a, profile_b):
        for option in _band_options(vectors, profiles, starts, rows, columns, threshold, best, product):
            options.setdefault((option[1], option[2]), option)

    taken_a: dict[int, int] = {}  # sentence of a -> one sentence of b it is linked to
    taken_b: dict[int, int] = {}
    links: dict[tuple[int, int], _Link] = {}
    for _, sentences_a, sentences_b, sem, lex in sorted(options.values(), key=lambda o: (-o[0], o[1], o[2])):
        if any(r in taken_a for r in sentences_a) or any(c in taken_b for c in sentences_b):
            continue
        for r in sentences_a:
            for c in sentences_b:
                links[(r, c)] = _Link(r, c, sem, lex)
                taken_a[r], taken_b[c] = c, r

    for own, best_cells, taken_own, taken_other, flip in ((len(a.sentences), best[0], taken_a, taken_b, False),
                                                         (len(b.sentences), best[1], taken_b, taken_a, True)):
        for r in range(own):
            c = int(best_cells.partner[r])
            if r in taken_own or c < 0:
                continue
            if best_cells.score[r] >= threshold and taken_other.get(c) in (r - 1, r + 1):
                key = (c, r) if flip else (r, c)
                links[key] = _Link(key[0], key[1], float(best_cells.semantic[r]), float(best_cells.lexical[r]))
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
