"""Two of spaCy's English components made faster, with the same result.

The attribute ruler, its patterns matched over a whole batch (:class:`CompiledAttributeRules`),
and the lemmatizer, whose known-word look-ups become set look-ups (:func:`index_as_sets`) and
which is asked once per distinct word, tag and morphology (:class:`MemoisedLemmatizer`).

The English pipeline's attribute ruler maps the tagger's fine tags to parts of speech and
morphology, and fixes some lemmas ("gonna", "ain't"): 179 patterns of one or two tokens.
spaCy's matcher tries every pattern at every token, one Doc at a time, and that took as
long as the parser (3.9 CPU s on the 4,088 distinct lines of 300 labelled articles). Here
each pattern is tested over the batch's tokens in a few array comparisons; the ruler's own
attributes are then set on the tokens it would set, in its order (a later rule wins), with
spaCy's own setter. ``tests/test_throughput_models.py`` checks the Docs equal the ruler's.

A ruler with a pattern of any other form (operators, other attributes or predicates) is
not compiled (:meth:`CompiledAttributeRules.compile` gives None) and runs as spaCy's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

# The token attributes the compiled patterns may test, in the columns of the batch's array.
_COLUMNS = ("TAG", "LOWER", "DEP", "IS_SPACE")
_STRING_VALUED = frozenset({"TAG", "LOWER", "DEP"})

# A test of one column: given the column's values (hashes, or 0/1 for IS_SPACE) for the tokens
# at one position of the pattern, which pass.
Test = Callable[[np.ndarray], np.ndarray]


@dataclass
class _Regex:
    """A REGEX test (spaCy's matcher searches the token's string) and the string hashes it was run on."""

    compiled: re.Pattern[str]
    passing: set[int] = field(default_factory=set)
    checked: set[int] = field(default_factory=set)  # bounded by the vocabulary met


def _equal_to(wanted: int) -> Test:
    return lambda column: column == wanted


def _member_of(members: np.ndarray) -> Test:
    return lambda column: np.isin(column, members)


def _not_member_of(members: np.ndarray) -> Test:
    return lambda column: ~np.isin(column, members)


def _searched_by(regex: "_Regex") -> Test:
    return lambda column: np.isin(column, np.fromiter(regex.passing, np.uint64, len(regex.passing)))


@dataclass(frozen=True)
class _Pattern:
    group: int  # the ruler's rule: its attributes and the index of the token they go to
    tests: tuple[tuple[tuple[int, Test], ...], ...]  # per token of the pattern: (column, test) pairs
    target: int  # the token of a match that gets the attributes (0 ≤ target < length)


class CompiledAttributeRules:
    """The rules of one ``AttributeRuler``, applied to Docs in batches with the same result."""

    def __init__(self, ruler: Any, patterns: list[_Pattern], regexes: list[_Regex]) -> None:
        self.ruler = ruler
        self.patterns = patterns
        self._regexes = regexes

    @classmethod
    def compile(cls, ruler: Any) -> Optional["CompiledAttributeRules"]:
        """``ruler``'s patterns as array tests, or None if one of them is of a form not compiled here."""
        from spacy.strings import get_string_id

        patterns: list[_Pattern] = []
        regexes: list[_Regex] = []

        def value_id(attr: str, value: Any) -> Optional[int]:
            if attr in _STRING_VALUED and isinstance(value, str):
                return int(get_string_id(value))
            if attr == "IS_SPACE" and isinstance(value, bool):
                return int(value)
            return None

        def test_of(attr: str, value: Any) -> Optional[Test]:
            single = value_id(attr, value)
            if single is not None:
                return _equal_to(single)
            if not isinstance(value, dict) or len(value) != 1:
                return None
            (predicate, argument), = value.items()
            if predicate in ("IN", "NOT_IN") and isinstance(argument, list):
                ids = [value_id(attr, item) for item in argument]
                if any(i is None for i in ids):
                    return None
                members = np.asarray(ids, dtype=np.uint64)
                return _member_of(members) if predicate == "IN" else _not_member_of(members)
            if predicate == "REGEX" and attr in _STRING_VALUED and isinstance(argument, str):
                regex = _Regex(re.compile(argument))
                regexes.append(regex)
                return _searched_by(regex)
            return None

        try:
            groups = [ruler.matcher.get(str(group))[1] for group in range(len(ruler.attrs))]
        except (KeyError, AttributeError, TypeError):
            return None
        for group, alternatives in enumerate(groups):
            for tokens in alternatives:
                index = ruler.indices[group]
                if not tokens or not -len(tokens) <= index < len(tokens):
                    return None  # spaCy's ruler raises on such a rule: let it
                compiled_tokens = []
                for spec in tokens:
                    tests = []
                    for attr, value in spec.items():
                        test = test_of(attr, value) if attr in _COLUMNS else None
                        if test is None:
                            return None
                        tests.append((_COLUMNS.index(attr), test))
                    compiled_tokens.append(tuple(tests))
                patterns.append(_Pattern(group, tuple(compiled_tokens), index % len(tokens)))
        return cls(ruler, patterns, regexes)

    def __call__(self, docs: Sequence[Any]) -> list[Any]:
        """``docs`` with the ruler's attributes set, as ``ruler.pipe(docs)`` sets them."""
        from spacy.tokens._retokenize import set_token_attrs

        docs = list(docs)
        lengths = [len(doc) for doc in docs]
        total = sum(lengths)
        if not total:
            return docs
        table = np.concatenate([doc.to_array(list(_COLUMNS)).reshape(len(doc), len(_COLUMNS))
                                for doc in docs if len(doc)]).astype(np.uint64)
        self._learn_regexes(docs[0].vocab, table)
        doc_of = np.repeat(np.arange(len(docs)), lengths)
        first_token = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        targets: dict[int, list[np.ndarray]] = {}
        for pattern in self.patterns:
            width = len(pattern.tests)
            if width > total:
                continue
            starts = total - width + 1
            passing = doc_of[:starts] == doc_of[width - 1:]  # a match never crosses from one Doc to the next
            for offset, tests in enumerate(pattern.tests):
                for column, test in tests:
                    passing &= test(table[offset:offset + starts, column])
            found = np.flatnonzero(passing)
            if len(found):
                targets.setdefault(pattern.group, []).append(found + pattern.target)
        # The ruler applies its rules in their order, so a later one's attributes win.
        for group in sorted(targets):
            attrs = self.ruler.attrs[group]
            for token in np.unique(np.concatenate(targets[group])).tolist():
                doc = docs[doc_of[token]]
                set_token_attrs(doc[token - first_token[doc_of[token]]], attrs)
        return docs

    def _learn_regexes(self, vocab: Any, table: np.ndarray) -> None:
        """Test each REGEX pattern on the batch's strings not met before (few: words recur)."""
        if not self._regexes:
            return
        values = np.unique(table[:, [_COLUMNS.index(a) for a in sorted(_STRING_VALUED)]]).tolist()
        for regex in self._regexes:
            for value in values:
                if value not in regex.checked:
                    regex.checked.add(value)
                    if regex.compiled.search(vocab.strings[value] if value else ""):
                        regex.passing.add(value)



class _IndexList(list[Any]):
    """A lemmatizer's list of known words that answers ``in`` as a set does (its only use)."""

    def __init__(self, words: Any) -> None:
        super().__init__(words)
        self._members = frozenset(self)

    def __contains__(self, word: object) -> bool:
        return word in self._members


def index_as_sets(lemmatizer: Any) -> None:
    """Make ``lemmatizer``'s look-ups of known words (its ``lemma_index``) set look-ups, in place.

    spaCy's rule lemmatizer asks whether each form a suffix rule makes is a known word
    of the part of speech, and the English tables hold those words as lists (57,528
    nouns): each new (word, tag) pair scanned them, 0.4 ms each, most of the
    lemmatizer's 2.8 CPU s on 300 labelled articles' lines. The lists keep their order
    and contents, so every lemma is the one the lists gave.
    """
    lookups = getattr(lemmatizer, "lookups", None)
    if lookups is None or "lemma_index" not in getattr(lookups, "tables", ()):
        return
    table = lookups.get_table("lemma_index")
    for key in list(table.keys()):
        if type(table[key]) is list:
            table[key] = _IndexList(table[key])


class MemoisedLemmatizer:
    """spaCy's rule or lookup lemmatizer, asked once per distinct (word, part of speech, morphology).

    Its lemma is a function of those three (its own cache's key), but spaCy asks it token by
    token and caches no base form (three tokens in four in news), so each one's morphology is
    read again. Here the tokens that need a lemma are read as arrays, each distinct key is
    lemmatised once by the component itself, and the lemmas are written back as an array.
    """

    def __init__(self, lemmatizer: Any, capacity: int = 500_000) -> None:
        self.lemmatizer = lemmatizer
        self.capacity = capacity
        self._lemma_of: dict[tuple[int, int, int], int] = {}

    @classmethod
    def wrap(cls, lemmatizer: Any) -> Optional["MemoisedLemmatizer"]:
        """``lemmatizer`` memoised, or None if it is not spaCy's own rule or lookup lemmatizer."""
        from spacy.pipeline import Lemmatizer

        if not isinstance(lemmatizer, Lemmatizer) or getattr(lemmatizer, "mode", None) not in ("rule", "lookup"):
            return None
        return cls(lemmatizer)

    def __call__(self, docs: Sequence[Any]) -> list[Any]:
        """``docs`` with lemmas set as ``lemmatizer.pipe(docs)`` sets them."""
        docs = list(docs)
        if not self.lemmatizer._validated:
            self.lemmatizer._validate_tables()
        for doc in docs:
            if not len(doc):
                continue
            table = doc.to_array(["ORTH", "POS", "MORPH", "LEMMA"]).reshape(len(doc), 4)
            lemmas = table[:, 3].copy()
            needed = range(len(doc)) if self.lemmatizer.overwrite else np.flatnonzero(lemmas == 0).tolist()
            rows = table[:, :3].tolist()
            for position in needed:
                key = tuple(rows[position])
                lemma = self._lemma_of.get(key)
                if lemma is None:
                    if len(self._lemma_of) >= self.capacity:
                        self._lemma_of.clear()
                    lemma = self._lemma_of[key] = doc.vocab.strings.add(
                        self.lemmatizer.lemmatize(doc[position])[0])
                lemmas[position] = lemma
            doc.from_array(["LEMMA"], lemmas.reshape(-1, 1))
        return docs
