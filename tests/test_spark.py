"""The Spark engine against the embedded one, on one small corpus, in Spark's local mode.

The corpus is the seed story plus a port strike (a wire story, a reprint with one
sentence changed, an identical copy dated three months later in a JSON Lines
archive) and an undated unrelated article: several time windows, an undated
window, near-duplicates far apart in time, and a copy under a second source.
One SparkSession serves the module (starting one costs ~15 s).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from datetime import date
from itertools import combinations
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark", reason="the optional extra storyline[spark] is not installed")

from click.testing import CliRunner  # noqa: E402

from storyline.cli import cli  # noqa: E402
from storyline import stories as stories_core  # noqa: E402
from storyline.export import to_json, validate_export  # noqa: E402
from storyline.fingerprint import estimated_jaccard  # noqa: E402
from storyline.pipeline import Models, analyze, ingest, load_analysis  # noqa: E402
from storyline.spark import SparkUnavailable, require_pyspark, run, spark_session  # noqa: E402
from storyline.spark.engine import SparkSettings, cluster_stories, read_documents  # noqa: E402
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
    analyze(store, models=Models())
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
    _, analysis = embedded
    _, result = distributed
    spark_stories = result.stories.collect()
    expected = [set(s.articles) for s in analysis.stories]
    found = [set(s.articles) for s in spark_stories]
    assert _pairwise_f1(expected, found) >= 0.99
    assert sorted(map(sorted, found)) == sorted(map(sorted, expected))
    assert {s.id for s in spark_stories} == {s.id for s in analysis.stories}


def test_per_story_results_cover_every_story(embedded, distributed):
    _, analysis = embedded
    _, result = distributed
    claims = result.claims.collect()
    entities = result.entities.collect()
    story_ids = {s.id for s in result.stories.collect()}
    assert claims and entities
    assert {c.story for c in claims} <= story_ids
    assert len({e.id for e in entities}) == len(entities)
    # Claims are built per story by the same core: each story's claim texts agree with the embedded run's.
    embedded_texts = {(c.story, c.text) for c in analysis.claims}
    spark_texts = {(c.story, c.text) for c in claims}
    assert len(embedded_texts & spark_texts) >= 0.9 * len(embedded_texts)


def test_stories_merge_across_a_window_border(spark, embedded):
    """The seed story dated across a window border: clustered per window and merged, it is one story again."""
    store, _ = embedded
    seed_names = {path.name for path in SEEDS.glob("*.txt")}
    seeds = [p for p in store.prepared() if Path(p.article.source).name in seed_names]
    assert len(seeds) == len(seed_names)
    window = 14
    border = (date(2025, 2, 1).toordinal() // window + 1) * window
    dated = [replace(p, article=replace(p.article, published=date.fromordinal(border - 2 + i).isoformat()))
             for i, p in enumerate(seeds)]
    expected = stories_core.cluster_stories(dated)
    days = {p.id: date.fromisoformat(p.article.published).toordinal() for p in dated}
    assert any(min(days[a] for a in s.articles) < border <= max(days[a] for a in s.articles) for s in expected)
    context = spark.sparkContext
    windowed = cluster_stories(context.parallelize(dated, 2), context.emptyRDD(),
                               SparkSettings(story_window_days=window)).collect()
    assert _pairwise_f1([s.articles for s in expected], [s.articles for s in windowed]) >= 0.99
    assert [s.id for s in windowed] == [s.id for s in expected]


def test_load_brings_the_run_into_the_store(distributed, tmp_path, spark):
    output, result = distributed
    with open_store(tmp_path / "loaded.db") as store:
        report = load(spark, str(output), store)
        assert report.counts["articles"] == result.counts["prepare"]
        loaded = load_analysis(store)
        assert _pairs(loaded.relations) == _pairs(result.relations.collect())
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
