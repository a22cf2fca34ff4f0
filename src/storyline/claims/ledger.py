"""Step 3: the story's ledger: aligned claims with status, speaker, conflicts and omissions."""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

import numpy as np

from ..graph import independent_groups
from ..model import Claim, ClaimStatus, Entity, Evidence, Omission, Prepared, Relation, Span, Story, stable_id
from .align import _candidate_vector, align_candidates, passage_pairs
from .extract import ClaimCandidate, extract_claim_candidates
from .framing import framing, hedge_markers



def _evidence(candidate: ClaimCandidate) -> Evidence:
    attributed_to, markers, hedges, quotes = framing(candidate)
    return Evidence(article=candidate.article, span=candidate.span, sentence=candidate.sentence,
                    wording=candidate.wording, attributed_to=attributed_to, markers=markers, hedges=hedges,
                    quotes=quotes)


def claim_status(conflicts: Sequence[str], independent_sources: int) -> ClaimStatus:
    if conflicts:
        return "contradicted"
    return "corroborated" if independent_sources >= 2 else "single-source"


def article_order(docs: Iterable[Prepared]) -> dict[str, int]:
    """Earliest-published first (undated last), then by id."""
    ordered = sorted(docs, key=lambda d: (d.article.published is None, d.article.published or "", d.id))
    return {doc.id: rank for rank, doc in enumerate(ordered)}


def _speaker_entity(article: str, span: Optional[Span], mentions: dict[str, list[tuple[Span, str]]]) -> Optional[str]:
    """The entity whose mention overlaps the speaker's words; the one ending last wins (a name follows its title)."""
    if span is None:
        return None
    best: Optional[tuple[int, int, str]] = None
    for (ms, me), entity_id in mentions.get(article, []):
        overlap = min(me, span[1]) - max(ms, span[0])
        if overlap > 0 and (best is None or (me, overlap) > (best[0], best[1])):
            best = (me, overlap, entity_id)
    return best[2] if best else None


def build_ledger(
    story: Story,
    docs: Sequence[Prepared],
    relations: Sequence[Relation] = (),
    entities: Sequence[Entity] = (),
) -> tuple[list[Claim], list[Omission]]:
    """The story's claims, aligned across its articles, with status, conflicts and omissions.

    ``docs`` may hold articles of other stories; only the story's are read.
    Claims are ordered by their first article (earliest published, then id)
    and position in it. ``relations`` give the independent sources (over the
    whole story's provenance graph) and the aligned passages of derived
    articles. Omissions list, for each article of the story, every fact of
    the story it does not carry (opinion claims are not omissions),
    corroborated claims first (most independent sources first), then the
    rest; articles that carry them all get no omission.
    """
    in_story = set(story.articles)
    story_docs = [doc for doc in docs if doc.id in in_story]
    order = article_order(story_docs)
    story_docs.sort(key=lambda d: order[d.id])
    mentions: dict[str, list[tuple[Span, str]]] = {}
    for entity in entities:
        for mention in entity.mentions:
            if mention.article in in_story:
                mentions.setdefault(mention.article, []).append((mention.span, entity.id))

    candidates: list[ClaimCandidate] = []
    rows: list[np.ndarray] = []
    seen: set[tuple[str, Span, str, str]] = set()
    for doc in story_docs:
        for candidate in extract_claim_candidates(doc):
            key = (candidate.article, candidate.span, candidate.kind, candidate.wording)
            # A clause holding two counts is found once per count: it is one claim.
            # Opinion is kept too: aligned with the facts it words, marked as such.
            if key not in seen:
                seen.add(key)
                candidates.append(candidate)
                rows.append(_candidate_vector(doc, candidate))
    vectors = np.vstack(rows) if rows else np.zeros((0, 1), np.float32)
    story_relations = [r for r in relations if r.a in in_story and r.b in in_story]
    # Derivation is transitive through articles that do not carry the claim: a
    # translation of an original and a rewrite of the same original are one
    # source even when the original leaves the claim out.
    source_of = {article: n for n, group in enumerate(independent_groups(in_story, story_relations))
                 for article in group}
    alignment = align_candidates(candidates, vectors, in_passages=passage_pairs(candidates, story_relations))

    claims: list[Claim] = []
    for group in alignment.groups:
        members = sorted((candidates[i] for i in group), key=lambda c: (order[c.article], c.span))
        # The claim is worded as the earliest article that states it as a fact;
        # only when every article words it as opinion is it an opinion claim.
        facts = [c for c in members if c.is_fact]
        first = facts[0] if facts else members[0]
        articles = list(dict.fromkeys(c.article for c in members))
        speaker = next((entity for entity in (_speaker_entity(c.article, c.speaker_span, mentions) for c in members)
                        if entity is not None), None)
        markers = [] if facts else list(dict.fromkeys(
            word for c in members for word in c.opinion_words + hedge_markers(c.sentence)))
        claims.append(Claim(
            # Two claims can start at one offset (a sentence holding two counts), so the whole span and the
            # wording go into the id too.
            id=stable_id("c", story.id, first.article, f"{first.span[0]}:{first.span[1]}", first.kind, first.wording),
            story=story.id, text=first.wording, kind=first.kind, speaker=speaker, articles=articles,
            status="single-source", independent_sources=len({source_of[a] for a in articles}),
            evidence=[_evidence(c) for c in members], opinion=not facts, markers=markers,
        ))
    for a, b in alignment.conflicts:
        claims[a].conflicts.append(claims[b].id)
        claims[b].conflicts.append(claims[a].id)
    for claim in claims:
        claim.conflicts = sorted(set(claim.conflicts))
        claim.status = claim_status(claim.conflicts, claim.independent_sources)
    claims.sort(key=lambda c: (order[c.evidence[0].article], c.evidence[0].span))

    # An article that leaves out an opinion has omitted no fact.
    omissions: list[Omission] = []
    ranked = sorted((c for c in claims if not c.opinion), key=lambda c: (c.status != "corroborated", -c.independent_sources,
                                           order[c.evidence[0].article], c.evidence[0].span))
    for doc in story_docs:
        missing = [c.id for c in ranked if doc.id not in c.articles]
        if missing:
            omissions.append(Omission(story=story.id, article=doc.id, claims=missing))
    return claims, omissions
