"""Stage: stories, and the events (developments) inside each story.

:func:`cluster_stories` is the stage's pure core. It works in three steps:

1. Signals. Per article: its embedding (from prepare), a TF-IDF vector of its
   *specific* terms (names and numbers, found by truecasing over the batch:
   a word is a name when the batch writes it capitalised mid-sentence at least
   as often as in lower case) and its publication day. Articles joined by any
   relation but ``related`` are one unit from the start, so they always end in
   the same story.
2. Streaming assignment. Units are taken in publication order (undated last)
   and each joins the best-scoring story of the *hot set* (stories active
   within ``window_days`` of it; an undated unit sees every story) or founds a
   new one. The score mixes text similarity with the overlap of specific terms,
   so two earthquakes or two rehab stays (same topic, embedding cosine
   0.6-0.8) stay apart unless they share their names and numbers. A merge pass
   then joins stories that ended up split only because of arrival order.
3. Events. Inside each story, average-link clustering on lead-level signals
   (the embedding of the first sentences, the specific terms of the headline
   and lead, the publication day) splits the story into its developments.

Titles are always taken from the articles (a headline, else a lead sentence);
ids derive from the founding article, so the same input gives the same ids.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Mapping, Optional, Sequence

import numpy as np

from .graph import count_independent
from .model import Event, Prepared, Relation, Story, stable_id


@dataclass(frozen=True)
class StorySettings:
    """Defaults chosen to work on any news corpus; override only what you must."""

    # Time: a dated article only meets stories active within this many days of it.
    window_days: int = 14
    # Article-to-story score = text_weight * cosine + keyword_weight * specific-term overlap.
    text_weight: float = 0.5
    keyword_weight: float = 0.5
    join_threshold: float = 0.5
    # Below this embedding cosine shared names alone never join (same actors, other story).
    text_floor: float = 0.45
    # At or above this cosine the texts are near-copies or translations: join on text alone.
    near_copy: float = 0.9
    # Max-link compares with at most this many of a story's newest members (bounds cost).
    member_links: int = 64
    # Only the stories with the nearest centroids are scored in full (an ANN index slots in here).
    candidate_stories: int = 32
    # Events: how many content sentences make an article's lead.
    lead_sentences: int = 3
    event_text_weight: float = 0.45
    event_keyword_weight: float = 0.45
    event_date_weight: float = 0.10
    event_date_scale_days: float = 2.0
    # Average-link similarity at or above ``event_same`` is one development, below
    # ``event_different`` two; in between the cut is the story's own mean similarity.
    event_same: float = 0.6
    event_different: float = 0.45

    def __post_init__(self) -> None:
        if self.window_days < 0:
            raise ValueError(f"window_days must be >= 0, got {self.window_days}")
        if not 0.0 <= self.event_different <= self.event_same <= 1.0:
            raise ValueError("need 0 <= event_different <= event_same <= 1")
        if min(self.member_links, self.lead_sentences, self.candidate_stories) < 1:
            raise ValueError("member_links, lead_sentences and candidate_stories must be >= 1")


def cluster_stories(
    docs: Sequence[Prepared],
    relations: Sequence[Relation] = (),
    *,
    settings: StorySettings | None = None,
) -> list[Story]:
    """Group prepared articles into stories, each with its events.

    The result does not depend on the order of ``docs``: they are processed by
    publication date (undated last), then id. Stories come out in the order of
    their founding articles; each story's articles in publication order.
    """
    settings = settings or StorySettings()
    if not docs:
        return []
    by_id = {doc.id: doc for doc in sorted(docs, key=lambda d: d.id)}
    ordered = sorted(by_id.values(), key=_article_key)
    index = {doc.id: position for position, doc in enumerate(ordered)}

    # 1. Signals, for the whole batch at once.
    vectors = np.stack([_unit(doc.vector) for doc in ordered])
    names = _name_forms(ordered)
    keywords = _tfidf([_specific_terms(doc, names) for doc in ordered])
    days = [_day(doc.article.published) for doc in ordered]
    units = _units([doc.id for doc in ordered], relations, index)

    # 2. Streaming assignment over the hot set, then a merge pass.
    groups = _assign(units, vectors, keywords, days, settings)
    groups = _merge_split_stories(groups, vectors, keywords, days, settings)

    # 3. Events inside each story; titles and ids from the articles.
    derived = _derived_articles(relations)
    stories: list[Story] = []
    for members in groups:
        member_docs = sorted((ordered[i] for i in members), key=_article_key)
        story_events = _events(member_docs, derived, settings)
        stories.append(
            Story(
                id=stable_id("s", member_docs[0].id),
                title=_title(member_docs, derived),
                articles=[doc.id for doc in member_docs],
                events=story_events,
                independent_sources=count_independent([doc.id for doc in member_docs], relations),
            )
        )
    stories.sort(key=lambda story: _article_key(by_id[story.articles[0]]))
    return stories


# --- ordering and dates --------------------------------------------------------


def _article_key(doc: Prepared) -> tuple[bool, str, str]:
    # Dated articles first, in publication order: a stream meets them as they
    # were published, and undated ones then meet fully formed stories.
    published = doc.article.published
    return (published is None, published or "", doc.id)


def _day(published: Optional[str]) -> Optional[int]:
    """Day ordinal of an ISO date; None unless the day is known (a month is too coarse for a window)."""
    if not published or len(published) < 10:
        return None
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


# --- specific terms (names and numbers), TF-IDF within the batch ----------------

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


def _name_forms(ordered: Sequence[Prepared]) -> frozenset[str]:
    """Lower-cased words the batch writes capitalised mid-sentence at least as often as in lower case."""
    capitalised: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for doc in ordered:
        for text, heading in _lines_of(doc):
            for position, token in enumerate(_TOKEN.findall(text)):
                if token[0].islower():
                    lower[_normal(token).lower()] += 1
                elif token[0].isupper() and position > 0 and not heading:
                    capitalised[_normal(token).lower()] += 1
    return frozenset(word for word, count in capitalised.items() if count >= lower[word])


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


def _tfidf(term_counts: Sequence[Counter[str]]) -> list[dict[str, float]]:
    """Unit-length sparse vectors: sublinear tf times smoothed idf over the given documents."""
    frequency: Counter[str] = Counter()
    for counts in term_counts:
        frequency.update(counts.keys())
    total = len(term_counts)
    vectors: list[dict[str, float]] = []
    for counts in term_counts:
        weights = {
            term: (1.0 + math.log(count)) * (math.log((1 + total) / (1 + frequency[term])) + 1.0)
            for term, count in counts.items()
        }
        vectors.append(_normalised(weights))
    return vectors


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


def _sparse_dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b.get(term, 0.0) for term, weight in a.items())


# --- units: articles that must share a story -----------------------------------


@dataclass
class _Unit:
    members: list[int]  # indices into the ordered articles, ascending
    vector: np.ndarray
    keywords: dict[str, float]
    first_day: Optional[int]
    last_day: Optional[int]


def _units(ids: list[str], relations: Sequence[Relation], index: dict[str, int]) -> list[list[int]]:
    """Indices grouped by derivation relations (any kind but ``related``), in processing order."""
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for relation in relations:
        if relation.kind == "related" or relation.a not in index or relation.b not in index:
            continue
        ra, rb = root(index[relation.a]), root(index[relation.b])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    grouped: dict[int, list[int]] = defaultdict(list)
    for i in range(len(ids)):
        grouped[root(i)].append(i)
    return sorted(grouped.values())


def _make_unit(members: list[int], vectors: np.ndarray, keywords: list[dict[str, float]],
               days: list[Optional[int]]) -> _Unit:
    summed: dict[str, float] = defaultdict(float)
    for i in members:
        for term, weight in keywords[i].items():
            summed[term] += weight
    known = [days[i] for i in members if days[i] is not None]
    return _Unit(
        members=members,
        vector=_unit(vectors[members].mean(axis=0)),
        keywords=_normalised(dict(summed)),
        first_day=min(known) if known else None,
        last_day=max(known) if known else None,
    )


# --- streaming assignment ------------------------------------------------------


@dataclass
class _StoryState:
    """What the hot set keeps per story: enough to score a newcomer without revisiting articles."""

    units: list[_Unit] = field(default_factory=list)
    vector_sum: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    keyword_sum: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    first_day: Optional[int] = None
    last_day: Optional[int] = None
    _keyword_centroid: Optional[dict[str, float]] = None

    def keyword_centroid(self) -> dict[str, float]:
        if self._keyword_centroid is None:
            self._keyword_centroid = _normalised(dict(self.keyword_sum))
        return self._keyword_centroid

    def add(self, unit: _Unit) -> None:
        self._keyword_centroid = None
        self.units.append(unit)
        self.vector_sum = unit.vector.copy() if self.vector_sum.size == 0 else self.vector_sum + unit.vector
        for term, weight in unit.keywords.items():
            self.keyword_sum[term] += weight
        if unit.first_day is not None:
            self.first_day = unit.first_day if self.first_day is None else min(self.first_day, unit.first_day)
        if unit.last_day is not None:
            self.last_day = unit.last_day if self.last_day is None else max(self.last_day, unit.last_day)

    def members(self) -> list[int]:
        return sorted(i for unit in self.units for i in unit.members)


def _in_window(first_day: Optional[int], last_day: Optional[int], unit: _Unit, window: int) -> bool:
    if unit.first_day is None or first_day is None or last_day is None or unit.last_day is None:
        return True  # undated on either side: content decides
    return unit.first_day <= last_day + window and unit.last_day >= first_day - window


def _link(unit: _Unit, story: _StoryState, settings: StorySettings) -> tuple[float, float]:
    """(score, best text cosine) of a unit against a story: the better of max-link and centroid."""
    recent = story.units[-settings.member_links:]
    texts = np.stack([member.vector for member in recent]) @ unit.vector
    overlaps = np.array([_sparse_dot(unit.keywords, member.keywords) for member in recent])
    member_scores = settings.text_weight * texts + settings.keyword_weight * overlaps
    centroid_text = float(_unit(story.vector_sum) @ unit.vector)
    centroid_overlap = _sparse_dot(unit.keywords, story.keyword_centroid())
    centroid_score = settings.text_weight * centroid_text + settings.keyword_weight * centroid_overlap
    return max(float(member_scores.max()), centroid_score), max(float(texts.max()), centroid_text)


def _accepts(score: float, text: float, settings: StorySettings) -> bool:
    return text >= settings.near_copy or (text >= settings.text_floor and score >= settings.join_threshold)


class _CentroidTable:
    """Unit-length story centroids in one growable matrix, for vectorised nearest-story look-ups."""

    def __init__(self, dimensions: int) -> None:
        self._rows = np.zeros((16, dimensions), dtype=np.float32)

    def set(self, story: int, vector_sum: np.ndarray) -> None:
        if story >= len(self._rows):
            grown = np.zeros((max(2 * len(self._rows), story + 1), self._rows.shape[1]), dtype=np.float32)
            grown[:len(self._rows)] = self._rows
            self._rows = grown
        self._rows[story] = _unit(vector_sum)

    def nearest(self, query: np.ndarray, stories: Sequence[int], limit: int) -> list[int]:
        if len(stories) <= limit:
            return list(stories)
        candidates = np.asarray(stories)
        cosines = self._rows[candidates] @ query
        top = np.argpartition(-cosines, limit - 1)[:limit]
        return sorted(candidates[top].tolist())


def _assign(units: list[list[int]], vectors: np.ndarray, keywords: list[dict[str, float]],
            days: list[Optional[int]], settings: StorySettings) -> list[list[int]]:
    stories: list[_StoryState] = []
    centroids = _CentroidTable(vectors.shape[1])
    hot: list[int] = []  # stories whose latest dated article is within the window of the stream's front
    for members in units:
        unit = _make_unit(members, vectors, keywords, days)
        if unit.first_day is not None:
            # Dated units arrive in date order, so a story that has gone cold stays cold for them.
            hot = [s for s in hot if stories[s].last_day is None
                   or stories[s].last_day >= unit.first_day - settings.window_days]
            candidates = hot
        else:
            candidates = list(range(len(stories)))
        best, best_score = -1, -math.inf
        for s in centroids.nearest(unit.vector, candidates, settings.candidate_stories):
            story = stories[s]
            if not _in_window(story.first_day, story.last_day, unit, settings.window_days):
                continue
            score, text = _link(unit, story, settings)
            if _accepts(score, text, settings) and score > best_score:
                best, best_score = s, score
        if best < 0:
            stories.append(_StoryState())
            best = len(stories) - 1
            hot.append(best)
        stories[best].add(unit)
        centroids.set(best, stories[best].vector_sum)
    return [story.members() for story in stories]


def _merge_split_stories(groups: list[list[int]], vectors: np.ndarray, keywords: list[dict[str, float]],
                         days: list[Optional[int]], settings: StorySettings) -> list[list[int]]:
    """Join stories that a bridging article connects only in hindsight (arrival order effects)."""
    states = []
    centroids = _CentroidTable(vectors.shape[1])
    for members in groups:
        state = _StoryState()
        for i in members:
            state.add(_make_unit([i], vectors, keywords, days))
        centroids.set(len(states), state.vector_sum)
        states.append(state)
    # Scores are cached per pair and only the merged story's are recomputed.
    scores: dict[tuple[int, int], float] = {}

    def score_pair(a: int, b: int) -> None:
        if _stories_in_window(states[a], states[b], settings.window_days):
            score, text = _story_link(states[a], states[b], settings)
            if _accepts(score, text, settings):
                scores[(a, b)] = score

    everyone = list(range(len(states)))
    for a in everyone:
        for b in centroids.nearest(_unit(states[a].vector_sum), everyone, settings.candidate_stories + 1):
            if b > a:
                score_pair(a, b)
    alive = set(everyone)
    while scores:
        (a, b), _ = max(scores.items(), key=lambda item: (item[1], -item[0][0], -item[0][1]))
        for unit in states[b].units:
            states[a].add(unit)
        centroids.set(a, states[a].vector_sum)
        alive.discard(b)
        scores = {pair: score for pair, score in scores.items() if a not in pair and b not in pair}
        for other in centroids.nearest(_unit(states[a].vector_sum), sorted(alive - {a}), settings.candidate_stories):
            score_pair(min(a, other), max(a, other))
    result = [states[i].members() for i in sorted(alive)]
    return sorted(result, key=lambda members: members[0])


def _stories_in_window(a: _StoryState, b: _StoryState, window: int) -> bool:
    if None in (a.first_day, a.last_day, b.first_day, b.last_day):
        return True
    assert a.first_day is not None and a.last_day is not None and b.first_day is not None and b.last_day is not None
    return b.first_day <= a.last_day + window and b.last_day >= a.first_day - window


def _story_link(a: _StoryState, b: _StoryState, settings: StorySettings) -> tuple[float, float]:
    pairs = [_link(unit, b, settings) for unit in a.units[-settings.member_links:]]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


# --- events inside a story -----------------------------------------------------


def _events(member_docs: list[Prepared], derived: frozenset[str], settings: StorySettings) -> list[Event]:
    clusters = _event_clusters(member_docs, settings) if len(member_docs) > 1 else [list(range(len(member_docs)))]
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


def _event_similarity(member_docs: list[Prepared], settings: StorySettings) -> np.ndarray:
    """Pairwise similarity of what each article's lead says: wording, specific terms, day."""
    leads = np.stack([_lead_vector(doc, settings.lead_sentences) for doc in member_docs])
    names = _name_forms(member_docs)
    lead_terms = _tfidf([_specific_terms(doc, names, _lead_line_count(doc, settings.lead_sentences))
                         for doc in member_docs])
    term_matrix = _dense(lead_terms)
    overlap = term_matrix @ term_matrix.T
    days = [_day(doc.article.published) for doc in member_docs]
    known = np.array([day is not None for day in days])
    ordinals = np.array([day if day is not None else 0 for day in days], dtype=np.float64)
    closeness = np.exp(-np.abs(ordinals[:, None] - ordinals[None, :]) / settings.event_date_scale_days)
    closeness[~(known[:, None] & known[None, :])] = 0.5  # unknown dates neither join nor split
    total = settings.event_text_weight + settings.event_keyword_weight + settings.event_date_weight
    return (settings.event_text_weight * (leads @ leads.T) + settings.event_keyword_weight * overlap
            + settings.event_date_weight * closeness) / total


def _event_clusters(member_docs: list[Prepared], settings: StorySettings) -> list[list[int]]:
    """Average-link agglomeration; the cut sits between two absolute bounds, at the story's mean similarity."""
    similarity = _event_similarity(member_docs, settings).astype(np.float64)
    n = len(member_docs)
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
        merged = (sizes[a] * links[a] + sizes[b] * links[b]) / (sizes[a] + sizes[b])
        links[a, :] = merged
        links[:, a] = merged
        links[a, a] = -np.inf
        links[b, :] = -np.inf
        links[:, b] = -np.inf
        sizes[a] += sizes[b]
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
