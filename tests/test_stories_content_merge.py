"""The content merge pass: one story told in different words joins; look-alikes and far-apart dates do not."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from conftest import make_articles
from storyline.prepare import prepare
from storyline.stories import StorySettings, StorySignals, cluster_window, term_key
from storyline.stories.features import dating_years
from storyline.stories import rejoin_parts, split_lookalikes
from storyline.stories.passes import _Cohesion, content_mix_weights, merge_on_content


def _unit(row: dict[str, float]) -> dict[str, float]:
    norm = float(np.sqrt(sum(w * w for w in row.values())))
    return {term: w / norm for term, w in row.items()}


def _signals(rows: list[tuple[dict[str, float], dict[str, float]]], days: list[int] | None = None,
             vectors: np.ndarray | None = None, dating: list[list[int]] | None = None) -> StorySignals:
    """One article per row: (specific terms, content words), each part unit length; content keyed below zero
    as ``story_signals`` keys it. Embeddings are one shared direction unless given. ``dating``: per row, the
    years that date its text, as the markers at weight 0 ``story_signals`` adds."""
    indptr, terms, weights = [0], [], []
    for index, (specific, content) in enumerate(rows):
        for term, weight in sorted(_unit(specific).items()):
            terms.append(term_key(term))
            weights.append(weight)
        for year in (dating[index] if dating is not None else []):
            terms.append(term_key(f"dating-year:{year}"))
            weights.append(0.0)
        for word, weight in sorted(_unit(content).items()):
            terms.append(-1 - term_key("w:" + word))
            weights.append(weight)
        indptr.append(len(terms))
    n = len(rows)
    day = np.array(days if days is not None else [-1] * n, dtype=np.int64)
    if vectors is None:
        vectors = np.zeros((n, 4), dtype=np.float32)
        vectors[:, 0] = 1.0
    return StorySignals(np.array([f"a{i:03d}" for i in range(n)]), vectors, np.array(indptr, dtype=np.int64),
                        np.array(terms, dtype=np.int64), np.array(weights, dtype=np.float32), day, day.copy(),
                        np.ones(n, dtype=np.int64), np.arange(n, dtype=np.int64))


FLOOD = {"river": 1.0, "flood": 1.0, "levee": 1.0, "evacuated": 1.0, "rain": 1.0}
FIRE = {"wildfire": 1.0, "acres": 1.0, "containment": 1.0, "evacuated": 1.0, "smoke": 1.0}
SETTINGS = StorySettings(content_merge=0.3, content_merge_share=0.7)


def test_one_story_in_two_parts_joins_on_its_content_words():
    # Two parts of one flood story: the same words, the town named by one part only.
    rows = [({"Riverton": 1.0}, FLOOD)] * 3 + [({"Mayor": 1.0, "Riverton": 0.3}, FLOOD)] * 2
    signals = _signals(rows)
    story_of = merge_on_content(signals, np.array([0, 0, 0, 1, 1]), SETTINGS)
    assert len(set(story_of.tolist())) == 1
    # Off (0), nothing joins.
    off = replace(SETTINGS, content_merge=0.0)
    assert merge_on_content(signals, np.array([0, 0, 0, 1, 1]), off).tolist() == [0, 0, 0, 1, 1]


def test_stories_of_other_content_stay_apart():
    rows = [({"Riverton": 1.0}, FLOOD)] * 3 + [({"Pineville": 1.0}, FIRE)] * 3
    story_of = merge_on_content(_signals(rows), np.array([0, 0, 0, 1, 1, 1]), SETTINGS)
    assert story_of.tolist() == [0, 0, 0, 1, 1, 1]


def test_lookalikes_in_the_same_words_stay_apart_when_their_names_differ():
    # Two floods told in the same words, in other towns: with the names weighing 70% of the link they
    # stay apart; with the content words alone (share 1) they would join.
    rows = [({"Riverton": 1.0, "Ohio": 1.0}, FLOOD)] * 3 + [({"Pineville": 1.0, "Oregon": 1.0}, FLOOD)] * 3
    signals = _signals(rows)
    labels = np.array([0, 0, 0, 1, 1, 1])
    names_weigh = replace(SETTINGS, content_merge_share=0.3, content_merge=0.4)
    assert merge_on_content(signals, labels, names_weigh).tolist() == [0, 0, 0, 1, 1, 1]
    words_alone = replace(names_weigh, content_merge_share=1.0)
    assert len(set(merge_on_content(signals, labels, words_alone).tolist())) == 1


def test_dated_stories_further_apart_than_the_window_never_meet():
    rows = [({"Riverton": 1.0}, FLOOD)] * 4
    days = [738000, 738000, 738000 + 60, 738000 + 60]
    story_of = merge_on_content(_signals(rows, days), np.array([0, 0, 1, 1]), SETTINGS)
    assert story_of.tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("seed", range(3))
def test_the_merge_does_not_depend_on_the_stories_numbering(seed):
    rows = ([({"Riverton": 1.0}, FLOOD)] * 2 + [({"Riverton": 0.5, "Mayor": 1.0}, FLOOD)] * 2
            + [({"Pineville": 1.0}, FIRE)] * 2)
    signals = _signals(rows)
    labels = np.array([0, 0, 1, 1, 2, 2])
    expected = merge_on_content(signals, labels, SETTINGS)
    renamed = np.random.default_rng(seed).permutation(3)[labels]
    assert merge_on_content(signals, renamed, SETTINGS).tolist() == expected.tolist()
    assert expected.tolist() == [0, 0, 0, 0, 1, 1]


def test_the_stream_and_its_passes_never_read_the_content_words():
    # Specific terms that differ, content words that agree: with the merge off, the window's stories
    # come from the names alone, as if no content words were there. Embeddings: one per town, cosine 0.6
    # across (the same topic, not near-copies).
    rows = [({"Riverton": 1.0}, FLOOD)] * 3 + [({"Pineville": 1.0}, FLOOD)] * 3
    vectors = np.array([[1.0, 0.0, 0.0, 0.0]] * 3 + [[0.6, 0.8, 0.0, 0.0]] * 3, dtype=np.float32)
    signals = _signals(rows, vectors=vectors)
    off = replace(SETTINGS, content_merge=0.0)
    with_words = cluster_window(signals, off).story_of
    without_words = cluster_window(signals.part(content=False), off).story_of
    assert with_words.tolist() == without_words.tolist()
    assert len(set(with_words.tolist())) == 2


def test_without_dates_texts_naming_other_years_stay_apart():
    # The same town's flood told in the same words, seven years apart: undated, the years the texts name
    # keep them apart (the stream's year rule); dated within days of each other, the dates decide.
    rows = [({"Riverton": 1.0, "2016": 1.0}, FLOOD)] * 3 + [({"Riverton": 1.0, "2023": 1.0}, FLOOD)] * 3
    labels = np.array([0, 0, 0, 1, 1, 1])
    rule = replace(SETTINGS, content_merge_share=0.5, year_penalty=0.6)
    assert merge_on_content(_signals(rows), labels, rule).tolist() == [0, 0, 0, 1, 1, 1]
    assert len(set(merge_on_content(_signals(rows), labels, replace(rule, year_penalty=0.0)).tolist())) == 1
    dated = _signals(rows, days=[738000, 738001, 738001, 738002, 738002, 738003])
    assert len(set(merge_on_content(dated, labels, rule).tolist())) == 1


def test_year_rule_has_two_tiers_no_year_shared_and_other_latest_years():
    # One flood story: some reports recall an earlier flood (2009) beside the one they tell (2007). By the
    # latest year alone the parts look years apart; counting every year named, they share 2007.
    rows = [({"Riverton": 1.0, "2007": 1.0}, FLOOD)] * 3 + [({"Riverton": 1.0, "2007": 0.5, "2009": 1.0}, FLOOD)] * 3
    labels = np.array([0, 0, 0, 1, 1, 1])
    # (The tier reads every row's latest named year here: ``dating_sentences`` 0.)
    latest = replace(SETTINGS, content_merge_share=0.5, year_penalty=0.6, latest_year_penalty=0.6,
                     dating_sentences=0)
    assert merge_on_content(_signals(rows), labels, latest).tolist() == [0, 0, 0, 1, 1, 1]
    every = replace(latest, latest_year_penalty=0.0)
    assert len(set(merge_on_content(_signals(rows), labels, every).tolist())) == 1
    # Texts that share no year stay apart under either tier.
    apart = [({"Riverton": 1.0, "2016": 1.0}, FLOOD)] * 3 + [({"Riverton": 1.0, "2023": 1.0}, FLOOD)] * 3
    assert merge_on_content(_signals(apart), labels, every).tolist() == [0, 0, 0, 1, 1, 1]
    # A latest-year tier below the bar's slack lets the parts that share a year join, not those that share none.
    light = replace(latest, latest_year_penalty=0.05)
    assert len(set(merge_on_content(_signals(rows), labels, light).tolist())) == 1
    assert merge_on_content(_signals(apart), labels, light).tolist() == [0, 0, 0, 1, 1, 1]


def test_latest_year_tier_reads_the_years_that_date_the_text():
    # The same two parts: the second names 2009 too. With ``dating_sentences``, the tier reads the years
    # that date each text (its headline and first sentences): when 2009 is only recalled further down, both
    # parts are dated 2007 and join; when it dates the second part, they stay apart.
    rows = [({"Riverton": 1.0, "2007": 1.0}, FLOOD)] * 3 + [({"Riverton": 1.0, "2007": 0.5, "2009": 1.0}, FLOOD)] * 3
    labels = np.array([0, 0, 0, 1, 1, 1])
    rule = replace(SETTINGS, content_merge_share=0.5, year_penalty=0.6, latest_year_penalty=0.6, dating_sentences=3)
    recalled = _signals(rows, dating=[[2007]] * 6)
    assert len(set(merge_on_content(recalled, labels, rule).tolist())) == 1
    dates_it = _signals(rows, dating=[[2007]] * 3 + [[2007, 2009]] * 3)
    assert merge_on_content(dates_it, labels, rule).tolist() == [0, 0, 0, 1, 1, 1]
    # A text naming no year where it opens is not held to the tier; the first tier still holds.
    assert len(set(merge_on_content(_signals(rows), labels, rule).tolist())) == 1
    apart = [({"Riverton": 1.0, "2016": 1.0}, FLOOD)] * 3 + [({"Riverton": 1.0, "2023": 1.0}, FLOOD)] * 3
    assert merge_on_content(_signals(apart), labels, rule).tolist() == [0, 0, 0, 1, 1, 1]
    # The markers weigh nothing: the stream and the passes see the same similarities as without them.
    assert np.array_equal(recalled.part(content=False).terms, _signals(rows).part(content=False).terms)
    with pytest.raises(ValueError):
        replace(SETTINGS, dating_sentences=-1)


def test_dating_years_are_named_in_the_headline_and_first_sentences(embedder):
    text = ("The river burst its banks in Riverton on 3 March 2007. Hundreds were evacuated. "
            "The levee held in the east. Rain is forecast. The town last flooded in 2009 and in 1998.")
    doc = prepare(make_articles({"flood.txt": text}, **{"flood.txt": {"title": "Riverton floods, 2007"}}),
                  embedder)[0]
    assert dating_years(doc, 3) == {2007}
    assert dating_years(doc, 5) == {1998, 2007, 2009}
    assert dating_years(doc, 0) == {2007}  # the headline alone


def test_sharing_a_year_never_costs_more_than_sharing_none():
    rows = [({"Riverton": 1.0, "2007": 1.0}, FLOOD)] * 3 + [({"Riverton": 1.0, "2007": 0.5, "2009": 1.0}, FLOOD)] * 3
    labels = np.array([0, 0, 0, 1, 1, 1])
    no_rule = replace(SETTINGS, content_merge_share=0.5, year_penalty=0.0, latest_year_penalty=0.6)
    assert no_rule.latest_year_cost == 0.0
    assert len(set(merge_on_content(_signals(rows), labels, no_rule).tolist())) == 1
    with pytest.raises(ValueError):
        replace(SETTINGS, latest_year_penalty=-0.1)


def test_dated_parts_weeks_apart_lose_link_for_the_days_between_them():
    # The same words, the town named by one part only (link about 0.79): the days between the two parts'
    # date ranges cost ``date_gap_penalty`` times their share of the window.
    rows = [({"Riverton": 1.0}, FLOOD)] * 3 + [({"Mayor": 1.0, "Riverton": 0.3}, FLOOD)] * 2
    labels = np.array([0, 0, 0, 1, 1])
    rule = replace(SETTINGS, content_merge=0.5, date_gap_penalty=0.6, window_days=28, partition_days=28)
    weeks_apart = _signals(rows, days=[738000, 738000, 738001, 738021, 738021])
    assert merge_on_content(weeks_apart, labels, rule).tolist() == [0, 0, 0, 1, 1]
    assert len(set(merge_on_content(weeks_apart, labels, replace(rule, date_gap_penalty=0.0)).tolist())) == 1
    days_apart = _signals(rows, days=[738000, 738000, 738001, 738003, 738003])
    assert len(set(merge_on_content(days_apart, labels, rule).tolist())) == 1
    # Undated, the date gap does not apply.
    assert len(set(merge_on_content(_signals(rows), labels, rule).tolist())) == 1


def test_the_stream_reads_both_tiers_of_the_year_rule():
    from storyline.stories.assignment import _stream, processing_order

    # Undated reports of one flood (2007); the later ones also name 2009. They share 2007, so only the
    # latest-year tier can keep them apart; texts sharing no year (2016 / 2023) lose the full penalty.
    recalling = [({"Riverton": 1.0, "2007": 1.0}, FLOOD)] * 3 + [({"Riverton": 1.0, "2007": 0.5, "2009": 1.0}, FLOOD)] * 3
    apart = [({"Riverton": 1.0, "2016": 1.0}, FLOOD)] * 3 + [({"Riverton": 1.0, "2023": 1.0}, FLOOD)] * 3
    # The test rows share one embedding: no near-copy shortcut, so that the terms and years decide.
    # (The latest-year tier reads every row's latest named year here: ``dating_sentences`` 0.)
    strict = replace(SETTINGS, content_merge=0.0, year_penalty=0.6, latest_year_penalty=0.6, near_copy=1.5,
                     dating_sentences=0)
    light = replace(strict, latest_year_penalty=0.0)

    def stories(rows: list[tuple[dict[str, float], dict[str, float]]], settings: StorySettings,
                dating: list[list[int]] | None = None) -> int:
        signals = _signals(rows, dating=dating)
        return len(set(_stream(signals, processing_order(signals), settings).tolist()))

    assert stories(recalling, strict) == 2
    assert stories(recalling, light) == 1
    assert stories(apart, light) == 2
    # Reading the years that date each text: 2009 recalled further down no longer keeps the parts apart.
    dated_by_lede = replace(strict, dating_sentences=3)
    assert stories(recalling, dated_by_lede, dating=[[2007]] * 6) == 1
    assert stories(recalling, dated_by_lede, dating=[[2007]] * 3 + [[2007, 2009]] * 3) == 2
    assert stories(apart, dated_by_lede, dating=[[2016]] * 3 + [[2023]] * 3) == 2


# --- the split test on content words, and the content merge keeping the split test's rule -------------------

PRICE = {"price": 1.0, "dollars": 1.0, "gold": 1.0, "edition": 1.0, "costs": 1.0}
CHARGING = {"battery": 1.0, "charging": 1.0, "hours": 1.0, "charge": 1.0, "lasts": 1.0}


def test_split_test_cuts_two_rumours_of_one_product_on_their_content_words():
    # Twelve bodies naming the same product and maker (identical specific terms and embeddings): six on its
    # price, six on its battery. On the stream's score they are one story; their words tell two.
    rows = [({"Acme": 1.0, "Wristband": 1.0}, PRICE if i < 6 else CHARGING) for i in range(12)]
    signals = _signals(rows)
    glued = np.zeros(12, dtype=np.int64)
    on_names = StorySettings(split_min_size=10, split_content_share=0.0)
    assert set(split_lookalikes(signals, glued, on_names).tolist()) == {0}
    on_words = replace(on_names, split_content_share=1.0)
    assert split_lookalikes(signals, glued, on_words).tolist() == [0] * 6 + [1] * 6
    # Rows without content words (the content merge off): the test reads the stream's score, and cuts on names.
    named = [({"Acme": 1.0, ("Brees" if i < 6 else "Thomas"): 2.0}, {}) for i in range(12)]
    assert split_lookalikes(_signals(named), glued, on_words).tolist() == [0] * 6 + [1] * 6


def test_rejoin_keeps_apart_what_the_split_test_on_content_words_would_cut():
    # Two stories sharing every name, each told in its own words: the stream's link across clears the join
    # threshold, but the split test (on content words) would cut them apart again.
    rows = [({"Acme": 1.0, "Wristband": 1.0}, PRICE)] * 6 + [({"Acme": 1.0, "Wristband": 1.0}, CHARGING)] * 6
    signals = _signals(rows)
    parts = np.array([0] * 6 + [1] * 6)
    assert len(set(rejoin_parts(signals, parts, StorySettings(split_content_share=0.0)).tolist())) == 1
    assert rejoin_parts(signals, parts, StorySettings(split_content_share=1.0)).tolist() == parts.tolist()


FLOOD_AGAIN = {"river": 1.0, "flood": 1.0, "dam": 1.0, "burst": 1.0, "rescue": 1.0}


def test_content_merge_keeps_apart_two_stories_each_far_closer_to_itself():
    # Two floods of one town in partly the same words: their link (0.7 x 0.4 + 0.3 x 1 = 0.58) clears the
    # content merge's bar, but each story's own link is 1: look-alikes, not one story in two parts.
    rows = [({"Riverton": 1.0}, FLOOD)] * 3 + [({"Riverton": 1.0}, FLOOD_AGAIN)] * 3
    signals = _signals(rows)
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert len(set(merge_on_content(signals, labels, replace(SETTINGS, content_merge_ratio=0.0)).tolist())) == 1
    assert merge_on_content(signals, labels, replace(SETTINGS, content_merge_ratio=0.66)).tolist() == labels.tolist()
    # One story in two parts (the same words, one part naming more) still joins under the rule.
    parts = [({"Riverton": 1.0}, FLOOD)] * 3 + [({"Mayor": 1.0, "Riverton": 0.3}, FLOOD)] * 2
    joined = merge_on_content(_signals(parts), np.array([0, 0, 0, 1, 1]), replace(SETTINGS, content_merge_ratio=0.66))
    assert len(set(joined.tolist())) == 1


def test_a_storys_own_link_is_the_mean_over_its_row_pairs_and_stays_exact_as_stories_join():
    rng = np.random.default_rng(7)
    words = ["river", "flood", "levee", "rain", "dam", "burst", "rescue", "mayor", "storm", "crest"]
    rows = [({"Riverton": 1.0, f"Name{i % 3}": float(rng.uniform(0.2, 1.0))},
             {word: float(rng.uniform(0.1, 1.0)) for word in rng.choice(words, size=4, replace=False)})
            for i in range(7)]
    signals = replace(_signals(rows), sizes=np.array([1, 2, 1, 1, 3, 1, 1], dtype=np.int64))
    signals = replace(signals, weights=signals.weights * np.repeat(signals.sizes, np.diff(signals.indptr)).astype(
        np.float32))  # a row of n articles sums n unit vectors
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    keys = np.unique(signals.terms)
    cohesion = _Cohesion(signals, labels, keys, SETTINGS)
    weights = content_mix_weights(signals, SETTINGS)
    dense = np.zeros((len(rows), len(keys)))
    for row in range(len(rows)):
        start, end = signals.indptr[row], signals.indptr[row + 1]
        dense[row, np.searchsorted(keys, signals.terms[start:end])] = weights[start:end] / signals.sizes[row]

    def brute(members: list[int]) -> float:
        links = [dense[a] @ dense[b] for a in members for b in members if a != b]
        return float(np.mean(links))

    assert cohesion.own_link(0) == pytest.approx(brute([0, 1, 2]))
    assert cohesion.own_link(1) == pytest.approx(brute([3, 4, 5, 6]))
    cohesion.join(0, 0, 1)
    assert cohesion.own_link(0) == pytest.approx(brute(list(range(7))))
    single = _Cohesion(signals, np.arange(7), keys, SETTINGS)
    assert single.own_link(3) is None and single.weaker(3, 4) == 0.0
