"""What the candidate pairs need while they are aligned, and no more: each article's profile
(:mod:`.profile`) and, when the caller passes records without them, its sentence vectors.

A profile costs about 70-100 KB an article (a story's articles of 20-30 sentences) and the stored
sentence vectors 20-30 KB: held for every article of a run they grow with the corpus (about
10 GB at 100,000 articles). Each pair is classified alone, so the pairs can be taken in any
order: :func:`pair_order` takes them so that an article's pairs come close together, and
:class:`Workspace` holds the profiles and vectors of the most recently used ``held`` articles,
building or reading again one that was let go. Profiles are pure functions of their article, so
the relations are the same whatever ``held`` is; only the work of rebuilding changes.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Collection, Sequence
from typing import Counter, Optional

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import reverse_cuthill_mckee

from ..boilerplate import boilerplate_sentences
from ..model import Prepared, SentenceVectors
from .profile import _Profile, _profile

# Articles whose profile and vectors are held at once: about 200-250 MB of them, more than the
# articles a well-ordered stretch of pairs reaches back to (a story's candidates, mostly).
HELD = 2048
# Articles whose vectors are read together: one query for a stretch of upcoming pairs, not one for each article.
READ_BATCH = 64


def pair_codes(pairs: Collection[tuple[int, int]], count: int) -> np.ndarray:
    """Index pairs ``(i, j)`` among ``count`` articles as sorted distinct int64 codes ``i * count + j``:
    8 bytes a pair where a set of tuples takes about 150."""
    codes = np.fromiter((i * count + j for i, j in pairs), dtype=np.int64, count=len(pairs))
    return np.unique(codes)


def pair_order(codes: np.ndarray, count: int) -> np.ndarray:
    """The pairs ``codes`` (see :func:`pair_codes`) ordered so that each article's pairs come close together.

    The articles are numbered by the reverse Cuthill-McKee order of the candidate graph, which keeps
    linked articles near each other (it narrows the band of the graph's matrix); each pair then takes
    the place of its earlier article. Ties keep the pairs' own order, so the result is deterministic.
    """
    codes = np.unique(codes)
    if not len(codes):
        return codes
    first, second = np.divmod(codes, count)
    graph = sparse.coo_matrix((np.ones(len(codes), dtype=np.int8), (first, second)), shape=(count, count)).tocsr()
    rank = np.empty(count, dtype=np.int64)
    rank[reverse_cuthill_mckee(graph + graph.T, symmetric_mode=True)] = np.arange(count)
    earlier, later = np.minimum(rank[first], rank[second]), np.maximum(rank[first], rank[second])
    return codes[np.lexsort((later, earlier))]


class Workspace:
    """The profiles (and vectors) of the articles whose pairs are being aligned, ``held`` at most.

    ``articles`` are the run's records. With ``sentence_vectors`` None they carry their sentence
    vectors and are used as given; otherwise they may come without them (an empty array) and
    ``sentence_vectors(ids)`` reads them, ``READ_BATCH`` at a time, the next articles of
    ``upcoming`` (the order the pairs will ask for them) read along with the one asked for.
    """

    def __init__(self, site_lines: Counter[int], *, upcoming: Sequence[str] = (),
                 sentence_vectors: Optional[SentenceVectors] = None, held: int = HELD) -> None:
        if held < 2:
            raise ValueError("a workspace must hold at least the two articles of a pair")
        self._site_lines = site_lines
        self._sentence_vectors = sentence_vectors
        self._held = held
        self._profiles: OrderedDict[str, _Profile] = OrderedDict()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._upcoming = list(upcoming)
        self._cursor = 0
        self.profiles_built = 0
        self.vectors_read = 0

    def profile(self, prepared: Prepared) -> _Profile:
        found = self._profiles.get(prepared.id)
        if found is None:
            found = _profile(prepared, boilerplate_sentences(prepared, self._site_lines))
            self.profiles_built += 1
            self._profiles[prepared.id] = found
            _keep_newest(self._profiles, self._held)
        else:
            self._profiles.move_to_end(prepared.id)
        return found

    def record(self, prepared: Prepared) -> Prepared:
        """``prepared`` with its sentence vectors."""
        if self._sentence_vectors is None:
            return prepared
        found = self._vectors.get(prepared.id)
        if found is None:
            found = self._read(prepared.id)
        else:
            self._vectors.move_to_end(prepared.id)
        return dataclasses.replace(prepared, sentence_vectors=found)

    def held(self) -> int:
        """How many articles' profiles and vectors are held now."""
        return max(len(self._profiles), len(self._vectors))

    def _read(self, wanted: str) -> np.ndarray:
        assert self._sentence_vectors is not None
        ids = [wanted]
        while len(ids) < min(READ_BATCH, self._held) and self._cursor < len(self._upcoming):
            upcoming = self._upcoming[self._cursor]
            self._cursor += 1
            if upcoming not in self._vectors and upcoming != wanted:
                ids.append(upcoming)
        read = self._sentence_vectors(ids)
        self.vectors_read += len(ids)
        # The one asked for goes in last: it is the most recently used, and never let go at once.
        for article_id in ids[1:] + ids[:1]:
            self._vectors[article_id] = read[article_id]
            self._vectors.move_to_end(article_id)
        _keep_newest(self._vectors, self._held)
        return read[wanted]


def first_uses(codes: np.ndarray, articles: Sequence[Prepared]) -> list[str]:
    """The articles' ids in the order the pairs ``codes`` (see :func:`pair_codes`) first reach them."""
    ends = np.stack(np.divmod(codes, len(articles)), axis=1).ravel()
    _, first = np.unique(ends, return_index=True)
    return [articles[k].id for k in ends[np.sort(first)].tolist()]


def _keep_newest(cache: OrderedDict, size: int) -> None:
    while len(cache) > size:
        cache.popitem(last=False)
