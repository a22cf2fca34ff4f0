"""The entities, claims and timeline stages of the distributed engine (:mod:`storyline.spark.engine`).

Mentions are extracted per partition; entities are resolved once, over the whole
corpus, at the driver, exactly as the embedded runner resolves them; each story's
claims (with their event sub-claims) are then built in its own task with the
entities that have a mention in it, and its timeline from those claims: the
registry's cores (:mod:`storyline.stages`), called as the embedded runner calls them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterator

import numpy as np

from .. import entities as entities_stage
from ..claims.settings import ClaimSettings
from ..entities.settings import EntitySettings
from ..model import Claim, Entity, Mention, Prepared, Relation, Story
from ..ner import Recognisers
from ..stages import stage
from ..timeline.settings import TimelineSettings


# --- entities ---------------------------------------------------------------------------------------


def extract_mentions(articles: Any) -> Any:
    """RDD[(article, list[Mention])]: the entities stage's per-article step (``ner.extract_mentions_by_language``)
    per partition, in batches.

    Each language's model is loaded once per partition, on its first article in that language.
    """

    extract = stage("entities").article_step()

    def run(partition: Iterator[Prepared]) -> Iterator[tuple[str, list[Mention]]]:
        recognisers = Recognisers(parse_for_claims=False)  # the claims job parses apart
        pending: list[Prepared] = []
        for prepared in partition:
            pending.append(prepared)
            if len(pending) == entities_stage.NLP_BATCH:
                yield from zip((p.id for p in pending), extract(pending, recognisers))
                pending = []
        if pending:
            yield from zip((p.id for p in pending), extract(pending, recognisers))

    return articles.mapPartitions(run)


def resolve_entities(articles: Any, mentions: Any, relations: Any, stories: Any,
                     settings: EntitySettings | None = None) -> list[Entity]:
    """``entities.resolve_entities`` over the whole corpus, at the driver, in the store's order of its inputs.

    The embedded engine reads its inputs from the store sorted (articles and mentions by
    article, relations by pair, stories by id); the resolver's tie-breaks follow input
    order, so they are sorted the same way here.
    """
    docs = sorted(articles.map(_for_entities).collect(), key=lambda p: p.id)
    found = dict(mentions.collect())
    return stage("entities").core(
        {article: found[article] for article in sorted(found)},
        docs,
        sorted(relations.collect(), key=lambda r: (r.a, r.b)),
        sorted(stories.collect(), key=lambda story: story.id),
        settings=settings or EntitySettings(),
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


# --- claims, timeline --------------------------------------------------------------------------------


def story_claims(groups: Any, entities: Any, sentence_model: str | None = None,
                 settings: ClaimSettings | None = None) -> Any:
    """RDD[(kind, record)]: the claims stage per story (from ``story_groups``), with the story's entities
    (resolved corpus-wide): ``("claim", Claim)``, ``("omission", Omission)``, ``("event", ClaimEvent)``, and
    ``("story", (story id, its claims))`` for the timeline stage. ``sentence_model`` names the embedder of the
    sentence vectors (the claims stage reads them only for the model it was trained with). The parser the
    event sub-claims need is loaded once per partition."""
    stories = groups.map(lambda group: group[0])
    keyed = groups.keyBy(lambda group: group[0].id).leftOuterJoin(entities_by_story(entities, stories))

    def run(partition: Iterator[tuple[str, tuple[tuple[Story, list[Prepared], list[Relation]], Any]]]
            ) -> Iterator[tuple[str, Any]]:
        from ..pipeline import Models

        models = Models(recognisers=Recognisers(parse_for_claims=False))  # no NER: the entities job ran it
        for _, (group, found) in partition:
            story, docs, relations = group
            result = stage("claims").core(story, docs, relations, found or [], sentence_model=sentence_model,
                                          nlp=models.parser, settings=settings)
            yield "story", (story.id, result.claims)
            yield from (("claim", claim) for claim in result.claims)
            yield from (("omission", omission) for omission in result.omissions)
            yield from (("event", event) for event in result.events)

    return keyed.mapPartitions(run)


def story_timelines(groups: Any, claims_by_story: Any, settings: TimelineSettings | None = None) -> Any:
    """RDD[TimelineEntry]: the timeline stage per story, from its articles and its claims."""
    keyed = groups.keyBy(lambda group: group[0].id).leftOuterJoin(claims_by_story)
    return keyed.flatMap(lambda kv: _timeline(kv[1][0], kv[1][1] or [], settings))


def _timeline(group: tuple[Story, list[Prepared], list[Relation]], claims: list[Claim],
              settings: TimelineSettings | None = None) -> list[Any]:
    story, docs, _ = group
    return list(stage("timeline").core(story, docs, claims, settings=settings))
