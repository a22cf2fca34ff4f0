"""The distributed engine: the embedded pipeline's stage cores, run over Spark partitions.

1. read        inputs → documents, one file per task (``storyline.readers``), metadata completed
               from the text (``metadata.complete_metadata``)
2. prepare     ``prepare.prepare`` per partition, the embedder loaded once per partition
3. near-dups   MinHash band-wise shuffles: (band, band values) → bucket → candidate pairs →
               ``fingerprint.estimated_jaccard`` → connected components by label propagation
4. reuse       ``reuse.find_relations`` per time window (new = the window, existing = the one
               before), plus ``reuse.relation_between`` on near-duplicates further apart
5. stories     ``stories.cluster_stories`` per time window, then merges across window borders
6. per story   mentions (``entities.extract_mentions``, spaCy loaded once per partition), then per
               story ``entities.resolve_entities``, ``claims.build_ledger``, ``timeline.build_timeline``

No algorithm is implemented twice: this module only decides which records
meet in which task. Each stage is timed by name; results are written as
Parquet by :mod:`storyline.spark.tables`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from .. import claims as claims_stage
from .. import entities as entities_stage
from .. import reuse as reuse_stage
from .. import stories as stories_stage
from .. import timeline as timeline_stage
from ..embedders import DEFAULT_EMBEDDER, load_embedder
from ..fingerprint import NUM_PERM, estimated_jaccard, lsh_bands
from ..graph import count_independent
from ..model import (Article, Entity, Mention, Passage, Prepared, RawDocument, Relation, Skipped, Story, stable_id,
                     text_hash)
from ..prepare import prepare
from . import inputs as input_files

STAGES = ("read", "prepare", "near_duplicates", "reuse", "stories", "per_story")

# Longest run of label-propagation rounds; each round at least halves nothing in the worst
# case (a path), so a component longer than this keeps a larger label and a warning is logged.
MAX_PROPAGATION_ROUNDS = 64


@dataclass(frozen=True)
class SparkSettings:
    """What the distributed run needs beyond the stage defaults; defaults suit a laptop and a cluster."""

    embedder: str = DEFAULT_EMBEDDER
    # Articles embedded per call inside a partition (as the embedded runner batches them).
    prepare_batch: int = 64
    # Estimated Jaccard at which two LSH candidates are near-duplicates: the reuse stage's candidate threshold.
    near_duplicate_jaccard: float = reuse_stage.CANDIDATE_JACCARD
    # Reuse is searched within windows of this many days and between neighbouring windows
    # (0: the story window): copies further apart in time are found only as near-duplicates.
    reuse_window_days: int = 0
    # Stories are clustered per window of this many days (0: twice the story settings' window),
    # then merged across window borders.
    story_window_days: int = 0
    story_settings: stories_stage.StorySettings = field(default_factory=stories_stage.StorySettings)
    # Partitions for the per-article stages (0: Spark's default parallelism times 4).
    partitions: int = 0

    def window_days(self) -> int:
        return self.story_window_days or 2 * max(self.story_settings.window_days, 1)

    def reuse_window(self) -> int:
        return self.reuse_window_days or self.window_days()


@dataclass
class Result:
    """The run's datasets (RDDs of the model's dataclasses) and its timings."""

    articles: Any = None          # RDD[Prepared] (the article with its signals)
    skipped: list[Skipped] = field(default_factory=list)
    near_duplicates: Any = None   # RDD[(a, b, jaccard)]
    duplicate_groups: Any = None  # RDD[(article, group)] for articles in a near-duplicate group
    relations: Any = None         # RDD[Relation]
    stories: Any = None           # RDD[Story]
    mentions: Any = None          # RDD[(article, list[Mention])]
    entities: Any = None          # RDD[Entity]
    claims: Any = None            # RDD[Claim]
    omissions: Any = None         # RDD[Omission]
    timeline: Any = None          # RDD[TimelineEntry]
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def analyze(spark: Any, paths: Sequence[str], settings: SparkSettings | None = None, *,
            until: str | None = None, on_stage: Callable[[str, float, int], None] | None = None) -> Result:
    """Run every stage (or those up to ``until``) over ``paths``; each stage's RDD is cached and counted."""
    if until is not None and until not in STAGES:
        raise ValueError(f"unknown stage {until!r}; stages: {', '.join(STAGES)}")
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

    def near_duplicates() -> int:
        pairs = lsh_candidate_pairs(result.articles.map(lambda p: (p.id, p.minhash)))
        result.near_duplicates = _cache(verify_near_duplicates(pairs, result.articles.map(lambda p: (p.id, p.minhash)),
                                                               settings.near_duplicate_jaccard))
        result.duplicate_groups = _cache(connected_components(result.near_duplicates.map(lambda t: (t[0], t[1]))))
        return result.near_duplicates.count()

    def reuse() -> int:
        found = find_relations(result.articles, result.near_duplicates, settings)
        result.relations = _cache(with_identical_texts(found, result.articles))
        return result.relations.count()

    def stories() -> int:
        result.stories = _cache(cluster_stories(result.articles, result.relations, settings))
        return result.stories.count()

    def per_story() -> int:
        outputs = _cache(per_story_results(result.articles, result.relations, result.stories, settings))
        result.mentions = outputs.filter(lambda t: t[0] == "mentions").map(lambda t: t[1])
        result.entities = merge_entities(outputs.filter(lambda t: t[0] == "entity").map(lambda t: t[1]))
        result.claims = outputs.filter(lambda t: t[0] == "claim").map(lambda t: t[1])
        result.omissions = outputs.filter(lambda t: t[0] == "omission").map(lambda t: t[1])
        result.timeline = outputs.filter(lambda t: t[0] == "timeline").map(lambda t: t[1])
        return outputs.count()

    for name, run in (("read", read), ("prepare", prepare_stage), ("near_duplicates", near_duplicates),
                      ("reuse", reuse), ("stories", stories), ("per_story", per_story)):
        if timed(name, run):
            break
    return result


def _cache(rdd: Any) -> Any:
    from pyspark import StorageLevel

    return rdd.persist(StorageLevel.MEMORY_AND_DISK)


def _partitions(spark_context: Any, settings: SparkSettings, items: int) -> int:
    wanted = settings.partitions or spark_context.defaultParallelism * 4
    return max(1, min(wanted, items))


# --- 1. read ---------------------------------------------------------------------------------


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


# --- 2. prepare ---------------------------------------------------------------------------------


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


# --- 3. near-duplicates ---------------------------------------------------------------------------


def lsh_candidate_pairs(signatures: Any, threshold: float = reuse_stage.CANDIDATE_JACCARD) -> Any:
    """RDD[(a, b)] with a < b: articles sharing all values of at least one band.

    One shuffle keyed by (band, the band's values): the same buckets as the reuse
    stage's in-memory LSH, with the bands and rows derived from the same threshold.
    """
    bands, rows = lsh_bands(threshold, NUM_PERM)

    def band_keys(item: tuple[str, np.ndarray]) -> list[tuple[tuple[int, bytes], str]]:
        article, signature = item
        signature = np.asarray(signature, dtype=np.uint32)
        if np.all(signature == 0xFFFFFFFF):
            return []  # a text with no words: all such texts would collide
        return [((band, signature[band * rows:(band + 1) * rows].tobytes()), article) for band in range(bands)]

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


# --- 4. reuse ---------------------------------------------------------------------------------------


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
        return reuse_stage.find_relations(new, existing)

    found = tasks.flatMap(relate)
    if single:
        return found
    # Near-duplicates in windows no task put together: compared pair by pair.
    apart = (near_duplicates.map(lambda t: (t[0], t[1])).join(window_of)
             .map(lambda kv: (kv[1][0], (kv[0], kv[1][1]))).join(window_of)
             .filter(lambda kv: _far_apart(kv[1][0][1], kv[1][1]))
             .map(lambda kv: (kv[1][0][0], kv[0])))
    return found.union(relations_for_pairs(apart, articles))


def _far_apart(first: int, second: int) -> bool:
    # Undated articles meet every window in its own task.
    return first != UNDATED and second != UNDATED and abs(first - second) > 1


def relations_for_pairs(pairs: Any, articles: Any) -> Any:
    """RDD[Relation]: ``reuse.relation_between`` on each pair that is really linked."""
    by_id = articles.map(lambda p: (p.id, p))
    joined = (pairs.join(by_id)  # (a, (b, prepared_a))
              .map(lambda kv: (kv[1][0], kv[1][1]))
              .join(by_id))  # (b, (prepared_a, prepared_b))
    return (joined.map(lambda kv: reuse_stage.relation_between(kv[1][0], kv[1][1]))
            .filter(lambda relation: relation is not None))


def with_identical_texts(found: Any, articles: Any) -> Any:
    """Add the store's own rule: one text under two sources is a ``duplicate``, unless reuse already said so."""
    identical = (articles.map(lambda p: (text_hash(p.article.text), (p.id, len(p.article.text))))
                 .groupByKey()
                 .flatMap(lambda kv: [identical_text_relation(x, y) for x, y in combinations(sorted(kv[1]), 2)]))
    keyed_found = found.map(lambda r: ((r.a, r.b), r))
    missing = identical.map(lambda r: ((r.a, r.b), r)).subtractByKey(keyed_found)
    return keyed_found.union(missing).map(lambda kv: kv[1])


def identical_text_relation(first: tuple[str, int], second: tuple[str, int]) -> Relation:
    (a, length), (b, _) = sorted((first, second))
    return Relation(a, b, "duplicate", None, 1.0, ["identical text"], [Passage((0, length), (0, length), 1.0)])


# --- 5. stories ------------------------------------------------------------------------------------


UNDATED = -1  # the window key of articles without a known day


def _window(prepared: Prepared, length: int) -> int:
    day = stories_stage.day_ordinal(prepared.article.published)
    return UNDATED if day is None else day // length


def _sort_key(prepared: Prepared) -> tuple[bool, str, str]:
    # The stories stage's order: dated articles first, by publication, then id.
    published = prepared.article.published
    return (published is None, published or "", prepared.id)


def cluster_stories(articles: Any, relations: Any, settings: SparkSettings) -> Any:
    """RDD[Story]: ``stories.cluster_stories`` per time window, then merged across window borders.

    1. Articles are keyed by window (``settings.window_days()`` long; undated ones
       in a window of their own) and each window is clustered with the relations
       inside it.
    2. At each border, the stories active within the story window of it
       (``StorySettings.window_days``) on both sides are clustered again together;
       a story from one side and a story from the other whose articles land in one
       story are merged. Each undated story is clustered again, the same way, with
       the dated stories whose centroids come nearest it.
    3. A derivation relation (any kind but ``related``) joining two windows merges
       their stories, as it joins its articles into one unit in the embedded engine.
    When every dated article falls in one window, undated ones join it and the
    result is exactly the embedded engine's.
    """
    story_settings = settings.story_settings
    length = settings.window_days()
    if length < story_settings.window_days:
        raise ValueError(f"story windows of {length} days are shorter than the stories' own window "
                         f"({story_settings.window_days} days): a story could not reach across one border")
    windows = articles.map(lambda p: (p.id, _window(p, length)))
    dated_windows = sorted(windows.values().filter(lambda w: w != UNDATED).distinct().collect())
    single = len(dated_windows) <= 1
    only = dated_windows[0] if dated_windows else UNDATED
    window_of = _cache(windows.mapValues(lambda w: only) if single else windows)

    # 1. per window, with the relations inside it
    keyed = window_of.join(articles.map(lambda p: (p.id, p))).map(lambda kv: (kv[1][0], kv[1][1]))
    relation_windows = _cache(_relation_sides(relations, window_of))
    inside = relation_windows.filter(lambda t: t[0] == t[1]).map(lambda t: (t[0], t[2]))

    def cluster_window(item: tuple[int, tuple[Iterable[Prepared], Iterable[Relation]]]) -> list[tuple[int, Story, list]]:
        window, (docs, window_relations) = item
        docs = list(docs)
        keys = {p.id: _sort_key(p) for p in docs}
        found = stories_stage.cluster_stories(docs, list(window_relations), settings=story_settings)
        return [(window, story, [keys[a] for a in story.articles]) for story in found]

    per_window = _cache(keyed.cogroup(inside).flatMap(cluster_window))
    if single:
        return per_window.map(lambda t: t[1])

    # 2. merges across borders and with undated stories; 3. derivations across windows
    story_of = _cache(per_window.flatMap(lambda t: [(a, t[1].id) for a in t[1].articles]))
    sets = _border_sets(per_window, length, story_settings.window_days).union(
        _undated_sets(per_window, articles, story_of, story_settings))
    pairs = _recluster(sets, articles, relations, story_of, story_settings)
    pairs += (relation_windows.filter(lambda t: t[0] != t[1] and t[2].kind != "related")
              .map(lambda t: (t[2].a, t[2].b)).join(story_of)
              .map(lambda kv: (kv[1][0], kv[1][1])).join(story_of)
              .map(lambda kv: (kv[1][0], kv[1][1])).collect())
    group_of = articles.context.broadcast(_union(pairs))

    parts = per_window.map(lambda t: (group_of.value.get(t[1].id, t[1].id), (t[1], t[2])))
    article_group = story_of.filter(lambda kv: kv[1] in group_of.value).mapValues(lambda s: group_of.value[s])
    group_relations = (_relation_sides(relations, article_group).filter(lambda t: t[0] == t[1])
                       .map(lambda t: (t[0], t[2])))
    return parts.cogroup(group_relations).map(lambda kv: _joined_story(list(kv[1][0]), list(kv[1][1])))


def _relation_sides(relations: Any, key_of: Any) -> Any:
    """RDD[(key of a, key of b, relation)] for relations whose two articles both have a key."""
    return (relations.map(lambda r: (r.a, r)).join(key_of)
            .map(lambda kv: (kv[1][0].b, (kv[1][0], kv[1][1]))).join(key_of)
            .map(lambda kv: (kv[1][0][1], kv[1][1], kv[1][0][0])))


def _days(keys: list[tuple[bool, str, str]]) -> list[int]:
    days = (stories_stage.day_ordinal(published) for undated, published, _ in keys if not undated)
    return [d for d in days if d is not None]


def _border_sets(per_window: Any, length: int, reach: int) -> Any:
    """RDD[(set key, (side, story id))]: stories within ``reach`` days of a border, by border."""

    def sides(item: tuple[int, Story, list]) -> list[tuple[Any, tuple[int, str]]]:
        window, story, keys = item
        days = _days(keys)
        if window == UNDATED or not days:
            return []
        out = []
        if max(days) >= (window + 1) * length - reach:
            out.append((("border", window + 1), (0, story.id)))
        if min(days) < window * length + reach:
            out.append((("border", window), (1, story.id)))
        return out

    return per_window.flatMap(sides)


def _centroid(vectors: Iterable[np.ndarray]) -> np.ndarray:
    mean = np.mean(np.stack([np.asarray(v, dtype=np.float32) for v in vectors]), axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def _undated_sets(per_window: Any, articles: Any, story_of: Any,
                  story_settings: stories_stage.StorySettings) -> Any:
    """RDD[(set key, (side, story id))]: each undated story with the dated stories whose centroids are nearest.

    The centroid cosine only chooses which stories meet (the stories stage's own
    ``text_floor`` and ``candidate_stories``); cluster_stories decides.
    """
    undated_ids = set(per_window.filter(lambda t: t[0] == UNDATED).map(lambda t: t[1].id).collect())
    if not undated_ids:
        return articles.context.emptyRDD()
    centroids = _cache(articles.map(lambda p: (p.id, p.vector)).join(story_of)
                       .map(lambda kv: (kv[1][1], kv[1][0])).groupByKey().mapValues(_centroid))
    undated = centroids.filter(lambda kv: kv[0] in undated_ids).collect()
    names = [story for story, _ in undated]
    matrix = articles.context.broadcast(np.stack([vector for _, vector in undated]))
    floor, limit = story_settings.text_floor, story_settings.candidate_stories

    def near(item: tuple[str, np.ndarray]) -> list[tuple[str, tuple[float, str]]]:
        story, vector = item
        cosine = matrix.value @ vector
        return [(names[i], (float(cosine[i]), story)) for i in np.flatnonzero(cosine >= floor)]

    nearest = (centroids.filter(lambda kv: kv[0] not in undated_ids).flatMap(near).groupByKey()
               .mapValues(lambda found: sorted(found, key=lambda t: (-t[0], t[1]))[:limit]))
    return (nearest.flatMap(lambda kv: [(("undated", kv[0]), (1, story)) for _, story in kv[1]])
            .union(nearest.map(lambda kv: (("undated", kv[0]), (0, kv[0])))))


def _recluster(sets: Any, articles: Any, relations: Any, story_of: Any,
               story_settings: stories_stage.StorySettings) -> list[tuple[str, str]]:
    """Story pairs to merge: within each set, side-0 and side-1 stories whose articles cluster_stories joins."""
    members = sets.map(lambda kv: (kv[1][1], (kv[0], kv[1][0])))  # (story, (set, side))
    article_sets = (story_of.map(lambda kv: (kv[1], kv[0])).join(members)
                    .map(lambda kv: (kv[1][0], (kv[1][1][0], kv[1][1][1], kv[0]))))  # (article, (set, side, story))
    docs = article_sets.join(articles.map(lambda p: (p.id, p))).map(
        lambda kv: (kv[1][0][0], (kv[1][0][1], kv[1][0][2], kv[1][1])))
    set_relations = (_relation_sides(relations, article_sets.mapValues(lambda t: t[0]))
                     .filter(lambda t: t[0] == t[1]).map(lambda t: (t[0], t[2])))

    def merges(item: tuple[Any, tuple[Iterable, Iterable[Relation]]]) -> list[tuple[str, str]]:
        _, (entries, set_relations_here) = item
        entries = list(entries)
        origin = {p.id: (side, story) for side, story, p in entries}
        docs_here = list({p.id: p for _, _, p in entries}.values())
        pairs = []
        for story in stories_stage.cluster_stories(docs_here, list(set_relations_here), settings=story_settings):
            left = sorted({origin[a][1] for a in story.articles if origin[a][0] == 0})
            right = sorted({origin[a][1] for a in story.articles if origin[a][0] == 1})
            pairs.extend((x, y) for x in left for y in right if x != y)
        return pairs

    return docs.cogroup(set_relations).flatMap(merges).distinct().collect()


def _union(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each story in a pair → the smallest story id of its connected group."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in pairs:
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return {x: root(x) for x in parent}


def _joined_story(parts: list[tuple[Story, list]], relations: list[Relation]) -> Story:
    """Window stories merged into one: the articles and events of all, the id from the founding article."""
    if len(parts) == 1:
        return parts[0][0]
    keys = sorted({key for _, story_keys in parts for key in story_keys})
    founding = {event.id: min(key for story, story_keys in parts for key in story_keys
                              if key[2] == event.articles[0]) for story, _ in parts for event in story.events}
    events = sorted((event for story, _ in parts for event in story.events),
                    key=lambda event: (event.date is None, event.date or "", founding[event.id]))
    largest = max(parts, key=lambda part: (len(part[0].articles), [-ord(c) for c in part[1][0][2]]))[0]
    articles = [key[2] for key in keys]
    return Story(id=stable_id("s", articles[0]), title=largest.title, articles=articles, events=events,
                 independent_sources=count_independent(articles, relations))


# --- 6. per story: entities, claims, timeline --------------------------------------------------------


def per_story_results(articles: Any, relations: Any, stories: Any, settings: SparkSettings) -> Any:
    """RDD[(kind, record)]: each article's mentions, then per story its entities, claims, omissions, timeline."""

    def with_mentions(partition: Iterator[Prepared]) -> Iterator[tuple[str, tuple[Prepared, list[Mention]]]]:
        nlp = None
        for prepared in partition:
            nlp = nlp or entities_stage.load_nlp()
            yield prepared.id, (prepared, entities_stage.extract_mentions(prepared, nlp))

    story_of = stories.flatMap(lambda s: [(a, s.id) for a in s.articles])
    docs = articles.mapPartitions(with_mentions).join(story_of).map(lambda kv: (kv[1][1], kv[1][0]))
    story_relations = (_relation_sides(relations, story_of).filter(lambda t: t[0] == t[1])
                       .map(lambda t: (t[0], t[2])))
    return stories.keyBy(lambda s: s.id).groupWith(docs, story_relations).flatMap(_story_results)


def _story_results(item: tuple[str, tuple[Iterable[Story], Iterable, Iterable[Relation]]]) -> list[tuple[str, Any]]:
    _, (found, entries, story_relations) = item
    story = next(iter(found))
    entries = sorted(entries, key=lambda entry: entry[0].id)
    docs = [prepared for prepared, _ in entries]
    mentions = {prepared.id: found_mentions for prepared, found_mentions in entries}
    relations = sorted(story_relations, key=lambda r: (r.a, r.b))
    entities = entities_stage.resolve_entities(mentions, docs, relations, [story])
    claims, omissions = claims_stage.build_ledger(story, docs, relations, entities)
    timeline = timeline_stage.build_timeline(story, docs, claims)
    out: list[tuple[str, Any]] = [("mentions", (prepared.id, found_mentions)) for prepared, found_mentions in entries]
    out += [("entity", entity) for entity in entities]
    out += [("claim", claim) for claim in claims]
    out += [("omission", omission) for omission in omissions]
    out += [("timeline", entry) for entry in timeline]
    return out


def merge_entities(entities: Any) -> Any:
    """RDD[Entity]: entities resolved in different stories under one id (one type, one normalised name) as one."""
    return entities.keyBy(lambda e: e.id).reduceByKey(_merge_two).values()


def _merge_two(x: Entity, y: Entity) -> Entity:
    main = x if (len(x.mentions), y.name) >= (len(y.mentions), x.name) else y
    mentions = sorted(set(x.mentions) | set(y.mentions), key=lambda m: (m.article, m.span))
    merges = list(x.merges) + [m for m in y.merges if m not in x.merges]
    return Entity(id=main.id, name=main.name, type=main.type, aliases=sorted(set(x.aliases) | set(y.aliases)),
                  articles=sorted(set(x.articles) | set(y.articles)), mentions=mentions, merges=merges)
