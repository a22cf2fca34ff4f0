"""Lazy depth: single-article stories wait for the per-story stages, and get exactly the eager answers when opened."""

import dataclasses
import shutil

import numpy as np
import pytest

from storyline import depth
from storyline.embedders import HashingEmbedder, SharedSentenceVectors
from storyline.views.json_export import to_json, validate_export
from storyline.model import Story
from storyline.pipeline import Models, analyze, ingest, load_analysis
from storyline.store import open_store

from conftest import FIXTURES, run_cli

# Three articles on one fire (a story of three) and three on unrelated things (stories of one).
STORY_OF_THREE = ["claims/fire_daily.txt", "claims/fire_wire.txt", "claims/fire_translated.txt"]
LONE = ["reuse/bakery_unrelated.txt", "entities/brother_arrested.txt", "dedup/harbour.txt"]


@pytest.fixture(scope="module")
def models():
    return Models()


@pytest.fixture(scope="module")
def eager_models(models):
    # The same loaded models, run eagerly.
    return dataclasses.replace(models, all_in_depth=True)


def corpus(tmp_path, names=STORY_OF_THREE + LONE):
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(FIXTURES / name, folder / name.replace("/", "-"))
    return folder


def test_needs_depth_is_two_articles_or_opened():
    lone, pair = Story("s-1", None, ["a"]), Story("s-2", None, ["b", "c"])
    assert not depth.needs_depth(lone, set()) and depth.needs_depth(lone, {"s-1"})
    assert depth.needs_depth(pair, set())
    assert depth.deep_articles([lone, pair], set()) == {"b", "c"}
    assert depth.shallow_story_ids([lone, pair], set()) == ["s-1"]


def test_lazy_then_opened_equals_eager(tmp_path, models, eager_models):
    folder = corpus(tmp_path)
    with open_store(tmp_path / "eager.db") as eager_store:
        ingest(eager_store, [folder])
        analyze(eager_store, models=eager_models)
        eager = load_analysis(eager_store)
    with open_store(tmp_path / "lazy.db") as store:
        ingest(store, [folder])
        analyze(store, models=models)
        lazy = load_analysis(store)
        shallow = [s for s in lazy.stories if s.id in lazy.shallow_stories]
        assert shallow and all(len(s.articles) == 1 for s in shallow)
        assert any(len(s.articles) > 1 for s in lazy.stories) and not eager.shallow_stories
        waiting = {a for s in shallow for a in s.articles}
        # Nothing per story was computed for the waiting stories: no mentions read, no claims, no timeline.
        assert not waiting & set(store.mentions())
        assert not {c.story for c in lazy.claims} & set(lazy.shallow_stories)
        assert not {t.story for t in lazy.timeline} & set(lazy.shallow_stories)
        assert eager.claims and {c.story for c in eager.claims} & set(lazy.shallow_stories)
        exported = to_json(lazy)
        validate_export(exported)
        flags = {s["id"]: s["analysed_in_depth"] for s in exported["stories"]}
        assert {k for k, v in flags.items() if not v} == set(lazy.shallow_stories)
        # The stories analysed at once equal their eager twins' claims already.
        deep_ids = {s.id for s in lazy.stories} - set(lazy.shallow_stories)
        assert ([c for c in lazy.claims if c.story in deep_ids] == [c for c in eager.claims if c.story in deep_ids])

        for story in shallow:
            assert depth.analyse_story_now(store, story.id, models)
            assert not depth.analyse_story_now(store, story.id, models)  # once
        forced = load_analysis(store)
        assert forced == eager
        assert all(s["analysed_in_depth"] for s in to_json(forced)["stories"])
        # A later run keeps them: nothing is waiting, nothing is redone.
        again = analyze(store, models=models)
        assert again.counts["claims"] == 0 and again.counts["timeline"] == 0
        assert again.counts["entities"] == 0  # the resolution's inputs are unchanged: not redone
        assert load_analysis(store) == eager


def test_a_waiting_story_gets_no_spacy_pass_until_opened(tmp_path):
    from storyline.entities.cached_pipeline import text_key
    from storyline.entities.mentions import line_pieces
    from storyline.store.parses import StoredParses

    # Models of their own: the shared ones hold the other tests' parses in memory, and a line met
    # there is not parsed (nor kept in this store) again.
    models = Models()
    folder = corpus(tmp_path)
    with open_store(tmp_path / "parses.db") as store:
        ingest(store, [folder])
        analyze(store, models=models)
        analysis = load_analysis(store)
        texts = {a.id: a.text for a in analysis.articles}
        waiting = {a for s in analysis.stories if s.id in analysis.shallow_stories for a in s.articles}
        deep_lines = {piece for a, text in texts.items() if a not in waiting for piece in line_pieces(text)}
        only_waiting = {piece for a in waiting for piece in line_pieces(texts[a])} - deep_lines
        assert waiting and only_waiting
        model = models.recognisers.for_language("en").nlp.model_key
        kept = StoredParses(store)
        # The deep stories' lines were parsed and kept; not one line only a waiting story holds.
        assert kept.load_parses(model, sorted(text_key(piece) for piece in deep_lines))
        assert not kept.load_parses(model, sorted(text_key(piece) for piece in only_waiting))
        for story in analysis.shallow_stories:
            depth.analyse_story_now(store, story, models)
        assert len(kept.load_parses(model, sorted(text_key(piece) for piece in only_waiting))) == len(only_waiting)


def test_a_story_that_gains_a_second_article_is_analysed(tmp_path, models):
    folder = corpus(tmp_path, names=LONE)
    with open_store(tmp_path / "grow.db") as store:
        ingest(store, [folder])
        analyze(store, models=models)
        before = load_analysis(store)
        assert set(before.shallow_stories) == {s.id for s in before.stories}
        assert not before.claims and not store.mentions()
        # The same bakery story printed again by another source: two articles, one story.
        later = tmp_path / "later"
        later.mkdir()
        shutil.copy(FIXTURES / "reuse/bakery_unrelated.txt", later / "bakery-reprint.txt")
        ingest(store, [later])
        analyze(store, models=models)
        after = load_analysis(store)
        grown = next(s for s in after.stories if len(s.articles) == 2)
        assert grown.id not in after.shallow_stories
        assert {c.story for c in after.claims} == {grown.id}
        assert set(store.mentions()) == set(grown.articles)


def test_the_story_command_analyses_a_waiting_story(tmp_path, models, capsys):
    folder = corpus(tmp_path, names=LONE[:1])
    db = tmp_path / "cli.db"
    with open_store(db) as store:
        ingest(store, [folder])
        analyze(store, models=models)
        (story,) = store.stories()
        assert load_analysis(store).shallow_stories == [story.id]
    code, out, err = run_cli(capsys, "story", story.id, "--db", db, "--json")
    assert code == 0, err
    assert '"analysed_in_depth": true' in out
    with open_store(db) as store:
        assert load_analysis(store).shallow_stories == []
        assert story.id in store.story_results("claims")


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts):
        self.encoded += list(texts)
        return super().encode(texts)


def test_shared_sentence_vectors_encode_each_sentence_once_and_stay_bounded():
    inner = CountingEmbedder()
    shared = SharedSentenceVectors(inner, capacity=3)
    first = shared.encode(["a cat", "a dog", "a cat"])
    assert inner.encoded == ["a cat", "a dog"]
    again = shared.encode(["a dog", "a bird"])
    assert inner.encoded == ["a cat", "a dog", "a bird"]
    assert np.array_equal(again[0], first[1])
    assert np.array_equal(again, HashingEmbedder().encode(["a dog", "a bird"]))
    shared.encode(["a fish"])  # four sentences met, three kept: the least recent ("a cat") goes
    shared.encode(["a cat"])
    assert inner.encoded[-1] == "a cat" and len(inner.encoded) == 5
    assert shared.encode([]).shape == (0, inner.dimensions)


def test_opening_a_waiting_story_in_the_web_app_analyses_it(tmp_path, models):
    import time

    from starlette.testclient import TestClient

    from storyline.web import WebConfig, build_asgi

    folder = corpus(tmp_path, names=LONE[:1])
    db = tmp_path / "web.db"
    with open_store(db) as store:
        ingest(store, [folder])
        analyze(store, models=models)
        (story,) = store.stories()
    config = WebConfig(db_path=str(db), uploads_dir=str(tmp_path / "uploads"), models=models)
    with TestClient(build_asgi(config), base_url="http://127.0.0.1") as client:
        # The first look shows the story as stored, says so, and starts its analysis on the writer thread.
        assert "Not analysed in depth yet" in client.get(f"/stories/{story.id}").text
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if client.get(f"/stories/{story.id}.json").json()["story"]["analysed_in_depth"]:
                break
            time.sleep(0.5)
        assert client.get(f"/stories/{story.id}.json").json()["story"]["analysed_in_depth"] is True
    with open_store(db) as store:
        assert story.id in store.story_results("claims")
