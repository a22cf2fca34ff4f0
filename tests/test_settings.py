"""Stage settings in one file over the shipped defaults (`analyze --settings FILE`, `storyline settings`)."""

import json
import shutil

import pytest

from storyline.entities import EntitySettings
from storyline.pipeline import Models, analyze, ingest
from storyline.settings import (Settings, SettingsError, load_settings, settings_from_mapping,
                                settings_to_mapping)
from storyline.stories.settings import StorySettings
from storyline.store import open_store

from conftest import SEEDS, run_cli

# Every way a story could be joined switched off: each article stays its own story.
APART = {"stories": {"join_threshold": 1.0, "near_copy": 1.0, "fragment_size": 0, "content_merge": 0.0,
                     "joining_kinds": []}}


def test_the_defaults_round_trip_through_a_file(tmp_path) -> None:
    path = tmp_path / "all.json"
    path.write_text(json.dumps(settings_to_mapping(Settings())))
    assert load_settings(path) == Settings()
    assert Settings().stories == StorySettings() and Settings().entities == EntitySettings()


def test_a_file_changes_only_what_it_names_and_round_trips(tmp_path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"_note": "fewer days", "stories": {"window_days": 3, "joining_kinds": ["duplicate"]},
                                "entities": {"all_pairs_block": 50}}))
    settings = load_settings(path)
    assert settings.stories.window_days == 3 and settings.stories.joining_kinds == ("duplicate",)
    assert settings.entities.all_pairs_block == 50
    assert settings.stories.join_threshold == StorySettings().join_threshold  # the rest stays shipped
    again = tmp_path / "again.json"
    again.write_text(json.dumps(settings_to_mapping(settings)))
    assert load_settings(again) == settings


@pytest.mark.parametrize("values, named", [
    ({"storys": {}}, "storys"),
    ({"stories": {"window_dayz": 3}}, "window_dayz"),
    ({"stories": {"window_days": "3"}}, "stories.window_days"),
    ({"stories": {"window_days": 3.5}}, "stories.window_days"),
    ({"stories": {"content_merge": 2.0}}, "content_merge"),
    ({"entities": {"all_pairs_block": 1}}, "all_pairs_block"),
    ({"stories": [1, 2]}, "'stories'"),
    ([1, 2], "one JSON object"),
])
def test_a_bad_setting_is_refused_with_its_name(values, named) -> None:
    with pytest.raises(SettingsError, match=named):
        settings_from_mapping(values)


def test_an_unreadable_file_is_named(tmp_path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="broken.json: not JSON"):
        load_settings(path)
    with pytest.raises(SettingsError, match="missing.json"):
        load_settings(tmp_path / "missing.json")


def test_the_runner_uses_the_settings_it_is_given(tmp_path) -> None:
    with open_store(tmp_path / "s.db") as store:
        ingest(store, [SEEDS])
        analyze(store, models=Models(), until="stories")
        assert [len(s.articles) for s in store.stories()] == [5]
        analyze(store, models=Models(settings=settings_from_mapping(APART)), until="stories")
        assert sorted(len(s.articles) for s in store.stories()) == [1, 1, 1, 1, 1]


def test_the_cli_prints_the_settings_and_refuses_a_bad_file(tmp_path, capsys) -> None:
    code, out, _ = run_cli(capsys, "settings")
    assert code == 0 and json.loads(out) == settings_to_mapping(Settings())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"stories": {"window_dayz": 3}}))
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    code, out, err = run_cli(capsys, "analyze", str(seeds), "--db", str(tmp_path / "x.db"), "--settings", str(bad))
    assert code != 0 and "bad.json" in err and "window_dayz" in err and "Traceback" not in err
    assert not (tmp_path / "x.db").exists()  # refused before anything was read or stored


def test_spark_refuses_a_bad_settings_file_before_starting(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"entities": {"all_pairs_block": "many"}}))
    code, _, err = run_cli(capsys, "spark", "analyze", str(SEEDS), "--output", str(tmp_path / "out"),
                           "--settings", str(bad))
    assert code != 0 and "bad.json" in err and "entities.all_pairs_block" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
