"""The Spark engine against the embedded one, on one small corpus, in Spark's local mode.

The corpus is the seed story plus a port strike (a wire story, a reprint with one
sentence changed, an identical copy dated three months later in a JSON Lines
archive, a follow-up naming the port's director in full and by surname), an
article months later in another story naming her by surname only, a French
article, and an undated unrelated article: several time windows, an undated window, near-duplicates far
apart in time, a copy under a second source, and an entity across two stories.
One SparkSession serves the module (starting one costs ~15 s).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from datetime import date
from itertools import combinations
from operator import attrgetter
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark", reason="the optional extra storyline[spark] is not installed")

from click.testing import CliRunner  # noqa: E402

from storyline.cli import cli  # noqa: E402
from storyline import stories as stories_core  # noqa: E402
from storyline import to_json, validate_export  # noqa: E402
from storyline.fingerprint import estimated_jaccard  # noqa: E402
from storyline.pipeline import Models, analyze, ingest, load_analysis  # noqa: E402
from storyline.spark import SparkUnavailable, require_pyspark, run, spark_session  # noqa: E402
from storyline.spark.engine import SparkSettings, read_documents  # noqa: E402
from storyline.spark.stories import cluster_stories  # noqa: E402
from storyline.spark.load import load  # noqa: E402
from storyline.store import open_store  # noqa: E402

from conftest import FIXTURES, SEEDS  # noqa: E402

try:
    require_pyspark()
except SparkUnavailable as missing:
    pytest.skip(str(missing), allow_module_level=True)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for path in sorted(SEEDS.glob("*.txt")) + sorted((FIXTURES / "spark").iterdir()):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]", app_name="storyline-tests", shuffle_partitions=4)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def embedded(corpus, tmp_path_factory):
    """The embedded engine's store after a full run, and its analysis."""
    store = open_store(tmp_path_factory.mktemp("embedded") / "e.db")
    report = ingest(store, [str(corpus)])
    assert not report.skipped
    analyze(store, models=Models(all_in_depth=True))  # the Spark engine analyses every story in depth
    yield store, load_analysis(store)
    store.close()


@pytest.fixture(scope="module")
def distributed(spark, corpus, tmp_path_factory):
    """The Spark engine's run over the same folder, written as Parquet, and its result."""
    output = tmp_path_factory.mktemp("spark") / "run"
    result = run(spark, [str(corpus)], str(output), SparkSettings(partitions=2))
    return output, result


def _pairs(relations):
    return {(r.a, r.b, r.kind, r.direction) for r in relations}


def _pairwise_f1(expected, found) -> float:
    def linked(groups):
        return {pair for group in groups for pair in combinations(sorted(group), 2)}

    truth, guess = linked(expected), linked(found)
    if not truth and not guess:
        return 1.0
    both = len(truth & guess)
    precision = both / len(guess) if guess else 1.0
    recall = both / len(truth) if truth else 1.0
    return 0.0 if both == 0 else 2 * precision * recall / (precision + recall)


def test_both_engines_read_the_same_articles(embedded, distributed):
    _, analysis = embedded
    _, result = distributed
    assert not result.skipped
    spark_articles = {p.id: p.article for p in result.articles.collect()}
    assert spark_articles == {a.id: a for a in analysis.articles}


def test_the_same_near_duplicate_pairs(embedded, distributed):
    store, _ = embedded
    _, result = distributed
    prepared = store.prepared()
    # The embedded reference: every pair of stored signatures at the threshold, compared exhaustively.
    expected = {tuple(sorted((x.id, y.id))) for x, y in combinations(prepared, 2)
                if estimated_jaccard(x.minhash, y.minhash) >= SparkSettings().near_duplicate_jaccard}
    found = {(a, b) for a, b, _ in result.near_duplicates.collect()}
    assert found == expected
    assert len(found) >= 3  # wire and reprint, wire and archive copy, reprint and archive copy
    groups = dict(result.duplicate_groups.collect())
    for a, b in found:
        assert groups[a] == groups[b] == min(groups[a], a, b)


def test_the_same_relations(embedded, distributed):
    _, analysis = embedded
    _, result = distributed
    spark_relations = result.relations.collect()
    assert _pairs(spark_relations) == _pairs(analysis.relations)
    scores = {(r.a, r.b): r.score for r in analysis.relations}
    for relation in spark_relations:
        assert relation.score == pytest.approx(scores[(relation.a, relation.b)], abs=1e-6)


def test_the_same_stories(embedded, distributed):
    """Several calendar blocks, an undated block and a copy in a later block: the embedded engine's stories exactly."""
    _, analysis = embedded
    _, result = distributed
    spark_stories = sorted(result.stories.collect(), key=lambda s: s.id)
    expected = sorted(analysis.stories, key=lambda s: s.id)
    published = {a.id: a.published for a in analysis.articles}
    settings = SparkSettings().story_settings
    blocks = {a: stories_core.window_of([stories_core.day_ordinal(day) or stories_core.UNDATED], settings)[0]
              for a, day in published.items()}
    assert len({b for b in blocks.values() if b != stories_core.UNDATED}) >= 2
    assert stories_core.UNDATED in blocks.values()
    assert any(blocks[r.a] != blocks[r.b] and r.kind != "related" for r in analysis.relations)
    # Article sets, ids, titles, article order, events (ids, titles, articles, dates), independent sources.
    assert spark_stories == expected
    assert sum(len(s.events) for s in spark_stories) >= len(spark_stories)


def test_the_whole_analysis_is_equal(embedded, distributed):
    """Articles, mentions, relations, stories, entities, claims, omissions and timeline: the embedded engine's exactly.

    The corpus has an entity across two stories that only corpus-wide resolution can see
    (a full name and its bare surname in the strike story, the bare surname alone in the
    emissions story), and a relation between articles in two different partitions.
    """
    store, analysis = embedded
    _, result = distributed
    stories = result.stories.collect()
    story_of = {article: story.id for story in stories for article in story.articles}
    partition_of = {p.id: number for number, part in enumerate(result.articles.glom().collect()) for p in part}
    assert any(partition_of[r.a] != partition_of[r.b] for r in result.relations.collect())
    mentions = result.mentions.collect()
    assert any(len({story_of[a] for a in e.articles}) >= 2
               and any(all(" " not in m.text for m in e.mentions if story_of[m.article] == story)
                       for story in {story_of[a] for a in e.articles})
               for e in analysis.entities)

    # A French article is read by the French model in both engines (the NER registry picks it by language).
    french = {p.id for p in result.articles.collect() if p.article.language == "fr"}
    assert french and any(m.label == "PERSON" for a, found in mentions if a in french for m in found)
    claims = result.claims.collect()
    events = result.claim_events.collect()
    assert claims and events and any(claim.events for claim in claims)
    by_id = attrgetter("id")
    both = {
        "articles": (sorted((p.article for p in result.articles.collect()), key=by_id), analysis.articles),
        "mentions": ({a: found for a, found in mentions if found},
                     {a: found for a, found in store.mentions().items() if found}),
        "relations": (sorted(result.relations.collect(), key=lambda r: (r.a, r.b)), analysis.relations),
        "stories": (sorted(stories, key=by_id), analysis.stories),
        "entities": (sorted(result.entities.collect(), key=by_id), analysis.entities),
        # Claims with the ids of their event sub-claims, and the sub-claims themselves: the same core call.
        # Check-worthiness is compared apart, below: the sentence vectors it reads are encoded in batches of
        # other sizes in each engine, which moves their last float bits and can move a stored 4-digit score by one.
        "claims": (sorted(map(_without_score, claims), key=_claim_key),
                   sorted(map(_without_score, analysis.claims), key=_claim_key)),
        "claim_events": (sorted(events, key=_claim_key), sorted(analysis.claim_events, key=_claim_key)),
        "omissions": (sorted(result.omissions.collect(), key=repr), sorted(analysis.omissions, key=repr)),
        "timeline": (sorted(result.timeline.collect(), key=repr), sorted(analysis.timeline, key=repr)),
    }
    differences = {name: _first_difference(spark, embedded) for name, (spark, embedded) in both.items()
                   if spark != embedded}
    assert not differences
    embedded_scores = {claim.id: claim.checkworthiness for claim in analysis.claims}
    for claim in claims:
        assert claim.checkworthiness == pytest.approx(embedded_scores[claim.id], abs=2e-4)


def _without_score(claim):
    return replace(claim, checkworthiness=0.0)


def _first_difference(spark, embedded):
    if isinstance(spark, dict):
        spark, embedded = sorted(spark.items()), sorted(embedded.items())
    for found, expected in zip(spark, embedded):
        if found != expected:
            return {"spark": found, "embedded": expected}
    return {"spark": len(spark), "embedded": len(embedded)}


def _claim_key(claim):
    return claim.story, claim.id


def test_both_engines_run_the_stage_registry(distributed):
    from storyline import pipeline, stages
    from storyline.cli.spark import ENGINE_STAGES
    from storyline.spark.engine import STAGES

    assert ENGINE_STAGES == STAGES == stages.STAGE_NAMES
    assert pipeline.STAGES == stages.ANALYSIS_STAGES == stages.STAGE_NAMES[1:]
    _, result = distributed
    assert list(result.seconds)[:len(STAGES)] == list(STAGES)  # each stage timed by its registry name
    with pytest.raises(ValueError, match="stages: read, prepare, reuse"):
        stages.check_until("per_story", STAGES)


def test_stories_fold_blocks_as_the_embedded_engine(spark, embedded):
    """Short blocks: the seed story dated across a border, one of its articles undated, its machine
    translation's relation spanning the border, the port strike copy blocks later: the same stories."""
    store, analysis = embedded
    settings = stories_core.StorySettings(window_days=7, partition_days=7)
    border = (date(2025, 2, 1).toordinal() // settings.partition_days + 1) * settings.partition_days
    seed_names = sorted(path.name for path in SEEDS.glob("*.txt"))
    docs = []
    for prepared in sorted(store.prepared(), key=lambda p: p.id):
        name = Path(prepared.article.source.split("#")[0]).name
        if name in seed_names:
            # Two days before the border, one before, one after, two after; the last one undated.
            rank = seed_names.index(name)
            day = None if rank == len(seed_names) - 1 else border + (rank - 2 if rank < 2 else rank - 1)
            published = None if day is None else date.fromordinal(day).isoformat()
            prepared = replace(prepared, article=replace(prepared.article, published=published))
        docs.append(prepared)
    relations = analysis.relations
    day_of = {p.id: stories_core.day_ordinal(p.article.published) for p in docs}
    block_of = {a: (day // settings.partition_days if day is not None else None) for a, day in day_of.items()}
    assert len({b for b in block_of.values() if b is not None}) >= 3 and None in block_of.values()
    derivations = [r for r in relations if r.kind != "related"]
    assert any(None not in (block_of[r.a], block_of[r.b]) and block_of[r.a] != block_of[r.b] for r in derivations)
    expected = sorted(stories_core.cluster_stories(docs, relations, settings=settings), key=lambda s: s.id)
    assert any(len({block_of[a] for a in s.articles}) >= 3 for s in expected)  # across a border and undated

    context = spark.sparkContext
    found = cluster_stories(context.parallelize(docs, 3), context.parallelize(relations, 2),
                            SparkSettings(story_settings=settings)).collect()
    assert sorted(found, key=lambda s: s.id) == expected


def test_load_brings_the_run_into_the_store(distributed, tmp_path, spark):
    output, result = distributed
    with open_store(tmp_path / "loaded.db") as store:
        report = load(spark, str(output), store)
        assert report.counts["articles"] == result.counts["prepare"]
        loaded = load_analysis(store)
        assert _pairs(loaded.relations) == _pairs(result.relations.collect())
        assert sorted(loaded.claim_events, key=_claim_key) == sorted(result.claim_events.collect(), key=_claim_key)
        assert sorted(sorted(s.articles) for s in loaded.stories) == sorted(
            sorted(s.articles) for s in result.stories.collect())
        assert len(loaded.claims) == result.claims.count()
        validate_export(to_json(loaded))
        # Nothing is left for the embedded runner to prepare or relate again.
        assert store.unprepared("use-multilingual") == [] and store.reuse_pending() == []


def test_hadoop_uris_and_parquet_read_like_local_paths(spark, corpus, tmp_path):
    local, _ = read_documents(spark, [str(corpus / "archive.jsonl")])
    uri = (corpus / "archive.jsonl").as_uri()
    remote, skipped = read_documents(spark, [uri])
    assert not skipped
    by_text = {d.text: d for d in local.collect()}
    remote_docs = remote.collect()
    assert {d.text for d in remote_docs} == set(by_text)
    assert all(d.source.startswith("file:") and "#id=" in d.source for d in remote_docs)
    # The same records as a Parquet file: read by the JSON reader's field names.
    frame = spark.createDataFrame([{"id": d.source.split("#id=")[1], "text": d.text, "title": d.title,
                                    "published": d.published} for d in local.collect()])
    frame.write.parquet(str(tmp_path / "records.parquet"))
    parquet, _ = read_documents(spark, [str(tmp_path / "records.parquet")])
    assert {d.text for d in parquet.collect()} == set(by_text)
    _, missing = read_documents(spark, [str(tmp_path / "nowhere"), (tmp_path / "nowhere").as_uri()])
    assert [m.reason for m in missing] == ["no such file or directory"] * 2


def test_commands_say_what_is_missing_without_pyspark(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(SparkUnavailable, match=r"storyline\[spark\]"):
        require_pyspark()
    outcome = CliRunner().invoke(cli, ["spark", "analyze", str(tmp_path), "--output", str(tmp_path / "o")])
    assert outcome.exit_code == 2
    assert "pip install 'storyline[spark]'" in outcome.output


def test_spark_help_documents_both_commands():
    outcome = CliRunner().invoke(cli, ["spark", "--help"])
    assert outcome.exit_code == 0
    assert "analyze" in outcome.output and "load" in outcome.output


def test_a_run_stopped_after_entities_writes_its_tables(distributed, spark, tmp_path):
    """``--until entities``: entities are resolved, per-story results are not, and the tables say so."""
    from storyline.spark.tables import write

    _, result = distributed
    stopped = replace(result, claims=None, omissions=None, timeline=None)
    written = write(spark, stopped, str(tmp_path / "run"), embedder=SparkSettings().embedder)
    assert "entities" in written and "claims" not in written and "timeline" not in written
    assert spark.read.parquet(str(tmp_path / "run" / "entities")).count() == result.entities.count()
