"""Settings per stage: every section round-trips, refuses what it cannot use by name, says where each
shipped value came from, and reaches its stage in the runner (a stricter value changes the stage's output)."""

import inspect
import json
import shutil
from dataclasses import fields
from pathlib import Path

import pytest

from storyline.claims.settings import ClaimSettings
from storyline.model import Analysis
from storyline.pipeline import Models, analyze, ingest, load_analysis
from storyline.reuse.settings import ReuseSettings
from storyline.settings import (SECTIONS, Settings, SettingsError, load_settings, settings_from_mapping,
                                settings_to_mapping)
from storyline.stage_settings import provenance
from storyline.stages import STAGES
from storyline.timeline.settings import TimelineSettings

from conftest import FIXTURES

STAGE_PACKAGES = Path(__file__).resolve().parent.parent / "src" / "storyline"


def test_a_file_changing_a_value_of_every_section_round_trips(tmp_path) -> None:
    changed = {"reuse": {"sentence_match": 0.8, "candidate_limit": 12}, "stories": {"window_days": 5},
               "entities": {"neighbourhood": 7}, "claims": {"align_threshold": 0.8, "max_omissions": 3},
               "timeline": {"similarity": 0.7}}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(changed))
    settings = load_settings(path)
    assert settings.reuse == ReuseSettings(sentence_match=0.8, candidate_limit=12)
    assert settings.claims == ClaimSettings(align_threshold=0.8, max_omissions=3)
    assert settings.timeline == TimelineSettings(similarity=0.7)
    written = tmp_path / "written.json"
    written.write_text(json.dumps(settings_to_mapping(settings)))
    assert load_settings(written) == settings
    assert list(settings_to_mapping(settings)) == ["reuse", "stories", "entities", "claims", "timeline"]


@pytest.mark.parametrize("values, named", [
    ({"reuse": {"sentence_matsh": 0.7}}, "sentence_matsh"),
    ({"reuse": {"sentence_match": "high"}}, "reuse.sentence_match"),
    ({"reuse": {"candidate_limit": 2.5}}, "reuse.candidate_limit"),
    ({"reuse": {"sentence_match": 1.5}}, "sentence_match"),
    ({"reuse": {"same_sound_ratio": 120}}, "same_sound_ratio"),
    ({"reuse": {"candidate_limit": 0}}, "candidate_limit"),
    ({"claims": {"align_treshold": 0.7}}, "align_treshold"),
    ({"claims": {"max_omissions": True}}, "claims.max_omissions"),
    ({"claims": {"align_threshold": 0.6}}, "align_threshold_with_names <= align_threshold"),
    ({"claims": {"denial_threshold": -0.1}}, "denial_threshold"),
    ({"timeline": {"similarity_floor": 0.5}}, "similarity_floor"),
    ({"timeline": {"similarity": [0.5]}}, "timeline.similarity"),
    ({"timeline": {"similarity": 2}}, "similarity"),
    ({"timeline": 0.6}, "'timeline'"),
    ({"entities": {"given_name_ratio": "85"}}, "entities.given_name_ratio"),
])
def test_a_bad_setting_of_each_section_is_refused_with_its_name(values, named) -> None:
    with pytest.raises(SettingsError, match=named):
        settings_from_mapping(values)


def test_a_ratio_declared_a_float_takes_a_fraction_though_its_shipped_value_is_whole() -> None:
    assert settings_from_mapping({"entities": {"given_name_ratio": 85.5}}).entities.given_name_ratio == 85.5
    assert settings_from_mapping({"reuse": {"same_sound_ratio": 70}}).reuse.same_sound_ratio == 70.0


@pytest.mark.parametrize("stage", ["reuse", "claims", "timeline"])
def test_every_shipped_value_says_where_it_came_from(stage) -> None:
    path = STAGE_PACKAGES / stage / "defaults.json"
    names = {f.name for f in fields(SECTIONS[stage])}
    sources = provenance(path)
    assert set(sources) == names  # no value without its source, no source of a value that is gone
    assert all(len(text) > 20 for text in sources.values())
    shipped = {key for key in json.loads(path.read_text(encoding="utf-8")) if not key.startswith("_")}
    assert shipped == names


@pytest.mark.parametrize("stage", list(SECTIONS))
def test_each_stage_keeps_its_defaults_beside_its_code(stage) -> None:
    shipped = json.loads((STAGE_PACKAGES / stage / "defaults.json").read_text(encoding="utf-8"))
    assert any(key.startswith("_") for key in shipped), "a defaults file says where its values came from"
    values = {key: value for key, value in shipped.items() if not key.startswith("_")}
    assert settings_to_mapping(settings_from_mapping({stage: values}))[stage] == values


@pytest.mark.parametrize("stage", ["reuse", "claims", "timeline"])
def test_shipped_values_have_the_form_their_fields_declare(stage) -> None:
    for field_ in fields(defaults := SECTIONS[stage]()):
        value = getattr(defaults, field_.name)
        declared = str(field_.type)
        # What `storyline settings` prints is the declared form: 0.5, never 0 for a share.
        if declared == "float":
            assert isinstance(value, float), field_.name
        elif declared == "int":
            assert isinstance(value, int) and not isinstance(value, bool), field_.name


# --- the settings reach the stages --------------------------------------------------------------------


def _names(analysis: Analysis) -> dict[str, str]:
    return {article.id: Path(article.source).name for article in analysis.articles}


def _relations(analysis: Analysis) -> set[tuple[str, str, str]]:
    name = _names(analysis)
    return {(relation.kind, *sorted((name[relation.a], name[relation.b]))) for relation in analysis.relations}


def _run(store_path: Path, values: dict) -> Analysis:
    from storyline.store import open_store

    with open_store(store_path) as store:
        analyze(store, models=Models(settings=settings_from_mapping(values), all_in_depth=True))
        return load_analysis(store)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> tuple[Path, Analysis]:
    """A store analysed with the shipped settings: a rewrite pair, a translation, a story told three times."""
    from storyline.store import open_store

    folder = tmp_path_factory.mktemp("inputs")
    for name in ("reuse/bridge_original.txt", "reuse/bridge_excerpt.txt", "reuse/bridge_spanish.txt",
                 "claims/fire_daily.txt", "claims/fire_wire.txt", "claims/fire_translated.txt"):
        shutil.copy(FIXTURES / name, folder / Path(name).name)
    (folder / "resigned-a.txt").write_text("The minister resigned on Friday after the audit was published.\n"
                                           "The weather was mild.\n", encoding="utf-8")
    (folder / "resigned-b.txt").write_text("On Friday the minister resigned, days after a damning audit.\n"
                                           "Farmers harvested wheat on Friday.\n", encoding="utf-8")
    store_path = tmp_path_factory.mktemp("store") / "shipped.db"
    with open_store(store_path) as store:
        ingest(store, [folder])
    return store_path, _run(store_path, {})


def _copy(analysed: tuple[Path, Analysis], tmp_path: Path) -> Path:
    copy = tmp_path / "copy.db"
    shutil.copy(analysed[0], copy)
    return copy


def test_a_stricter_reuse_coverage_drops_a_rewrite_and_the_shipped_one_brings_it_back(analysed, tmp_path) -> None:
    store_path, shipped = analysed[0], analysed[1]
    rewrite = ("rewrite", "resigned-a.txt", "resigned-b.txt")
    assert rewrite in _relations(shipped)
    copy = _copy(analysed, tmp_path)
    # Relations already stored were found with the shipped settings: the runner relates every article again.
    strict = _relations(_run(copy, {"reuse": {"reuse_coverage": 1.0}}))
    assert not any(set(r[1:]) == {"resigned-a.txt", "resigned-b.txt"} for r in strict)
    assert ("excerpt", "bridge_excerpt.txt", "bridge_original.txt") in strict  # copied text needs no rewording
    assert _relations(_run(copy, {})) == _relations(shipped)
    assert store_path.exists()


def test_stricter_claim_candidates_leave_no_claim(analysed, tmp_path) -> None:
    shipped = analysed[1]
    assert any(len(claim.articles) > 1 for claim in shipped.claims)
    copy = _copy(analysed, tmp_path)
    assert _run(copy, {"claims": {"min_statement_words": 1000, "min_quote_words": 1000}}).claims == []
    again = _run(copy, {})
    assert [(c.id, c.articles) for c in again.claims] == [(c.id, c.articles) for c in shipped.claims]


def test_stricter_claim_alignment_joins_fewer_articles(analysed, tmp_path) -> None:
    shipped = analysed[1]
    strict = _run(_copy(analysed, tmp_path), {"claims": {
        "align_threshold": 1.0, "align_threshold_with_names": 1.0, "passage_align_threshold": 1.0,
        "lexical_floor": 1.0, "quote_overlap": 1.0}})
    carried = sum(len(claim.articles) for claim in shipped.claims if len(claim.articles) > 1)
    assert sum(len(claim.articles) for claim in strict.claims if len(claim.articles) > 1) < carried


def test_a_stricter_timeline_similarity_splits_one_happening(analysed, tmp_path) -> None:
    shipped = analysed[1]
    copy = _copy(analysed, tmp_path)
    strict = _run(copy, {"timeline": {"similarity": 1.0}})
    # Two articles' sentences about one undated fund are one entry at the shipped similarity, two at 1.0.
    assert len(strict.timeline) > len(shipped.timeline)
    assert [(e.text, e.articles) for e in _run(copy, {}).timeline] == [(e.text, e.articles) for e in shipped.timeline]


def test_the_registry_names_each_section_once_and_each_core_takes_its_settings() -> None:
    declared = [stage.settings for stage in STAGES if stage.settings is not None]
    assert sorted(declared) == sorted(SECTIONS)
    for stage in STAGES:
        if stage.settings is not None:
            assert "settings" in inspect.signature(stage.core).parameters, stage.name


def test_a_run_without_a_file_uses_every_stage_s_own_defaults() -> None:
    # Settings() is what a run without --settings uses: every section is the stage's own defaults.
    settings = Settings()
    assert [type(getattr(settings, name)) for name in SECTIONS] == list(SECTIONS.values())
    assert all(getattr(settings, name) == cls() for name, cls in SECTIONS.items())


def test_the_spark_engine_s_timeline_step_takes_the_same_settings_as_the_runner(analysed, tmp_path) -> None:
    """Spark's per-story step calls the registry's core with the run's settings: the same entries as embedded."""
    from storyline.spark.engine import SparkSettings
    from storyline.spark.per_story import _timeline
    from storyline.store import open_store

    strict = {"timeline": {"similarity": 1.0}}
    embedded = _run(_copy(analysed, tmp_path), strict)
    with open_store(analysed[0]) as store:
        docs = store.prepared()
        relations = store.relations()
    settings = SparkSettings(timeline_settings=settings_from_mapping(strict).timeline)
    entries = [entry for story in embedded.stories
               for entry in _timeline((story, docs, relations), [c for c in embedded.claims if c.story == story.id],
                                      settings.timeline_settings)]
    key = sorted((e.story, e.text, tuple(e.articles)) for e in entries)
    assert key == sorted((e.story, e.text, tuple(e.articles)) for e in embedded.timeline)
    assert len(entries) > len(analysed[1].timeline)


def test_spark_settings_take_the_reuse_section_s_near_duplicate_threshold() -> None:
    from storyline.spark.engine import SparkSettings

    assert SparkSettings().near_duplicate_jaccard == ReuseSettings().candidate_jaccard
    assert SparkSettings(reuse_settings=ReuseSettings(candidate_jaccard=0.8)).near_duplicate_jaccard == 0.8
