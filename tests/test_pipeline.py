"""The incremental runner: stages persist their output and skip work already done."""

import shutil

import pytest

from storyline.pipeline import STAGES, Models, analyze, ingest, load_analysis
from storyline.store import open_store

from conftest import FIXTURES, SEEDS


@pytest.fixture(scope="module")
def models():
    return Models()


def seed_copy(tmp_path, names=None):
    folder = tmp_path / "seeds"
    folder.mkdir()
    for path in sorted(SEEDS.glob("*.txt")):
        if names is None or path.name[:3] in names:
            shutil.copy(path, folder / path.name)
    return folder


def test_second_run_does_no_work(tmp_path, models):
    corpus = seed_copy(tmp_path)
    with open_store(tmp_path / "p.db") as store:
        report = ingest(store, [corpus])
        assert len(report.added) == 5 and not report.skipped
        first = analyze(store, models=models)
        assert list(first.seconds) == list(STAGES)
        assert first.counts["prepare"] == 5 and first.counts["reuse"] == 5
        before = load_analysis(store)
        second = analyze(store, models=models)
        assert second.counts["prepare"] == 0 and second.counts["reuse"] == 0
        assert second.counts["claims"] == 0 and second.counts["timeline"] == 0
        assert load_analysis(store) == before


def test_adding_articles_prepares_only_them(tmp_path, models):
    corpus = seed_copy(tmp_path, names={"000", "001", "002"})
    with open_store(tmp_path / "p.db") as store:
        ingest(store, [corpus])
        analyze(store, models=models)
        ids_before = {s.id for s in store.stories()}
        extra = tmp_path / "extra"
        extra.mkdir()
        shutil.copy(SEEDS / "004_91bdd9c0d8e30d2d.txt", extra)
        ingest(store, [extra])
        run = analyze(store, models=models)
        assert run.counts["prepare"] == 1 and run.counts["reuse"] == 1
        stories = store.stories()
        assert len(stories) == 1 and len(stories[0].articles) == 4
        # the founding article is unchanged, so is the story's id
        assert {s.id for s in stories} == ids_before


def test_until_stops_early_and_the_next_run_resumes(tmp_path, models):
    corpus = seed_copy(tmp_path, names={"003", "004"})
    with open_store(tmp_path / "p.db") as store:
        ingest(store, [corpus])
        partial = analyze(store, models=models, until="reuse")
        assert list(partial.seconds) == ["prepare", "reuse"]
        assert store.stories() == []
        rest = analyze(store, models=models)
        assert rest.counts["prepare"] == 0 and rest.counts["stories"] == 1
    with pytest.raises(ValueError, match="unknown stage"):
        analyze(open_store(tmp_path / "p.db"), models=models, until="nonsense")


def test_interrupted_ingest_is_finished_by_running_again(tmp_path, monkeypatch):
    corpus = seed_copy(tmp_path)
    with open_store(tmp_path / "p.db") as store:
        real_ingest = store.ingest
        calls = {"n": 0}

        def failing(doc):
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
            return real_ingest(doc)

        monkeypatch.setattr(store, "ingest", failing)
        with pytest.raises(KeyboardInterrupt):
            ingest(store, [corpus])
        monkeypatch.undo()
        assert store.article_count() == 2
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        report = ingest(store, [corpus])
        assert len(report.added) == 3 and len(report.unchanged) == 2
        assert store.article_count() == 5


def test_a_new_version_is_reanalysed(tmp_path, models):
    corpus = seed_copy(tmp_path, names={"003", "004"})
    with open_store(tmp_path / "p.db") as store:
        ingest(store, [corpus])
        analyze(store, models=models)
        target = corpus / "003_b7d08a59d509908e.txt"
        target.write_text(target.read_text(encoding="utf-8") + "\nA correction was appended later.\n",
                          encoding="utf-8")
        report = ingest(store, [corpus])
        assert len(report.updated) == 1 and len(report.unchanged) == 1
        run = analyze(store, models=models)
        assert run.counts["prepare"] == 1
        [article] = [a for a in store.articles() if a.source.endswith("003_b7d08a59d509908e.txt")]
        assert article.version == 2 and "correction" in article.text


def test_the_reuse_stage_joins_one_text_under_two_sources(tmp_path, models):
    folder = tmp_path / "twins"
    folder.mkdir()
    text = (FIXTURES / "reuse" / "bridge_original.txt").read_text(encoding="utf-8")
    (folder / "wire.txt").write_text(text, encoding="utf-8")
    (folder / "paper.txt").write_text(text, encoding="utf-8")
    with open_store(tmp_path / "p.db") as store:
        ingest(store, [folder])
        assert store.relations() == []  # the store holds no rule: the reuse stage does
        analyze(store, models=models, until="reuse")
        [relation] = store.relations()
        assert relation.kind == "duplicate"


def test_the_runner_calls_each_stage_core_through_the_registry(tmp_path, models, monkeypatch):
    """Swapping a core in the registry swaps it for the runner: there is no second list of stages."""
    from dataclasses import replace

    from storyline import stages

    called: list[str] = []
    for name in stages.STAGE_NAMES:
        original = stages.stage(name)

        def core(*args, _original=original, **kwargs):
            called.append(_original.name)
            return _original.core(*args, **kwargs)

        monkeypatch.setitem(stages._BY_NAME, name, replace(original, core=core))
    corpus = seed_copy(tmp_path, names={"000", "001"})
    with open_store(tmp_path / "p.db") as store:
        ingest(store, [corpus])
        analyze(store, models=models)
        assert load_analysis(store).claims
    assert list(dict.fromkeys(called)) == list(stages.STAGE_NAMES)
