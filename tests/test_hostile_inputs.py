"""Inputs a hostile or careless user feeds storyline (issue 14): each is refused with one printable line, the rest is read."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

import pytest

from storyline.model import RawDocument, Skipped
from storyline.printable import one_line
from storyline.readers import read_paths

from conftest import run_cli


def results(*paths: Path, **options) -> list:
    return list(read_paths(list(paths), **options))


def documents(items: list) -> list[RawDocument]:
    return [item for item in items if isinstance(item, RawDocument)]


def skipped(items: list) -> list[Skipped]:
    return [item for item in items if isinstance(item, Skipped)]


def is_one_printable_line(text: str) -> bool:
    return text.isprintable() and len(text) <= 400


# --- 1. lone surrogates and names that are not UTF-8 ---------------------------------------


@pytest.mark.parametrize("field", ["text", "title", "id", "outlet"])
def test_a_lone_surrogate_skips_its_record_by_line_and_the_file_goes_on(tmp_path: Path, field: str) -> None:
    good = {"text": "A good article about the harbour."}
    bad = {"text": "Bad text", field: "broken \\ud800 here"}
    path = tmp_path / "feed.jsonl"
    bad_line = json.dumps(bad).replace("\\\\ud800", "\\ud800")
    path.write_text("\n".join([json.dumps(good), bad_line, json.dumps({"text": "Later article."})]) + "\n")
    items = results(path)
    assert [d.text for d in documents(items)] == ["A good article about the harbour.", "Later article."]
    (refused,) = skipped(items)
    assert refused.source == f"{path}#line=2"
    assert "not valid Unicode" in refused.reason


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_folder_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text("A readable article.")
    bad_name = os.fsencode(str(folder)) + b"/b\xff.txt"
    try:
        with open(bad_name, "wb") as handle:
            handle.write(b"Another article.")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    items = results(folder)
    assert [d.text for d in documents(items)] == ["A readable article."]
    (refused,) = skipped(items)
    assert "not valid UTF-8" in refused.reason and is_one_printable_line(refused.source)


def test_cli_ingest_of_a_lone_surrogate_goes_on_and_exits_1(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "first article text"}\n{"text": "x", "id": "\\ud800"}\n{"text": "third article"}\n')
    db = tmp_path / "s.db"
    code, _, err = run_cli(capsys, "ingest", path, "--db", db)
    assert code == 1
    assert f"skipped {path}#line=2:" in err
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 2


# --- 6, 8. reasons and names are one short printable line ------------------------------------


def test_one_line_escapes_controls_and_clips() -> None:
    assert one_line("a\x1b[2Jb\nskipped fake: x") == "a\\x1b[2Jb\\nskipped fake: x"
    assert one_line("\u202eevil") == "\\u202eevil"
    long = one_line("x" * 10_000)
    assert len(long) <= 301 and long.endswith("…")


def test_a_file_name_with_a_newline_cannot_forge_skipped_lines(tmp_path: Path, capsys) -> None:
    forged = tmp_path / "x\nskipped passwd: forged\x1b]0;owned\x07.bin"
    forged.write_bytes(b"\x00\x01\x02" * 10)
    code, _, err = run_cli(capsys, "ingest", tmp_path, "--db", tmp_path / "s.db")
    assert code == 1
    skipped_lines = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert len(skipped_lines) == 2  # the file's line and the count
    assert "\x1b" not in err and "\x07" not in err


# --- 7. deep nesting ------------------------------------------------------------------------


def test_a_deeply_nested_jsonl_line_costs_only_that_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text('{"text": "before"}\n' + "[" * 100_000 + "]" * 100_000 + '\n{"text": "after"}\n')
    items = results(path)
    assert [d.text for d in documents(items)] == ["before", "after"]
    (refused,) = skipped(items)
    assert refused.source.endswith("#line=2") and "nested too deeply" in refused.reason


def test_a_deeply_nested_json_file_is_skipped_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    (refused,) = results(path)
    assert isinstance(refused, Skipped) and "nested too deeply" in refused.reason


def test_dedup_on_a_deeply_nested_line_prints_no_traceback(tmp_path: Path, capsys) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text('{"text": "one article here"}\n' + "[" * 100_000 + "]" * 100_000 + '\n{"text": "another one"}\n')
    code, out, err = run_cli(capsys, "dedup", path)
    assert "Traceback" not in err + out
    assert code in (0, 1)


# --- 9. the store inside the folder being read ----------------------------------------------


def test_the_store_inside_the_folder_read_is_left_out_quietly(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "a.txt").write_text("An article about the river flooding the town.")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "ingest", ".", "--db", "news.db")
    assert code == 0, err
    code, _, err = run_cli(capsys, "ingest", ".", "--db", "news.db")
    assert code == 0, err
    assert "news.db" not in err


# --- 10. UTF-16 without BOM, late NULs, languages, symlinked folders --------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("Größere Überschwemmung in der Stadt.\n".encode(encoding))
    (document,) = results(path)
    assert isinstance(document, RawDocument) and document.text.startswith("Größere Überschwemmung")


def test_utf16_without_a_bom_is_sniffed_without_an_extension(tmp_path: Path) -> None:
    path = tmp_path / "article"
    path.write_bytes("A plain article without an extension.".encode("utf-16-le"))
    (document,) = results(path)
    assert isinstance(document, RawDocument) and document.text == "A plain article without an extension."


def test_a_nul_past_the_head_is_not_stored_in_the_text(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"word " * 4000 + b"\x00tail")
    (refused,) = results(path)
    assert isinstance(refused, Skipped) and "NUL" in refused.reason


def test_a_json_language_that_is_not_a_language_tag_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "one", "language": "<script>x"}\n{"text": "two", "language": "pt-BR"}\n')
    assert [d.language for d in documents(results(path))] == [None, "pt"]


def test_a_symlinked_subfolder_is_reported_not_silently_dropped(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.txt").write_text("An article.")
    reading = tmp_path / "reading"
    reading.mkdir()
    (reading / "link").symlink_to(real, target_is_directory=True)
    (refused,) = results(reading)
    assert isinstance(refused, Skipped) and "symlinked folder" in refused.reason


# --- 12-15. commands ------------------------------------------------------------------------


@pytest.fixture
def small_store(tmp_path: Path, capsys) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("The river flooded the old town on Monday, officials said.")
    db = tmp_path / "s.db"
    code, _, err = run_cli(capsys, "ingest", tmp_path / "in", "--db", db)
    assert code == 0, err
    return db


@pytest.mark.parametrize("value", ["yesterday", "garbage", "2025-02-30", "2025-13", "\x1b[2J"])
@pytest.mark.parametrize("command", [["stories"], ["export", "--json", "-"]])
def test_a_bad_date_is_a_one_line_usage_error(small_store: Path, capsys, command: list, value: str) -> None:
    code, out, err = run_cli(capsys, *command, "--db", small_store, "--since", value)
    assert code == 2
    assert "Traceback" not in err and "\x1b" not in err
    assert "not a date" in err


@pytest.mark.parametrize("value", ["2025", "2025-02", "2024-02-29"])
def test_good_dates_of_any_precision_are_accepted(small_store: Path, capsys, value: str) -> None:
    code, _, err = run_cli(capsys, "stories", "--db", small_store, "--until", value)
    assert code == 0, err


def test_an_unexpected_error_is_one_line_and_exit_2_and_debug_shows_the_traceback(small_store: Path, capsys,
                                                                                  monkeypatch) -> None:
    import storyline.cli.browse as browse

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(browse, "load_analysis", broken)
    code, _, err = run_cli(capsys, "stories", "--db", small_store)
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "KeyError" in err
    code, _, err = run_cli(capsys, "--debug", "stories", "--db", small_store)
    assert code == 2 and "Traceback" in err


def test_remove_by_absolute_path_finds_a_file_ingested_by_a_relative_path(tmp_path: Path, capsys,
                                                                          monkeypatch) -> None:
    (tmp_path / "a.txt").write_text("The river flooded the old town on Monday, officials said.")
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "ingest", "a.txt", "--db", "s.db")[0] == 0
    code, out, err = run_cli(capsys, "remove", tmp_path / "a.txt", "--db", "s.db")
    assert code == 0, err
    assert "removed" in out
    with sqlite3.connect(tmp_path / "s.db") as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 0


@pytest.fixture
def no_server(monkeypatch) -> list:
    """uvicorn.run replaced by a recorder: a serve that gets past its checks returns instead of serving forever."""
    import uvicorn

    started: list = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: started.append(args))
    return started


def test_serve_refuses_a_store_that_does_not_exist(tmp_path: Path, capsys, no_server) -> None:
    code, _, err = run_cli(capsys, "serve", "--db", tmp_path / "typo.db", "--port", "0")
    assert code == 2 and "no such store" in err
    assert not (tmp_path / "typo.db").exists() and not no_server


def test_serve_refuses_a_store_it_cannot_query(tmp_path: Path, capsys, no_server) -> None:
    garbage = tmp_path / "notes.db"
    garbage.write_bytes(b"this is not a database at all" * 200)
    code, _, err = run_cli(capsys, "serve", "--db", garbage, "--read-only", "--port", "0")
    assert code == 2 and "not a storyline database" in err and not no_server


@contextlib.contextmanager
def _read_only_folder(folder: Path):
    """``folder`` made read-only: by permissions, or for root (whom permissions do not stop) by a read-only bind mount."""
    import subprocess

    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    mounted = folder.parent / f"{folder.name}-ro"
    mounted.mkdir()
    if subprocess.run(["mount", "--bind", str(folder), str(mounted)], capture_output=True).returncode != 0:
        mounted.rmdir()
        pytest.skip("cannot make a read-only folder here (root, and no bind mount)")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(mounted)], capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield mounted
    finally:
        if subprocess.run(["umount", str(mounted)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mounted)], capture_output=True)  # detached once nothing uses it
        mounted.rmdir()


def test_serve_read_only_refuses_a_store_in_a_read_only_folder(small_store: Path, capsys, no_server) -> None:
    with _read_only_folder(small_store.parent) as folder:
        code, _, err = run_cli(capsys, "serve", "--db", folder / small_store.name, "--read-only", "--port", "0")
    assert code == 2 and "serving" not in err and not no_server
    assert "cannot open the database file" in err


def test_export_on_a_full_disk_keeps_the_old_file(small_store: Path, tmp_path: Path) -> None:
    import resource
    import signal
    import subprocess
    import sys

    out = tmp_path / "out.json"
    html = tmp_path / "out.html"
    out.write_text("previous export\n")
    html.write_text("previous report\n")

    def small_disk() -> None:
        # A file may grow to 2 KB only: the write fails with EFBIG, as a full disk fails with ENOSPC.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    done = subprocess.run(
        [sys.executable, "-m", "storyline.cli", "export", "--db", str(small_store), "--json", str(out),
         "--html", str(html)],
        capture_output=True, text=True, preexec_fn=small_disk, env={**os.environ}, timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert out.read_text() == "previous export\n"
    assert html.read_text() == "previous report\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# --- 4, 6. WARC: bounded header lines, records without a target URI, short reasons --------------


def _warc_record(headers: list[bytes], body: bytes) -> bytes:
    head = [b"WARC/1.0", b"WARC-Type: response", b"WARC-Record-ID: <urn:uuid:1>", b"WARC-Date: 2025-01-01T00:00:00Z",
            *headers, b"Content-Length: %d" % len(body)]
    return b"\r\n".join(head) + b"\r\n\r\n" + body + b"\r\n\r\n"


_PAGE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head><title>Flood</title></head>"
         b"<body><p>" + b"The river flooded the old town on Monday, officials said. " * 5 + b"</p></body></html>")
_HTTP = b"Content-Type: application/http; msgtype=response"


def test_a_warc_response_without_a_target_uri_gets_a_record_source(tmp_path: Path) -> None:
    path = tmp_path / "a.warc"
    path.write_bytes(_warc_record([_HTTP], _PAGE) + _warc_record([b"WARC-Target-URI: http://x.test/2", _HTTP], _PAGE))
    items = results(path)
    assert [d.source for d in documents(items)] == [f"{path}#record=0", "http://x.test/2"]


def test_a_warc_header_line_that_inflates_is_read_with_bounded_memory(tmp_path: Path) -> None:
    import gzip
    import tracemalloc

    path = tmp_path / "bomb.warc.gz"
    bomb = b"WARC/1.0\r\nWARC-Type: response\r\nX-Padding: " + b"a" * 40_000_000 + b"\r\n\r\n"
    path.write_bytes(gzip.compress(_warc_record([b"WARC-Target-URI: http://x.test/1", _HTTP], _PAGE))
                     + gzip.compress(bomb))
    del bomb
    tracemalloc.start()
    try:
        items = results(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, f"peak {peak:,} bytes for a 40 MB header line"
    assert [d.source for d in documents(items)] == ["http://x.test/1"]
    (refused,) = skipped(items)
    assert is_one_printable_line(refused.reason) and "header line" in refused.reason


def test_a_garbage_warc_gives_a_short_printable_reason(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse.warc"
    sparse.write_bytes(b"WARC/1.0 garbage" + b"x" * 2_000_000)
    noise = tmp_path / "noise.warc.gz"
    noise.write_bytes(bytes(range(256)) * 50)
    for path in (sparse, noise):
        (refused,) = results(path)
        assert isinstance(refused, Skipped) and is_one_printable_line(refused.reason), refused.reason


# --- 5. feeds are parsed whole: past the stated size they are refused, not read into 5x memory --------


def test_a_feed_over_the_feed_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    from storyline.readers.feed import MAX_FEED_BYTES

    path = tmp_path / "huge.rss"
    with path.open("wb") as handle:
        handle.write(b"<?xml version='1.0'?><rss version='2.0'><channel><item><description>")
        handle.truncate(MAX_FEED_BYTES + 1)  # sparse: costs no disk
    (refused,) = results(path)
    assert isinstance(refused, Skipped) and "over the limit" in refused.reason and "JSON Lines" in refused.reason


# --- 11, 17. remove keeps every view consistent; analyze reports what it touched ----------------


@pytest.fixture(scope="module")
def analysed_corpus(tmp_path_factory):
    """Three seed articles (one story) and one unrelated article, analysed once: (folder, db)."""
    import shutil

    from conftest import SEEDS

    root = tmp_path_factory.mktemp("corpus")
    corpus = root / "news"
    corpus.mkdir()
    for path in sorted(SEEDS.glob("*.txt"))[:3]:
        shutil.copy(path, corpus / path.name)
    (corpus / "zz_bakery.txt").write_text(
        "The Millbrook bakery on Elm Street won the regional bread prize on Saturday.\n"
        "Its owner, Clara Jensen, said the sourdough recipe came from her grandmother.\n")
    db = root / "s.db"
    from storyline.cli import main  # noqa: F401  (run_cli imports it)

    class _Capture:
        def readouterr(self):
            return type("Captured", (), {"out": "", "err": ""})()

    code, _, _ = run_cli(_Capture(), "analyze", corpus, "--db", db, "-q")
    assert code == 0
    return corpus, db


def _export(db: Path, tmp_path: Path, capsys) -> dict:
    out = tmp_path / "out.json"
    code, _, err = run_cli(capsys, "export", "--db", db, "--json", out)
    assert code == 0, err
    return json.loads(out.read_text())


def test_remove_leaves_every_view_consistent(analysed_corpus, tmp_path: Path, capsys) -> None:
    import shutil

    from storyline import validate_export
    from storyline.model import Article

    corpus, original_db = analysed_corpus
    db = tmp_path / "copy.db"
    shutil.copy(original_db, db)
    before = _export(db, tmp_path, capsys)
    bakery = next(a for a in before["articles"] if a["source"].endswith("zz_bakery.txt"))
    seed = next(a for a in before["articles"] if a["source"].endswith(".txt") and a["id"] != bakery["id"])
    story_of_seed = next(s["id"] for s in before["stories"] if seed["id"] in s["articles"])
    for article in (bakery, seed):
        code, out, err = run_cli(capsys, "remove", article["source"], "--db", db)
        assert code == 0, err
    after = _export(db, tmp_path, capsys)
    validate_export(after)
    removed = {bakery["id"], seed["id"]}
    text = json.dumps(after)
    assert not any(article_id in text for article_id in removed)
    assert len(after["stories"]) == len(before["stories"]) - 1
    html = tmp_path / "out.html"
    assert run_cli(capsys, "export", "--db", db, "--html", html)[0] == 0
    assert not any(article_id in html.read_text() for article_id in removed)
    code, out, err = run_cli(capsys, "story", story_of_seed, "--db", db)
    assert code == 0, err
    assert Article.id_for(seed["source"]) == seed["id"]


def test_analyze_prints_only_the_stories_it_touched_and_a_summary(analysed_corpus, tmp_path: Path, capsys,
                                                                  monkeypatch) -> None:
    import shutil

    corpus, original_db = analysed_corpus
    db = tmp_path / "copy.db"
    shutil.copy(original_db, db)
    monkeypatch.setenv("COLUMNS", "120")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "harbour.txt").write_text(
        "A cargo ship ran aground in the harbour of Port Averill on Tuesday night.\n"
        "The coast guard said no one was hurt and the fuel tanks were intact.\n")
    code, out, err = run_cli(capsys, "analyze", extra, "--db", db)
    assert code == 0, err
    assert "cargo ship" in out.lower() or "harbour" in out.lower()
    assert "El Salvador" not in out  # the seed story was not touched
    assert out.strip().splitlines()[-1].startswith("5 articles in ")
    code, out, err = run_cli(capsys, "analyze", extra, "--db", db, "-q")
    assert code == 0 and out.strip().splitlines() == [out.strip()]
    assert "5 articles in" in out and "touching 0 stories" in out


def test_analyze_without_paths_reanalyses_the_store(analysed_corpus, tmp_path: Path, capsys) -> None:
    import shutil

    _, original_db = analysed_corpus
    db = tmp_path / "copy.db"
    shutil.copy(original_db, db)
    code, out, err = run_cli(capsys, "analyze", "--db", db)
    assert code == 0, err
    assert "El Salvador" in out and "4 articles in" in out
