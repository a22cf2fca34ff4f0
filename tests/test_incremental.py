"""Adding articles re-runs stories and entity resolution only for what they touch, with a whole run's result."""

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from storyline.embedders import load_embedder
from storyline.entities.across import StoryClusters
from storyline.entities.incremental import plan_resolution, resolve_planned, story_keys
from storyline.model import Mention, Relation, Story
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
    return remember(StorySettings(), built.names, built.stories, relations, {d.id: d for d in docs}, built.blocks)


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


def _resolve_all(docs, relations, mentions, stories, kept_keys=None, kept=None):
    """Resolution as the runner calls it: the plan against what was kept, then the stories again and the join."""
    articles, keys = story_keys({a: 1 for a in mentions}, stories, relations, doc_ids=[d.id for d in docs])
    plan = plan_resolution(articles, keys, kept_keys or {})
    # What a store keeps goes through JSON: the kept clusters are read back as the next run reads them.
    kept = {s: StoryClusters.from_json(json.loads(json.dumps(c.to_json()))) for s, c in (kept or {}).items()}
    return plan, keys, resolve_planned(plan, kept, mentions, [d for d in docs if d.id in plan.articles_again()],
                                       relations, stories)


def test_entities_resolved_again_are_the_stories_new_articles_touch_and_equal_a_whole_run(corpus):
    docs, relations, mentions, later = corpus
    before_ids = {d.id for d in docs} - later
    before_docs = [d for d in docs if d.id in before_ids]
    before_relations = _among(relations, before_ids)
    before_mentions = {a: m for a, m in mentions.items() if a in before_ids}
    before_stories = cluster_stories(before_docs, before_relations)
    _, before_keys, first = _resolve_all(before_docs, before_relations, before_mentions, before_stories)
    assert first.entities == resolve_entities(before_mentions, before_docs, before_relations, before_stories)

    stories = cluster_stories(docs, relations)
    plan, _, result = _resolve_all(docs, relations, mentions, stories, before_keys, first.clusters)

    assert result.entities == resolve_entities(mentions, docs, relations, stories)
    touched = {s.id for s in stories if later & set(s.articles)}
    assert touched <= set(plan.again)
    # Only stories whose articles or relations changed: here the touched ones and the look-alike rehab story
    # regrouped by the new article, never the earthquakes, which no new article reaches.
    changed = {s.id for s in stories if frozenset(s.articles) not in {frozenset(b.articles) for b in before_stories}}
    assert set(plan.again) <= touched | changed
    assert plan.kept and result.work["stories"] == len(plan.again) < len(stories)
    assert result.work["mentions"] < sum(len(m) for m in mentions.values())


# Four stories naming one council, two people sharing a surname, and one person in two stories: what
# resolution joins across stories. Mentions are given (as NER would find them), so no model runs.
COUNCIL = {
    "harbour-1": ("harbour", "The Meridian Council met in Portvale on Monday. Council chair Ana Lindqvist said the "
                  "harbour would reopen. Lindqvist thanked the Portvale Harbour Authority."),
    "harbour-2": ("harbour", "Ana Lindqvist of the Meridian Council announced the reopening of the harbour in "
                  "Portvale, where the Portvale Harbour Authority had closed two berths."),
    "drought-1": ("drought", "The Meridian Council declared a drought in Ostreva. Farmers' leader Tomas Brenner "
                  "asked for aid. Brenner met Meridian Council officials."),
    "drought-2": ("drought", "Tomas Brenner said farms in Ostreva had lost half their crop; the Meridian Council "
                  "promised aid. Brenner welcomed it."),
    "vote-1": ("vote", "Ana Lindqvist won a second term on the Meridian Council in Kelloway."),
    "rail-1": ("rail", "Ostreva Rail named Jonas Brenner its director. Brenner said trains to Kelloway would run "
               "again in May."),
    "rail-2": ("rail", "Jonas Brenner, the new director of Ostreva Rail, met the Meridian Council."),
}
COUNCIL_LATER = {
    "harbour-3": ("harbour", "Lindqvist told the Meridian Council the Portvale Harbour Authority had repaired the "
                  "berths. Ana Lindqvist will open them on Friday."),
    "festival-1": ("festival", "The Meridian Council paid for the Kelloway festival. Tomas Brenner opened it."),
}
NAMES = {"Meridian Council": "ORG", "Portvale Harbour Authority": "ORG", "Ostreva Rail": "ORG",
         "Ana Lindqvist": "PERSON", "Tomas Brenner": "PERSON", "Jonas Brenner": "PERSON", "Lindqvist": "PERSON",
         "Brenner": "PERSON", "Portvale": "GPE", "Ostreva": "GPE", "Kelloway": "GPE"}


def _council(rows, hashing):
    docs = prepare(make_articles({source: text for source, (_, text) in rows.items()}), hashing)
    mentions = {}
    for doc in docs:
        taken: list[tuple[int, int]] = []
        found = []
        for name in sorted(NAMES, key=len, reverse=True):
            for hit in re.finditer(re.escape(name), doc.article.text):
                if not any(s < hit.end() and hit.start() < e for s, e in taken):
                    taken.append(hit.span())
                    found.append(Mention(doc.id, hit.span(), name, NAMES[name]))
        mentions[doc.id] = sorted(found, key=lambda m: m.span)
    story_of = {doc.id: rows[doc.article.source][0] for doc in docs}
    stories = [Story(name, None, sorted(a for a, s in story_of.items() if s == name))
               for name in sorted(set(story_of.values()))]
    return docs, mentions, stories


def test_names_across_stories_are_joined_and_only_touched_stories_are_resolved_again(hashing):
    docs, mentions, stories = _council(COUNCIL, hashing)
    _, keys, first = _resolve_all(docs, [], mentions, stories)
    all_docs, all_mentions, all_stories = _council({**COUNCIL, **COUNCIL_LATER}, hashing)

    plan, _, result = _resolve_all(all_docs, [], all_mentions, all_stories, keys, first.clusters)

    whole = resolve_entities(all_mentions, all_docs, [], all_stories)
    assert result.entities == whole
    # The harbour story gained an article and the festival is new: only they were resolved again.
    assert plan.again == ["festival", "harbour"] and plan.kept == ["drought", "rail", "vote"]
    assert result.work["mentions"] == sum(len(all_mentions[a]) for s in all_stories if s.id in plan.again
                                          for a in s.articles)
    stories_of = {a: s.id for s in all_stories for a in s.articles}
    # One council across every story; one Ana Lindqvist across two; the two Brenners kept apart.
    council = next(e for e in whole if e.name == "Meridian Council")
    assert {stories_of[a] for a in council.articles} == {s.id for s in all_stories}
    lindqvist = next(e for e in whole if e.name == "Ana Lindqvist")
    assert {stories_of[a] for a in lindqvist.articles} == {"harbour", "vote"}
    assert "Lindqvist" in lindqvist.aliases
    tomas = next(e for e in whole if e.name == "Tomas Brenner")
    jonas = next(e for e in whole if e.name == "Jonas Brenner")
    assert {stories_of[a] for a in tomas.articles} == {"drought", "festival"}
    assert {stories_of[a] for a in jonas.articles} == {"rail"} and "Brenner" in jonas.aliases
    # Nothing changed: no story again, and the same entities.
    _, later_keys, _ = _resolve_all(all_docs, [], all_mentions, all_stories)
    again, _, same = _resolve_all(all_docs, [], all_mentions, all_stories, later_keys, result.clusters)
    assert again.again == [] and same.entities == whole and same.work["mentions"] == 0


def test_a_story_whose_article_changed_or_was_renamed_is_resolved_again(hashing):
    docs, mentions, stories = _council(COUNCIL, hashing)
    articles, keys = story_keys({a: 1 for a in mentions}, stories, [])
    rail = next(s for s in stories if s.id == "rail")
    versions = {a: 2 if a == rail.articles[0] else 1 for a in mentions}
    assert plan_resolution(*story_keys(versions, stories, []), keys).again == ["rail"]
    renamed = [replace(s, id="rail-renamed") if s.id == "rail" else s for s in stories]
    assert plan_resolution(*story_keys({a: 1 for a in mentions}, renamed, []), keys).again == ["rail-renamed"]
    assert plan_resolution(articles, keys, keys).again == []
    # A derivation between two stories' articles changes both; a "related" relation, which no rule reads, neither.
    vote = next(s for s in stories if s.id == "vote")
    for kind, expected in (("related", []), ("rewrite", ["rail", "vote"])):
        joined = [Relation(*sorted((rail.articles[0], vote.articles[0])), kind)]
        assert plan_resolution(*story_keys({a: 1 for a in mentions}, stories, joined), keys).again == expected
    # Other settings: every story again (the runner puts the settings in the key).
    assert len(plan_resolution(*story_keys({a: 1 for a in mentions}, stories, [], settings_key="x"), keys).again) \
        == len(stories)


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
        first_stories = store.stories()
        ingest(store, [tmp_path / "later"])
        report = analyze(store, models=models)
        incremental = load_analysis(store)
        # Nothing new: nothing grouped, built or resolved again.
        again = analyze(store, models=models)
        assert again.work["stories"] == {"articles weighed": 0, "articles grouped": 0, "stories built": 0,
                                         "stories kept": len(incremental.stories)}
        assert again.work["entities"] == {"stories": 0, "articles": 0, "mentions": 0}
        assert load_analysis(store) == incremental
    with open_store(tmp_path / "whole.db") as store:
        ingest(store, [tmp_path / "first", tmp_path / "later"])
        analyze(store, models=models)
        whole = load_analysis(store)

    assert incremental == whole
    assert not report.notes  # nothing ran in full
    stories, entities = report.work["stories"], report.work["entities"]
    # Every article is weighed; an undated article arrived (rehab-reyes-b), and undated articles count in
    # every block's neighbourhood, so every block is grouped again (a dated arrival: test_incremental_blocks).
    assert stories["articles weighed"] == len(ROWS) == stories["articles grouped"]
    assert stories["blocks kept"] == 0 < stories["blocks grouped"]
    added = {a.id for a in whole.articles if Path(a.source).name.removesuffix(".json") in LATER}
    touched = [s for s in whole.stories if added & set(s.articles)]
    assert stories["stories built"] <= len(touched) < len(whole.stories)
    assert stories["stories kept"] == len(whole.stories) - stories["stories built"]
    # Only the stories the new articles changed were resolved again; the others' clusters were kept.
    changed = [s for s in whole.stories if frozenset(s.articles) not in {frozenset(s.articles) for s in first_stories}]
    assert 0 < entities["stories"] <= len(changed) < len(whole.stories)
    assert entities["stories kept"] == len(whole.stories) - entities["stories"]
    assert 0 < entities["articles"] < len(ROWS) and entities["mentions"] < entities["mentions joined"]
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
    assert f"articles weighed {len(ROWS)}" in work and "articles grouped" in work and "stories built" in work and "entities: stories" in work
    held = next(line for line in err.splitlines() if line.startswith("store: "))
    assert held.startswith(f"store: {len(ROWS)} articles, ") and " stories, " in held and held.endswith(" entities")


def test_without_stories_every_article_is_one_story_resolved_again_on_any_change(corpus):
    docs, relations, mentions, later = corpus
    before = {a: m for a, m in mentions.items() if a not in later}
    articles, keys = story_keys({a: 1 for a in before}, [], relations)
    assert list(articles) == ["*"]
    assert plan_resolution(*story_keys({a: 1 for a in mentions}, [], relations), keys).again == ["*"]


def test_a_new_version_of_an_article_resolves_its_story_again_and_still_equals_a_whole_run(tmp_path):
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
    assert incremental.stories == whole.stories and incremental.entities == whole.entities
    # The edited article's story is resolved again, not the others.
    assert report.work["entities"]["stories"] == 1 and report.work["entities"]["stories kept"] > 0


def test_kept_clusters_that_cannot_be_read_are_made_again(tmp_path):
    from storyline.pipeline import ENTITY_CLUSTERS

    models = Models(embedder_name="hashing")
    _write(tmp_path / "corpus", ROWS)
    with open_store(tmp_path / "inc.db") as store:
        ingest(store, [tmp_path / "corpus"])
        analyze(store, models=models)
        entities = store.entities()
        story = next(s.id for s in store.stories() if any(store.mentions().get(a) for a in s.articles))
        key = store.story_result_fingerprint(story, ENTITY_CLUSTERS)
        store.save_story_result(story, ENTITY_CLUSTERS, key, {"nodes": "garbled"})
        store.save_stage_fingerprint("entities", "")  # as if something else had changed
        report = analyze(store, models=models)
        assert report.work["entities"]["stories"] == 1
        assert store.entities() == entities
