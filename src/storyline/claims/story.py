"""A story's claims result as the pipeline stores it: the ledger, the omissions and the event sub-claims.

The ledger (:func:`build_ledger`) is one entry per checkable assertion, worded
as a reader reads it; a sentence often reports several events, so the story's
events, one id per real-world event across its articles, are built beside it
(:func:`build_event_ledger`) and each claim lists the events it shows. This is
the function the pipeline calls, and the one ``bench_claims_ecbplus.py`` scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from ..entities.mentions import parse_in_pieces
from ..model import Claim, ClaimEvent, Entity, Evidence, Omission, Prepared, Relation, Story
from .checkworthiness import EnglishEmbedder, TaggedText
from .events import EventClaim, build_event_ledger
from .extract import sentence_dates
from .ledger import build_ledger
from .settings import ClaimSettings, in_use


@dataclass
class StoryClaims:
    claims: list[Claim]
    omissions: list[Omission]
    events: list[ClaimEvent] = field(default_factory=list)


def _claim_event(event: EventClaim) -> ClaimEvent:
    return ClaimEvent(
        id=event.id, story=event.story, lemma=event.lemma, text=event.text, articles=list(event.articles),
        mentions=[Evidence(article=m.article, span=m.trigger, sentence=m.wording,
                           wording=m.wording[m.trigger[0] - m.span[0]:m.trigger[1] - m.span[0]])
                  for m in event.mentions],
        claims=list(event.claims), minor=event.minor,
    )


def build_story_claims(
    story: Story,
    docs: Sequence[Prepared],
    relations: Sequence[Relation] = (),
    entities: Sequence[Entity] = (),
    *,
    sentence_model: Optional[str] = None,
    nlp: Any = None,
    settings: Optional[ClaimSettings] = None,
    english_embedder: Optional[EnglishEmbedder] = None,
) -> StoryClaims:
    """The story's ledger and omissions (:func:`build_ledger`) and, given a parser, its event sub-claims.

    ``nlp``: a spaCy pipeline with a tagger, lemmatizer and dependency parser,
    passed in (never loaded here); its parse of each article gives the
    ledger's check-worthiness the words' tags too. Without one the story has
    no event sub-claims and its sentences are scored without tags. Minor words (see ``EventMention.minor``) are aligned too: on
    ECB+ train they carry the event mentions no predicate holds (BENCHMARKS.md,
    issue 13), but a claim lists only the events proper. ``settings``: the stage's
    thresholds (None: the shipped defaults). ``english_embedder``: the check-worthiness cascade's (see
    ``checkworthiness.cascade_scores``; None: the one that module loads).
    """
    with in_use.using(settings):
        return _build_story_claims(story, docs, relations, entities, sentence_model, nlp, english_embedder)


def _build_story_claims(story: Story, docs: Sequence[Prepared], relations: Sequence[Relation],
                        entities: Sequence[Entity], sentence_model: Optional[str], nlp: Any,
                        english_embedder: Optional[EnglishEmbedder]) -> StoryClaims:
    if nlp is None:
        return StoryClaims(*build_ledger(story, docs, relations, entities, sentence_model=sentence_model,
                                         english_embedder=english_embedder))
    # One parse for both: the ledger's check-worthiness reads its tags, the event sub-claims its dependencies.
    in_story = set(story.articles)
    story_docs = [doc for doc in docs if doc.id in in_story]
    parsed = dict(zip((doc.id for doc in story_docs), parse_in_pieces(nlp, [doc.article.text for doc in story_docs])))
    # ... and one scan of each sentence for dates: the ledger's candidates and the events both read them.
    dates = {doc.id: sentence_dates(doc) for doc in story_docs}
    claims, omissions = build_ledger(story, docs, relations, entities, sentence_model=sentence_model,
                                     tags={article: TaggedText.of(parse) for article, parse in parsed.items()},
                                     dates=dates, english_embedder=english_embedder)
    events = [_claim_event(e) for e in build_event_ledger(story, docs, nlp, claims=claims, with_minor=True,
                                                          parsed=parsed, dates=dates)]
    by_claim: dict[str, list[str]] = {}
    for event in events:
        if not event.minor:
            for claim_id in event.claims:
                by_claim.setdefault(claim_id, []).append(event.id)
    for claim in claims:
        claim.events = by_claim.get(claim.id, [])
    return StoryClaims(claims, omissions, events)
