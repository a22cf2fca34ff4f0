"""Stories and events: look-alikes kept apart, one story across outlets, seeds, ids, order."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, make_articles
from storyline.model import Prepared, Relation, Story, stable_id
from storyline.prepare import prepare
from storyline.stories import StorySettings, cluster_stories
from storyline.stories import (DEFAULTS_PATH, UNDATED, StorySignals, cluster_blocks, cluster_window, fold_across_borders,
                               in_fold_order, processing_order, story_signals, term_statistics, window_of)
from storyline.stories import attach_fragments, content_key, rejoin_parts, split_lookalikes, term_key
from storyline.stories.assignment import StoryMembers, _aggregate

LOOKALIKES = FIXTURES / "stories" / "lookalikes.json"


def _load_fixture() -> list[dict]:
    return json.loads(LOOKALIKES.read_text(encoding="utf-8"))["articles"]


@pytest.fixture(scope="module")
def fixture_rows() -> list[dict]:
    return _load_fixture()


@pytest.fixture(scope="module")
def fixture_prepared(fixture_rows, embedder) -> list[Prepared]:
    texts = {row["source"]: row["text"] for row in fixture_rows}
    metadata = {row["source"]: {"title": row["title"], "published": row["published"]} for row in fixture_rows}
    return prepare(make_articles(texts, **metadata), embedder)


def _label_groups(stories: list[Story], prepared: list[Prepared], rows: list[dict], key: str) -> set[frozenset[str]]:
    """The grouping as sets of fixture labels' sources, to compare with the expected one."""
    source_of = {doc.id: doc.article.source for doc in prepared}
    if key == "story":
        return {frozenset(source_of[a] for a in story.articles) for story in stories}
    return {frozenset(source_of[a] for a in event.articles) for story in stories for event in story.events}


def _expected_groups(rows: list[dict], key: str) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for row in rows:
        groups.setdefault(row[key], set()).add(row["source"])
    return {frozenset(group) for group in groups.values()}


def _seed_number(prepared: list[Prepared]) -> dict[str, str]:
    return {doc.id: Path(doc.article.source).name[:3] for doc in prepared}


def test_lookalike_stories_stay_apart_and_outlets_stay_together(fixture_prepared, fixture_rows):
    stories = cluster_stories(fixture_prepared)
    assert _label_groups(stories, fixture_prepared, fixture_rows, "story") == _expected_groups(fixture_rows, "story")


def test_events_split_developments_and_keep_one_development_whole(fixture_prepared, fixture_rows):
    stories = cluster_stories(fixture_prepared)
    assert _label_groups(stories, fixture_prepared, fixture_rows, "event") == _expected_groups(fixture_rows, "event")
    peru = next(s for s in stories if any("peru" in a for a in _sources(s, fixture_prepared)))
    assert [event.date for event in peru.events] == ["2024-03-12", "2024-03-13"]
    assert peru.events[1].title == "Peru declares emergency in Arequipa after deadly quake"


def _sources(story: Story, prepared: list[Prepared]) -> list[str]:
    source_of = {doc.id: doc.article.source for doc in prepared}
    return [source_of[a] for a in story.articles]


def test_titles_are_headlines_from_the_articles(fixture_prepared):
    headlines = {doc.article.title for doc in fixture_prepared}
    for story in cluster_stories(fixture_prepared):
        assert story.title in headlines
        for event in story.events:
            assert event.title in headlines


def test_shuffled_input_gives_the_same_stories(fixture_prepared, seed_prepared):
    everything = list(fixture_prepared) + list(seed_prepared)
    expected = cluster_stories(everything)
    shuffled = everything[:]
    random.Random(7).shuffle(shuffled)
    assert cluster_stories(shuffled) == expected


def test_reversed_processing_order_gives_the_same_grouping(fixture_prepared, fixture_rows):
    # Undated articles are processed by content hash; reversing that order still gives the same stories.
    undated = [replace(doc, article=replace(doc.article, published=None)) for doc in fixture_prepared]
    signals, ordered = _signals(undated)
    expected = _expected_groups(fixture_rows, "story")
    forward = cluster_window(signals).story_of
    reversed_order = processing_order(signals)[::-1].copy()
    assert _grouping(forward, ordered) == _grouping(cluster_window(signals, order=reversed_order).story_of,
                                                    ordered) == expected


def _by_text(stories: list[Story], prepared: list[Prepared]) -> tuple[set[frozenset[str]], list[str | None]]:
    """The stories as sets of article texts, and their titles in order: what renaming files must not change."""
    text_of = {doc.id: doc.article.text for doc in prepared}
    return {frozenset(text_of[a] for a in story.articles) for story in stories}, [story.title for story in stories]


@pytest.mark.parametrize("dated", [False, True])
def test_renamed_and_permuted_files_give_the_same_stories(fixture_prepared, seed_prepared, dated):
    # Ids derive from file paths: renaming the files reverses the id order, and ids once broke the ties
    # between articles of one day (and between all undated ones). The stories must follow the texts only.
    everything = [doc if dated else replace(doc, article=replace(doc.article, published=None))
                  for doc in list(fixture_prepared) + list(seed_prepared)]
    renamed = []
    for position, doc in enumerate(sorted(everything, key=lambda d: d.id)):
        new_id = f"a-{len(everything) - position:04d}"
        renamed.append(replace(doc, article=replace(doc.article, id=new_id, source=f"renamed/{new_id}.txt")))
    random.Random(3).shuffle(renamed)
    assert sorted(d.id for d in renamed) != sorted(d.id for d in everything)
    assert _by_text(cluster_stories(renamed), renamed) == _by_text(cluster_stories(everything), everything)


def test_seeds_are_one_story_with_negotiation_and_announcement(seed_prepared):
    stories = cluster_stories(seed_prepared)
    assert len(stories) == 1
    story = stories[0]
    number = _seed_number(seed_prepared)
    assert sorted(number[a] for a in story.articles) == ["000", "001", "002", "003", "004"]
    assert [sorted(number[a] for a in event.articles) for event in story.events] == [
        ["000", "001", "002"], ["003", "004"]]
    assert story.independent_sources == 5
    assert all(event.date is None for event in story.events)  # no article carries a published date
    texts = [doc.article.text for doc in seed_prepared]
    assert story.title and any(story.title in text for text in texts)
    assert all(event.title and any(event.title in text for text in texts) for event in story.events)


def test_ids_derive_from_founding_articles_and_repeat(seed_prepared):
    first = cluster_stories(seed_prepared)
    assert cluster_stories(list(reversed(seed_prepared))) == first
    by_number = {n: a for a, n in _seed_number(seed_prepared).items()}
    story = first[0]
    key_of = {doc.id: content_key(doc) for doc in seed_prepared}
    assert story.id == stable_id("s", min(story.articles, key=key_of.__getitem__))
    # Undated articles: the founder is the one whose content hashes lowest (ids, from paths, do not count).
    negotiation = min((by_number[n] for n in ("000", "001", "002")), key=key_of.__getitem__)
    announcement = min((by_number[n] for n in ("003", "004")), key=key_of.__getitem__)
    assert [event.id for event in story.events] == [stable_id("e", negotiation), stable_id("e", announcement)]
    # A publication date makes the dated article the founder, whatever its id.
    dated = [replace(doc, article=replace(doc.article, published="2025-02-04")) if _seed_number([doc])[doc.id] == "004"
             else doc for doc in seed_prepared]
    assert cluster_stories(dated)[0].id == stable_id("s", by_number["004"])


def test_derivation_relations_force_one_story_and_count_once(fixture_prepared):
    ids = {doc.article.source: doc.id for doc in fixture_prepared}
    quake, rehab = ids["quake-turkey-wire.txt"], ids["rehab-reyes-a.txt"]
    a, b = sorted([quake, rehab])
    joined = cluster_stories(fixture_prepared, [Relation(a, b, "rewrite", score=0.9)])
    holder = next(s for s in joined if quake in s.articles)
    assert rehab in holder.articles
    assert holder.independent_sources == len(holder.articles) - 1
    loose = cluster_stories(fixture_prepared, [Relation(a, b, "related", score=0.9)])
    assert not any(quake in s.articles and rehab in s.articles for s in loose)
    # Which kinds force one story is a setting: without "rewrite" among them the texts decide.
    copies_only = replace(StorySettings(), joining_kinds=("duplicate", "excerpt"))
    scored = cluster_stories(fixture_prepared, [Relation(a, b, "rewrite", score=0.9)], settings=copies_only)
    assert not any(quake in s.articles and rehab in s.articles for s in scored)


def test_derived_article_headline_is_second_choice(seed_prepared):
    number = _seed_number(seed_prepared)
    by_number = {n: a for a, n in number.items()}
    titled = [replace(doc, article=replace(doc.article, title=f"Headline of article {number[doc.id]} here",
                                           outlet="Daily Example"))
              for doc in seed_prepared]
    plain = cluster_stories(titled)[0].title
    central = next(n for n in number.values() if plain == f"Headline of article {n} here")
    derived_id = by_number[central]
    other = by_number["001" if central != "001" else "000"]
    a, b = sorted([derived_id, other])
    relation = Relation(a, b, "translation", direction="a->b" if b == derived_id else "b->a")
    assert cluster_stories(titled, [relation])[0].title != plain


def test_outlet_suffix_is_stripped_from_headlines(seed_prepared):
    titled = [replace(doc, article=replace(doc.article, title="Deal reached on migrant transfers | Daily Example",
                                           outlet="Daily Example")) for doc in seed_prepared]
    assert cluster_stories(titled)[0].title == "Deal reached on migrant transfers"


def test_time_window_keeps_a_late_copy_out_of_a_cold_story(fixture_prepared):
    original = next(doc for doc in fixture_prepared if doc.article.source == "quake-turkey-wire.txt")
    late_article = replace(original.article, id="a-late-copy", source="late-copy.txt", published="2024-07-01")
    stories = cluster_stories(list(fixture_prepared) + [replace(original, article=late_article)])
    late_story = next(s for s in stories if "a-late-copy" in s.articles)
    # Out of the March story; the undated report of the quake may go with either copy of its text
    # (each block weighs terms by its own neighbourhood's counts: see stories.statistics).
    assert original.id not in late_story.articles
    assert all(doc.article.published is None for doc in fixture_prepared
               if doc.id in late_story.articles and doc.id != "a-late-copy")


def test_empty_input_and_bad_settings():
    assert cluster_stories([]) == []
    with pytest.raises(ValueError):
        StorySettings(event_same=0.3, event_different=0.5)
    with pytest.raises(ValueError):
        StorySettings(year_penalty=-0.1)


def test_story_ids_survive_later_articles_and_splits():
    from storyline.model import Story
    from storyline.stories import keep_story_ids

    previous = {"a1": "s-old", "a2": "s-old", "a3": "s-old", "b1": "s-other"}
    fresh = [Story("s-new-founder", None, ["a0", "a1", "a2"]), Story("s-old", None, ["a3"]),
             Story("s-b", None, ["b1", "b2"]), Story("s-c", None, ["c1"])]
    kept = keep_story_ids(fresh, previous)
    assert [s.id for s in kept] == ["s-old", kept[1].id, "s-other", "s-c"]
    assert kept[1].id not in {"s-old", "s-other", "s-c"}  # the smaller part of a split gets a new id
    assert [s.articles for s in kept] == [s.articles for s in fresh]


# --- the array core: windows, borders, processing order ----------------------------------



def _signals(prepared: list[Prepared]) -> tuple[StorySignals, list[Prepared]]:
    ordered = sorted(prepared, key=lambda d: (d.article.published is None, d.article.published or "",
                                              content_key(d), d.id))
    signals, members = story_signals(ordered, [], term_statistics(ordered))
    assert all(len(m) == 1 for m in members)
    return signals, ordered


def _grouping(story_of, ordered: list[Prepared]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for row, story in enumerate(story_of.tolist()):
        groups.setdefault(story, set()).add(ordered[row].article.source)
    return {frozenset(g) for g in groups.values()}


def test_any_processing_order_gives_the_same_stories(fixture_prepared, fixture_rows):
    signals, ordered = _signals([replace(d, article=replace(d.article, published=None)) for d in fixture_prepared])
    expected = _expected_groups(fixture_rows, "story")
    for seed in range(5):
        order = np.random.default_rng(seed).permutation(len(signals))
        assert _grouping(cluster_window(signals, order=order).story_of, ordered) == expected


def test_windows_merged_across_borders_equal_the_whole_run(fixture_prepared, fixture_rows):
    signals, ordered = _signals(list(fixture_prepared))
    settings = StorySettings(window_days=14, partition_days=14)
    blocks = window_of(signals.first_day, settings)
    assert len(set(blocks.tolist())) >= 3  # dated blocks plus the undated one
    # What the Spark engine does: each block alone (a task each), then the left fold at the driver.
    rows_of = [np.flatnonzero(blocks == block) for block in in_fold_order(set(blocks.tolist()))]
    assert in_fold_order(set(blocks.tolist()))[-1] == UNDATED
    folded = fold_across_borders([cluster_window(signals.take(rows), settings) for rows in rows_of], settings)
    story_of = np.empty(len(signals), dtype=np.int64)
    story_of[np.concatenate(rows_of)] = folded.story_of
    assert _grouping(story_of, ordered) == _grouping(cluster_blocks(signals, settings).story_of, ordered)
    assert _grouping(story_of, ordered) == _expected_groups(fixture_rows, "story")


def test_a_story_crossing_a_window_border_stays_one(fixture_prepared):
    settings = StorySettings()
    border = (date(2024, 3, 12).toordinal() // settings.partition_days + 1) * settings.partition_days
    before, after = date.fromordinal(border - 1).isoformat(), date.fromordinal(border).isoformat()
    peru = [d for d in fixture_prepared if d.article.source.startswith("quake-peru")]
    moved = [replace(d, article=replace(d.article, published=before if i == 0 else after)) for i, d in enumerate(peru)]
    stories = cluster_stories(moved, settings=settings)
    assert len(stories) == 1 and len(stories[0].articles) == 3


def test_take_and_concatenate_keep_rows_whole(fixture_prepared):
    signals, _ = _signals(list(fixture_prepared))
    rows = np.array([4, 0, 7])
    taken = signals.take(rows)
    for position, row in enumerate(rows):
        original = slice(signals.indptr[row], signals.indptr[row + 1])
        picked = slice(taken.indptr[position], taken.indptr[position + 1])
        assert taken.terms[picked].tolist() == signals.terms[original].tolist()
        assert np.allclose(taken.weights[picked], signals.weights[original])
    again = StorySignals.concatenate([signals.take(np.arange(5)), signals.take(np.arange(5, len(signals)))])
    assert again.indptr.tolist() == signals.indptr.tolist() and again.terms.tolist() == signals.terms.tolist()
    assert processing_order(signals).tolist() == list(range(len(signals)))


def test_seeds_with_a_dated_announcement_keep_two_events(seed_prepared):
    # In the pipeline the dateline gives 004 a publication date; the others stay undated.
    number = _seed_number(seed_prepared)
    dated = [replace(doc, article=replace(doc.article, published="2025-02-04")) if number[doc.id] == "004" else doc
             for doc in seed_prepared]
    stories = cluster_stories(dated)
    assert len(stories) == 1
    assert sorted(sorted(number[a] for a in event.articles) for event in stories[0].events) == [
        ["000", "001", "002"], ["003", "004"]]


def test_shipped_defaults_are_the_settings_defaults():
    shipped = {key: value for key, value in json.loads(DEFAULTS_PATH.read_text(encoding="utf-8")).items()
               if not key.startswith("_")}
    assert StorySettings.defaults() == StorySettings() == StorySettings(**shipped)
    with pytest.raises(ValueError):
        StorySettings(window_days=30, partition_days=14)


# --- the split test and the fragment pass, on hand-made signals ---------------------------



def _hand_signals(term_rows: list[dict[str, float]], vectors: np.ndarray, days: list[int] | None = None) -> StorySignals:
    """Signals from explicit term weights (unit-normalised per row) and embeddings, one article per row."""
    indptr, terms, weights = [0], [], []
    for row in term_rows:
        norm = float(np.sqrt(sum(w * w for w in row.values())))
        for term in sorted(row, key=term_key):
            terms.append(term_key(term))
            weights.append(row[term] / norm)
        indptr.append(len(terms))
    n = len(term_rows)
    day = np.array(days if days is not None else [-1] * n, dtype=np.int64)
    return StorySignals(np.array([f"a{i:03d}" for i in range(n)]), vectors.astype(np.float32),
                        np.array(indptr, dtype=np.int64), np.array(terms, dtype=np.int64),
                        np.array(weights, dtype=np.float32), day, day.copy(), np.ones(n, dtype=np.int64),
                        np.zeros(n, dtype=np.int64))  # equal content keys: the ids give the order


def _same_topic_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    topic = rng.normal(size=16)
    vectors = topic + 0.3 * rng.normal(size=(n, 16))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_split_test_parts_two_lookalikes_sharing_their_setting():
    # Twelve articles glued by their setting (team, city); two different players are the actors.
    rows = [{"saints": 1.0, "orleans": 1.0, ("brees" if i < 6 else "thomas"): 1.5, ("knee" if i < 6 else "ankle"): 1.0}
            for i in range(12)]
    signals = _hand_signals(rows, _same_topic_vectors(12))
    settings = StorySettings(split_min_size=10, split_ratio=0.6)
    story_of = split_lookalikes(signals, np.zeros(12, dtype=np.int64), settings)
    assert story_of.tolist() == [0] * 6 + [1] * 6


def test_split_test_keeps_one_story_told_in_varied_words():
    rng = np.random.default_rng(3)
    extras = ["monday", "court", "police", "jury", "appeal", "lawyer"]
    rows = [{"brees": 1.5, "saints": 1.0, extras[int(rng.integers(6))]: 0.8} for _ in range(12)]
    signals = _hand_signals(rows, _same_topic_vectors(12, seed=1))
    story_of = split_lookalikes(signals, np.zeros(12, dtype=np.int64), StorySettings(split_min_size=10))
    assert set(story_of.tolist()) == {0}


def test_split_test_leaves_small_stories_alone():
    rows = [{"saints": 1.0, ("brees" if i < 3 else "thomas"): 1.5} for i in range(6)]
    signals = _hand_signals(rows, _same_topic_vectors(6))
    story_of = split_lookalikes(signals, np.zeros(6, dtype=np.int64), StorySettings(split_min_size=10))
    assert set(story_of.tolist()) == {0}


def test_fragments_join_a_larger_story_but_never_each_other():
    # Rows 0-3 are one story (sizes from aggregation); row 4 a stray article of it, linked weakly;
    # rows 5 and 6 two strays that only resemble each other.
    rows = [{"quake": 1.0, "lima": 1.0, "peru": 1.0}] * 4 + [{"peru": 1.0, "rescue": 1.0, "aftershock": 1.0},
                                                           {"oslo": 1.0, "fire": 1.0}, {"oslo": 1.0, "fire": 1.0}]
    signals = _hand_signals(rows, _same_topic_vectors(7))
    stories = replace(signals.take(np.array([0, 4, 5, 6])), sizes=np.array([4, 1, 1, 1], dtype=np.int64))
    stories = replace(stories, vectors=stories.vectors * stories.sizes[:, None].astype(np.float32))
    # near_copy out of reach: these made-up embeddings are all alike, the terms must decide. The support
    # check is off: its bar (0.2 shipped) is above this stray's link (0.17), and the fragment bar is tested here.
    settings = StorySettings(fragment_size=2, fragment_threshold=0.15, join_threshold=0.5, near_copy=0.999,
                             support_link=0.0)
    labels = attach_fragments(stories, settings)
    assert labels[1] == labels[0]  # the stray joins its story on the lower bar
    assert len({labels[0], labels[2], labels[3]}) == 3  # fragments do not pool together
    off = attach_fragments(stories, replace(settings, fragment_threshold=0.9))
    assert len(set(off.tolist())) == 4


def test_a_fragment_linking_alike_to_two_stories_joins_neither():
    # Two stories sharing a setting term; the stray names only the setting: it fits both equally.
    rows = ([{"saints": 1.0, "brees": 1.0}] * 3 + [{"saints": 1.0, "thomas": 1.0}] * 3
            + [{"saints": 1.0, "injury": 1.0}])
    signals = _hand_signals(rows, _same_topic_vectors(7))
    stories = replace(signals.take(np.array([0, 3, 6])), sizes=np.array([3, 3, 1], dtype=np.int64))
    stories = replace(stories, vectors=stories.vectors * stories.sizes[:, None].astype(np.float32))
    settings = StorySettings(fragment_size=2, fragment_threshold=0.15, near_copy=0.999)
    assert len(set(attach_fragments(stories, replace(settings, fragment_margin=0.05)).tolist())) == 3
    assert len(set(attach_fragments(stories, replace(settings, fragment_margin=0.0)).tolist())) == 2


def test_a_fragment_backed_by_one_member_only_needs_the_story_as_a_whole():
    # Rows 0-3 are one story; row 3 also tells a look-alike's specifics. Row 4 is that look-alike: it links
    # strongly to row 3 and to nothing else, yet its average link clears the fragment bar. Row 5 is a stray
    # of the story proper, linked to every member. Rows 6-8 are a third story that row 4 links to a little
    # less than to the first, but evenly.
    story = {"quake": 1.0, "lima": 1.0, "peru": 1.0}
    rows = ([story] * 3 + [{**story, "cusco": 1.5, "rescue": 1.5}, {"cusco": 1.5, "rescue": 1.5, "bolivia": 0.5},
                           {"quake": 1.0, "peru": 1.0, "aftershock": 1.0}] + [{"bolivia": 1.0, "lapaz": 1.0}] * 3)
    signals = _hand_signals(rows, _same_topic_vectors(9))
    labels = np.array([0, 0, 0, 0, 1, 2, 3, 3, 3], dtype=np.int64)
    stories = _aggregate(signals, labels)
    settings = StorySettings(fragment_size=2, fragment_threshold=0.15, fragment_margin=0.0, near_copy=0.999,
                             support_link=0.0)
    members = StoryMembers.grouped(signals, labels, replace(settings, support_link=0.15))
    off = attach_fragments(stories, settings, members)
    assert off[1] == off[0] and off[2] == off[0]  # average link lets the look-alike in through row 3
    supported = attach_fragments(stories, replace(settings, support_link=0.15, support_share=0.5), members)
    assert supported[2] == supported[0]  # the stray of the story proper still joins
    # One member of four is no support; and the story it links to best refusing it, it joins no other.
    assert supported[1] not in (supported[0], supported[3])
    # Only the first ``support_members`` units speak for the story: here row 3 alone, which backs the look-alike.
    capped = replace(settings, support_link=0.15, support_share=0.5, support_members=1)
    members_of_one = StoryMembers.grouped(replace(signals, keys=np.array([1, 1, 1, 0, 1, 1, 1, 1, 1])), labels,
                                          capped)
    assert members_of_one.unit_rows.tolist() == [3, 4, 5, 6]
    capped_labels = attach_fragments(stories, capped, members_of_one)
    assert capped_labels[1] == capped_labels[0]


def test_events_of_a_very_large_story_are_bounded_and_still_separate():
    import numpy as np

    from storyline.stories import EVENT_SEED_ROWS, StorySettings, event_clusters

    n = EVENT_SEED_ROWS * 4
    group = np.arange(n) % 2  # two developments, interleaved in processing order
    similarity = np.where(group[:, None] == group[None, :], 0.9, 0.2)
    clusters = event_clusters(similarity, StorySettings())
    # rows past the seed rows are attached, not agglomerated, and land with their own development
    assert sorted(sorted(group[c].tolist()) for c in clusters) == [[0] * (n // 2), [1] * (n // 2)]


def test_split_test_finds_lookalikes_beside_an_outlying_article():
    # Two look-alikes glued by their setting, plus one article barely about either: the bisection must
    # cut between the two groups, not peel the outlier off (which average link down to two clusters did).
    rows = ([{"saints": 1.0, "orleans": 1.0, "brees": 1.5, "knee": 1.0}] * 6
            + [{"saints": 1.0, "orleans": 1.0, "thomas": 1.5, "ankle": 1.0}] * 5
            + [{"saints": 0.3, "weather": 2.0, "stadium": 1.0}])
    signals = _hand_signals(rows, _same_topic_vectors(12, seed=2))
    story_of = split_lookalikes(signals, np.zeros(12, dtype=np.int64), StorySettings(split_min_size=10))
    assert len(set(story_of[:6].tolist())) == 1 and len(set(story_of[6:11].tolist())) == 1
    assert story_of[0] != story_of[6]


def test_parts_of_one_story_rejoin_but_lookalikes_stay_apart():
    # Rows 0-5 and 6-9: one story told in two parts (the same actors), which the stream's order
    # left as two stories; rows 10-15: a look-alike sharing the setting but not the actors.
    rows = ([{"saints": 1.0, "brees": 1.5, "knee": 1.0}] * 6 + [{"saints": 1.0, "brees": 1.5, "surgery": 1.0}] * 4
            + [{"saints": 1.0, "thomas": 1.5, "ankle": 1.0}] * 6)
    signals = _hand_signals(rows, _same_topic_vectors(16))
    settings = StorySettings(split_ratio=0.66)
    story_of = rejoin_parts(signals, np.array([0] * 6 + [1] * 4 + [2] * 6), settings)
    assert story_of.tolist() == [0] * 10 + [1] * 6
    # Whatever the labels' numbering, the same stories come back.
    assert rejoin_parts(signals, np.array([2] * 6 + [0] * 4 + [1] * 6), settings).tolist() == story_of.tolist()


# --- boilerplate: lines a site repeats on every page are not shared content ----------------------

BOILERPLATE = FIXTURES / "stories" / "boilerplate.json"


@pytest.fixture(scope="module")
def site_pages(embedder) -> list[Prepared]:
    rows = json.loads(BOILERPLATE.read_text(encoding="utf-8"))["articles"]
    texts = {row["source"]: row["text"] for row in rows}
    metadata = {row["source"]: {k: row[k] for k in ("title", "outlet", "published")} for row in rows}
    return prepare(make_articles(texts, **metadata), embedder)


def test_unrelated_pages_sharing_a_sites_navigation_never_form_a_story(site_pages):
    stories = cluster_stories(site_pages)
    assert [len(story.articles) for story in stories] == [1] * len(site_pages)


def test_the_sites_repeated_lines_are_boilerplate_and_the_story_lines_are_not(site_pages):
    from storyline.stories import term_statistics

    statistics = term_statistics(site_pages)
    page = site_pages[0]
    flagged = [s.text for s in page.sentences if statistics.is_boilerplate(page, s.text)]
    assert any(line.startswith("Home | News") for line in flagged)
    assert any(line.startswith("Share this story") for line in flagged)
    assert not any(page.article.title in line for line in flagged)
    # A line is a site's only when it repeats across that site's pages: without an outlet or URL nothing is.
    anonymous = replace(page, article=replace(page.article, outlet=None, url=None))
    assert not any(statistics.is_boilerplate(anonymous, s.text) for s in anonymous.sentences)


def test_a_sites_repeated_lines_make_no_reuse_relation_and_no_story_through_the_pipeline(site_pages, tmp_path):
    from storyline.reuse import find_relations

    assert [r for r in find_relations(site_pages) if r.kind != "related"] == []
    assert all(len(s.articles) == 1 for s in cluster_stories(site_pages, find_relations(site_pages)))


# --- titles: the plainest original headline ---------------------------------------------------------


def test_story_title_is_the_plain_headline_others_share_not_one_outlets_loaded_wording(embedder):
    from storyline.stories import story_from_members

    body = ("The Elm Street bridge over Miller Creek will close for eight weeks starting Monday while engineers "
            "replace its deck. Detour signs will send traffic along Route 9.")
    headlines = {
        "a.txt": "COMMUTER NIGHTMARE: Elm Street bridge shut as traffic chaos looms!",
        "b.txt": "Elm Street bridge closes for eight weeks of repairs",
        "c.txt": "Elm Street bridge to close for repairs on Monday",
    }
    docs = prepare(make_articles({s: body for s in headlines}, **{s: {"title": t} for s, t in headlines.items()}),
                   embedder)
    story = story_from_members(docs, [], StorySettings(), frozenset())
    assert story.title in {headlines["b.txt"], headlines["c.txt"]}


# --- across languages ----------------------------------------------------------------------------------


def test_a_translation_joins_its_original_and_another_event_of_the_topic_stays_apart(embedder):
    rows = json.loads((FIXTURES / "stories" / "languages.json").read_text(encoding="utf-8"))["articles"]
    docs = prepare(make_articles({r["source"]: r["text"] for r in rows},
                                 **{r["source"]: {k: r[k] for k in ("title", "published", "language")} for r in rows}),
                   embedder)
    from storyline.reuse import find_relations

    source_of = {doc.id: doc.article.source for doc in docs}
    expected = {frozenset({"quake-hokkaido-en.txt", "quake-hokkaido-es.txt"}), frozenset({"quake-atacama-es.txt"})}
    for relations in ([], find_relations(docs)):
        groups = {frozenset(source_of[a] for a in story.articles) for story in cluster_stories(docs, relations)}
        assert groups == expected


def test_content_words_are_counted_only_when_the_score_reads_them(fixture_prepared):
    from storyline.stories import term_statistics

    with_content = replace(StorySettings(), content_share=0.5)
    without = replace(StorySettings(), content_share=0.0, content_merge=0.0)
    assert not any(term.startswith("w:") for term in term_statistics(fixture_prepared, without).document_frequency)
    merging = replace(without, content_merge=0.25)
    assert any(term.startswith("w:") for term in term_statistics(fixture_prepared, merging).document_frequency)
    counted = term_statistics(fixture_prepared, with_content)
    assert any(term.startswith("w:") for term in counted.document_frequency)
    # A word in every article weighs nothing: no stop-word list is needed.
    everywhere = [t for t, n in counted.document_frequency.items() if t.startswith("w:") and n == counted.documents]
    assert everywhere and all(counted.content_idf(t) == 0.0 for t in everywhere)
    stories = cluster_stories(fixture_prepared, settings=with_content)
    assert sorted(a for s in stories for a in s.articles) == sorted(d.id for d in fixture_prepared)


# --- no date, no merge on topic alone: the years the texts name (issue 12) -----------------------

YEARS_APART = FIXTURES / "stories" / "years_apart.json"


@pytest.fixture(scope="module")
def years_apart(embedder) -> tuple[list[Prepared], list[dict]]:
    rows = json.loads(YEARS_APART.read_text(encoding="utf-8"))["articles"]
    texts = {row["source"]: row["text"] for row in rows}
    return prepare(make_articles(texts, **{row["source"]: {"title": row["title"]} for row in rows}), embedder), rows


def _story_sources(stories: list[Story], prepared: list[Prepared]) -> set[frozenset[str]]:
    source_of = {doc.id: doc.article.source for doc in prepared}
    return {frozenset(source_of[a] for a in story.articles) for story in stories}


def test_undated_lookalikes_naming_other_years_stay_apart(years_apart):
    # One town's teachers' strike, the same union leader and superintendent, seven years apart; no dates.
    prepared, rows = years_apart
    veto = StorySettings(year_penalty=1.0, latest_year_penalty=1.0, year_tolerance=1)
    expected = _expected_groups(rows, "story")
    assert _story_sources(cluster_stories(prepared, settings=veto), prepared) == expected
    # The years are what keeps them apart: without the year rule the shared names join them.
    assert len(cluster_stories(prepared, settings=StorySettings(year_penalty=0.0))) == 1
    # Order independence holds with the rule on.
    shuffled = prepared[::-1]
    assert _story_sources(cluster_stories(shuffled, settings=veto), prepared) == expected


def test_with_dates_the_dates_decide_not_the_years_named(years_apart):
    # The same articles dated within days of each other: the window says one time, so the years the
    # texts name (background, as far as the stage can tell) do not part them.
    prepared, _ = years_apart
    dated = [replace(doc, article=replace(doc.article, published=f"2023-03-0{i % 5 + 1}"))
             for i, doc in enumerate(prepared)]
    veto = StorySettings(year_penalty=1.0, latest_year_penalty=1.0, year_tolerance=1)
    assert len(cluster_stories(dated, settings=veto)) == 1


def test_a_dated_stray_article_joins_an_undated_story_on_the_fragment_bar():
    # Rows 0-3: an undated story; row 4: a stray article of it whose text states its date. Dated and
    # undated rows meet only when the undated window is folded in; the fragment pass runs there too.
    rows = [{"quake": 1.0, "lima": 1.0, "peru": 1.0}] * 4 + [{"peru": 1.0, "rescue": 1.0, "aftershock": 1.0}]
    signals = _hand_signals(rows, _same_topic_vectors(5), days=[-1, -1, -1, -1, 738000])
    settings = StorySettings(fragment_size=2, fragment_threshold=0.15, join_threshold=0.5, near_copy=0.999)
    assert len(set(cluster_blocks(signals, settings).story_of.tolist())) == 1
    assert len(set(cluster_blocks(signals, replace(settings, fragment_size=0)).story_of.tolist())) == 2


def test_a_translations_headline_never_titles_a_story_whose_original_has_none(embedder):
    from storyline.stories import story_from_members

    original = ("The Elm Street bridge over Miller Creek will close for eight weeks starting Monday while engineers "
                "replace its deck. Detour signs will send traffic along Route 9.")
    translated = ("The bridge of Elm Street on the Creek Miller will be closed eight weeks from Monday while the "
                  "engineers replace its board. Signs of deviation will send the traffic by Route 9.")
    docs = prepare(make_articles({"original.txt": original, "translated.txt": translated},
                                 **{"translated.txt": {"title": "Bridge of Elm Street closes eight weeks"}}), embedder)
    by_source = {doc.article.source: doc.id for doc in docs}
    a, b = sorted([by_source["original.txt"], by_source["translated.txt"]])
    relation = Relation(a, b, "translation", direction="a->b" if b == by_source["translated.txt"] else "b->a")
    story = story_from_members(docs, [relation], StorySettings(), frozenset())
    assert story.title == original.split(". ")[0] + "."
    # A copy's headline is still a headline of the same report: it comes before any lead sentence.
    copied = Relation(a, b, "duplicate", direction=relation.direction)
    assert story_from_members(docs, [copied], StorySettings(), frozenset()).title == "Bridge of Elm Street closes eight weeks"
