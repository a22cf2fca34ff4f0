"""The rows the streaming core reads: per unit of articles, summed embeddings and term weights, and days."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..graph import independent_groups
from ..model import Prepared, Relation, SentenceVectors
from .features import (
    TermStatistics,
    _content_terms,
    _content_weights,
    _specific_terms,
    _unit,
    _weights,
    _DATING_KEYS,
    _DATING_YEAR_OF_KEY,
    content_key,
    dating_years,
    keyed_years,
    day_ordinal,
    site_of,
    term_key,
)
from .settings import StorySettings

UNDATED = -1


@dataclass
class StorySignals:
    """Rows to cluster (units of articles, or whole stories), as arrays: no text, no Python objects per row.

    ``vectors`` are sums of unit embeddings (a unit's or story's articles added
    up; ``sizes`` says how many), ``indptr``/``terms``/``weights`` a CSR matrix of specific-term
    weight sums keyed by :func:`term_key`, ``first_day``/``last_day`` day ordinals
    (``UNDATED`` = -1 when unknown), ``ids`` each row's founding article id, ``keys``
    a 63-bit hash of the founding article's content (:func:`content_key`): it breaks ties in
    processing order, so that the stories do not depend on ids, which derive from file paths.
    """

    ids: np.ndarray  # str
    vectors: np.ndarray  # (n, d) float32
    indptr: np.ndarray  # (n + 1,) int64
    terms: np.ndarray  # (nnz,) int64
    weights: np.ndarray  # (nnz,) float32
    first_day: np.ndarray  # (n,) int64
    last_day: np.ndarray  # (n,) int64
    sizes: np.ndarray  # (n,) int64: how many articles each row sums
    keys: np.ndarray  # (n,) int64: content hash of the founding article (ids break ties only between equal texts)

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, rows: np.ndarray) -> "StorySignals":
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        picked = _ranges(starts, lengths)
        return StorySignals(self.ids[rows], self.vectors[rows], indptr, self.terms[picked], self.weights[picked],
                            self.first_day[rows], self.last_day[rows], self.sizes[rows], self.keys[rows])

    def part(self, content: bool) -> "StorySignals":
        """The same rows with only their specific terms (``content=False``: what the stream, split, rejoin and
        fragment passes read) or only their content words (keyed below zero: what the content merge reads)."""
        keep = self.terms < 0 if content else (self.terms >= 0) & ~is_dating_marker(self.terms)
        if keep.all():
            return self
        row_of_entry = np.repeat(np.arange(len(self)), np.diff(self.indptr))
        lengths = np.bincount(row_of_entry[keep], minlength=len(self))
        indptr = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        return StorySignals(self.ids, self.vectors, indptr, self.terms[keep], self.weights[keep], self.first_day,
                            self.last_day, self.sizes, self.keys)

    @staticmethod
    def concatenate(parts: Sequence["StorySignals"]) -> "StorySignals":
        offsets = np.cumsum([0] + [int(p.indptr[-1]) for p in parts[:-1]])
        indptr = np.concatenate([[0]] + [p.indptr[1:] + offset for p, offset in zip(parts, offsets)]).astype(np.int64)
        return StorySignals(np.concatenate([p.ids for p in parts]), np.concatenate([p.vectors for p in parts]),
                            indptr, np.concatenate([p.terms for p in parts]),
                            np.concatenate([p.weights for p in parts]),
                            np.concatenate([p.first_day for p in parts]), np.concatenate([p.last_day for p in parts]),
                            np.concatenate([p.sizes for p in parts]), np.concatenate([p.keys for p in parts]))


def is_dating_marker(terms: np.ndarray) -> np.ndarray:
    """Which term keys are markers of a dating year (weight 0, read by the year rule only)."""
    return dating_year_of(terms) >= 0


def dating_year_of(terms: np.ndarray) -> np.ndarray:
    """Per term key, the dating year it marks less ``FIRST_YEAR``; -1 if it marks none."""
    return keyed_years(terms, _DATING_KEYS, _DATING_YEAR_OF_KEY)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated aranges [start, start + length) without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    steps = np.ones(total, dtype=np.int64)
    nonempty = lengths > 0
    heads = np.cumsum(lengths[nonempty]) - lengths[nonempty]
    steps[heads] = starts[nonempty] - np.concatenate([[0], starts[nonempty][:-1] + lengths[nonempty][:-1] - 1])
    return np.cumsum(steps)


def story_signals(ordered: Sequence[Prepared], relations: Sequence[Relation],
                  statistics: TermStatistics, settings: StorySettings | None = None,
                  sentence_vectors: SentenceVectors | None = None) -> tuple[StorySignals, list[list[int]]]:
    """One row per unit (articles a derivation relation joins), and each unit's article indices into ``ordered``.

    A row's sparse vector holds two unit-length parts with disjoint keys, scaled so that their dot
    product with another row's is ``(1 - content_share)`` times the specific-term cosine plus
    ``content_share`` times the content-word cosine: the streaming core reads one index for both.
    When ``content_merge`` is on, a third unit-length part, the content words again under negative
    keys, is what the content merge pass reads (:meth:`StorySignals.part`); the other steps never see it.
    With ``dating_sentences``, the years that date the unit's texts (:func:`dating_years`) are markers
    at weight 0: no similarity reads them, only the year rule (its latest-year tier).
    ``sentence_vectors``: when given, the records may come without their sentence vectors, and the few
    an article's row averages (see :func:`_averaged_vectors`) are read from it, a batch at a time.
    """
    settings = settings or StorySettings()
    index = {doc.id: position for position, doc in enumerate(ordered)}
    unit_members = _units([doc.id for doc in ordered], joining(relations, settings), index)
    names = statistics.name_forms()
    specific_scale = math.sqrt(1.0 - settings.content_share)
    content_scale = math.sqrt(settings.content_share)
    dimensions = len(ordered[0].vector)
    vectors = np.zeros((len(unit_members), dimensions), dtype=np.float32)
    indptr = [0]
    terms: list[int] = []
    weights: list[float] = []
    first_day = np.full(len(unit_members), UNDATED, dtype=np.int64)
    last_day = np.full(len(unit_members), UNDATED, dtype=np.int64)
    averaged = _averaged_vectors(ordered, statistics, sentence_vectors)
    for row, members in enumerate(unit_members):
        summed: dict[str, float] = defaultdict(float)
        merged_content: dict[str, float] = defaultdict(float)
        dating: set[int] = set()
        for i in members:
            doc = ordered[i]
            if settings.dating_sentences > 0:
                dating |= dating_years(doc, settings.dating_sentences, statistics)
            vectors[row] += averaged[i] if i in averaged else _unit(doc.vector)
            for term, weight in _weights(_specific_terms(doc, names, statistics=statistics), statistics).items():
                summed[term] += specific_scale * weight
            if content_scale > 0 or settings.content_merge > 0:
                content = _content_weights(_content_terms(doc, statistics), statistics, settings.content_terms)
                for term, weight in content.items():
                    if content_scale > 0:
                        summed[term] += content_scale * weight
                    if settings.content_merge > 0:
                        merged_content[term] += weight
        for term in sorted(summed):
            terms.append(term_key(term))
            weights.append(summed[term])
        for year in sorted(dating):
            terms.append(term_key(f"dating-year:{year}"))
            weights.append(0.0)
        for term in sorted(merged_content):
            terms.append(-1 - term_key(term))
            weights.append(merged_content[term])
        indptr.append(len(terms))
        days = [d for d in (day_ordinal(ordered[i].article.published) for i in members) if d is not None]
        if days:
            first_day[row], last_day[row] = min(days), max(days)
    ids = np.array([ordered[members[0]].id for members in unit_members])
    keys = np.array([content_key(ordered[members[0]]) for members in unit_members], dtype=np.int64)
    return StorySignals(ids, vectors, np.array(indptr, dtype=np.int64), np.array(terms, dtype=np.int64),
                        np.array(weights, dtype=np.float32), first_day, last_day,
                        np.array([len(m) for m in unit_members], dtype=np.int64), keys), unit_members


def _kept_sentences(doc: Prepared, statistics: TermStatistics) -> list[int] | None:
    """The sentences an article's story vector averages: those not its site's boilerplate; None when the
    story vector is the article's own (no site, no such line, or nothing else left)."""
    if not site_of(doc.article):
        return None
    kept = [i for i, sentence in enumerate(doc.sentences) if not statistics.is_boilerplate(doc, sentence.text)]
    return kept if kept and len(kept) < len(doc.sentences) else None


def _averaged_vector(doc: Prepared, kept: list[int] | None, sentence_rows: np.ndarray) -> np.ndarray:
    """The article's embedding without its site's boilerplate sentences (all of it when nothing else is left)."""
    if kept is None or len(sentence_rows) != len(doc.sentences):
        return _unit(doc.vector)
    # Rows cast as used: the runner reads the vectors as stored (float16), half the memory of a float32 copy.
    return _unit(sentence_rows[kept].astype(np.float32).mean(axis=0))


def _averaged_vectors(docs: Sequence[Prepared], statistics: TermStatistics,
                      sentence_vectors: SentenceVectors | None) -> dict[int, np.ndarray]:
    """The story vectors of the articles whose own vector it is not (:func:`_kept_sentences`), by index into
    ``docs``. Records without their sentence vectors have them read from ``sentence_vectors``,
    ``VECTOR_BATCH`` at a time: an averaged row is kept, not the sentence vectors of a block's articles."""
    kept = {i: chosen for i, doc in enumerate(docs) if (chosen := _kept_sentences(doc, statistics)) is not None}
    averaged: dict[int, np.ndarray] = {}
    indices = list(kept)
    for start in range(0, len(indices), VECTOR_BATCH):
        batch = [docs[i] for i in indices[start:start + VECTOR_BATCH]]
        for index, doc in zip(indices[start:start + VECTOR_BATCH], with_sentence_vectors(batch, sentence_vectors)):
            averaged[index] = _averaged_vector(doc, kept[index], doc.sentence_vectors)
    return averaged


VECTOR_BATCH = 256
"""Articles whose sentence vectors are read at once (about 20 KB each, as stored): one query a batch."""


def with_sentence_vectors(docs: Sequence[Prepared], sentence_vectors: SentenceVectors | None) -> list[Prepared]:
    """``docs`` with their sentence vectors: as given, or (``sentence_vectors`` given) read for those
    that come without them (an empty array for a text with sentences)."""
    missing = [doc.id for doc in docs if len(doc.sentence_vectors) == 0 and doc.sentences]
    if sentence_vectors is None or not missing:
        return list(docs)
    found = sentence_vectors(missing)
    return [replace(doc, sentence_vectors=found[doc.id]) if doc.id in found else doc for doc in docs]


def joining(relations: Sequence[Relation], settings: StorySettings) -> list[Relation]:
    """The relations that put their two articles in one story (``StorySettings.joining_kinds``)."""
    return [relation for relation in relations if relation.kind in settings.joining_kinds]


def _units(ids: list[str], relations: Sequence[Relation], index: dict[str, int]) -> list[list[int]]:
    """Indices grouped by derivation relations (any kind but ``related``), in processing order."""
    return sorted(sorted(index[article] for article in group) for group in independent_groups(ids, relations))
