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

No algorithm is implemented twice: this module only decides which records
meet in which task. Each stage is timed by name; results are written as
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
from itertools import combinations
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from .. import reuse as reuse_stage
from .. import stories as stories_stage
from ..stages import STAGE_NAMES, check_until
from ..stories import UNDATED
from ..stories.features import article_order_key  # the stories stage's article order
from ..stories.statistics import neighbourhood_statistics
from ..embedders import DEFAULT_EMBEDDER, load_embedder
from ..claims.settings import ClaimSettings
from ..entities.settings import EntitySettings
from ..fingerprint import NUM_PERM
from ..model import Article, Prepared, RawDocument, Relation, Skipped, Story, text_hash
from ..prepare import prepare
from ..similarity import estimated_jaccard, lsh_bands, signature_band_keys
from ..timeline.settings import TimelineSettings
from . import inputs as input_files
from .per_story import _for_entities, extract_mentions, resolve_entities, story_claims, story_timelines

STAGES = STAGE_NAMES

# Longest run of label-propagation rounds; each round at least halves nothing in the worst
# case (a path), so a component longer than this keeps a larger label and a warning is logged.
MAX_PROPAGATION_ROUNDS = 64


@dataclass(frozen=True)
class SparkSettings:
    """What the distributed run needs beyond the stage defaults; defaults suit a laptop and a cluster."""

    embedder: str = DEFAULT_EMBEDDER
    # Articles embedded per call inside a partition (as the embedded runner batches them).
    prepare_batch: int = 64
    # The reuse stage's settings, as the embedded engine's (``analyze --settings FILE``).
    reuse_settings: reuse_stage.ReuseSettings = field(default_factory=reuse_stage.ReuseSettings)
    # Reuse is searched within windows of this many days and between neighbouring windows
    # (0: the stories' calendar blocks, ``StorySettings.partition_days``): copies further apart
    # in time are found only as near-duplicates.
    reuse_window_days: int = 0
    # Stories are clustered per calendar block of ``story_settings.partition_days`` days (one task
    # each), as the embedded engine does: the same settings give the same stories.
    story_settings: stories_stage.StorySettings = field(default_factory=stories_stage.StorySettings)
    # Entity resolution's settings, as the embedded engine's (``analyze --settings FILE``).
    entity_settings: EntitySettings = field(default_factory=EntitySettings)
    # The claims and timeline stages' settings, as the embedded engine's.
    claim_settings: ClaimSettings = field(default_factory=ClaimSettings)
    timeline_settings: TimelineSettings = field(default_factory=TimelineSettings)
    # Partitions for the per-article stages (0: Spark's default parallelism times 4).
    partitions: int = 0

    def reuse_window(self) -> int:
        return self.reuse_window_days or self.story_settings.partition_days

    @property
    def near_duplicate_jaccard(self) -> float:
        """Estimated Jaccard at which two LSH candidates are near-duplicates: the reuse stage's candidate threshold."""
        return self.reuse_settings.candidate_jaccard


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
        result.articles = _cache(prepare_articles(documents, settings))
        return result.articles.count()

    def reuse() -> int:
        signatures = result.articles.map(lambda p: (p.id, p.minhash))
        result.near_duplicates = _cache(verify_near_duplicates(
            lsh_candidate_pairs(signatures, settings.near_duplicate_jaccard), signatures, settings.near_duplicate_jaccard))
        result.duplicate_groups = _cache(connected_components(result.near_duplicates.map(lambda t: (t[0], t[1]))))
        found = find_relations(result.articles, result.near_duplicates, settings)
        result.relations = _cache(with_identical_texts(found, result.articles))
        return result.relations.count()

    def stories() -> int:
        result.story_groups = story_groups(result.articles, result.relations, settings)
        result.stories = _cache(result.story_groups.map(lambda group: group[0]))
        return result.stories.count()

    def entities() -> int:
        result.mentions = _cache(extract_mentions(result.articles))
        resolved = resolve_entities(result.articles, result.mentions, result.relations, result.stories,
                                    settings.entity_settings)
        context = result.articles.context
        result.entities = _cache(context.parallelize(resolved, _partitions(context, settings, len(resolved))))
        return len(resolved)

    def claims() -> int:
        outputs = _cache(story_claims(result.story_groups, result.entities, sentence_model=settings.embedder,
                                      settings=settings.claim_settings))
        result.claims = outputs.filter(lambda t: t[0] == "claim").map(lambda t: t[1])
        result.omissions = outputs.filter(lambda t: t[0] == "omission").map(lambda t: t[1])
        result.claim_events = outputs.filter(lambda t: t[0] == "event").map(lambda t: t[1])
        result.claims_by_story = outputs.filter(lambda t: t[0] == "story").map(lambda t: t[1])
        return result.claims.count()

    def timeline() -> int:
        result.timeline = _cache(story_timelines(result.story_groups, result.claims_by_story,
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


def _cache(rdd: Any) -> Any:
    from pyspark import StorageLevel

    return rdd.persist(StorageLevel.MEMORY_AND_DISK)


def _partitions(spark_context: Any, settings: SparkSettings, items: int) -> int:
    wanted = settings.partitions or spark_context.defaultParallelism * 4
    return max(1, min(wanted, items))


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
        parts.append(context.parallelize(local, _partitions(context, settings, len(local)))
                     .flatMap(input_files.read_local))
    http = [t for t in tasks if t.kind == "http"]
    if http:
        parts.append(context.parallelize(http, _partitions(context, settings, len(http)))
                     .flatMap(input_files.read_http))
    remote = [t for t in tasks if t.kind == "hadoop"]
    if remote:
        by_location = {t.location: t for t in remote}
        files = context.binaryFiles(",".join(by_location), minPartitions=_partitions(context, settings, len(remote)))
        parts.append(files.flatMap(lambda pair: input_files.read_bytes(_task_for(by_location, pair[0]), pair[1])))
    for number, uri in enumerate(parquet):
        order = len(tasks) + number
        rows = spark.read.parquet(uri).rdd.zipWithIndex()
        parts.append(rows.map(lambda pair, uri=uri, order=order: (
            (order, pair[1]), input_files.parquet_record(uri, pair[0].asDict(recursive=True), pair[1]))))
    if not parts:
        return context.emptyRDD(), skipped
    everything = _cache(context.union(parts))
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


# --- near-duplicates ---------------------------------------------------------------------------


def lsh_candidate_pairs(signatures: Any, threshold: float = reuse_stage.ReuseSettings().candidate_jaccard) -> Any:
    """RDD[(a, b)] with a < b: articles sharing all values of at least one band.

    One shuffle keyed by (band, the band's bucket key): the buckets of the reuse
    stage's in-memory LSH (``similarity.signature_band_keys``), with the bands and rows
    derived from the same threshold.
    """
    bands, rows = lsh_bands(threshold, NUM_PERM)

    def band_keys(item: tuple[str, np.ndarray]) -> list[tuple[tuple[int, int], str]]:
        article, signature = item
        keys = signature_band_keys(np.asarray(signature, dtype=np.uint32), bands, rows)
        return [((band, key), article) for band, key in enumerate(keys)]

    def bucket_pairs(bucket: tuple[Any, Iterable[str]]) -> list[tuple[str, str]]:
        return list(combinations(sorted(set(bucket[1])), 2))

    return signatures.flatMap(band_keys).groupByKey().flatMap(bucket_pairs).distinct()


def verify_near_duplicates(pairs: Any, signatures: Any, threshold: float) -> Any:
    """RDD[(a, b, jaccard)]: candidate pairs whose estimated Jaccard reaches ``threshold``."""
    joined = (pairs.join(signatures)  # (a, (b, sig_a))
              .map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))
              .join(signatures))  # (b, ((a, sig_a), sig_b))
    scored = joined.map(lambda kv: (kv[1][0][0], kv[0], estimated_jaccard(kv[1][0][1], kv[1][1])))
    return scored.filter(lambda t: t[2] >= threshold)


def connected_components(edges: Any) -> Any:
    """RDD[(article, group)]: the smallest article id of each connected component, by label propagation.

    Each round every node takes the smallest label among itself and its neighbours;
    rounds stop when no label changes. Only articles with an edge appear.
    """
    undirected = _cache(edges.flatMap(lambda e: [(e[0], e[1]), (e[1], e[0])]).distinct())
    # Fixed partition counts: a union adds its inputs' partitions up, round after round.
    parts = max(1, undirected.getNumPartitions())
    labels = _cache(undirected.map(lambda e: (e[0], e[0])).distinct(parts))
    for _ in range(MAX_PROPAGATION_ROUNDS):
        # A neighbour's label travels along each edge; every node keeps the smallest it sees.
        proposals = undirected.join(labels, parts).map(lambda kv: (kv[1][0], kv[1][1]))
        updated = _cache(labels.union(proposals).reduceByKey(min, parts))
        changed = updated.join(labels, parts).filter(lambda kv: kv[1][0] != kv[1][1]).count()
        labels.unpersist()
        labels = updated
        if changed == 0:
            break
    return labels


# --- reuse ---------------------------------------------------------------------------------------


def find_relations(articles: Any, near_duplicates: Any, settings: SparkSettings) -> Any:
    """RDD[Relation]: ``reuse.find_relations`` per time window, as the incremental runner calls it.

    Articles are keyed by window (``settings.reuse_window()`` days; undated ones in
    a window of their own). Window k's task is ``find_relations(new=window k,
    existing=window k-1 + the undated articles)``, and the undated window's task
    relates the undated among themselves: exactly how the embedded runner relates a
    new batch to what the store holds, so the reuse stage's own candidate search
    (LSH, nearest embeddings, shared names, its per-article limits) runs unchanged.
    Undated articles are copied into every window's task: cheap while they are few
    (news archives date nearly everything). Dated pairs further apart than one
    window are not compared, except near-duplicates (found corpus-wide by band-wise
    shuffles), which go to ``reuse.relation_between``.
    """
    length = settings.reuse_window()
    reuse_settings = settings.reuse_settings
    windows = articles.map(lambda p: (p.id, _window(p, length)))
    dated = sorted(windows.values().filter(lambda w: w != UNDATED).distinct().collect())
    single = len(dated) <= 1
    only = dated[0] if dated else UNDATED
    window_of = _cache(windows.mapValues(lambda w: only) if single else windows)

    def roles(item: tuple[str, tuple[int, Prepared]]) -> list[tuple[int, tuple[bool, Prepared]]]:
        # An article is "new" in its window's task and "existing" in the next window's task; an
        # undated one is "existing" in every dated window's task, so it meets every article once.
        _, (window, prepared) = item
        if window == UNDATED:
            return [(UNDATED, (True, prepared))] + [(w, (False, prepared)) for w in dated]
        return [(window, (True, prepared))] + ([(window + 1, (False, prepared))] if window + 1 in dated else [])

    tasks = window_of.join(articles.map(lambda p: (p.id, p))).flatMap(roles).groupByKey()

    def relate(item: tuple[int, Iterable[tuple[bool, Prepared]]]) -> list[Relation]:
        _, members = item
        members = sorted(members, key=lambda t: t[1].id)
        new = [p for is_new, p in members if is_new]
        existing = [p for is_new, p in members if not is_new]
        return reuse_stage.find_relations(new, existing, settings=reuse_settings)

    found = tasks.flatMap(relate)
    if single:
        return found
    # Near-duplicates in windows no task put together: compared pair by pair.
    apart = (near_duplicates.map(lambda t: (t[0], t[1])).join(window_of)
             .map(lambda kv: (kv[1][0], (kv[0], kv[1][1]))).join(window_of)
             .filter(lambda kv: _far_apart(kv[1][0][1], kv[1][1]))
             .map(lambda kv: (kv[1][0][0], kv[0])))
    return found.union(relations_for_pairs(apart, articles, reuse_settings))


def _far_apart(first: int, second: int) -> bool:
    # Undated articles meet every window in its own task.
    return first != UNDATED and second != UNDATED and abs(first - second) > 1


def relations_for_pairs(pairs: Any, articles: Any, settings: reuse_stage.ReuseSettings | None = None) -> Any:
    """RDD[Relation]: ``reuse.relation_between`` on each pair that is really linked."""
    by_id = articles.map(lambda p: (p.id, p))
    joined = (pairs.join(by_id)  # (a, (b, prepared_a))
              .map(lambda kv: (kv[1][0], kv[1][1]))
              .join(by_id))  # (b, (prepared_a, prepared_b))
    return (joined.map(lambda kv: reuse_stage.relation_between(kv[1][0], kv[1][1], settings))
            .filter(lambda relation: relation is not None))


def with_identical_texts(found: Any, articles: Any) -> Any:
    """The reuse stage's identical-text rule: ``reuse.identical_texts`` on each group of one text (the
    whole corpus new, as in one embedded run), merged pair by pair with ``reuse.with_identical_texts``."""
    identical = (articles.map(lambda p: (text_hash(p.article.text), _for_entities(p))).groupByKey()
                 .flatMap(lambda kv: reuse_stage.identical_texts(sorted(kv[1], key=lambda p: p.id))))
    return (found.keyBy(lambda r: (r.a, r.b)).cogroup(identical.keyBy(lambda r: (r.a, r.b)))
            .flatMap(lambda kv: reuse_stage.with_identical_texts(list(kv[1][0]), list(kv[1][1]))))


# --- stories ------------------------------------------------------------------------------------


def _window(prepared: Prepared, length: int) -> int:
    day = stories_stage.day_ordinal(prepared.article.published)
    return UNDATED if day is None else day // length


def cluster_stories(articles: Any, relations: Any, settings: SparkSettings) -> Any:
    """RDD[Story]: the embedded engine's stories, found as :func:`story_groups` says."""
    return story_groups(articles, relations, settings).map(lambda group: group[0])


def story_groups(articles: Any, relations: Any, settings: SparkSettings) -> Any:
    """RDD[(Story, its articles, the relations among them)]: ``stories.cluster_stories``, block by block.

    The embedded stage clusters calendar blocks one by one (``stories.fold_blocks``);
    here each block is a task and the fold runs at the driver:

    1. Term statistics: ``stories.term_statistics`` per partition, added up with
       ``TermStatistics.merged`` and broadcast (the per-site line counts and name forms),
       and per block, so every block weighs terms by its neighbourhood's counts
       (``stories.statistics``), as the embedded stage does.
    2. Units: articles joined by derivation relations (any kind but ``related``),
       found corpus-wide by :func:`connected_components`; a unit belongs to the block
       of its first day (``stories.window_of``), undated units to the undated block.
    3. Per block: ``stories.story_signals`` on the block's units (the rows
       ``stories.group_blocks`` gives that block, in the same order), then
       ``stories.cluster_window``. Only the block's ``WindowStories`` goes to the driver.
    4. At the driver: the blocks folded left in time order, the undated block last,
       with ``stories.fold_across_borders``: the embedded stage's fold.
    5. Per story: ``stories.story_from_members`` on its articles and relations.

    The groups are cached: the per-story stage reads them without another shuffle.
    """
    story_settings = settings.story_settings
    context = articles.context
    # 1. term statistics
    statistics = context.broadcast(corpus_term_statistics(articles))
    names = context.broadcast(statistics.value.name_forms())
    # 2. units, keyed by block
    units = derivation_units(articles, relations, story_settings)
    by_block = (articles.map(lambda p: (p.id, _for_signals(p))).leftOuterJoin(units)
                .map(lambda kv: _keyed_by_block(kv[1][0], kv[1][1], story_settings)).groupByKey())
    # 3. per block
    # Each block's rows are weighed by the counts of its neighbourhood of blocks (stories.statistics).
    own = context.broadcast(dict(by_block.mapValues(
        lambda members: stories_stage.term_statistics([p for _, p in members], story_settings)).collect()))
    blocks = _cache(by_block.map(lambda item: _cluster_block(
        item[0], item[1], neighbourhood_statistics(item[0], own.value, statistics.value), story_settings)))
    # 4. the fold
    story_numbers = context.broadcast(fold_blocks(blocks.map(lambda t: (t[0], t[1])).collect(), story_settings))
    # 5. per story
    story_of = blocks.flatMap(lambda t: [(article, int(story_numbers.value[t[0]][row]))
                                         for row, unit in enumerate(t[2]) for article in unit])
    docs = articles.map(lambda p: (p.id, p)).join(story_of).map(lambda kv: (kv[1][1], kv[1][0]))
    inside = relations_inside(relations, story_of)
    return _cache(docs.cogroup(inside).map(lambda kv: _built_story(kv[1][0], kv[1][1], story_settings, names.value)))


def corpus_term_statistics(articles: Any, batch: int = 2000) -> stories_stage.TermStatistics:
    """``stories.term_statistics`` over every article: counted per batch within each partition, then added up."""

    def count(partition: Iterator[Prepared]) -> Iterator[stories_stage.TermStatistics]:
        total = stories_stage.TermStatistics()
        pending: list[Prepared] = []
        for prepared in partition:
            pending.append(prepared)
            if len(pending) == batch:
                total = total.merged(stories_stage.term_statistics(pending))
                pending = []
        yield total.merged(stories_stage.term_statistics(pending))

    def add(x: stories_stage.TermStatistics, y: stories_stage.TermStatistics) -> stories_stage.TermStatistics:
        return x.merged(y)

    # Counts are integers: the order partitions are added in does not change the sums.
    return articles.mapPartitions(count).treeAggregate(stories_stage.TermStatistics(), add, add, depth=2)


def derivation_units(articles: Any, relations: Any, story_settings: stories_stage.StorySettings) -> Any:
    """RDD[(article, (unit, block))] for articles a derivation relation joins to others.

    The unit is the smallest article id of its connected component; its block is that of
    the unit's first day (undated when no member has a day), as ``story_signals`` and
    ``window_of`` give it. Articles absent here are units of their own.
    """
    edges = relations.filter(lambda r: r.kind in story_settings.joining_kinds).map(lambda r: (r.a, r.b))
    if edges.isEmpty():
        # One cheap job instead of label propagation's rounds of shuffles over nothing.
        return articles.context.emptyRDD()
    unit_of = connected_components(edges)  # cached there
    days = articles.map(lambda p: (p.id, stories_stage.day_ordinal(p.article.published)))
    first_days = unit_of.join(days).map(lambda kv: kv[1]).reduceByKey(_earlier)  # (unit, first day)
    return (unit_of.map(lambda kv: (kv[1], kv[0])).join(first_days)
            .map(lambda kv: (kv[1][0], (kv[0], block_of(kv[1][1], story_settings)))))


def _earlier(first: int | None, second: int | None) -> int | None:
    if first is None or second is None:
        return second if first is None else first
    return min(first, second)


def block_of(day: int | None, story_settings: stories_stage.StorySettings) -> int:
    """The calendar block of a day ordinal (``stories.window_of``); ``UNDATED`` for an unknown day."""
    first_day = np.array([UNDATED if day is None else day], dtype=np.int64)
    return int(stories_stage.window_of(first_day, story_settings)[0])


def _for_signals(prepared: Prepared) -> Prepared:
    """The article without what story signals never read (sentence vectors, MinHash): far less to shuffle."""
    return replace(prepared, sentence_vectors=np.zeros((0, len(prepared.vector)), dtype=np.float32),
                   minhash=np.zeros(0, dtype=np.uint32))


def _keyed_by_block(prepared: Prepared, unit: tuple[str, int] | None,
                    story_settings: stories_stage.StorySettings) -> tuple[int, tuple[str, Prepared]]:
    if unit is None:
        day = stories_stage.day_ordinal(prepared.article.published)
        return block_of(day, story_settings), (prepared.id, prepared)
    label, block = unit
    return block, (label, prepared)


def _cluster_block(block: int, members: Iterable[tuple[str, Prepared]], statistics: stories_stage.TermStatistics,
                   story_settings: stories_stage.StorySettings
                   ) -> tuple[int, stories_stage.WindowStories, list[list[str]]]:
    """The block's stories (``story_signals`` then ``cluster_window``) and the articles of each unit row."""
    members = list(members)
    docs = sorted((prepared for _, prepared in members), key=article_order_key)
    # story_signals joins a unit's articles through derivation relations. A chain through
    # each unit's members has the same components: the relations themselves need not travel.
    by_unit: dict[str, list[str]] = {}
    for unit, prepared in members:
        by_unit.setdefault(unit, []).append(prepared.id)
    chains = [Relation(a, b, "duplicate") for ids in by_unit.values()
              for a, b in zip(sorted(ids), sorted(ids)[1:])]
    signals, unit_members = stories_stage.story_signals(docs, chains, statistics, story_settings)
    window = stories_stage.cluster_window(signals, story_settings)
    return block, window, [[docs[i].id for i in unit] for unit in unit_members]


def fold_blocks(windows: Sequence[tuple[int, stories_stage.WindowStories]],
                story_settings: stories_stage.StorySettings) -> dict[int, np.ndarray]:
    """Each block's story number per unit row: the blocks folded left in time order, the undated block last.

    The embedded stage's fold (``stories.fold_across_borders``), on the blocks' ``WindowStories``. Story
    numbers are the fold's own (they only say which rows share a story).
    """
    by_block = dict(windows)
    sizes = [(block, len(by_block[block].ids)) for block in stories_stage.in_fold_order(by_block)]
    result = stories_stage.fold_across_borders((by_block[block] for block, _ in sizes), story_settings)
    numbers: dict[int, np.ndarray] = {}
    start = 0
    for block, size in sizes:
        assert result is not None
        numbers[block] = result.story_of[start:start + size].copy()
        start += size
    return numbers


def relations_inside(relations: Any, group_of: Any) -> Any:
    """RDD[(group, Relation)]: relations whose two articles are in one group (``group_of``: (article, group))."""
    return (relations.keyBy(lambda r: r.a).join(group_of)
            .map(lambda kv: (kv[1][0].b, (kv[1][1], kv[1][0]))).join(group_of)
            .filter(lambda kv: kv[1][0][0] == kv[1][1])
            .map(lambda kv: (kv[1][1], kv[1][0][1])))


def _built_story(docs: Iterable[Prepared], relations: Iterable[Relation], story_settings: stories_stage.StorySettings,
                 names: frozenset[str]) -> tuple[Story, list[Prepared], list[Relation]]:
    docs = sorted(docs, key=lambda prepared: prepared.id)
    relations = sorted(relations, key=lambda r: (r.a, r.b))
    return stories_stage.story_from_members(docs, relations, story_settings, names), docs, relations
