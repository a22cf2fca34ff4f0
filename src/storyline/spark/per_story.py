"""Stages 6 and 7 of the distributed engine (:mod:`storyline.spark.engine`): entities, then per story.

Mentions are extracted per partition; entities are resolved once, over the whole
corpus, at the driver, exactly as the embedded runner resolves them; each story's
claims and timeline are then built in its own task with the entities that have a
mention in it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterator

import numpy as np

from .. import claims as claims_stage
from .. import entities as entities_stage
from .. import timeline as timeline_stage
from ..model import Entity, Mention, Prepared, Relation, Story
from ..ner import Recognisers, extract_mentions_by_language


# --- 6. entities ---------------------------------------------------------------------------------------


def extract_mentions(articles: Any) -> Any:
    """RDD[(article, list[Mention])]: ``ner.extract_mentions_by_language`` per partition, in batches.

    Each language's model is loaded once per partition, on its first article in that language.
    """

    def run(partition: Iterator[Prepared]) -> Iterator[tuple[str, list[Mention]]]:
        recognisers = Recognisers()
        pending: list[Prepared] = []
        for prepared in partition:
            pending.append(prepared)
            if len(pending) == entities_stage.NLP_BATCH:
                yield from zip((p.id for p in pending), extract_mentions_by_language(pending, recognisers))
                pending = []
        if pending:
            yield from zip((p.id for p in pending), extract_mentions_by_language(pending, recognisers))

    return articles.mapPartitions(run)


def resolve_entities(articles: Any, mentions: Any, relations: Any, stories: Any) -> list[Entity]:
    """``entities.resolve_entities`` over the whole corpus, at the driver, in the store's order of its inputs.

    The embedded engine reads its inputs from the store sorted (articles and mentions by
    article, relations by pair, stories by id); the resolver's tie-breaks follow input
    order, so they are sorted the same way here.
    """
    docs = sorted(articles.map(_for_entities).collect(), key=lambda p: p.id)
    found = dict(mentions.collect())
    return entities_stage.resolve_entities(
        {article: found[article] for article in sorted(found)},
        docs,
        sorted(relations.collect(), key=lambda r: (r.a, r.b)),
        sorted(stories.collect(), key=lambda story: story.id),
    )


def _for_entities(prepared: Prepared) -> Prepared:
    """The article without what the resolver never reads (vectors, MinHash): only text and sentences travel."""
    return replace(prepared, vector=np.zeros(0, dtype=np.float32),
                   sentence_vectors=np.zeros((0, 0), dtype=np.float32), minhash=np.zeros(0, dtype=np.uint32))


def entities_by_story(entities: Any, stories: Any) -> Any:
    """RDD[(story id, list[Entity])]: each story's entities with a mention in it, by id (as the embedded runner)."""
    story_of = stories.flatMap(lambda story: [(article, story.id) for article in story.articles])
    return (entities.flatMap(lambda e: [(article, e) for article in e.articles]).join(story_of)
            .map(lambda kv: (kv[1][1], (kv[1][0].id, kv[1][0])))
            .groupByKey()
            .mapValues(lambda found: [entity for _, entity in sorted(dict(found).items())]))


# --- 7. per story: claims, timeline ---------------------------------------------------------------


def per_story_results(groups: Any, entities: Any, sentence_model: str | None = None) -> Any:
    """RDD[(kind, record)]: per story (from :func:`story_groups`), with its entities (resolved corpus-wide),
    its claims, omissions and timeline. ``sentence_model`` names the embedder of the sentence vectors (the
    claims stage reads them only for the model it was trained with)."""
    stories = groups.map(lambda group: group[0])
    keyed = groups.keyBy(lambda group: group[0].id).leftOuterJoin(entities_by_story(entities, stories))
    return keyed.flatMap(lambda kv: _story_results(kv[1][0], kv[1][1] or [], sentence_model))


def _story_results(group: tuple[Story, list[Prepared], list[Relation]], entities: list[Entity],
                   sentence_model: str | None = None) -> list[tuple[str, Any]]:
    story, docs, relations = group
    claims, omissions = claims_stage.build_ledger(story, docs, relations, entities, sentence_model=sentence_model)
    timeline = timeline_stage.build_timeline(story, docs, claims)
    out: list[tuple[str, Any]] = [("claim", claim) for claim in claims]
    out += [("omission", omission) for omission in omissions]
    out += [("timeline", entry) for entry in timeline]
    return out
