"""Adding articles re-runs stories and entity resolution only for what they touch, with a whole run's result."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from storyline.embedders import load_embedder
from storyline.entities.incremental import article_keys, resolution_scope, resolve_in_scope
from storyline.model import Story
from storyline.ner import Recognisers, extract_mentions_by_language
from storyline.pipeline import Models, analyze, ingest, load_analysis
from storyline.prepare import prepare
from storyline.reuse import relate
from storyline.entities import resolve_entities
from storyline.stories import StorySettings, cluster_stories
from storyline.stories.incremental import StoryMemo, build_stories, remember
from storyline.store import open_store

from conftest import FIXTURES, make_articles

ROWS = json.loads((FIXTURES / "stories" / "lookalikes.json").read_text(encoding="utf-8"))["articles"]
# Arriving later: the last of the look-alike rehab stays, and the acquisition told by three outlets.
LATER = {"rehab-reyes-b.txt", "deal-wire.txt", "deal-business.txt", "deal-tech.txt"}


@pytest.fixture(scope="module")
def hashing():
    return load_embedder("hashing")


@pytest.fixture(scope="module")
def corpus(hashing):
    """The fixture's articles prepared, their relations, and their mentions (what the stages before read)."""
    texts = {row["source"]: row["text"] for row in ROWS}
    metadata = {row["source"]: {"title": row["title"], "published": row["published"]} for row in ROWS}
    docs = prepare(make_articles(texts, **metadata), hashing)
    relations = relate(docs, [])
    mentions = dict(zip([d.id for d in docs], extract_mentions_by_language(docs, Recognisers())))
    later = {doc.id for doc in docs if doc.article.source in LATER}
    return docs, relations, {a: m for a, m in mentions.items() if m}, later


def _among(relations, ids):
    return [r for r in relations if r.a in ids and r.b in ids]


def test_stories_built_again_are_only_those_new_articles_touch_and_equal_a_whole_run(corpus):
    docs, relations, _, later = corpus
    before = [d for d in docs if d.id not in later]
    first = build_stories(before, _among(relations, {d.id for d in before}), [], None)
    assert first.rebuilt == len(first.stories) and first.reused == 0
    memo = remember_for(first, before, relations)

    after = build_stories(docs, relations, first.stories, memo)

    assert after.stories == cluster_stories(docs, relations)
    touched = [s for s in after.stories if later & set(s.articles)]
    assert 0 < after.rebuilt <= len(touched) + _changed_groups(first.stories, after.stories)
    assert after.reused >= len(after.stories) - after.rebuilt > 0
    for story in after.stories:
        if later & set(story.articles):
            assert story not in first.stories


def remember_for(built, docs, relations):
    return remember(StorySettings(), built.names, built.stories, relations, {d.id: d for d in docs})


def _changed_groups(before: list[Story], after: list[Story]) -> int:
    old = {frozenset(s.articles) for s in before}
    return sum(1 for s in after if frozenset(s.articles) not in old)


def test_a_story_whose_words_turned_into_names_is_built_again(corpus):
    docs, relations, _, _ = corpus
    first = build_stories(docs, relations, [], None)
    memo = remember_for(first, docs, relations)
    assert build_stories(docs, relations, first.stories, memo).rebuilt == 0
    # A word one story's articles write, said to have been a name form at the last run: that story only is rebuilt.
    story = next(s for s in first.stories if len(s.articles) > 1)
    word = next(w for w in first.names if all(w in (d.article.text.lower()) for d in docs if d.id in story.articles))
    other_names = StoryMemo(memo.settings, memo.names - {word}, memo.inputs)
    again = build_stories(docs, relations, first.stories, other_names)
    assert 1 <= again.rebuilt < len(again.stories)
    assert again.stories == first.stories
    # Settings of another run: nothing is taken as stored.
    assert build_stories(docs, relations, first.stories, replace(memo, settings="other")).reused == 0


def test_entities_resolved_again_are_the_components_new_articles_reach_and_equal_a_whole_run(corpus):
    docs, relations, mentions, later = corpus
    before_ids = {d.id for d in docs} - later
    before_docs = [d for d in docs if d.id in before_ids]
    before_relations = _among(relations, before_ids)
    before_mentions = {a: m for a, m in mentions.items() if a in before_ids}
    before_stories = cluster_stories(before_docs, before_relations)
    previous = resolve_entities(before_mentions, before_docs, before_relations, before_stories)
    previous_keys = article_keys({a: 1 for a in before_mentions}, before_stories, before_relations)

    stories = cluster_stories(docs, relations)
    keys = article_keys({a: 1 for a in mentions}, stories, relations)
    scope = resolution_scope(previous_keys, keys, mentions, stories, relations)
    assert scope.unbounded is None and later <= scope.articles

    result = resolve_in_scope(previous, scope, mentions, docs, relations, stories)

    assert result == resolve_entities(mentions, docs, relations, stories)
    # The work is bounded by the components: articles of untouched stories were not resolved again.
    assert scope.mentions < sum(len(m) for m in mentions.values())
    untouched = [s for s in stories if not scope.articles & set(s.articles)]
    assert untouched
    assert any(e for e in result if set(e.articles) <= {a for s in untouched for a in s.articles})


def test_a_changed_mention_list_makes_resolution_run_in_full(corpus):
    docs, relations, mentions, _ = corpus
    stories = cluster_stories(docs, relations)
    keys = article_keys({a: 1 for a in mentions}, stories, relations)
    rewritten = dict(keys)
    article = sorted(mentions)[0]
    rewritten[article] = article_keys({article: 2}, stories, relations)[article]
    scope = resolution_scope(keys, rewritten, mentions, stories, relations)
    assert scope.unbounded and article in scope.unbounded
    assert not resolution_scope(keys, keys, mentions, stories, relations).articles


def _write(folder, rows):
    folder.mkdir(exist_ok=True)
    for row in rows:
        (folder / (row["source"] + ".json")).write_text(json.dumps(
            {"title": row["title"], "text": row["text"], "published": row["published"]}), encoding="utf-8")


def test_analyze_after_adding_articles_equals_a_whole_run_and_counts_its_work(tmp_path):
    models = Models(embedder_name="hashing")
    _write(tmp_path / "first", [r for r in ROWS if r["source"] not in LATER])
    _write(tmp_path / "later", [r for r in ROWS if r["source"] in LATER])
    with open_store(tmp_path / "inc.db") as store:
        ingest(store, [tmp_path / "first"])
        first = analyze(store, models=models)
        assert any(note.startswith("stories:") for note in first.notes)
        ingest(store, [tmp_path / "later"])
        report = analyze(store, models=models)
        incremental = load_analysis(store)
        # Nothing new: nothing grouped, built or resolved again.
        again = analyze(store, models=models)
        assert again.work["stories"] == {"articles grouped": 0, "stories built": 0,
                                         "stories kept": len(incremental.stories)}
        assert again.work["entities"] == {"articles": 0, "mentions": 0}
        assert load_analysis(store) == incremental
    with open_store(tmp_path / "whole.db") as store:
        ingest(store, [tmp_path / "first", tmp_path / "later"])
        analyze(store, models=models)
        whole = load_analysis(store)

    assert incremental == whole
    assert not report.notes  # nothing ran in full
    stories, entities = report.work["stories"], report.work["entities"]
    assert stories["articles grouped"] == len(ROWS)
    added = {a.id for a in whole.articles if Path(a.source).name.removesuffix(".json") in LATER}
    touched = [s for s in whole.stories if added & set(s.articles)]
    assert stories["stories built"] <= len(touched) < len(whole.stories)
    assert stories["stories kept"] == len(whole.stories) - stories["stories built"]
    assert 0 < entities["articles"] < len(ROWS)
    # Result sizes are reported apart from the work.
    assert report.sizes == {"articles": len(ROWS), "stories": len(whole.stories), "entities": len(whole.entities)}
    assert "work: " in report.summary() and f"{len(whole.stories)} stories" in report.summary()


def test_the_command_prints_the_work_apart_from_what_the_store_holds(tmp_path, capsys):
    from conftest import run_cli

    _write(tmp_path / "first", [r for r in ROWS if r["source"] not in LATER])
    _write(tmp_path / "later", [r for r in ROWS if r["source"] in LATER])
    db = tmp_path / "cli.db"
    code, _, _ = run_cli(capsys, "analyze", tmp_path / "first", "--db", db, "--embedder", "hashing")
    assert code == 0
    code, _, err = run_cli(capsys, "analyze", tmp_path / "later", "--db", db, "--embedder", "hashing")
    assert code == 0
    work = next(line for line in err.splitlines() if line.startswith("work: "))
    assert f"articles grouped {len(ROWS)}" in work and "stories built" in work and "entities: articles" in work
    held = next(line for line in err.splitlines() if line.startswith("store: "))
    assert held.startswith(f"store: {len(ROWS)} articles, ") and " stories, " in held and held.endswith(" entities")


def test_without_stories_resolution_is_one_component_and_runs_in_full(corpus):
    docs, relations, mentions, later = corpus
    keys = article_keys({a: 1 for a in mentions}, [], relations)
    previous = {a: k for a, k in keys.items() if a not in later}
    assert "no stories" in (resolution_scope(previous, keys, mentions, [], relations).unbounded or "")


def test_a_new_version_of_an_article_is_resolved_in_full_and_still_equals_a_whole_run(tmp_path):
    models = Models(embedder_name="hashing")
    rows = [r for r in ROWS if r["source"] not in LATER]
    _write(tmp_path / "corpus", rows)
    edited = dict(rows[0], text=rows[0]["text"].replace("Arequipa", "Tacna"))
    with open_store(tmp_path / "inc.db") as store:
        ingest(store, [tmp_path / "corpus"])
        analyze(store, models=models)
        _write(tmp_path / "corpus", [edited])
        ingest(store, [tmp_path / "corpus"])
        report = analyze(store, models=models)
        incremental = load_analysis(store)
    with open_store(tmp_path / "whole.db") as store:  # the folder now holds the edited article
        ingest(store, [tmp_path / "corpus"])
        analyze(store, models=models)
        whole = load_analysis(store)
    assert any(note.startswith("entities: in full: the mentions of 1 article") for note in report.notes)
    assert incremental.stories == whole.stories and incremental.entities == whole.entities
