"""Worker processes for the spaCy work: the same parses and the same analysis as one process, and none outlives a run."""

import os
import shutil

import numpy as np
import pytest

from storyline import pipeline
from storyline.entities.cached_pipeline import encode_parse
from storyline.entities.mentions import line_pieces
from storyline.ner import Recognisers
from storyline.pipeline import Models, analyze, ingest
from storyline.store import open_store
from storyline.views.json_export import to_json
from storyline.workers import ModelHelper, character_shares

from conftest import FIXTURES, run_cli

# Two stories of several articles (a fire, an election) and articles on their own.
CORPUS = ["claims/fire_daily.txt", "claims/fire_wire.txt", "claims/fire_translated.txt",
          "entities/election_report.txt", "entities/election_translated.txt", "entities/brother_arrested.txt",
          "reuse/bakery_unrelated.txt", "dedup/harbour.txt"]


def fixture_lines() -> list[str]:
    lines = [piece for name in sorted(FIXTURES.rglob("*.txt"))
             for piece in line_pieces(name.read_text(encoding="utf-8", errors="replace"))]
    return list(dict.fromkeys(line for line in lines if line.strip()))


def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    for name in CORPUS:
        shutil.copy(FIXTURES / name, folder / name.replace("/", "-"))
    return folder


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def two_processes(**options) -> Models:
    models = Models(workers=2, **options)
    assert models.helper is not None
    models.helper.wait = True  # the worker used from the first big parse, however small the corpus
    return models


def test_character_shares_cut_where_the_characters_are_in_the_ratio_asked():
    assert character_shares([10, 10, 10, 10], [1, 1]) == [2]
    assert character_shares([30, 1, 1, 1, 1], [1, 1]) == [1]
    assert character_shares([5, 5, 5, 5, 5, 5], [1, 1, 1]) == [2, 4]
    assert character_shares([10, 10, 10, 10], [1, 3]) == [1]  # a worker a third as fast as the parent
    assert character_shares([7], [1, 1]) == [1]  # one line: the other share is empty


def test_a_parse_is_the_same_whichever_process_made_it():
    helper = ModelHelper(wait=True)
    recognisers = Recognisers(helper=helper)
    nlp = recognisers.for_language("en").nlp
    lines = fixture_lines()
    assert sum(map(len, lines)) > 20_000
    try:
        for pipeline_ in (nlp, nlp.without(["ner"])):
            here = [encode_parse(doc) for doc in pipeline_._run_here(lines, 256)]
            [worker] = helper.ready_workers(pipeline_.recipe)
            assert helper.send(worker, "parse", pipeline_.recipe, pipeline_.order, lines, 256)
            assert helper.result(worker, "parse") == here
            # Split between the processes as a run splits a call, every parse is still the same.
            assert [encode_parse(doc) for doc in pipeline_._run(lines, 256)] == here
    finally:
        helper.close()
    assert helper.pieces_parsed >= 2 * len(lines) and not helper.problems


def test_sentence_vectors_are_the_same_whichever_process_encoded_them():
    from storyline.embedders import MultilingualUSE
    from storyline.prepare import split_sentences
    from storyline.workers import ModelRecipe

    sentences = list(dict.fromkeys(s.text for line in fixture_lines() for s in split_sentences(line)))
    alone = MultilingualUSE()
    expected = alone.encode(sentences)
    helper = ModelHelper(wait=True)
    shared = MultilingualUSE()
    shared.share_with(helper, ModelRecipe(MultilingualUSE, kind="encoder"))
    try:
        assert np.array_equal(shared.encode(sentences), expected)  # bit for bit: each chunk is the batch it was
    finally:
        helper.close()
    assert helper.items_done["encode"] > 0 and not helper.problems


def test_the_english_vectors_of_the_claims_cascade_are_the_same_whichever_process_encoded_them():
    from storyline.claims import checkworthiness
    from storyline.embedders import EnglishMiniLM
    from storyline.prepare import split_sentences

    sentences = list(dict.fromkeys(s.text for line in fixture_lines() for s in split_sentences(line)))
    expected = EnglishMiniLM().encode(sentences)
    assert Models().english_embedder() is checkworthiness._english_embedder()  # one process: as before
    models = two_processes()
    try:
        shared = models.english_embedder()
        assert shared is not None and models.english_embedder() is shared
        assert models.helper.alive() == []  # nothing loaded in a worker before the cascade encodes
        assert np.array_equal(shared.encode(sentences), expected)  # bit for bit: each chunk is the batch it was
    finally:
        models.close()
    assert models.helper.items_done["encode"] > 0 and not models.helper.problems


def test_the_analysis_with_two_processes_equals_the_analysis_with_one(tmp_path):
    folder = corpus(tmp_path)
    with open_store(tmp_path / "one.db") as store:
        ingest(store, [folder])
        analyze(store, models=Models(all_in_depth=True))
        expected = to_json(pipeline.load_analysis(store))
    models, seen = two_processes(all_in_depth=True), []
    with open_store(tmp_path / "two.db") as store:
        ingest(store, [folder])
        report = analyze(store, models=models, progress=lambda *_: seen.extend(models.helper.alive()))
        assert to_json(pipeline.load_analysis(store)) == expected
    assert report.problems == []
    assert models.helper.pieces_parsed > 0  # the worker did parse part of the corpus
    assert models.helper.alive() == [] and seen and all(gone(pid) for pid in set(seen))


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])  # a bug, or Ctrl-C
def test_no_worker_outlives_a_stage_that_fails(tmp_path, monkeypatch, failure):
    models = two_processes(all_in_depth=True)
    started = []

    def failing_timeline(store, models_, progress):
        started.extend(models_.helper.alive())
        raise failure("a stage failed")

    monkeypatch.setitem(pipeline._RUNNERS, "timeline", failing_timeline)
    with open_store(tmp_path / "s.db") as store:
        ingest(store, [corpus(tmp_path)])
        with pytest.raises(failure, match="a stage failed"):
            analyze(store, models=models)
    assert started and all(gone(pid) for pid in started)
    assert models.helper.alive() == []


def test_a_worker_that_cannot_start_leaves_the_run_in_one_process_with_one_note(tmp_path):
    with open_store(tmp_path / "one.db") as store:
        ingest(store, [corpus(tmp_path)])
        analyze(store, models=Models(all_in_depth=True))
        expected = to_json(pipeline.load_analysis(store))
    models = two_processes(all_in_depth=True)
    models.helper.python = str(tmp_path / "no-such-python")
    with open_store(tmp_path / "two.db") as store:
        ingest(store, [corpus(tmp_path)])
        report = analyze(store, models=models)
        assert to_json(pipeline.load_analysis(store)) == expected
    [note] = report.problems
    assert note.startswith("the model worker could not start") and note.endswith("the run went on in one process")
    assert models.helper.pieces_parsed == 0


def test_a_worker_that_dies_leaves_its_share_to_the_parent():
    helper = ModelHelper(wait=True)
    nlp = Recognisers(helper=helper).for_language("en").nlp
    lines = fixture_lines()
    half = len(lines) // 2
    try:
        nlp._run(lines[:half], 256)
        [pid] = helper.alive()
        os.kill(pid, 9)
        parsed = [encode_parse(doc) for doc in nlp._run(lines[half:], 256)]
    finally:
        helper.close()
    assert parsed == [encode_parse(doc) for doc in nlp._run_here(lines[half:], 256)]
    [problem] = helper.take_problems()
    assert problem.startswith("the model worker stopped") and gone(pid)


def test_the_cli_refuses_a_number_of_processes_below_one(tmp_path, capsys):
    code, _, err = run_cli(capsys, "analyze", tmp_path, "--db", tmp_path / "s.db", "--workers", "0")
    assert code == 2 and "--workers" in err and "Traceback" not in err
