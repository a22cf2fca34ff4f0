"""The distributed engine: the registry's stages (:mod:`storyline.stages`), their cores run over Spark partitions.

How each stage is split:

- read: one input file per task (``storyline.readers``), metadata completed from the text.
- prepare: the stage's core per partition, the embedder loaded once per partition.
- reuse: first the corpus-wide near-duplicates, by MinHash band-wise shuffles
  keyed by ``similarity.signature_band_keys`` (band, bucket key) → candidate pairs
  → ``similarity.estimated_jaccard`` → connected components by label propagation;
  then ``reuse.find_relations`` per time window (new = the window, existing = the one
  before), ``reuse.relation_between`` on near-duplicates further apart, and the
  identical-text rule (``reuse.identical_texts``) per group of one text.
- stories: the embedded stage's own block fold (``stories.fold_blocks``):
  corpus-wide term statistics, one task per calendar block (``stories.cluster_window``),
  the blocks folded at the driver (``stories.fold_across_borders``), then one task per
  story (``stories.story_from_members``): the same stories as the embedded engine.
- entities: mentions per partition (the stage's per-article step, each language's
  model loaded once per partition), then ``entities.resolve_entities`` once over the
  whole corpus at the driver, on the inputs the embedded engine gives it.
- claims, timeline: one task per story, with the entities that have a mention in it
  (:mod:`storyline.spark.per_story`).

No algorithm is implemented twice: the engine only decides which records
meet in which task. This module runs the stages in the registry's order and
reads and prepares; the reuse stage's tasks are in :mod:`storyline.spark.reuse`,
the stories stage's in :mod:`storyline.spark.stories`, the per-story stages' in
:mod:`storyline.spark.per_story`. Each stage is timed by name; results are written as
Parquet by :mod:`storyline.spark.tables`.

Driver memory. The stories fold holds, at the driver, every unit's founding
article id and story number (about 70 bytes per unit) and one summed row
per story (its embedding sum, ``4 × dimensions`` bytes, plus its specific-term
weights, 12 bytes per distinct term): about 2-3 KB per story with a 512-wide
embedder, e.g. 1-1.5 GB for 500,000 stories. The corpus-wide term statistics
(a count per distinct word) are held there and broadcast to every executor.
Entity resolution holds, at the driver, every article's text and sentence
bounds (not its vectors), every mention and every relation with its aligned
passages: somewhat more than the corpus's text. It is done there because the
resolver's rules join mentions across stories (a bare surname in one story is
the full name another story resolved), so no split of the corpus by story
gives the embedded engine's entities.
An executor holds one calendar block's articles (without sentence vectors) at a
time, and one story's articles with everything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..embedders import load_embedder
from ..model import Article, Prepared, RawDocument, Skipped
from ..prepare import prepare
from ..stages import STAGE_NAMES, check_until
from . import inputs as input_files
from .per_story import extract_mentions, resolve_entities, story_claims, story_timelines
from .reuse import connected_components, find_relations, lsh_candidate_pairs, verify_near_duplicates, with_identical_texts
from .settings import SparkSettings, partition_count, persisted
from .stories import story_groups

__all__ = ["Result", "SparkSettings", "STAGES", "analyze", "prepare_articles", "read_documents"]

STAGES = STAGE_NAMES


@dataclass
class Result:
    """The run's datasets (RDDs of the model's dataclasses) and its timings."""

    articles: Any = None          # RDD[Prepared] (the article with its signals)
    skipped: list[Skipped] = field(default_factory=list)
    near_duplicates: Any = None   # RDD[(a, b, jaccard)]
    duplicate_groups: Any = None  # RDD[(article, group)] for articles in a near-duplicate group
    relations: Any = None         # RDD[Relation]
    stories: Any = None           # RDD[Story]
    story_groups: Any = None      # RDD[(Story, list[Prepared], list[Relation])] (cached until the timeline is built)
    mentions: Any = None          # RDD[(article, list[Mention])] (every article, with or without mentions)
    entities: Any = None          # RDD[Entity]
    claims: Any = None            # RDD[Claim]
    omissions: Any = None         # RDD[Omission]
    claim_events: Any = None      # RDD[ClaimEvent] (the claims' event sub-claims)
    claims_by_story: Any = None   # RDD[(story id, list[Claim])] (what the timeline stage reads)
    timeline: Any = None          # RDD[TimelineEntry]
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def analyze(spark: Any, paths: Sequence[str], settings: SparkSettings | None = None, *,
            until: str | None = None, on_stage: Callable[[str, float, int], None] | None = None) -> Result:
    """Run every stage (or those up to ``until``) over ``paths``; each stage's RDD is cached and counted."""
    check_until(until, STAGES)
    settings = settings or SparkSettings()
    result = Result()

    def timed(name: str, run: Callable[[], int]) -> bool:
        started = time.perf_counter()
        result.counts[name] = run()
        result.seconds[name] = time.perf_counter() - started
        if on_stage:
            on_stage(name, result.seconds[name], result.counts[name])
        return name == until

    documents: Any = None

    def read() -> int:
        nonlocal documents
        documents, result.skipped = read_documents(spark, paths, settings)
        return documents.count()

    def prepare_stage() -> int:
        result.articles = persisted(prepare_articles(documents, settings))
        return result.articles.count()

    def reuse() -> int:
        signatures = result.articles.map(lambda p: (p.id, p.minhash))
        result.near_duplicates = persisted(verify_near_duplicates(
            lsh_candidate_pairs(signatures, settings.near_duplicate_jaccard), signatures, settings.near_duplicate_jaccard))
        result.duplicate_groups = persisted(connected_components(result.near_duplicates.map(lambda t: (t[0], t[1]))))
        found = find_relations(result.articles, result.near_duplicates, settings)
        result.relations = persisted(with_identical_texts(found, result.articles))
        return result.relations.count()

    def stories() -> int:
        result.story_groups = story_groups(result.articles, result.relations, settings)
        result.stories = persisted(result.story_groups.map(lambda group: group[0]))
        return result.stories.count()

    def entities() -> int:
        result.mentions = persisted(extract_mentions(result.articles))
        resolved = resolve_entities(result.articles, result.mentions, result.relations, result.stories,
                                    settings.entity_settings)
        context = result.articles.context
        result.entities = persisted(context.parallelize(resolved, partition_count(context, settings, len(resolved))))
        return len(resolved)

    def claims() -> int:
        outputs = persisted(story_claims(result.story_groups, result.entities, sentence_model=settings.embedder,
                                      settings=settings.claim_settings))
        result.claims = outputs.filter(lambda t: t[0] == "claim").map(lambda t: t[1])
        result.omissions = outputs.filter(lambda t: t[0] == "omission").map(lambda t: t[1])
        result.claim_events = outputs.filter(lambda t: t[0] == "event").map(lambda t: t[1])
        result.claims_by_story = outputs.filter(lambda t: t[0] == "story").map(lambda t: t[1])
        return result.claims.count()

    def timeline() -> int:
        result.timeline = persisted(story_timelines(result.story_groups, result.claims_by_story,
                                                 settings=settings.timeline_settings))
        count = result.timeline.count()
        # A second copy of every article: not needed once the per-story outputs are cached.
        result.story_groups.unpersist()
        return count

    steps: dict[str, Callable[[], int]] = {"read": read, "prepare": prepare_stage, "reuse": reuse,
                                           "stories": stories, "entities": entities, "claims": claims,
                                           "timeline": timeline}
    assert tuple(steps) == STAGES, "a step per stage of the registry, in its order"
    for name in STAGES:
        if timed(name, steps[name]):
            break
    return result


# --- read ---------------------------------------------------------------------------------


def read_documents(spark: Any, paths: Sequence[str], settings: SparkSettings | None = None) -> tuple[Any, list[Skipped]]:
    """RDD[RawDocument] (metadata completed; one per source, the first read) and the inputs skipped.

    Skipped records are collected to the driver: they are few, and the user needs every one.
    """
    settings = settings or SparkSettings()
    context = spark.sparkContext
    tasks, parquet, skipped = input_files.plan(spark, paths)
    parts = []
    local = [t for t in tasks if t.kind == "local"]
    if local:
        parts.append(context.parallelize(local, partition_count(context, settings, len(local)))
                     .flatMap(input_files.read_local))
    http = [t for t in tasks if t.kind == "http"]
    if http:
        parts.append(context.parallelize(http, partition_count(context, settings, len(http)))
                     .flatMap(input_files.read_http))
    remote = [t for t in tasks if t.kind == "hadoop"]
    if remote:
        by_location = {t.location: t for t in remote}
        files = context.binaryFiles(",".join(by_location), minPartitions=partition_count(context, settings, len(remote)))
        parts.append(files.flatMap(lambda pair: input_files.read_bytes(_task_for(by_location, pair[0]), pair[1])))
    for number, uri in enumerate(parquet):
        order = len(tasks) + number
        rows = spark.read.parquet(uri).rdd.zipWithIndex()
        parts.append(rows.map(lambda pair, uri=uri, order=order: (
            (order, pair[1]), input_files.parquet_record(uri, pair[0].asDict(recursive=True), pair[1]))))
    if not parts:
        return context.emptyRDD(), skipped
    everything = persisted(context.union(parts))
    skipped.extend(item for _, item in everything.filter(lambda t: isinstance(t[1], Skipped)).collect())
    documents = (everything.filter(lambda t: isinstance(t[1], RawDocument))
                 .map(lambda t: (t[1].source, t))
                 .reduceByKey(lambda x, y: x if x[0] <= y[0] else y)
                 .map(lambda kv: kv[1][1]))
    return documents, skipped


def _task_for(by_location: dict[str, input_files.FileTask], path: str) -> input_files.FileTask:
    if path in by_location:
        return by_location[path]
    # binaryFiles may qualify a path ("file:///x" → "file:/x"): match on the normalised form.
    for location, task in by_location.items():
        if location.replace(":///", ":/") == path.replace(":///", ":/"):
            return replace(task, location=path)
    return input_files.FileTask(-1, path, "hadoop")


def to_article(doc: RawDocument) -> Article:
    """The article the store would keep for a document read once (version 1)."""
    return Article(id=Article.id_for(doc.source), source=doc.source, text=doc.text, title=doc.title, url=doc.url,
                   outlet=doc.outlet, published=doc.published, language=doc.language, byline=doc.byline)


# --- prepare ---------------------------------------------------------------------------------


def prepare_articles(documents: Any, settings: SparkSettings) -> Any:
    """RDD[Prepared]: ``prepare.prepare`` per partition, with the embedder loaded once per partition."""
    embedder_name, batch = settings.embedder, settings.prepare_batch

    def prepare_partition(docs: Iterator[RawDocument]) -> Iterator[Prepared]:
        embedder = None
        pending: list[Article] = []
        for doc in docs:
            pending.append(to_article(doc))
            if len(pending) == batch:
                embedder = embedder or load_embedder(embedder_name)
                yield from (as_stored(p) for p in prepare(pending, embedder))
                pending = []
        if pending:
            embedder = embedder or load_embedder(embedder_name)
            yield from (as_stored(p) for p in prepare(pending, embedder))

    return documents.mapPartitions(prepare_partition)


def as_stored(prepared: Prepared) -> Prepared:
    """The prepared article as the store gives it back, so both engines feed the later stages the same values.

    The store keeps sentence vectors as float16 and gives the detected language to
    an article the input did not label.
    """
    article = prepared.article
    if article.language is None and prepared.language is not None:
        article = replace(article, language=prepared.language)
    return replace(
        prepared,
        article=article,
        vector=np.asarray(prepared.vector, dtype=np.float32),
        sentence_vectors=np.asarray(prepared.sentence_vectors, dtype=np.float32).astype(np.float16).astype(np.float32),
        minhash=np.asarray(prepared.minhash, dtype=np.uint32),
    )
