"""A spaCy pipeline that parses each distinct piece of text once: copies, reprints and both stages share its parse.

NER and the claims parser read articles line by line (``mentions.parse_in_pieces``), and
in news many lines recur: wire copies under other outlets' headers, an outlet's
boilerplate, a paragraph quoted by a follow-up. The wrapper keeps the parses of the
pieces it met most recently and hands them back instead of running the model again.
A piece is parsed alone whether or not it was cached, so a cached parse is the one a
fresh parse gives (tests/test_throughput.py compares both).

The English pipeline is one for both stages (issue 18): the entities stage's NER and the
claims stage's parser read the same lines, so one pass runs the shared token-to-vector
layer and the tagger once for both. NER runs before the parser (see :func:`run_order`),
so its spans are those of a pipeline without a parser.

The claims stage reads no entities: its parser is this pipeline without NER
(:meth:`CachedPipeline.without`), which takes the lines NER read as they are and parses
the others (an article NER read with another language's model) without NER, whose parse
of every other annotation is the same (the parser reads no entity).

Parses may also be kept beyond the run in a :class:`ParseCache` (the store's parse table,
:mod:`storyline.store.parses`): a line met in an earlier run, or by a story opened later,
is read back instead of parsed again.

With worker processes (``Models(workers=2)``, :mod:`storyline.workers`), part of each big call's lines is
parsed in a worker, which returns them as :func:`encode_parse` bytes: each line is parsed alone either way,
so the parse is the same whichever process made it.

Memory stays bounded: at most ``capacity`` pieces are kept in memory, without their token
vectors (``Doc.tensor``, which no stage reads and which took most of a parse's memory).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import OrderedDict
from typing import Any, Callable, Iterable, Iterator, Optional, Protocol, Sequence

import numpy as np

from ..workers import MIN_SHARED_CHARS, SharesWork, share_out

# Lines kept in memory. A news line parses into a Doc of a few kilobytes once its tensor is dropped;
# this many hold a day of wire copies' paragraphs in some tens of megabytes.
DEFAULT_CAPACITY = 20_000


class ParseCache(Protocol):
    """Serialised parses kept beyond a run, keyed by the piece's text hash and the pipeline's key."""

    def load_parses(self, model: str, keys: Sequence[str]) -> dict[str, bytes]: ...

    def save_parses(self, model: str, parses: dict[str, bytes]) -> None: ...


def run_order(pipe_names: Sequence[str]) -> list[str]:
    """The components in the pipeline's order, but NER before the parser.

    spaCy's NER never lets a name cross a sentence start, and the parser sets sentence
    starts: run after it, NER would find other names than the entities stage found
    alone. No other component reads the entities, and NER reads only its own
    token-to-vector layer, so this order changes nothing else.
    """
    names = list(pipe_names)
    if "ner" in names and "parser" in names and names.index("ner") > names.index("parser"):
        names.remove("ner")
        names.insert(names.index("parser"), "ner")
    return names


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class CachedPipeline(SharesWork):
    """``nlp`` whose ``pipe`` parses each distinct text once; everything else is ``nlp``'s own."""

    def __init__(self, nlp: Any, capacity: int = DEFAULT_CAPACITY, *, model_key: Optional[str] = None,
                 order: Optional[Sequence[str]] = None, fuller: Optional["CachedPipeline"] = None) -> None:
        self.nlp = nlp
        self.capacity = capacity
        self.order = list(order) if order is not None else run_order(nlp.pipe_names)
        # A pipeline over the same model running more components (see :meth:`without`): its parses serve this one.
        self.fuller = fuller
        # What a kept parse was made by: model, version and the components run (a parse made without
        # the parser is no parse for the claims stage).
        meta = getattr(nlp, "meta", {}) or {}
        self.model_key = model_key or f"{meta.get('lang', '')}_{meta.get('name', '')}-{meta.get('version', '')}:" \
            + ",".join(self.order)
        self.kept: Optional[ParseCache] = None
        # A pipeline without some components is parsed in part by the fuller one's workers (storyline.workers).
        if fuller is not None:
            self.helper, self.recipe = fuller.helper, fuller.recipe
        self._fast_runs: dict[str, Callable[[list[Any]], list[Any]]] = \
            fuller._fast_runs if fuller is not None else _fast_runs(nlp)
        self._parsed: OrderedDict[str, Any] = OrderedDict()
        self.parsed_count = 0  # pieces the model actually read, for tests and benchmarks
        self.read_back_count = 0  # pieces read back from the kept parses

    def __getattr__(self, name: str) -> Any:
        # Only called for what the wrapper lacks: vocab, Defaults, max_length, pipe_names ...
        if name == "nlp":  # not set yet (a copy being built): no recursion
            raise AttributeError(name)
        return getattr(self.nlp, name)

    def __call__(self, text: str) -> Any:
        return self.nlp(text)

    @property
    def pipe_names(self) -> list[str]:
        """The components this pipeline runs, in the model's order."""
        return [name for name in self.nlp.pipe_names if name in self.order]

    def without(self, names: Sequence[str]) -> "CachedPipeline":
        """This model with ``names`` left out, reading this pipeline's parses before parsing a line itself.

        For a stage that reads none of ``names``' annotations, when no component it reads
        depends on them (the parser, tagger, lemmatizer and attribute ruler never read NER's
        entities): a line this pipeline parsed, in this run or an earlier one, is taken as
        it is; only the others are parsed, without the components left out.
        """
        lesser = CachedPipeline(self.nlp, self.capacity, order=[name for name in self.order if name not in names],
                                fuller=self)
        lesser.keep_in(self.kept)
        return lesser

    def keep_in(self, kept: Optional[ParseCache]) -> None:
        """Read parses from, and write new ones to, ``kept`` (None: this run's memory only)."""
        self.kept = kept

    def pipe(self, texts: Iterable[str], batch_size: int = 32, **options: Any) -> Iterator[Any]:
        """One Doc per text, in order; the model reads only the texts not met before (each once)."""
        texts = list(texts)
        missing = [text for text in dict.fromkeys(texts) if text not in self._parsed]
        fresh: dict[str, Any] = {}
        if missing and self.fuller is not None:
            fresh.update((text, self.fuller._parsed[text]) for text in missing if text in self.fuller._parsed)
            missing = [text for text in missing if text not in fresh]
        if missing and self.kept is not None:
            fresh.update(self._read_back(missing))
            missing = [text for text in missing if text not in fresh]
        parsed_now: dict[str, Any] = {}
        for text, doc in zip(missing, self._run(missing, batch_size)):
            doc.tensor = np.zeros((len(doc), 0), dtype=np.float32)
            parsed_now[text] = doc
        self.parsed_count += len(missing)
        if parsed_now and self.kept is not None:
            self.kept.save_parses(self.model_key, {text_key(text): encode_parse(doc) for text, doc in parsed_now.items()})
        fresh.update(parsed_now)
        docs = [fresh[text] if text in fresh else self._parsed[text] for text in texts]
        for text in texts:
            if text not in fresh:
                self._parsed.move_to_end(text)
        self._parsed.update(fresh)
        while len(self._parsed) > self.capacity:
            self._parsed.popitem(last=False)
        yield from docs

    def _run(self, texts: list[str], batch_size: int) -> list[Any]:
        """``nlp.pipe`` over ``texts``, its components in :func:`run_order`; a big call's first lines parsed by
        the helper's workers meanwhile, when they are ready (read back from their :func:`encode_parse` bytes)."""
        if sum(map(len, texts)) < MIN_SHARED_CHARS:
            return self._run_here(texts, batch_size)

        def read(payloads: list[bytes]) -> Optional[list[Any]]:
            docs = [decode_parse(self.nlp.vocab, payload) for payload in payloads]
            return None if any(doc is None for doc in docs) else docs

        return share_out(self.helper, self.recipe, "parse", texts, [len(text) for text in texts],
                         lambda share: self._run_here(share, batch_size),
                         lambda share: (self.order, share, batch_size), read)

    def _run_here(self, texts: list[str], batch_size: int) -> list[Any]:
        """``nlp.pipe`` over ``texts`` in this process, its components in :func:`run_order`."""
        if not texts:
            return []
        docs = [self.nlp.make_doc(text) for text in texts]
        for name in self.order:
            fast = self._fast_runs.get(name)
            if fast is None:
                docs = list(self.nlp.get_pipe(name).pipe(docs, batch_size=batch_size))
            else:
                docs = [doc for start in range(0, len(docs), batch_size) for doc in fast(docs[start:start + batch_size])]
        return docs

    def _read_back(self, texts: list[str]) -> dict[str, Any]:
        assert self.kept is not None
        keys = {text_key(text): text for text in texts}
        found: dict[str, Any] = {}
        for model_key in [self.model_key] + ([self.fuller.model_key] if self.fuller is not None else []):
            wanted = [key for key in keys if keys[key] not in found]
            for key, payload in self.kept.load_parses(model_key, wanted).items() if wanted else ():
                doc = decode_parse(self.nlp.vocab, payload)
                if doc is not None and doc.text == keys[key]:  # a damaged row or a hash collision reads as a miss
                    found[keys[key]] = doc
        self.read_back_count += len(found)
        return found


def _fast_runs(nlp: Any) -> dict[str, Callable[[list[Any]], list[Any]]]:
    """Components run by :mod:`storyline.entities.fast_components` instead of spaCy's loop, each with spaCy's result."""
    from .fast_components import CompiledAttributeRules, MemoisedLemmatizer, index_as_sets

    runs: dict[str, Callable[[list[Any]], list[Any]]] = {}
    pipes = dict(getattr(nlp, "components", ()))
    if "attribute_ruler" in pipes:
        rules = CompiledAttributeRules.compile(pipes["attribute_ruler"])
        if rules is not None:
            runs["attribute_ruler"] = rules
    if "lemmatizer" in pipes:
        index_as_sets(pipes["lemmatizer"])
        lemmatizer = MemoisedLemmatizer.wrap(pipes["lemmatizer"])
        if lemmatizer is not None:
            runs["lemmatizer"] = lemmatizer
    return runs


# What a kept parse holds per token: all the stages read (tags, parts of speech, morphology, the
# dependency tree, lemmas, entities, sentence starts). Strings are kept once per piece and the
# columns as small indices into them, which compress (spaCy's own bytes hold 64-bit hashes: 4 KB
# for a line of news, against some hundreds of bytes here).
_STRING_COLUMNS = ("TAG", "MORPH", "DEP", "LEMMA", "ENT_TYPE")
_INT_COLUMNS = ("POS", "HEAD", "ENT_IOB", "SENT_START")
_COLUMNS = _STRING_COLUMNS + _INT_COLUMNS


def encode_parse(doc: Any) -> bytes:
    """``doc``'s words and annotations as compact bytes; :func:`decode_parse` gives the same Doc back."""
    strings: dict[int, int] = {0: 0}  # hash -> index; 0 (no value) stays 0
    table = [""]
    hashed = doc.to_array(list(_COLUMNS))
    array = np.zeros(hashed.shape, dtype=np.int64)
    for column in range(len(_STRING_COLUMNS)):
        for row, value in enumerate(hashed[:, column].tolist()):
            index = strings.get(value)
            if index is None:
                index = strings[value] = len(table)
                table.append(doc.vocab.strings[value])
            array[row, column] = index
    # HEAD is a signed offset that the uint64 array wrapped round; the other numbers are small.
    array[:, len(_STRING_COLUMNS):] = hashed[:, len(_STRING_COLUMNS):].view(np.int64)
    payload = {"w": [t.text for t in doc], "s": "".join("1" if t.whitespace_ else "0" for t in doc),
               "x": table, "a": array.ravel().tolist()}
    return zlib.compress(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)


def decode_parse(vocab: Any, payload: bytes) -> Optional[Any]:
    """The Doc :func:`encode_parse` wrote, or None if ``payload`` is not one."""
    from spacy.tokens import Doc

    try:
        data = json.loads(zlib.decompress(payload).decode("utf-8"))
        words, spaces, table = data["w"], [flag == "1" for flag in data["s"]], data["x"]
        values = np.asarray(data["a"], dtype=np.int64).reshape(len(words), len(_COLUMNS))
        hashes = np.asarray([vocab.strings.add(text) if text else 0 for text in table], dtype=np.uint64)
        array: Any = values.astype(np.uint64)  # spaCy types it as its own Ints2d
        for column in range(len(_STRING_COLUMNS)):
            array[:, column] = hashes[values[:, column]]
        doc = Doc(vocab, words=words, spaces=spaces)
        return doc.from_array(list(_COLUMNS), array) if len(words) else doc
    except (ValueError, KeyError, IndexError, TypeError, zlib.error):
        return None


def tagged(nlp: Any, text: str) -> Any:
    """``text`` through the token-to-vector layer and the tagger only: the fine tags a full run gives.

    The tagger reads nothing but the shared token-to-vector layer, so its tags do not
    depend on the components after it (NER, parser), which need not run.
    """
    doc = nlp.make_doc(text)
    for name in ("tok2vec", "tagger"):
        if name in nlp.pipe_names:
            doc = nlp.get_pipe(name)(doc)
    return doc
