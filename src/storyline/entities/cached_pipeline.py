"""A spaCy pipeline that parses each distinct piece of text once: copies and reprints share its parse.

NER and the claims parser read articles line by line (``mentions.parse_in_pieces``), and
in news many lines recur: wire copies under other outlets' headers, an outlet's
boilerplate, a paragraph quoted by a follow-up. The wrapper keeps the parses of the
pieces it met most recently and hands them back instead of running the model again.
A piece is parsed alone whether or not it was cached, so a cached parse is the one a
fresh parse gives (tests/test_throughput.py compares both).

Memory stays bounded: at most ``capacity`` pieces are kept, without their token
vectors (``Doc.tensor``, which no stage reads and which took most of a parse's memory).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator

import numpy as np

# Lines kept. A news line parses into a Doc of a few kilobytes once its tensor is dropped; this
# many hold a day of wire copies' paragraphs in some tens of megabytes.
DEFAULT_CAPACITY = 20_000


class CachedPipeline:
    """``nlp`` whose ``pipe`` parses each distinct text once; everything else is ``nlp``'s own."""

    def __init__(self, nlp: Any, capacity: int = DEFAULT_CAPACITY) -> None:
        self.nlp = nlp
        self.capacity = capacity
        self._parsed: OrderedDict[str, Any] = OrderedDict()
        self.parsed_count = 0  # pieces the model actually read, for tests and benchmarks

    def __getattr__(self, name: str) -> Any:
        # Only called for what the wrapper lacks: vocab, Defaults, max_length, pipe_names ...
        if name == "nlp":  # not set yet (a copy being built): no recursion
            raise AttributeError(name)
        return getattr(self.nlp, name)

    def __call__(self, text: str) -> Any:
        return self.nlp(text)

    def pipe(self, texts: Iterable[str], batch_size: int = 32, **options: Any) -> Iterator[Any]:
        """One Doc per text, in order; the model reads only the texts not met before (each once)."""
        texts = list(texts)
        missing = [text for text in dict.fromkeys(texts) if text not in self._parsed]
        fresh: dict[str, Any] = {}
        for text, doc in zip(missing, self.nlp.pipe(missing, batch_size=batch_size, **options)):
            doc.tensor = np.zeros((len(doc), 0), dtype=np.float32)
            fresh[text] = doc
        self.parsed_count += len(missing)
        docs = [fresh[text] if text in fresh else self._parsed[text] for text in texts]
        for text in texts:
            if text not in fresh:
                self._parsed.move_to_end(text)
        self._parsed.update(fresh)
        while len(self._parsed) > self.capacity:
            self._parsed.popitem(last=False)
        yield from docs
