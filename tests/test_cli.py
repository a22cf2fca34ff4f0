"""The command line end to end, on the sample corpus and on bad input."""

import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from storyline.cli import main
from storyline import validate_export
from storyline.model import Article

from conftest import SEEDS, run_cli


run = run_cli


@pytest.fixture(scope="module")
def seeds_analysed(tmp_path_factory):
    """The sample corpus analysed once through the CLI: (db path, export, stdout)."""
    root = tmp_path_factory.mktemp("seeds")
    corpus = root / "seeds"
    shutil.copytree(SEEDS, corpus, ignore=shutil.ignore_patterns("NOTICE"))
    out = root / "out.json"
    html = root / "report.html"
    old_argv, sys.argv = sys.argv, ["storyline", "analyze", str(corpus), "--db", str(root / "s.db"),
                                     "--json", str(out), "--html", str(html)]
    try:
        with pytest.raises(SystemExit) as done:
            main()
    finally:
        sys.argv = old_argv
    assert done.value.code == 0
    return root, corpus, json.loads(out.read_text(encoding="utf-8")), html.read_text(encoding="utf-8")


def _by_name(export: dict) -> dict[str, dict]:
    return {Path(a["source"]).name: a for a in export["articles"]}


def test_seeds_export_is_valid_and_one_story(seeds_analysed):
    _, _, export, _ = seeds_analysed
    validate_export(export)
    assert export["schema"] == "storyline/1"
    assert len(export["articles"]) == 5
    assert len(export["stories"]) == 1
    assert sorted(export["stories"][0]["articles"]) == sorted(a["id"] for a in export["articles"])


def test_seeds_outlets_and_datelines_from_the_text(seeds_analysed):
    articles = _by_name(seeds_analysed[2])
    assert articles["001_ea6c2b2ddc974e04.txt"]["outlet"] == "Rolling Stone US"
    assert articles["004_91bdd9c0d8e30d2d.txt"]["outlet"] == "One America News Network"
    assert articles["004_91bdd9c0d8e30d2d.txt"]["published"] == "2025-02-04"
    for name in ("000_86c6f77372c9a233.txt", "003_b7d08a59d509908e.txt"):
        assert articles[name]["outlet"] is None  # the text does not say: never guessed
    assert all(a["language"] == "en" for a in articles.values())


def test_seeds_every_stage_has_results(seeds_analysed):
    _, _, export, html = seeds_analysed
    assert export["relations"], "the machine translation and its source are related"
    assert export["entities"] and export["claims"] and export["timeline"]
    statuses = {c["status"] for c in export["claims"]}
    assert {"corroborated", "single-source"} <= statuses
    assert 1 <= export["stories"][0]["independent_sources"] < 5
    assert any(c["opinion"] for c in export["claims"]) and ">opinion" in html  # marked, not taken as fact
    assert export["stories"][0]["title"] and export["stories"][0]["title"] in html


def test_analyse_again_changes_nothing(seeds_analysed, capsys, tmp_path):
    root, corpus, export, _ = seeds_analysed
    again = tmp_path / "again.json"
    code, _, err = run(capsys, "analyze", corpus, "--db", root / "s.db", "--json", again, "--quiet")
    assert code == 0
    assert json.loads(again.read_text(encoding="utf-8")) == export


def test_stories_story_search_and_export(seeds_analysed, capsys, tmp_path):
    root, _, export, _ = seeds_analysed
    db = root / "s.db"
    story_id = export["stories"][0]["id"]
    code, out, _ = run(capsys, "stories", "--db", db)
    assert code == 0 and story_id in out
    code, out, _ = run(capsys, "stories", "--db", db, "--since", "2026-01-01", "--json")
    assert code == 0 and json.loads(out) == {"stories": []}
    code, out, _ = run(capsys, "stories", "--db", db, "--outlet", "Rolling Stone US", "--json")
    assert [s["id"] for s in json.loads(out)["stories"]] == [story_id]
    code, out, _ = run(capsys, "story", story_id, "--db", db)
    assert code == 0 and "Independent sources" in out and "Timeline" in out
    code, out, _ = run(capsys, "search", "asylum", "--db", db)
    assert code == 0 and out.count("story " + story_id) >= 3
    code, out, _ = run(capsys, "export", "--db", db, "--json", "-")
    assert code == 0 and json.loads(out) == export
    code, _, _ = run(capsys, "export", "--db", db, "--csv", tmp_path / "tables")
    assert code == 0 and (tmp_path / "tables" / "articles.csv").exists()
    code, _, err = run(capsys, "story", "s-nope", "--db", db)
    assert code == 2 and "no story" in err


def test_usage_errors_exit_2(capsys, tmp_path):
    assert run(capsys, "analyze")[0] == 2
    assert run(capsys, "export", "--db", tmp_path / "x.db")[0] == 2
    assert run(capsys, "no-such-command")[0] == 2


def test_bad_inputs_are_named_and_the_batch_goes_on(capsys, tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Officials said on Monday that the new bridge over the river opened to traffic.")
    (corpus / "empty.txt").write_text("")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (corpus / "broken.json").write_text('{"text": "unterminated')
    db = tmp_path / "b.db"
    code, _, err = run(capsys, "ingest", corpus, tmp_path / "missing.txt", "--db", db)
    assert code == 1
    for name in ("empty.txt", "binary.txt", "broken.json", "missing.txt"):
        assert any(name in line and line.startswith("skipped") for line in err.splitlines()), name
    assert "skipped 4 input(s)" in err
    connection = sqlite3.connect(db)
    assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    connection.close()


def test_stored_articles_survive_a_bad_batch(capsys, tmp_path):
    db = tmp_path / "keep.db"
    good = tmp_path / "good.txt"
    good.write_text("The council approved the budget on Tuesday after a long debate.")
    assert run(capsys, "ingest", good, "--db", db)[0] == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "A valid record about the harbour reopening after repairs."}\nnot json\n')
    code, _, err = run(capsys, "ingest", bad, "--db", db)
    assert code == 1 and "bad.jsonl" in err
    connection = sqlite3.connect(db)
    assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
    connection.close()


def test_locked_database_is_one_line_and_exit_2(capsys, tmp_path):
    db = tmp_path / "locked.db"
    good = tmp_path / "good.txt"
    good.write_text("The council approved the budget on Tuesday after a long debate.")
    assert run(capsys, "ingest", good, "--db", db)[0] == 0
    holder = sqlite3.connect(db, isolation_level=None, timeout=0)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        good.write_text("The council approved the budget on Wednesday after a long debate.")
        code, _, err = run(capsys, "ingest", good, "--db", db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 2
    assert "locked" in err and str(db) in err


def test_damaged_database_is_one_line_and_exit_2(capsys, tmp_path):
    db = tmp_path / "damaged.db"
    db.write_bytes(b"garbage" * 1000)
    code, _, err = run(capsys, "stories", "--db", db)
    assert code == 2 and "damaged" in err


def test_remove(seeds_analysed, capsys, tmp_path):
    root, corpus, export, _ = seeds_analysed
    db = tmp_path / "r.db"
    shutil.copy(root / "s.db", db)
    source = export["articles"][0]["source"]
    code, out, _ = run(capsys, "remove", source, "--db", db)
    assert code == 0 and "removed" in out
    assert run(capsys, "remove", source, "--db", db)[0] == 1
    connection = sqlite3.connect(db)
    assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 4
    connection.close()
    assert Article.id_for(source) == export["articles"][0]["id"]
