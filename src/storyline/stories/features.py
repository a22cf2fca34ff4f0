"""What an article says that tells one story from a look-alike: specific terms (names, numbers, years),
content words weighted by rarity, and the corpus statistics both need (with the lines a site repeats on
every page, which count for neither)."""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Optional, Sequence

import numpy as np

from ..boilerplate import BOILERPLATE_PAGES, headline_without_boilerplate, page_line_keys, site_line_key, site_of
from ..model import Prepared
from .settings import StorySettings


def article_order_key(doc: Prepared) -> tuple[bool, str, int, str]:
    # Dated articles first, in publication order: a stream meets them as they
    # were published, and undated ones then meet fully formed stories. Articles of
    # one day (or all undated ones) go by content, not by id: ids derive from file
    # paths, and renaming a file must not change a story. The id only orders equal texts.
    published = doc.article.published
    return (published is None, published or "", content_key(doc), doc.id)


def content_key(doc: Prepared) -> int:
    """A stable 63-bit hash of the article's headline and text: its place among articles of the same day."""
    content = f"{doc.article.title or ''}\n{doc.article.text}".encode("utf-8", errors="replace")
    return int.from_bytes(hashlib.blake2b(content, digest_size=8).digest(), "little") >> 1


def day_ordinal(published: Optional[str]) -> Optional[int]:
    """Day ordinal of an ISO date; None unless the day is known (a month is too coarse for a window)."""
    if not published or len(published) < 10:
        return None
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


_TOKEN = re.compile(r"[^\W\d_][\w'’.&-]*[^\W_]|[^\W\d_]|\$?\d+(?:[.,:]\d+)*%?", re.UNICODE)


_POSSESSIVE = re.compile(r"['’]s$")


def _lines_of(doc: Prepared, statistics: "TermStatistics | None" = None) -> list[tuple[str, bool]]:
    """(text, is_heading) for the headline and each sentence; in a heading every word may be capitalised.
    With ``statistics``, the headline without its site's repeated parts (see :meth:`TermStatistics.headline`)."""
    headline = statistics.headline(doc) if statistics is not None else doc.article.title
    lines = [(headline or "", True)] if doc.article.title else []
    for sentence in doc.sentences:
        lines.append((sentence.text, _is_title_case(sentence.text)))
    return lines


def _is_title_case(text: str) -> bool:
    initials = [w[0] for w in text.split() if w[0].isalpha()]  # split() gives no empty word
    if len(initials) < 3:
        return True  # short lines (bylines, captions) carry no sentence-case evidence
    return sum(map(str.isupper, initials)) / len(initials) > 0.6


@dataclass
class TermStatistics:
    """Corpus counts the specific terms need: how each word is cased, and in how many documents each term occurs.

    Counted per partition and added up with :meth:`merged` (the Spark engine does
    this), so every partition weighs terms by the same corpus-wide figures.
    """

    capitalised: Counter[str] = field(default_factory=Counter)
    lower: Counter[str] = field(default_factory=Counter)
    document_frequency: Counter[str] = field(default_factory=Counter)
    documents: int = 0
    # On how many pages of one site each line occurs (see :mod:`storyline.boilerplate`): navigation,
    # "Subscribe", share buttons and credits repeat across a site's pages and say nothing of the story.
    site_lines: Counter[int] = field(default_factory=Counter)

    def merged(self, other: "TermStatistics") -> "TermStatistics":
        return TermStatistics(self.capitalised + other.capitalised, self.lower + other.lower,
                              self.document_frequency + other.document_frequency, self.documents + other.documents,
                              self.site_lines + other.site_lines)

    def name_forms(self) -> frozenset[str]:
        """Lower-cased words written capitalised mid-sentence at least as often as in lower case."""
        return frozenset(word for word, count in self.capitalised.items() if count >= self.lower[word])

    def idf(self, term: str) -> float:
        return math.log((1 + self.documents) / (1 + self.document_frequency[term])) + 1.0

    def content_idf(self, term: str) -> float:
        """Unsmoothed at the top: a word in (nearly) every article weighs nothing, so no stop-word list is needed."""
        return max(0.0, math.log((1 + self.documents) / (1 + self.document_frequency[term])))

    def headline(self, doc: Prepared) -> str:
        """The headline without the parts its site repeats on its pages' headlines (its name, its tagline)."""
        return headline_without_boilerplate(doc.article, self.site_lines)

    def is_boilerplate(self, doc: Prepared, line: str) -> bool:
        """Whether the line is one the page's site repeats on its pages (see :mod:`storyline.boilerplate`)."""
        site = site_of(doc.article)
        return bool(site) and self.site_lines[site_line_key(site, line)] >= BOILERPLATE_PAGES


def term_statistics(docs: Sequence[Prepared], settings: StorySettings | None = None) -> TermStatistics:
    """The corpus counts; content words are counted only when the settings score them (a corpus' whole
    vocabulary is large, and the Spark engine ships these counts to every worker)."""
    settings = settings or StorySettings()
    with_content = settings.content_share > 0 or settings.content_merge > 0
    statistics = TermStatistics(documents=len(docs))
    everything_a_name = _AnyName()
    # Tokens as written are counted first (in C), and each distinct token is normalised once at the end:
    # a corpus repeats its words, and normalising each occurrence was most of the stage's counting.
    written: Counter[str] = Counter()  # every token (lower-case ones count wherever they stand)
    mid_sentence: Counter[str] = Counter()  # tokens after a sentence's first, outside headings
    term_of: dict[str, Optional[str]] = {}
    for doc in docs:
        tokens: set[str] = set()
        for text, heading in _lines_of(doc):
            found = _TOKEN.findall(text)
            written.update(found)
            if not heading:
                mid_sentence.update(found[1:])
            tokens.update(found)
        candidates: set[str] = set()
        for token in tokens:
            if token in term_of:
                term = term_of[token]
            else:
                term = term_of[token] = _term(token, everything_a_name)
            if term:
                candidates.add(term)
        if with_content:
            candidates.update(_content_terms(doc))
        statistics.document_frequency.update(candidates)
        statistics.site_lines.update(page_line_keys(doc))
    for token, count in written.items():
        if token[0].islower():
            statistics.lower[_normal(token).lower()] += count
    for token, count in mid_sentence.items():
        if token[0].isupper():
            statistics.capitalised[_normal(token).lower()] += count
    return statistics


class _AnyName(frozenset):
    """Takes every capitalised word for a name: document frequencies are counted before names are known."""

    def __contains__(self, item: object) -> bool:
        return True


def _name_forms(docs: Sequence[Prepared]) -> frozenset[str]:
    return term_statistics(docs).name_forms()


def _normal(token: str) -> str:
    return _POSSESSIVE.sub("", token).rstrip(".").replace("’", "'")


def _term(token: str, names: frozenset[str]) -> Optional[str]:
    if token[0].isdigit() or token[0] == "$":
        number = token.strip("$%").replace(",", "")
        # Single digits are everywhere (clock times, counts): not specific.
        return number if len(number) > 1 else None
    word = _normal(token)
    if len(word) >= 2 and word.isupper():
        return word  # acronyms keep their case: "US" is not "us"
    if word[:1].isupper() and word.lower() in names:
        return word.lower()
    return None


def _specific_terms(doc: Prepared, names: frozenset[str], sentence_limit: Optional[int] = None,
                    statistics: "TermStatistics | None" = None) -> Counter[str]:
    lines = _lines_of(doc, statistics)
    if sentence_limit is not None:
        lines = lines[:sentence_limit]
    # Each distinct token read once, with its count (an article repeats its words): the terms come out
    # with the same counts in the same order, each first met at its first token in the text.
    tokens: Counter[str] = Counter()
    for text, _ in lines:
        if statistics is None or not statistics.is_boilerplate(doc, text):
            tokens.update(_TOKEN.findall(text))
    terms: Counter[str] = Counter()
    for token, count in tokens.items():
        term = _term(token, names)
        if term:
            terms[term] += count
    return terms


_CONTENT_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def _content_terms(doc: Prepared, statistics: "TermStatistics | None" = None) -> Counter[str]:
    """Every word of three letters or more, lower-cased (prefixed so as never to meet a specific term)."""
    terms: Counter[str] = Counter()
    for text, _ in _lines_of(doc, statistics):
        if statistics is not None and statistics.is_boilerplate(doc, text):
            continue
        terms.update(map("w:".__add__, map(str.lower, _CONTENT_WORD.findall(text))))
    return terms


def _content_weights(counts: Counter[str], statistics: TermStatistics, limit: int) -> dict[str, float]:
    """Unit-length TF-IDF of the ``limit`` heaviest content words: a bounded number of postings per article."""
    weights = {term: (1.0 + math.log(count)) * statistics.content_idf(term) for term, count in counts.items()}
    heaviest = sorted((w, t) for t, w in weights.items() if w > 0)[::-1][:limit]
    return _normalised({term: weight for weight, term in heaviest})


def _weights(counts: Counter[str], statistics: TermStatistics) -> dict[str, float]:
    """Unit-length TF-IDF: sublinear tf times smoothed idf."""
    return _normalised({term: (1.0 + math.log(count)) * statistics.idf(term) for term, count in counts.items()})


def _tfidf(term_counts: Sequence[Counter[str]]) -> list[dict[str, float]]:
    """TF-IDF with document frequencies counted over the given term counts."""
    statistics = TermStatistics(documents=len(term_counts))
    for counts in term_counts:
        statistics.document_frequency.update(counts.keys())
    return [_weights(counts, statistics) for counts in term_counts]


def _normalised(weights: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {term: w / norm for term, w in weights.items()} if norm else {}


def term_key(term: str) -> int:
    """A stable 63-bit key for a term: the same in every process and partition (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little") >> 1


# Keys of the terms that read as years (numbers are specific terms, kept as written): an immutable table.
_YEARS_BY_KEY = sorted((term_key(str(year)), year) for year in range(1900, 2100))
_YEAR_KEYS: np.ndarray = np.array([key for key, _ in _YEARS_BY_KEY], dtype=np.int64)
# The year each of ``_YEAR_KEYS`` reads as, in the same order.
_YEAR_OF_KEY: np.ndarray = np.array([year for _, year in _YEARS_BY_KEY], dtype=np.int64)
FIRST_YEAR, YEARS = 1900, 200
# Keys of the markers of the years that date a text (named in its headline or first sentences, see
# :func:`dating_years`): rows carry them at weight 0, so only the year rule reads them.
_DATING_BY_KEY = sorted((term_key(f"dating-year:{year}"), year) for year in range(FIRST_YEAR, FIRST_YEAR + YEARS))
_DATING_KEYS: np.ndarray = np.array([key for key, _ in _DATING_BY_KEY], dtype=np.int64)
_DATING_YEAR_OF_KEY: np.ndarray = np.array([year for _, year in _DATING_BY_KEY], dtype=np.int64)


def keyed_years(terms: np.ndarray, keys: np.ndarray, year_of_key: np.ndarray) -> np.ndarray:
    """Per term key of ``terms``, the year that the sorted table ``keys`` / ``year_of_key`` gives it, less
    ``FIRST_YEAR``; -1 where the table has no such key."""
    position = np.minimum(np.searchsorted(keys, terms), len(keys) - 1)
    return np.where(keys[position] == terms, year_of_key[position] - FIRST_YEAR, -1).astype(np.int64)


def dating_years(doc: Prepared, sentences: int, statistics: "TermStatistics | None" = None) -> set[int]:
    """The years named in the headline and the first ``sentences`` sentences (a site's boilerplate lines
    skipped): the years that date the text's own event. Years named only further down are mostly background
    ("the first strike since 2016", "a rumour that began in 2009"), which a look-alike also recalls."""
    years: set[int] = set()
    # Lazily: only the opening lines are read, not every sentence of a long article.
    title = [doc.article.title if statistics is None else statistics.headline(doc)] if doc.article.title else []
    lines = itertools.chain(title, (sentence.text for sentence in doc.sentences))
    kept = (text for text in lines if statistics is None or not statistics.is_boilerplate(doc, text))
    for text in itertools.islice(kept, sentences + len(title)):
        for token in _TOKEN.findall(text):
            if len(token) == 4 and token.isdigit() and FIRST_YEAR <= int(token) < FIRST_YEAR + YEARS:
                years.add(int(token))
    return years


def _content_sentence_indices(doc: Prepared) -> list[int]:
    """Sentences of running text: not headings, bylines, datelines, captions or links."""
    return [i for i, sentence in enumerate(doc.sentences) if _is_content(sentence.text)]


def _is_content(text: str) -> bool:
    words = text.split()
    if len(words) < 8 or "http" in text:
        return False
    return not _is_title_case(text)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm else vector.astype(np.float32)
