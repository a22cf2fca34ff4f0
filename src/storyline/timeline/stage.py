"""The timeline stage's core: expressions resolved per article, grouped into entries across articles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Optional, Sequence

import numpy as np

from ..graph import DisjointSets
from ..model import Claim, Evidence, Precision, Prepared, Sentence, Span, Story, TimelineEntry
from ..text.spans import SpanIndex
from .expressions import TimeExpression, find_time_expressions, is_boilerplate, looks_ahead, normalised_phrase, resolve
from .settings import DEFAULTS, TimelineSettings

# The shipped ``similarity`` (timeline/defaults.json says where it came from).
DEFAULT_SIMILARITY = DEFAULTS.similarity

@dataclass(frozen=True)
class _Anchor:
    article: str
    published: date
    evidence: Evidence  # the dated article's side of the claim that lent its date


@dataclass
class _Mention:
    doc: Prepared
    order: int
    sentence_index: int
    sentence: Sentence
    expression: TimeExpression  # span relative to the article text
    date: Optional[str]
    precision: Optional[Precision]
    anchor: Optional[_Anchor]

    @property
    def key(self) -> tuple[str, str]:
        # Unresolved phrases can still be the same happening ("on Thursday"
        # in three undated reports of one call): they group by their words.
        if self.date is not None:
            return (self.date, self.precision or "")
        return ("?", normalised_phrase(self.expression.phrase))


def publication_date(published: Optional[str]) -> Optional[date]:
    """The day an ISO timestamp names, or None when it is missing or names less than a day."""
    if not published:
        return None
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", published.strip())
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def build_timeline(
    story: Story,
    docs: Sequence[Prepared],
    claims: Sequence[Claim] = (),
    *,
    similarity: Optional[float] = None,
    settings: Optional[TimelineSettings] = None,
) -> list[TimelineEntry]:
    """The story's timeline: one entry per dated (or datable) happening its articles report.

    ``docs`` may hold articles of other stories; only the story's own are
    read for expressions, but any dated article may lend its date through an
    aligned claim. ``similarity`` is the sentence cosine above which two
    articles' expressions of the same date are one happening (by default the
    ``settings``' own, and those by default the shipped ones).
    """
    if similarity is None:
        similarity = (settings or DEFAULTS).similarity
    order = {article_id: index for index, article_id in enumerate(story.articles)}
    docs_by_id = {doc.id: doc for doc in docs}
    story_docs = sorted((doc for doc in docs if doc.id in order), key=lambda doc: order[doc.id])
    claim_index = _ClaimIndex(claims)
    mentions = [m for doc in story_docs for m in _mentions(doc, order[doc.id], claim_index, docs_by_id)]
    groups = _group(mentions, claim_index, similarity)
    entries = [_entry(story.id, group) for group in groups]
    entries.sort(key=lambda e: (e.date is None, e.date or "", e.text, e.phrase))
    return entries


def _mentions(
    doc: Prepared, order: int, claims: "_ClaimIndex", docs_by_id: dict[str, Prepared]
) -> Iterable[_Mention]:
    anchor_day = publication_date(doc.article.published)
    for index, sentence in enumerate(doc.sentences):
        expressions = find_time_expressions(sentence.text)
        if not expressions or is_boilerplate(sentence.text, expressions):
            continue
        for expression in expressions:
            future = looks_ahead(sentence.text, expression.span)
            resolved, precision = resolve(expression.phrase, anchor_day, future=future)
            borrowed: Optional[_Anchor] = None
            if resolved is None and anchor_day is None:
                borrowed = _borrowed_anchor(doc, sentence, claims, docs_by_id)
                if borrowed is not None:
                    resolved, precision = resolve(expression.phrase, borrowed.published, future=future)
                    if resolved is None:
                        borrowed = None
            in_article = TimeExpression(
                (sentence.start + expression.span[0], sentence.start + expression.span[1]),
                expression.phrase,
                expression.kind,
            )
            yield _Mention(doc, order, index, sentence, in_article, resolved, precision, borrowed)


class _ClaimIndex:
    """The claims' evidence by article, so finding the claims on a sentence reads only its article's."""

    def __init__(self, claims: Sequence[Claim]) -> None:
        self.claims = list(claims)
        rows: dict[str, list[tuple[Span, int]]] = {}
        for position, claim in enumerate(self.claims):
            for evidence in claim.evidence:
                rows.setdefault(evidence.article, []).append((evidence.span, position))
        # Indexed by span: a long article is asked once per sentence, and scanning all its claims was quadratic.
        self.by_article = {article: SpanIndex(located) for article, located in rows.items()}

    def on(self, article: str, span: Span) -> list[Claim]:
        """Claims with evidence in ``article`` overlapping ``span``, in the claims' order."""
        located = self.by_article.get(article)
        positions = set(located.overlapping(span)) if located is not None else set()
        return [self.claims[p] for p in sorted(positions)]


def _borrowed_anchor(
    doc: Prepared, sentence: Sentence, claims: _ClaimIndex, docs_by_id: dict[str, Prepared]
) -> Optional[_Anchor]:
    """The publication date of a dated article aligned with this sentence through a claim.

    When several lend one, the earliest wins: the undated report cannot be
    older than the happening, and the earliest dated report is the nearest
    bound we have.
    """
    lenders: list[_Anchor] = []
    for claim in claims.on(doc.id, (sentence.start, sentence.end)):
        for evidence in claim.evidence:
            lender = docs_by_id.get(evidence.article)
            if evidence.article == doc.id or lender is None:
                continue
            published = publication_date(lender.article.published)
            if published is not None:
                lenders.append(_Anchor(evidence.article, published, evidence))
    return min(lenders, key=lambda a: (a.published, a.article)) if lenders else None


def _group(mentions: list[_Mention], claims: _ClaimIndex, similarity: float) -> list[list[_Mention]]:
    """Union mentions of one date across articles, most similar pairs first, one sentence per article per group."""
    sets = DisjointSets(len(mentions))
    articles: list[set[str]] = [{m.doc.id} for m in mentions]  # per root: the articles its group holds
    # Two phrases in one sentence that resolve alike are one happening.
    first_in_sentence: dict[tuple[str, int, tuple[str, str]], int] = {}
    for i, mention in enumerate(mentions):
        same = first_in_sentence.setdefault((mention.doc.id, mention.sentence_index, mention.key), i)
        if same != i:
            sets.union(same, i)

    claim_sets = [{c.id for c in claims.on(m.doc.id, (m.sentence.start, m.sentence.end))} for m in mentions]
    # Only mentions of one date (or one unresolved phrase) can pair up.
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, mention in enumerate(mentions):
        by_key.setdefault(mention.key, []).append(i)
    pairs: list[tuple[float, int, int]] = []
    for members in by_key.values():
        if len(members) > 1:
            pairs.extend(_similar_pairs(mentions, members, claim_sets, similarity))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    for _, i, j in pairs:
        ri, rj = sets.find(i), sets.find(j)
        if ri == rj or articles[ri] & articles[rj]:
            continue
        articles[sets.union(ri, rj)] = articles[ri] | articles[rj]
    return [sorted((mentions[i] for i in group), key=lambda m: (m.order, m.expression.span))
            for group in sets.groups()]


# Mentions of one date in another article that each mention is compared with, either side of its
# proportional place there: all of them in a story of usual length, but a long article and its copy
# repeating "on Monday" hundreds of times would compare every one with every other.
_NEAR_MEMBERS = 8


def _similar_pairs(mentions: list[_Mention], members: list[int], claim_sets: list[set[str]],
                   similarity: float) -> list[tuple[float, int, int]]:
    """(score, i, j) for members i < j of different articles whose sentences' cosine reaches ``similarity``,
    or that lie on one claim (score at least 1)."""
    per_article: dict[str, int] = {}
    for i in members:
        per_article[mentions[i].doc.id] = per_article.get(mentions[i].doc.id, 0) + 1
    if max(per_article.values()) > 2 * _NEAR_MEMBERS + 1:
        return _similar_near_pairs(mentions, members, claim_sets, similarity)
    vectors = np.stack([_sentence_vector(mentions[i]) for i in members]).astype(np.float64)
    # Rounded so that equal sentences tie exactly (then the earlier pair goes first), whatever
    # order the matrix product summed in.
    scores = np.round(vectors @ vectors.T, 6)
    articles = np.array([mentions[i].doc.id for i in members])
    upper = np.triu(np.ones(scores.shape, dtype=bool), k=1) & (articles[:, None] != articles[None, :])
    on_claim = np.zeros_like(upper)
    members_of_claim: dict[str, list[int]] = {}
    for position, i in enumerate(members):
        for claim in claim_sets[i]:
            members_of_claim.setdefault(claim, []).append(position)
    for positions in members_of_claim.values():
        on_claim[np.ix_(positions, positions)] = True
    scores = np.where(on_claim, np.maximum(scores, 1.0), scores)
    rows, columns = np.nonzero(upper & (scores >= similarity))
    return [(float(scores[r, c]), members[r], members[c]) for r, c in zip(rows.tolist(), columns.tolist())]


def _similar_near_pairs(mentions: list[_Mention], members: list[int], claim_sets: list[set[str]],
                        similarity: float) -> list[tuple[float, int, int]]:
    """``_similar_pairs`` for a date many mentions carry: each mention against the ``_NEAR_MEMBERS``
    mentions either side of its proportional place in every other article, and those on a claim with it."""
    by_article: dict[str, list[int]] = {}  # positions in members, in text order
    for position, i in enumerate(members):
        by_article.setdefault(mentions[i].doc.id, []).append(position)
    candidates: set[tuple[int, int]] = set()
    articles = list(by_article.values())
    for index, own in enumerate(articles):
        for other in articles[index + 1:]:
            for rank, position in enumerate(own):
                centre = rank * len(other) // len(own)
                candidates.update((position, near) if position < near else (near, position)
                                  for near in other[max(centre - _NEAR_MEMBERS, 0):centre + _NEAR_MEMBERS + 1])
    on_claim: set[tuple[int, int]] = set()
    members_of_claim: dict[str, list[int]] = {}
    for position, i in enumerate(members):
        for claim in claim_sets[i]:
            members_of_claim.setdefault(claim, []).append(position)
    article_of = [mentions[i].doc.id for i in members]
    for positions in members_of_claim.values():
        on_claim.update((p, q) for k, p in enumerate(positions) for q in positions[k + 1:]
                        if article_of[p] != article_of[q])
    if not candidates and not on_claim:
        return []
    first, second = np.array(sorted(candidates | on_claim), dtype=np.int64).T
    vectors = np.stack([_sentence_vector(mentions[i]) for i in members]).astype(np.float64)
    scores = np.round(np.einsum("ij,ij->i", vectors[first], vectors[second]), 6)
    pairs: list[tuple[float, int, int]] = []
    for p, q, score in zip(first.tolist(), second.tolist(), scores.tolist()):
        if (p, q) in on_claim:
            score = max(score, 1.0)
        if score >= similarity:
            pairs.append((float(score), members[p], members[q]))
    return pairs


def _sentence_vector(mention: _Mention) -> np.ndarray:
    vectors = mention.doc.sentence_vectors
    if mention.sentence_index >= len(vectors):  # no vector: similar to nothing
        return np.zeros(len(mention.doc.vector), np.float32)
    return np.asarray(vectors[mention.sentence_index], dtype=np.float32)


def _entry(story_id: str, group: list[_Mention]) -> TimelineEntry:
    first = group[0]
    evidence: list[Evidence] = []
    seen: set[tuple[str, Span]] = set()
    articles: list[str] = []

    def add(item: Evidence) -> None:
        if (item.article, item.span) not in seen:
            seen.add((item.article, item.span))
            evidence.append(item)
        if item.article not in articles:
            articles.append(item.article)

    for mention in group:
        span = (mention.sentence.start, mention.sentence.end)
        add(Evidence(mention.doc.id, span, mention.sentence.text, mention.expression.phrase))
    # The dated article that lent its publication date is part of the
    # evidence: without it the date could not be read.
    for mention in group:
        if mention.anchor is not None:
            add(mention.anchor.evidence)
    return TimelineEntry(
        story=story_id,
        date=first.date,
        precision=first.precision,
        phrase=first.expression.phrase,
        text=first.sentence.text,
        articles=articles,
        evidence=evidence,
        anchor=next((m.anchor.article for m in group if m.anchor is not None), None),
    )
