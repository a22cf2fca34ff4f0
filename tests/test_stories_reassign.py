"""The re-assignment pass: a unit the stream put with the wrong look-alike moves to the story it links to best."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from storyline.stories import StorySettings
from storyline.stories.reassign import reassign_units
from test_stories_content_merge import FIRE, FLOOD, _signals

SETTINGS = StorySettings(content_merge=0.3, content_merge_share=0.7, reassign_rounds=2, reassign_margin=0.0)


def _misplaced_flood() -> list[tuple[dict[str, float], dict[str, float]]]:
    # Three Riverton flood reports, three Pineville wildfire reports; row 6 is a Riverton flood report
    # that the stream put with the wildfire (label 1 below).
    return [({"Riverton": 1.0}, FLOOD)] * 3 + [({"Pineville": 1.0}, FIRE)] * 3 + [({"Riverton": 1.0}, FLOOD)]


def test_a_unit_in_the_wrong_story_moves_to_the_one_it_links_to():
    signals = _signals(_misplaced_flood())
    story_of = reassign_units(signals, np.array([0, 0, 0, 1, 1, 1, 1]), SETTINGS)
    assert story_of.tolist() == [0, 0, 0, 1, 1, 1, 0]


def test_off_nothing_moves():
    signals = _signals(_misplaced_flood())
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    assert reassign_units(signals, labels, replace(SETTINGS, reassign_rounds=0)).tolist() == labels.tolist()


def test_a_unit_stays_when_no_story_reaches_the_bar():
    # The stray links to the flood story at 0.7 (its content words, 70% of the link; no shared name): below 0.8.
    rows = _misplaced_flood()
    rows[-1] = ({"Elsewhere": 1.0}, FLOOD)
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    high_bar = replace(SETTINGS, content_merge=0.8)
    assert reassign_units(_signals(rows), labels, high_bar).tolist() == labels.tolist()


def test_a_unit_stays_when_the_better_story_does_not_beat_its_own_by_the_margin():
    rows = [({"Riverton": 1.0}, FLOOD)] * 3 + [({"Riverton": 1.0}, {**FLOOD, "rain": 0.0, "dam": 1.0})] * 3
    rows.append(({"Riverton": 1.0}, FLOOD))
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    signals = _signals(rows)
    assert reassign_units(signals, labels, SETTINGS).tolist()[-1] == 0
    assert reassign_units(signals, labels, replace(SETTINGS, reassign_margin=0.5)).tolist()[-1] == 1


def test_dated_stories_further_apart_than_the_window_never_meet():
    days = [738000] * 3 + [738100] * 4
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    assert reassign_units(_signals(_misplaced_flood(), days), labels, SETTINGS).tolist() == labels.tolist()


@pytest.mark.parametrize("seed", range(3))
def test_the_moves_do_not_depend_on_the_stories_numbering(seed):
    signals = _signals(_misplaced_flood())
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    renamed = np.random.default_rng(seed).permutation(2)[labels]
    assert reassign_units(signals, renamed, SETTINGS).tolist() == [0, 0, 0, 1, 1, 1, 0]


def test_rows_scored_a_chunk_at_a_time_move_as_all_at_once(monkeypatch):
    # Floods and fires of three towns, with strays: the chunking only bounds memory, it changes no move.
    import storyline.stories.reassign as reassign

    rows = []
    for town in ("Riverton", "Pineville", "Oakdale"):
        rows += [({town: 1.0}, FLOOD)] * 3 + [({town + "-fire": 1.0}, FIRE)] * 3
    labels = np.repeat(np.arange(6), 3)
    labels[[2, 8, 14]] = labels[[3, 9, 15]]  # one flood report of each town put with its town's fire
    signals = _signals(rows)
    at_once = reassign_units(signals, labels, SETTINGS)
    monkeypatch.setattr(reassign, "_CHUNK_ROWS", 4)
    assert reassign_units(signals, labels, SETTINGS).tolist() == at_once.tolist()
    assert len(set(at_once.tolist())) == 6
    assert at_once[2] == at_once[0] and at_once[8] == at_once[6]


def test_undated_a_unit_does_not_move_to_a_story_naming_none_of_its_years():
    # Row 6 tells the Riverton flood of 2023; the flood story it would move to names only 2016, and its own
    # (wildfire) story names no year. Undated, the year rule keeps it where it is; when one year is shared
    # (2016 recalled beside 2023) and the latest-year tier costs little, it moves.
    rows = [({"Riverton": 1.0, "2016": 1.0}, FLOOD)] * 3 + [({"Pineville": 1.0}, FIRE)] * 3
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    # (The latest-year tier reads every row's latest named year here: ``dating_sentences`` 0.)
    rule = replace(SETTINGS, year_penalty=0.9, latest_year_penalty=0.9, dating_sentences=0)
    later = rows + [({"Riverton": 1.0, "2023": 1.0}, FLOOD)]
    assert reassign_units(_signals(later), labels, rule).tolist()[-1] == 1
    assert reassign_units(_signals(later), labels, replace(rule, year_penalty=0.0, latest_year_penalty=0.0)
                          ).tolist()[-1] == 0
    recalling = rows + [({"Riverton": 1.0, "2016": 0.5, "2023": 1.0}, FLOOD)]
    assert reassign_units(_signals(recalling), labels, rule).tolist()[-1] == 1
    assert reassign_units(_signals(recalling), labels, replace(rule, latest_year_penalty=0.0)).tolist()[-1] == 0
    # Sharing a year costs less than sharing none: the latest-year tier alone does not outweigh the link.
    assert reassign_units(_signals(recalling), labels, replace(rule, latest_year_penalty=0.05)).tolist()[-1] == 0
    assert reassign_units(_signals(later), labels, replace(rule, latest_year_penalty=0.05)).tolist()[-1] == 1


def test_a_dated_unit_does_not_move_to_a_story_weeks_before_it():
    # The misplaced flood report is dated with the wildfire story, three weeks after the flood story.
    rows = _misplaced_flood()
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    days = [738000, 738000, 738001, 738021, 738021, 738022, 738022]
    rule = replace(SETTINGS, date_gap_penalty=1.0, window_days=28, partition_days=28)
    assert reassign_units(_signals(rows, days=days), labels, rule).tolist()[-1] == 1
    assert reassign_units(_signals(rows, days=days), labels, replace(rule, date_gap_penalty=0.0)).tolist()[-1] == 0
    # Within days of the flood story, it moves despite the cost.
    near = days[:6] + [738002]
    assert reassign_units(_signals(rows, days=near), labels, rule).tolist()[-1] == 0
