"""Stage: stories, and the events (developments) inside each story.

:func:`cluster_stories` is the stage's pure core. It works in four steps:

1. Signals (:func:`story_signals`). Per article: its embedding (from prepare),
   a TF-IDF vector of its *specific* terms (names and numbers, found by
   truecasing over the corpus: a word is a name when the corpus writes it
   capitalised mid-sentence at least as often as in lower case) and its
   publication day. Articles joined by any relation but ``related`` are one
   unit from the start, so they always end in the same story.
2. Time windows (:func:`window_of`). Units fall into calendar blocks of
   ``partition_days`` days; undated units form one last block of their own.
3. Streaming assignment per block (:func:`cluster_window`). Units are taken in
   publication order (then id) and each joins the best-scoring story or founds
   a new one. Candidates come from an inverted index over specific terms whose
   postings older than ``window_days`` are never read, so the cost per unit is
   bounded by the scan limits, not by the number of stories. The score mixes
   the average embedding cosine with the average specific-term cosine between
   the unit and the story's articles (average link), so two earthquakes or two rehab stays (same topic, embedding
   cosine 0.6-0.8) stay apart unless they share their names and numbers. A
   merge pass then streams the block's stories themselves through the same
   index, joining stories that arrival order split. A split test
   (:func:`split_lookalikes`) then cuts a large story in two (normalised cut) when
   its halves link far less to each other than within themselves (and their
   years disagree): two look-alikes glued by a shared setting (team, city,
   product) but with different actors. A rejoin pass (:func:`rejoin_parts`)
   then joins two stories that link at the join threshold when the split test
   would keep them together: parts the stream's order kept apart. Last, a fragment pass
   (:func:`attach_fragments`) lets stories of one to a few articles join the
   larger story they link to best on a lower bar, through the same index.
4. Borders (:func:`merge_across_border`). Blocks are folded left in time
   order; at each border the stories active within ``window_days`` of it are
   streamed together once more, and the undated block last meets every story.

The Spark engine runs step 3 on partitions (one block each) and step 4 at the
driver: since the local path is the same fold, both give the same stories.

Events: inside each story, average-link clustering on lead-level signals (the
embedding of the first sentences, the specific terms of the headline and lead,
the publication day) splits the story into its developments; an article joins
the one development it is most similar to.

Titles are always taken from the articles (a headline, else a lead sentence);
ids derive from the founding article, so the same input gives the same ids.
The defaults live in ``defaults/stories.json``, learnt on the ECB+ training
split by ``benchmarks/bench_stories_ecbplus.py --tune``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Optional, Sequence

import numba
import numpy as np

from .graph import DisjointSets, count_independent, independent_groups
from .model import Event, Prepared, Relation, Story, stable_id

DEFAULTS_PATH = Path(__file__).resolve().parent / "defaults" / "stories.json"
# Read once: an immutable view of the shipped file, not a cache that changes.
_SHIPPED: Mapping[str, Any] = MappingProxyType(json.loads(DEFAULTS_PATH.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class StorySettings:
    """The stage's knobs. Their defaults come from ``defaults/stories.json`` (learnt on training data):
    users do not tune them per corpus; override only what you must."""

    # Time: a dated unit only meets stories active within this many days of it.
    window_days: int = _SHIPPED["window_days"]
    # Calendar blocks the work is organised in (and the Spark engine's partitions); >= window_days.
    partition_days: int = _SHIPPED["partition_days"]
    # Unit-to-story score = text_weight * embedding cosine + keyword_weight * specific-term cosine.
    text_weight: float = _SHIPPED["text_weight"]
    keyword_weight: float = _SHIPPED["keyword_weight"]
    join_threshold: float = _SHIPPED["join_threshold"]
    # Below this embedding cosine shared names alone never join (same actors, other story).
    text_floor: float = _SHIPPED["text_floor"]
    # At or above this cosine the texts are near-copies or translations: join on text alone.
    near_copy: float = _SHIPPED["near_copy"]
    # Only this many stories (those sharing the most specific-term weight) are scored in full.
    candidate_stories: int = _SHIPPED["candidate_stories"]
    # At most this many postings are read per term: bounds the cost of very common terms.
    posting_scan: int = _SHIPPED["posting_scan"]
    # Events: how many content sentences make an article's lead.
    lead_sentences: int = _SHIPPED["lead_sentences"]
    event_text_weight: float = _SHIPPED["event_text_weight"]
    event_keyword_weight: float = _SHIPPED["event_keyword_weight"]
    event_date_weight: float = _SHIPPED["event_date_weight"]
    event_date_scale_days: float = _SHIPPED["event_date_scale_days"]
    # Average-link similarity at or above ``event_same`` is one development, below
    # ``event_different`` two; in between the cut is the story's own mean similarity.
    event_same: float = _SHIPPED["event_same"]
    event_different: float = _SHIPPED["event_different"]
    # Split test: a story of at least ``split_min_size`` rows is cut in two (normalised cut) and kept
    # apart when the link across the halves is below ``split_ratio`` times the weaker half's own link:
    # two look-alike stories that share their setting but not their actors. Only the first
    # ``split_sample`` rows are clustered; later rows go to the half they link to best.
    split_min_size: int = _SHIPPED["split_min_size"]
    split_ratio: float = _SHIPPED["split_ratio"]
    split_sample: int = _SHIPPED["split_sample"]
    # In the split test, two articles that both name years but not the same ones lose this much
    # similarity (times how little their years overlap): look-alikes are often years apart.
    split_year_penalty: float = _SHIPPED["split_year_penalty"]
    # Fragment pass: stories of at most ``fragment_size`` articles (0 = off) join the larger story they
    # link to best at ``fragment_threshold``, below ``join_threshold``: a stray article told in other words.
    fragment_size: int = _SHIPPED["fragment_size"]
    fragment_threshold: float = _SHIPPED["fragment_threshold"]
    # ... and only when that link beats the runner-up story's by this much (a stray that links
    # about as well to several look-alike stories belongs to none of them).
    fragment_margin: float = _SHIPPED["fragment_margin"]

    def __post_init__(self) -> None:
        if self.window_days < 0:
            raise ValueError(f"window_days must be >= 0, got {self.window_days}")
        if self.partition_days < max(1, self.window_days):
            raise ValueError(f"partition_days ({self.partition_days}) must be >= window_days ({self.window_days}) "
                             "and >= 1, or a story could not reach across one border")
        if not 0.0 <= self.event_different <= self.event_same <= 1.0:
            raise ValueError("need 0 <= event_different <= event_same <= 1")
        if min(self.lead_sentences, self.candidate_stories, self.posting_scan) < 1:
            raise ValueError("lead_sentences, candidate_stories and posting_scan must be >= 1")
        if self.split_min_size < 4 or self.split_sample < self.split_min_size:
            raise ValueError("need 4 <= split_min_size <= split_sample (each half needs two rows)")
        if not 0.0 <= self.split_ratio <= 1.0:
            raise ValueError(f"split_ratio must be in [0, 1], got {self.split_ratio}")

    @classmethod
    def defaults(cls) -> "StorySettings":
        """The shipped defaults (the same as ``StorySettings()``)."""
        return cls()


# --- the stage ---------------------------------------------------------------------


def cluster_stories(
    docs: Sequence[Prepared],
    relations: Sequence[Relation] = (),
    *,
    settings: StorySettings | None = None,
    statistics: "TermStatistics | None" = None,
) -> list[Story]:
    """Group prepared articles into stories, each with its events.

    The result does not depend on the order of ``docs``: they are processed by
    publication date (undated last), then id. Stories come out in the order of
    their founding articles; each story's articles in publication order.
    ``statistics`` are the corpus' term statistics (names, document
    frequencies); by default they are counted over ``docs``.
    """
    settings = settings or StorySettings()
    if not docs:
        return []
    by_id = {doc.id: doc for doc in sorted(docs, key=lambda d: d.id)}
    ordered = sorted(by_id.values(), key=_article_key)
    statistics = statistics or term_statistics(ordered)

    # 1. Signals, one row per unit (articles a derivation relation joins).
    signals, unit_members = story_signals(ordered, relations, statistics)
    # 2-4. Blocks clustered one by one, folded left in time order.
    result = cluster_blocks(signals, settings)
    groups: dict[int, list[int]] = defaultdict(list)
    for unit, story in enumerate(result.story_of.tolist()):
        groups[story].extend(unit_members[unit])

    # Events inside each story; titles and ids from the articles.
    derived = _derived_articles(relations)
    names = statistics.name_forms()
    stories = [story_from_members([ordered[i] for i in members], relations, settings, names, derived)
               for members in groups.values()]
    stories.sort(key=lambda story: _article_key(by_id[story.articles[0]]))
    return stories


def story_from_members(member_docs: Sequence[Prepared], relations: Sequence[Relation], settings: StorySettings,
                       names: frozenset[str], derived: frozenset[str] | None = None) -> Story:
    """One story from its articles: events, title, id (from the founding article), independent sources.

    ``relations`` need hold only those among the members (derivation relations
    never leave a story); ``names`` are the corpus' name forms
    (:meth:`TermStatistics.name_forms`); ``derived`` the articles that copy,
    rewrite or translate another (by default found in ``relations``). The
    Spark engine builds each story with this, so both engines give the same.
    """
    member_docs = sorted(member_docs, key=_article_key)
    derived = _derived_articles(relations) if derived is None else derived
    return Story(
        id=stable_id("s", member_docs[0].id),
        title=_title(member_docs, derived),
        articles=[doc.id for doc in member_docs],
        events=_events(member_docs, derived, settings, names),
        independent_sources=count_independent([doc.id for doc in member_docs], relations),
    )


# --- ordering and dates --------------------------------------------------------


def _article_key(doc: Prepared) -> tuple[bool, str, str]:
    # Dated articles first, in publication order: a stream meets them as they
    # were published, and undated ones then meet fully formed stories.
    published = doc.article.published
    return (published is None, published or "", doc.id)


def day_ordinal(published: Optional[str]) -> Optional[int]:
    """Day ordinal of an ISO date; None unless the day is known (a month is too coarse for a window)."""
    if not published or len(published) < 10:
        return None
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


# --- specific terms (names and numbers) -------------------------------------------

_TOKEN = re.compile(r"[^\W\d_][\w'’.&-]*[^\W_]|[^\W\d_]|\$?\d+(?:[.,:]\d+)*%?", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$")


def _lines_of(doc: Prepared) -> list[tuple[str, bool]]:
    """(text, is_heading) for the headline and each sentence; in a heading every word may be capitalised."""
    lines = [(doc.article.title, True)] if doc.article.title else []
    for sentence in doc.sentences:
        lines.append((sentence.text, _is_title_case(sentence.text)))
    return lines


def _is_title_case(text: str) -> bool:
    words = [w for w in text.split() if w[:1].isalpha()]
    if len(words) < 3:
        return True  # short lines (bylines, captions) carry no sentence-case evidence
    return sum(1 for w in words if w[0].isupper()) / len(words) > 0.6


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

    def merged(self, other: "TermStatistics") -> "TermStatistics":
        return TermStatistics(self.capitalised + other.capitalised, self.lower + other.lower,
                              self.document_frequency + other.document_frequency, self.documents + other.documents)

    def name_forms(self) -> frozenset[str]:
        """Lower-cased words written capitalised mid-sentence at least as often as in lower case."""
        return frozenset(word for word, count in self.capitalised.items() if count >= self.lower[word])

    def idf(self, term: str) -> float:
        return math.log((1 + self.documents) / (1 + self.document_frequency[term])) + 1.0


def term_statistics(docs: Sequence[Prepared]) -> TermStatistics:
    statistics = TermStatistics(documents=len(docs))
    everything_a_name = _AnyName()
    for doc in docs:
        candidates: set[str] = set()
        for text, heading in _lines_of(doc):
            for position, token in enumerate(_TOKEN.findall(text)):
                if token[0].islower():
                    statistics.lower[_normal(token).lower()] += 1
                elif token[0].isupper() and position > 0 and not heading:
                    statistics.capitalised[_normal(token).lower()] += 1
                term = _term(token, everything_a_name)
                if term:
                    candidates.add(term)
        statistics.document_frequency.update(candidates)
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


def _specific_terms(doc: Prepared, names: frozenset[str], sentence_limit: Optional[int] = None) -> Counter[str]:
    terms: Counter[str] = Counter()
    lines = _lines_of(doc)
    if sentence_limit is not None:
        lines = lines[:sentence_limit]
    for text, _ in lines:
        for token in _TOKEN.findall(text):
            term = _term(token, names)
            if term:
                terms[term] += 1
    return terms


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


def _dense(vectors: Sequence[dict[str, float]]) -> np.ndarray:
    vocabulary = {term: i for i, term in enumerate(sorted({t for v in vectors for t in v}))}
    matrix = np.zeros((len(vectors), len(vocabulary)), dtype=np.float32)
    for row, vector in enumerate(vectors):
        for term, weight in vector.items():
            matrix[row, vocabulary[term]] = weight
    return matrix


def term_key(term: str) -> int:
    """A stable 63-bit key for a term: the same in every process and partition (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little") >> 1


# Keys of the terms that read as years (numbers are specific terms, kept as written): an immutable table.
_YEAR_KEYS: np.ndarray = np.array(sorted(term_key(str(year)) for year in range(1900, 2100)), dtype=np.int64)


# --- signals: what the streaming core reads ------------------------------------------


UNDATED = -1


@dataclass
class StorySignals:
    """Rows to cluster (units of articles, or whole stories), as arrays: no text, no Python objects per row.

    ``vectors`` are sums of unit embeddings (a unit's or story's articles added
    up; ``sizes`` says how many), ``indptr``/``terms``/``weights`` a CSR matrix of specific-term
    weight sums keyed by :func:`term_key`, ``first_day``/``last_day`` day ordinals
    (``UNDATED`` = -1 when unknown), ``ids`` each row's founding article id (it
    breaks ties in processing order).
    """

    ids: np.ndarray  # str
    vectors: np.ndarray  # (n, d) float32
    indptr: np.ndarray  # (n + 1,) int64
    terms: np.ndarray  # (nnz,) int64
    weights: np.ndarray  # (nnz,) float32
    first_day: np.ndarray  # (n,) int64
    last_day: np.ndarray  # (n,) int64
    sizes: np.ndarray  # (n,) int64: how many articles each row sums

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
                            self.first_day[rows], self.last_day[rows], self.sizes[rows])

    @staticmethod
    def concatenate(parts: Sequence["StorySignals"]) -> "StorySignals":
        offsets = np.cumsum([0] + [int(p.indptr[-1]) for p in parts[:-1]])
        indptr = np.concatenate([[0]] + [p.indptr[1:] + offset for p, offset in zip(parts, offsets)]).astype(np.int64)
        return StorySignals(np.concatenate([p.ids for p in parts]), np.concatenate([p.vectors for p in parts]),
                            indptr, np.concatenate([p.terms for p in parts]),
                            np.concatenate([p.weights for p in parts]),
                            np.concatenate([p.first_day for p in parts]), np.concatenate([p.last_day for p in parts]),
                            np.concatenate([p.sizes for p in parts]))


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
                  statistics: TermStatistics) -> tuple[StorySignals, list[list[int]]]:
    """One row per unit (articles a derivation relation joins), and each unit's article indices into ``ordered``."""
    index = {doc.id: position for position, doc in enumerate(ordered)}
    unit_members = _units([doc.id for doc in ordered], relations, index)
    names = statistics.name_forms()
    dimensions = len(ordered[0].vector)
    vectors = np.zeros((len(unit_members), dimensions), dtype=np.float32)
    indptr = [0]
    terms: list[int] = []
    weights: list[float] = []
    first_day = np.full(len(unit_members), UNDATED, dtype=np.int64)
    last_day = np.full(len(unit_members), UNDATED, dtype=np.int64)
    for row, members in enumerate(unit_members):
        summed: dict[str, float] = defaultdict(float)
        for i in members:
            vectors[row] += _unit(ordered[i].vector)
            for term, weight in _weights(_specific_terms(ordered[i], names), statistics).items():
                summed[term] += weight
        for term in sorted(summed):
            terms.append(term_key(term))
            weights.append(summed[term])
        indptr.append(len(terms))
        days = [d for d in (day_ordinal(ordered[i].article.published) for i in members) if d is not None]
        if days:
            first_day[row], last_day[row] = min(days), max(days)
    ids = np.array([ordered[members[0]].id for members in unit_members])
    return StorySignals(ids, vectors, np.array(indptr, dtype=np.int64), np.array(terms, dtype=np.int64),
                        np.array(weights, dtype=np.float32), first_day, last_day,
                        np.array([len(m) for m in unit_members], dtype=np.int64)), unit_members


def _units(ids: list[str], relations: Sequence[Relation], index: dict[str, int]) -> list[list[int]]:
    """Indices grouped by derivation relations (any kind but ``related``), in processing order."""
    return sorted(sorted(index[article] for article in group) for group in independent_groups(ids, relations))


# --- time windows and the streaming core ---------------------------------------------


def window_of(first_day: np.ndarray, settings: StorySettings) -> np.ndarray:
    """The calendar block of each row: ``day // partition_days``; ``UNDATED`` rows get -1 (clustered last)."""
    first_day = np.asarray(first_day, dtype=np.int64)
    return np.where(first_day == UNDATED, -1, first_day // settings.partition_days)


def processing_order(signals: StorySignals) -> np.ndarray:
    """Rows by first day (undated last), then id: a stream meets articles as they were published."""
    undated_last = np.where(signals.first_day == UNDATED, np.iinfo(np.int64).max, signals.first_day)
    return np.lexsort((signals.ids, undated_last)).astype(np.int64)


@dataclass
class WindowStories:
    """The stories of one time window (or of several, once merged across their borders).

    ``ids[i]`` is row i's founding article id (rows = the units or stories given
    to :func:`cluster_window`), ``story_of[i]`` its story's row in ``stories``;
    ``stories`` holds each story's summed signals, so windows merge without
    going back to the articles.
    """

    ids: np.ndarray
    story_of: np.ndarray
    stories: StorySignals


def cluster_window(signals: StorySignals, settings: StorySettings | None = None, *,
                   order: np.ndarray | None = None) -> WindowStories:
    """Cluster the rows of one time window into stories: a streaming pass, then a merge pass over its stories.

    Pure: the same rows give the same stories whatever their order in ``signals``
    (rows are processed in :func:`processing_order`; pass ``order`` only to
    measure how much another order would change).
    """
    settings = settings or StorySettings()
    if len(signals) == 0:
        return WindowStories(signals.ids, np.zeros(0, dtype=np.int64), signals)
    labels = _stream(signals, processing_order(signals) if order is None else np.asarray(order, np.int64), settings)
    stories = _aggregate(signals, labels)
    # Merge pass: the window's stories streamed through the same index, as rows.
    merged = _stream(stories, processing_order(stories), settings)
    # Split test: average link lets shared setting terms glue two look-alike stories together.
    story_of = split_lookalikes(signals, merged[labels], settings)
    # Rejoin: parts the stream's order kept apart, where the split test would keep them together.
    story_of = rejoin_parts(signals, story_of, settings)
    # Fragment pass: stray articles of a larger story join it on a lower bar.
    stories = _aggregate(signals, story_of)
    if settings.fragment_size > 0:
        story_of = attach_fragments(stories, settings)[story_of]
        stories = _aggregate(signals, story_of)
    return WindowStories(signals.ids, story_of, stories)


def attach_fragments(stories: StorySignals, settings: StorySettings) -> np.ndarray:
    """Label per story row: stories of at most ``fragment_size`` articles join the larger story they link to
    best when the link reaches ``fragment_threshold``; larger stories never merge here."""
    order = processing_order(stories)
    large = stories.sizes[order] > settings.fragment_size
    order = np.concatenate([order[large], order[~large]])
    labels = _stream(stories, order, settings, attach_max_size=settings.fragment_size,
                     threshold=settings.fragment_threshold, attach_margin=settings.fragment_margin)
    return _renumbered(labels, processing_order(stories))


def _renumbered(labels: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Labels renumbered by founding row in ``order``, so that they do not depend on how they were made."""
    first_seen: dict[int, int] = {}
    for row in order.tolist():
        first_seen.setdefault(int(labels[row]), len(first_seen))
    return np.array([first_seen[int(label)] for label in labels.tolist()], dtype=np.int64)


def split_lookalikes(signals: StorySignals, story_of: np.ndarray, settings: StorySettings) -> np.ndarray:
    """Cut stories that hold two groups linked far less across than within (see ``StorySettings.split_ratio``).

    Work per story is bounded by ``split_sample`` squared, whatever the story's size;
    labels come back renumbered by founding row in processing order.
    """
    story_of = np.asarray(story_of, dtype=np.int64).copy()
    if len(story_of) < settings.split_min_size:
        return story_of
    order = processing_order(signals)
    members_of: dict[int, list[int]] = defaultdict(list)
    for row in order.tolist():
        members_of[int(story_of[row])].append(row)
    next_label = int(story_of.max()) + 1
    for members in members_of.values():
        if len(members) < settings.split_min_size:
            continue
        rows = np.array(members, dtype=np.int64)
        sample = rows[:settings.split_sample]
        similarity = _row_similarity(signals, sample, sample, settings, year_penalty=settings.split_year_penalty)
        halves = _two_halves(similarity)
        in_a, in_b = halves == 0, halves == 1
        if min(int(in_a.sum()), int(in_b.sum())) < 2:
            continue
        within_a = _mean_off_diagonal(similarity[np.ix_(in_a, in_a)])
        within_b = _mean_off_diagonal(similarity[np.ix_(in_b, in_b)])
        across = float(similarity[np.ix_(in_a, in_b)].mean())
        if across >= settings.split_ratio * min(within_a, within_b):
            continue
        goes_to_b = in_b
        if len(rows) > len(sample):
            rest = _row_similarity(signals, rows[len(sample):], sample, settings)
            goes_to_b = np.concatenate([in_b, rest[:, in_b].mean(axis=1) > rest[:, in_a].mean(axis=1)])
        story_of[rows[goes_to_b]] = next_label
        next_label += 1
    return _renumbered(story_of, order)


def rejoin_parts(signals: StorySignals, story_of: np.ndarray, settings: StorySettings) -> np.ndarray:
    """Join two stories when the stream would join them and the split test would not cut them apart.

    The stream meets stories in one order: a part that arrived while its story was
    still glued to a look-alike linked to the pair too weakly to join, and after the
    split test cut the look-alike off it stays alone. Here every pair of stories whose
    average link reaches ``join_threshold`` (found through their shared specific
    terms, see :func:`_linked_story_pairs`) joins, strongest first, unless the link
    across is below ``split_ratio`` times the weaker side's own link: then the split
    test would cut the pair apart again. No new setting: the stream's and the split
    test's own. Labels come back renumbered by founding row in processing order.
    """
    story_of = np.asarray(story_of, dtype=np.int64)
    if len(story_of) < 2:
        return story_of
    stories = _aggregate(signals, story_of)
    _, term_index = np.unique(stories.terms, return_inverse=True)
    pairs = _linked_story_pairs(
        stories.indptr, term_index.astype(np.int64).reshape(-1), stories.weights.astype(np.float64),
        np.ascontiguousarray(stories.vectors, dtype=np.float32), stories.sizes.astype(np.float64),
        stories.first_day, stories.last_day, int(term_index.max(initial=-1)) + 1, settings.window_days,
        settings.text_weight, settings.keyword_weight, settings.join_threshold, settings.text_floor,
        settings.posting_scan)
    if len(pairs) == 0:
        return story_of
    rows_of: dict[int, list[int]] = defaultdict(list)
    order = processing_order(signals)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    for row in order.tolist():
        rows_of[int(story_of[row])].append(row)
    sets = DisjointSets(len(stories))
    # Strongest first; ties by story number, so the result does not depend on how pairs were found.
    for _, a, b in sorted(((-score, int(a), int(b)) for a, b, score in pairs.tolist())):
        ra, rb = sets.find(a), sets.find(b)
        if ra == rb:
            continue
        rows_a = np.array(rows_of[ra][:settings.split_sample], dtype=np.int64)
        rows_b = np.array(rows_of[rb][:settings.split_sample], dtype=np.int64)
        penalty = settings.split_year_penalty
        across = float(_row_similarity(signals, rows_a, rows_b, settings, year_penalty=penalty).mean())
        within = [_mean_off_diagonal(_row_similarity(signals, rows, rows, settings, year_penalty=penalty))
                  for rows in (rows_a, rows_b) if len(rows) > 1]
        if across < settings.join_threshold or (within and across < settings.split_ratio * min(within)):
            continue
        kept = sets.union(ra, rb)
        rows_of[kept] = sorted(rows_of.pop(ra) + rows_of.pop(rb), key=lambda row: rank[row])
    return _renumbered(np.array([sets.find(int(label)) for label in story_of.tolist()], dtype=np.int64), order)


@numba.njit(cache=True)
def _linked_story_pairs(indptr: np.ndarray, terms: np.ndarray, weights: np.ndarray, vectors: np.ndarray,
                        sizes: np.ndarray, first_day: np.ndarray, last_day: np.ndarray, n_terms: int, window: int,
                        text_weight: float, keyword_weight: float, threshold: float, text_floor: float,
                        posting_scan: int) -> np.ndarray:
    """(a, b, score) for stories a < b whose average link (as the stream scores it) reaches ``threshold``.

    Pairs are found through shared specific terms; terms held by more than
    ``posting_scan`` stories are skipped (they are in too many stories to tell any
    apart), so the work is bounded by the number of term postings times ``posting_scan``.
    """
    n = indptr.shape[0] - 1
    counts = np.zeros(n_terms + 1, dtype=np.int64)
    for p in range(terms.shape[0]):
        counts[terms[p] + 1] += 1
    starts = np.cumsum(counts)
    holders = np.empty(terms.shape[0], dtype=np.int64)
    held = np.empty(terms.shape[0])
    filled = starts[:-1].copy()
    for story in range(n):
        for p in range(indptr[story], indptr[story + 1]):
            holders[filled[terms[p]]] = story
            held[filled[terms[p]]] = weights[p]
            filled[terms[p]] += 1
    shared = np.zeros(n)
    seen_at = np.full(n, -1, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    found_a = []
    found_b = []
    found_score = []
    # The text part is at most text_weight: below this keyword part no pair can reach the threshold.
    keyword_needed = (threshold - text_weight) / keyword_weight if keyword_weight > 0 else 0.0
    for a in range(n):
        n_touched = 0
        for p in range(indptr[a], indptr[a + 1]):
            term = terms[p]
            if starts[term + 1] - starts[term] > posting_scan:
                continue
            for q in range(starts[term], starts[term + 1]):
                b = holders[q]
                if b <= a:
                    continue
                if seen_at[b] != a:
                    seen_at[b] = a
                    shared[b] = 0.0
                    touched[n_touched] = b
                    n_touched += 1
                shared[b] += weights[p] * held[q]
        for c in range(n_touched):
            b = touched[c]
            pairs = sizes[a] * sizes[b]
            keyword = shared[b] / pairs
            if keyword < keyword_needed:
                continue
            if first_day[a] >= 0 and first_day[b] >= 0 and (
                    last_day[a] < first_day[b] - window or last_day[b] < first_day[a] - window):
                continue
            text = np.dot(vectors[a], vectors[b]) / pairs
            score = text_weight * text + keyword_weight * keyword
            if text >= text_floor and score >= threshold:
                found_a.append(a)
                found_b.append(b)
                found_score.append(score)
    out = np.empty((len(found_a), 3))
    for i in range(len(found_a)):
        out[i, 0] = found_a[i]
        out[i, 1] = found_b[i]
        out[i, 2] = found_score[i]
    return out


def _row_similarity(signals: StorySignals, rows: np.ndarray, columns: np.ndarray,
                    settings: StorySettings, *, year_penalty: float = 0.0) -> np.ndarray:
    """The stream's score (average link of embeddings and specific terms) between two sets of rows,
    less ``year_penalty`` times the year disagreement of rows that both name years."""
    both = np.concatenate([rows, columns])
    part = signals.take(both)
    _, term_index = np.unique(part.terms, return_inverse=True)
    dense = np.zeros((len(both), int(term_index.max(initial=-1)) + 1))
    row_of_entry = np.repeat(np.arange(len(both)), np.diff(part.indptr))
    np.add.at(dense, (row_of_entry, term_index.reshape(-1)), part.weights.astype(np.float64))
    vectors = part.vectors.astype(np.float64)
    n = len(rows)
    pairs = np.outer(part.sizes[:n], part.sizes[n:]).astype(np.float64)
    similarity = (settings.text_weight * (vectors[:n] @ vectors[n:].T)
                  + settings.keyword_weight * (dense[:n] @ dense[n:].T)) / pairs
    if year_penalty > 0 and dense.shape[1]:
        keys = np.unique(part.terms)
        years = dense[:, np.isin(keys, _YEAR_KEYS)]
        norms = np.linalg.norm(years, axis=1)
        named = norms > 0
        years[named] /= norms[named, None]
        disagreement = (1.0 - years[:n] @ years[n:].T) * np.outer(named[:n], named[n:])
        similarity -= year_penalty * disagreement
    return similarity


def _mean_off_diagonal(matrix: np.ndarray) -> float:
    n = len(matrix)
    return float((matrix.sum() - np.trace(matrix)) / (n * (n - 1)))


def _two_halves(similarity: np.ndarray) -> np.ndarray:
    """The normalised cut (Shi & Malik 2000) of the rows in two: 0 for the half holding row 0, 1 for the other.

    Spectral bisection: rows sorted by the second eigenvector of the normalised
    affinity, cut where the normalised cut is smallest. Average link down to two
    clusters (the previous method) mostly peeled one outlying row off a story,
    so a look-alike pair inside it was never offered to the test; the
    normalised cut weighs each half's size, so it finds the two groups.
    """
    n = len(similarity)
    affinity = np.clip(np.array(similarity, dtype=np.float64), 0.0, None)
    np.fill_diagonal(affinity, 0.0)
    affinity = (affinity + affinity.T) / 2.0
    # A row linked to nothing gets a tiny degree: it must not divide by zero, and it goes to either half.
    degree = np.maximum(affinity.sum(axis=1), 1e-12)
    scale = 1.0 / np.sqrt(degree)
    fiedler = _second_eigenvector(scale[:, None] * affinity * scale[None, :], np.sqrt(degree),
                                  affinity[:, 0]) * scale
    ranked = np.argsort(fiedler, kind="mergesort")
    permuted = affinity[np.ix_(ranked, ranked)]
    # Cut weight of each prefix of the ranking, grown one row at a time.
    cut = np.cumsum(np.triu(permuted, 1).sum(axis=1) - np.tril(permuted, -1).sum(axis=1))[:-1]
    volume = np.cumsum(degree[ranked])[:-1]
    total = float(degree.sum())
    normalised_cut = cut / volume + cut / np.maximum(total - volume, 1e-12)
    first_half = np.zeros(n, dtype=bool)
    first_half[ranked[:int(np.argmin(normalised_cut)) + 1]] = True
    return (first_half != first_half[0]).astype(np.int64)


def _second_eigenvector(matrix: np.ndarray, top: np.ndarray, start: np.ndarray,
                        iterations: int = 200, tolerance: float = 1e-5) -> np.ndarray:
    """The eigenvector of the second largest eigenvalue of a normalised affinity, whose largest is ``top``'s.

    Power iteration on the matrix less its top eigenvector, shifted by one so that
    no eigenvalue is negative. A full ``eigh`` costs the cube of the rows and,
    through a threaded BLAS on a busy machine, ten times more than this.
    ``start`` (row 0's links) already leans to row 0's group, so few steps are needed;
    a vector not fully converged still orders the rows for the sweep.
    """
    top = top / np.linalg.norm(top)
    vector = start - top * float(top @ start) + np.linspace(-1e-3, 1e-3, len(start))
    vector /= np.linalg.norm(vector)
    for _ in range(iterations):
        following = matrix @ vector + vector
        following -= top * float(top @ following)
        norm = float(np.linalg.norm(following))
        if norm == 0.0:
            break
        following /= norm
        converged = float(np.abs(following - vector).max()) < tolerance
        vector = following
        if converged:
            break
    return vector


def merge_across_border(left: WindowStories, right: WindowStories,
                        settings: StorySettings | None = None) -> WindowStories:
    """Join the stories of two windows where they continue each other; ``left`` holds the earlier days.

    Only stories that could meet take part: those of ``left`` active within
    ``window_days`` of ``right``'s first day (all of them when ``right`` is
    undated) and those of ``right`` starting within ``window_days`` of
    ``left``'s last day. They are streamed together through the same index as
    in :func:`cluster_window`. Fold windows left in time order, the undated
    window last: ``merge_across_border(merge_across_border(w0, w1), w2)...``.
    """
    settings = settings or StorySettings()
    if len(left.stories) == 0:
        return right
    if len(right.stories) == 0:
        return left
    both = StorySignals.concatenate([left.stories, right.stories])
    n_left = len(left.stories)
    left_dated = left.stories.last_day[left.stories.last_day != UNDATED]
    right_dated = right.stories.first_day[right.stories.first_day != UNDATED]
    left_takes = left.stories.first_day == UNDATED
    right_takes = right.stories.first_day == UNDATED
    if len(right_dated):
        left_takes |= left.stories.last_day >= int(right_dated.min()) - settings.window_days
    else:
        left_takes[:] = True  # the undated window meets every story
    if len(left_dated):
        right_takes |= right.stories.first_day <= int(left_dated.max()) + settings.window_days
    else:
        right_takes[:] = True
    taking = np.concatenate([np.flatnonzero(left_takes), n_left + np.flatnonzero(right_takes)])
    order = taking[processing_order(both.take(taking))]
    labels = _stream(both, order, settings)
    return WindowStories(np.concatenate([left.ids, right.ids]),
                         np.concatenate([labels[left.story_of], labels[n_left + right.story_of]]),
                         _aggregate(both, labels))


def cluster_blocks(signals: StorySignals, settings: StorySettings | None = None) -> WindowStories:
    """What :func:`cluster_stories` runs: each calendar block clustered, then the blocks folded left in time order.

    The Spark engine runs :func:`cluster_window` on each block in parallel and the
    same fold at the driver; it gets exactly these stories.
    """
    settings = settings or StorySettings()
    blocks = window_of(signals.first_day, settings)
    ordered_blocks = sorted(set(blocks.tolist()), key=lambda b: (b == -1, b))
    result: WindowStories | None = None
    rows_in_result: list[np.ndarray] = []
    for block in ordered_blocks:
        rows = np.flatnonzero(blocks == block)
        window = cluster_window(signals.take(rows), settings)
        result = window if result is None else merge_across_border(result, window, settings)
        rows_in_result.append(rows)
    if result is None:
        return cluster_window(signals, settings)
    # Back to the caller's row order.
    story_of = np.empty(len(signals), dtype=np.int64)
    story_of[np.concatenate(rows_in_result)] = result.story_of
    return WindowStories(signals.ids, story_of, result.stories)


def _stream(signals: StorySignals, order: np.ndarray, settings: StorySettings, *,
            attach_max_size: int = 0, threshold: float | None = None, attach_margin: float = 0.0) -> np.ndarray:
    """Story label of each row in ``order`` (stories numbered by founding); rows not in ``order`` get their own."""
    dense_terms, term_index = np.unique(signals.terms, return_inverse=True)
    labels = _stream_kernel(
        order, np.ascontiguousarray(signals.vectors, dtype=np.float32), signals.indptr,
        term_index.astype(np.int64).reshape(-1), signals.weights.astype(np.float64), signals.first_day,
        signals.last_day, signals.sizes, len(dense_terms), settings.window_days, settings.text_weight, settings.keyword_weight,
        settings.join_threshold if threshold is None else threshold, settings.text_floor, settings.near_copy,
        settings.candidate_stories, settings.posting_scan, attach_max_size, attach_margin)
    # Rows the stream did not see stay stories of their own, numbered after the others.
    alone = np.flatnonzero(labels < 0)
    labels[alone] = labels.max(initial=-1) + 1 + np.arange(len(alone))
    return labels


def _aggregate(signals: StorySignals, labels: np.ndarray) -> StorySignals:
    """One row per label: members' vectors and term weights summed, days spanned, the founder's id."""
    count = int(labels.max()) + 1 if len(labels) else 0
    order = processing_order(signals)
    vectors, first_day, last_day, founder = _sum_rows(signals.vectors, labels, order, signals.first_day,
                                                      signals.last_day, count)
    sizes = np.bincount(labels, weights=signals.sizes, minlength=count).astype(np.int64)
    lengths = np.diff(signals.indptr)
    row_labels = np.repeat(labels, lengths)
    by = np.lexsort((signals.terms, row_labels))
    keyed_labels, keyed_terms = row_labels[by], signals.terms[by]
    if len(by):
        starts = np.flatnonzero(np.concatenate([[True], (keyed_labels[1:] != keyed_labels[:-1])
                                                | (keyed_terms[1:] != keyed_terms[:-1])]))
        weights = np.add.reduceat(signals.weights[by].astype(np.float64), starts).astype(np.float32)
        terms, term_labels = keyed_terms[starts], keyed_labels[starts]
    else:
        weights, terms, term_labels = (np.zeros(0, np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64))
    indptr = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_labels, minlength=count), out=indptr[1:])
    return StorySignals(signals.ids[founder], vectors, indptr, terms, weights, first_day, last_day, sizes)


@numba.njit(cache=True)
def _sum_rows(vectors: np.ndarray, labels: np.ndarray, order: np.ndarray, first_day: np.ndarray,
              last_day: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    sums = np.zeros((count, vectors.shape[1]), dtype=np.float32)
    first = np.full(count, -1, dtype=np.int64)
    last = np.full(count, -1, dtype=np.int64)
    founder = np.full(count, -1, dtype=np.int64)
    for step in range(order.shape[0]):
        row = order[step]
        story = labels[row]
        if founder[story] < 0:
            founder[story] = row  # the first row in processing order founds the story
        sums[story] += vectors[row]
        if first_day[row] >= 0 and (first[story] < 0 or first_day[row] < first[story]):
            first[story] = first_day[row]
        if last_day[row] >= 0 and last_day[row] > last[story]:
            last[story] = last_day[row]
    return sums, first, last, founder


@numba.njit(cache=True)
def _grown(array: np.ndarray, capacity: int, fill: float) -> np.ndarray:
    out = np.full((capacity,) + array.shape[1:], fill, dtype=array.dtype)
    out[:array.shape[0]] = array
    return out


@numba.njit(cache=True)
def _stream_kernel(order: np.ndarray, vectors: np.ndarray, indptr: np.ndarray, terms: np.ndarray,
                   weights: np.ndarray, first_day: np.ndarray, last_day: np.ndarray, sizes: np.ndarray, n_terms: int,
                   window: int, text_weight: float, keyword_weight: float, threshold: float, text_floor: float,
                   near_copy: float, candidate_limit: int, posting_scan: int, attach_max_size: int,
                   attach_margin: float) -> np.ndarray:
    """The streaming assignment, one row after another in ``order``.

    Index: one posting per (row, term), chained newest first per term. A row
    reads the chains of its terms, newest first, stopping at ``posting_scan``
    postings or at the first posting older than ``window`` days (dated rows
    arrive in date order, so older postings belong to stories gone cold), and
    sums its term weight times the posting's weight per story: that is its dot
    product with the sum of the story's specific-term vectors. The
    ``candidate_limit`` stories with the largest sums are scored in full: average
    link, i.e. the dot products with the story's sums divided by the number of
    article pairs, for the embeddings and the specific terms. Work per row is bounded by its term count times
    ``posting_scan``, whatever the number of stories.

    With ``attach_max_size`` > 0 (the fragment pass) rows larger than that only
    found stories, and smaller rows (fragments) only join those larger stories,
    never each other; fragments add no postings, so the chains stay in date order.
    A fragment joins only when its best story beats the runner-up by
    ``attach_margin``: a stray that links about as well to several look-alikes
    belongs to none of them.
    """
    n_rows, dimensions = vectors.shape
    labels = np.full(n_rows, -1, dtype=np.int64)
    capacity = 256
    sums = np.zeros((capacity, dimensions), dtype=np.float32)
    story_size = np.zeros(capacity)
    story_first = np.full(capacity, -1, dtype=np.int64)
    story_last = np.full(capacity, -1, dtype=np.int64)
    shared = np.zeros(capacity)
    seen_at = np.full(capacity, -1, dtype=np.int64)
    touched = np.empty(capacity, dtype=np.int64)
    total = 0
    for step in range(order.shape[0]):
        total += indptr[order[step] + 1] - indptr[order[step]]
    post_story = np.empty(total, dtype=np.int64)
    post_weight = np.empty(total)
    post_previous = np.empty(total, dtype=np.int64)
    post_day = np.empty(total, dtype=np.int64)
    newest = np.full(n_terms, -1, dtype=np.int64)
    n_posts = 0
    n_stories = 0
    for step in range(order.shape[0]):
        row = order[step]
        first, last = first_day[row], last_day[row]
        vector = vectors[row]
        size = float(sizes[row])
        fragment = attach_max_size > 0 and sizes[row] <= attach_max_size
        founder_only = attach_max_size > 0 and not fragment
        n_touched = 0
        for p in range(indptr[row], indptr[row + 1]):
            if founder_only:
                break
            weight = weights[p]
            q = newest[terms[p]]
            read = 0
            while q >= 0 and read < posting_scan:
                if first >= 0 and post_day[q] >= 0 and post_day[q] < first - window:
                    break
                story = post_story[q]
                if seen_at[story] != step:
                    seen_at[story] = step
                    shared[story] = 0.0
                    touched[n_touched] = story
                    n_touched += 1
                shared[story] += weight * post_weight[q]
                q = post_previous[q]
                read += 1
        candidates = touched[:n_touched]
        if n_touched > candidate_limit:
            ranking = np.empty(n_touched)
            for c in range(n_touched):
                ranking[c] = -shared[candidates[c]]
            candidates = candidates[np.argsort(ranking, kind="mergesort")[:candidate_limit]]
        best = -1
        best_score = -np.inf
        runner_up = -np.inf
        for c in range(candidates.shape[0]):
            story = candidates[c]
            if first >= 0 and story_last[story] >= 0 and (
                    story_last[story] < first - window or story_first[story] > last + window):
                continue
            if fragment and story_size[story] <= attach_max_size:
                continue
            pairs = size * story_size[story]
            text = np.dot(vector, sums[story]) / pairs
            keyword = shared[story] / pairs
            score = text_weight * text + keyword_weight * keyword
            if text >= near_copy or (text >= text_floor and score >= threshold):
                if score > best_score or (score == best_score and story < best):
                    runner_up = best_score
                    best, best_score = story, score
                elif score > runner_up:
                    runner_up = score
        if fragment and best >= 0 and best_score - runner_up < attach_margin:
            best = -1
        if best < 0:
            if n_stories == capacity:
                capacity *= 2
                sums = _grown(sums, capacity, 0.0)
                story_size = _grown(story_size, capacity, 0.0)
                story_first = _grown(story_first, capacity, -1)
                story_last = _grown(story_last, capacity, -1)
                shared = _grown(shared, capacity, 0.0)
                seen_at = _grown(seen_at, capacity, -1)
                touched = _grown(touched, capacity, 0)
            best = n_stories
            n_stories += 1
        story_size[best] += size
        sums[best] += vector
        if first >= 0 and (story_first[best] < 0 or first < story_first[best]):
            story_first[best] = first
        if last > story_last[best]:
            story_last[best] = last
        labels[row] = best
        if fragment:
            continue
        for p in range(indptr[row], indptr[row + 1]):
            term = terms[p]
            post_story[n_posts] = best
            post_weight[n_posts] = weights[p]
            post_previous[n_posts] = newest[term]
            post_day[n_posts] = last
            newest[term] = n_posts
            n_posts += 1
    return labels


# --- events inside a story -----------------------------------------------------


def _events(member_docs: list[Prepared], derived: frozenset[str], settings: StorySettings,
            names: frozenset[str]) -> list[Event]:
    if len(member_docs) > 1:
        clusters = event_clusters(_event_similarity(member_docs, settings, names), settings)
    else:
        clusters = [[0]]
    events: list[Event] = []
    for cluster in clusters:
        event_docs = sorted((member_docs[i] for i in cluster), key=_article_key)
        # A timestamp says more than Event.date carries: keep its date part.
        dated = sorted(d.article.published.split("T")[0] for d in event_docs if d.article.published)
        events.append(
            Event(
                id=stable_id("e", event_docs[0].id),
                title=_title(event_docs, derived),
                articles=[d.id for d in event_docs],
                date=dated[0] if dated else None,
            )
        )
    founding = {doc.id: _article_key(doc) for doc in member_docs}
    events.sort(key=lambda event: (event.date is None, event.date or "", founding[event.articles[0]]))
    return events


def _event_similarity(member_docs: list[Prepared], settings: StorySettings, names: frozenset[str]) -> np.ndarray:
    """Pairwise similarity of what each article's lead says: wording, specific terms, day."""
    leads = np.stack([_lead_vector(doc, settings.lead_sentences) for doc in member_docs])
    lead_terms = _dense(_tfidf([_specific_terms(doc, names, _lead_line_count(doc, settings.lead_sentences))
                                for doc in member_docs]))
    days = np.array([day_ordinal(doc.article.published) or UNDATED for doc in member_docs], dtype=np.int64)
    return event_similarity(leads, lead_terms, days, settings)


def event_similarity(leads: np.ndarray, lead_terms: np.ndarray, days: np.ndarray,
                     settings: StorySettings) -> np.ndarray:
    """Pairwise similarity of a story's articles from unit lead embeddings, unit lead-term rows and day ordinals."""
    overlap = lead_terms @ lead_terms.T
    known = days != UNDATED
    ordinals = np.where(known, days, 0).astype(np.float64)
    closeness = np.exp(-np.abs(ordinals[:, None] - ordinals[None, :]) / settings.event_date_scale_days)
    closeness[~(known[:, None] & known[None, :])] = 0.5  # unknown dates neither join nor split
    total = settings.event_text_weight + settings.event_keyword_weight + settings.event_date_weight
    return (settings.event_text_weight * (leads @ leads.T) + settings.event_keyword_weight * overlap
            + settings.event_date_weight * closeness) / total


def _join_average_link(links: np.ndarray, sizes: np.ndarray, a: int, b: int) -> None:
    """Merge cluster b into a in place: the Lance-Williams update keeps average links in one matrix."""
    merged = (sizes[a] * links[a] + sizes[b] * links[b]) / (sizes[a] + sizes[b])
    links[a, :] = merged
    links[:, a] = merged
    links[a, a] = -np.inf
    links[b, :] = -np.inf
    links[:, b] = -np.inf
    sizes[a] += sizes[b]


EVENT_SEED_ROWS = 300
"""Agglomeration costs the cube of its rows: past this many articles in one story, the first ones (in
processing order) form the events and each later article joins the event it links to best on average."""


def event_clusters(similarity: np.ndarray, settings: StorySettings) -> list[list[int]]:
    """Average-link agglomeration; the cut sits between two absolute bounds, at the story's mean similarity."""
    similarity = np.asarray(similarity, dtype=np.float64)
    n = len(similarity)
    if n < 2:
        return [list(range(n))]
    if n > EVENT_SEED_ROWS:
        seeds = event_clusters(similarity[:EVENT_SEED_ROWS, :EVENT_SEED_ROWS], settings)
        links = np.stack([similarity[EVENT_SEED_ROWS:, members].mean(axis=1) for members in seeds], axis=1)
        for row, best in enumerate(links.argmax(axis=1), start=EVENT_SEED_ROWS):
            seeds[int(best)].append(row)
        return sorted(seeds)
    off_diagonal = similarity[~np.eye(n, dtype=bool)]
    cut = float(np.clip(off_diagonal.mean(), settings.event_different, settings.event_same))
    # Lance-Williams update keeps cluster-to-cluster average links in one matrix.
    links = similarity.copy()
    np.fill_diagonal(links, -np.inf)
    sizes = np.ones(n)
    clusters: dict[int, list[int]] = {i: [i] for i in range(n)}
    while len(clusters) > 1:
        flat = int(np.argmax(links))
        a, b = divmod(flat, n)
        if links[a, b] < cut:
            break
        a, b = min(a, b), max(a, b)
        _join_average_link(links, sizes, a, b)
        clusters[a] = sorted(clusters[a] + clusters.pop(b))
    return sorted(clusters.values())


def _content_sentence_indices(doc: Prepared) -> list[int]:
    """Sentences of running text: not headings, bylines, datelines, captions or links."""
    return [i for i, sentence in enumerate(doc.sentences) if _is_content(sentence.text)]


def _is_content(text: str) -> bool:
    words = text.split()
    if len(words) < 8 or "http" in text:
        return False
    return not _is_title_case(text)


def _lead_vector(doc: Prepared, count: int) -> np.ndarray:
    chosen = _content_sentence_indices(doc)[:count]
    if not chosen or len(doc.sentence_vectors) == 0:
        return _unit(doc.vector)
    return _unit(doc.sentence_vectors[chosen].mean(axis=0))


def _lead_line_count(doc: Prepared, count: int) -> int:
    """How many of ``_lines_of(doc)`` cover the headline and the first ``count`` content sentences."""
    chosen = _content_sentence_indices(doc)[:count]
    last_sentence = chosen[-1] + 1 if chosen else min(len(doc.sentences), count)
    return last_sentence + (1 if doc.article.title else 0)


# --- titles --------------------------------------------------------------------


def _derived_articles(relations: Sequence[Relation]) -> frozenset[str]:
    """Articles that copy, rewrite or translate another: their headlines are second choice."""
    derived = set()
    for relation in relations:
        if relation.kind == "related" or relation.direction is None:
            continue
        derived.add(relation.b if relation.direction == "a->b" else relation.a)
    return frozenset(derived)


def _title(docs: list[Prepared], derived: frozenset[str]) -> Optional[str]:
    """The most central original article's headline, else the lead sentence of the most central article."""
    centroid = _unit(np.stack([_unit(doc.vector) for doc in docs]).mean(axis=0))
    # Rounded so that ties (two members are always equally central) fall to the id, not to float noise.
    ranked = sorted(docs, key=lambda d: (d.id in derived, -round(float(_unit(d.vector) @ centroid), 4), d.id))
    for doc in ranked:
        headline = _clean_headline(doc)
        if headline:
            return headline
    for doc in ranked:
        content = _content_sentence_indices(doc)
        if content:
            return doc.sentences[content[0]].text
    for doc in ranked:
        if doc.sentences:
            return doc.sentences[0].text
    return None


def _clean_headline(doc: Prepared) -> Optional[str]:
    title = " ".join((doc.article.title or "").split())
    outlet = (doc.article.outlet or "").strip().lower()
    if outlet:
        # Page titles often end with the outlet's name: "Headline - Outlet".
        for separator in (" | ", " - ", " – ", " — "):
            head, _, tail = title.rpartition(separator)
            if head and tail.strip().lower() == outlet:
                title = head.strip()
                break
    words = title.split()
    if not 3 <= len(words) <= 30 or title.isupper() or not any(ch.isalpha() for ch in title):
        return None
    return title


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm else vector.astype(np.float32)



def keep_story_ids(stories: Sequence[Story], previous: Mapping[str, str]) -> list[Story]:
    """Give each story the id it had in the last run, so ids survive articles arriving later.

    ``previous`` maps article id → story id from the last run. A new story takes
    the old id that holds most of its articles (ties → the smaller id); each old
    id goes to one story only, so a story that split keeps its id on the larger
    part, and the other parts get ids from their founding articles as usual.
    """
    overlaps: list[tuple[int, str, int]] = []
    for index, story in enumerate(stories):
        counts = Counter(previous[a] for a in story.articles if a in previous)
        overlaps.extend((count, old_id, index) for old_id, count in counts.items())
    taken_old: set[str] = set()
    renamed: dict[int, str] = {}
    for count, old_id, index in sorted(overlaps, key=lambda o: (-o[0], o[1], o[2])):
        if old_id in taken_old or index in renamed:
            continue
        taken_old.add(old_id)
        renamed[index] = old_id
    out = []
    for index, story in enumerate(stories):
        new_id = renamed.get(index, story.id)
        if index not in renamed and story.id in taken_old:
            # Its founding-article id now names an older story that lives on elsewhere.
            new_id = stable_id("s", story.id, "split")
        out.append(replace(story, id=new_id))
    return out
