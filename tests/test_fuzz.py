"""Property-based fuzzing (issue 14): whatever a user feeds the readers or types on the command line,
no exception escapes, every skipped input has one printable reason line, and the store stays sound.

The budgets are small and the runs derandomized, so `make test` stays quick and repeatable; raise
``FUZZ_EXAMPLES`` locally to search harder (e.g. ``FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py``).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.model import RawDocument, Skipped
from storyline.pipeline import ingest
from storyline.printable import is_encodable
from storyline.readers import read_paths
from storyline.store import open_store

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "readers"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Every reader, by the names that choose it; "" is sniffed.
FILE_NAMES = ["a.txt", "a.html", "a.json", "a.jsonl", "a.rss", "a.atom", "a.xml", "a.warc", "a.warc.gz", "a"]
SEED_FILES = sorted(p for p in FIXTURES.iterdir() if p.is_file())

# Text that breaks naive code: controls, escapes, lone surrogates, bidi overrides, odd newlines.
NASTY_TEXT = st.lists(
    st.one_of(st.characters(), st.sampled_from(["\x1b[2J", "\x1b]0;title\x07", "\ud800", "\u202e", "\r\n", "\x00",
                                                "<script>", "&amp;", '"', "\\"])),
    max_size=30,
).map("".join)


def _mutated(data: bytes, flips: list[tuple[int, int]], cut: int) -> bytes:
    """``data`` with some bytes replaced and cut short: a damaged real file."""
    buffer = bytearray(data)
    for position, value in flips:
        if buffer:
            buffer[position % len(buffer)] = value
    return bytes(buffer[: max(0, len(buffer) - cut)])


def _json_record(fields: dict) -> bytes:
    return json.dumps(fields, ensure_ascii=True).replace("\\\\ud800", "\\ud800").encode()


FILE_CONTENT = st.one_of(
    st.binary(max_size=2000),
    st.builds(_mutated, st.sampled_from([p.read_bytes() for p in SEED_FILES]),
              st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8), st.integers(0, 400)),
    st.lists(st.dictionaries(st.sampled_from(["text", "title", "id", "outlet", "language", "published", "url"]),
                             st.one_of(NASTY_TEXT, st.integers(), st.none(), st.lists(NASTY_TEXT, max_size=3)),
                             max_size=6), max_size=5).map(lambda records: b"\n".join(map(_json_record, records))),
    NASTY_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
)


def _is_one_printable_line(text: str) -> bool:
    return text.isprintable() and 0 < len(text) <= 320


def _check_results(results: list) -> None:
    for item in results:
        if isinstance(item, Skipped):
            assert _is_one_printable_line(item.reason), repr(item.reason)
            assert _is_one_printable_line(item.source), repr(item.source)
        else:
            assert isinstance(item, RawDocument)
            assert all(is_encodable(value) for value in vars(item).values() if isinstance(value, str))


def _gzip_if_needed(name: str, content: bytes) -> bytes:
    return gzip.compress(content) if name.endswith(".gz") and not content.startswith(b"\x1f\x8b") else content


@FUZZ
@given(name=st.sampled_from(FILE_NAMES), content=FILE_CONTENT)
def test_every_reader_refuses_bad_input_with_one_printable_line_and_the_store_stays_sound(name: str,
                                                                                          content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / "in" / name
        path.parent.mkdir()
        path.write_bytes(_gzip_if_needed(name, content))
        (root / "in" / "zz_good.txt").write_text("A good article read after the bad one.")
        results = list(read_paths([root / "in"]))
        _check_results(results)
        assert any(isinstance(r, RawDocument) and r.text == "A good article read after the bad one." for r in results)
        store = open_store(root / "s.db")
        try:
            report = ingest(store, [root / "in"])
            assert len(report.added) >= 1
            assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            store.close()


@FUZZ
@given(name=st.text(min_size=1, max_size=30).filter(lambda n: "/" not in n and "\x00" not in n and n not in (".", "..")))
def test_any_file_name_gives_documents_or_one_printable_line(name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = Path(folder) / name
            path.write_bytes(b"An article under an odd name.")
        except (OSError, UnicodeEncodeError, ValueError):
            return  # the file system refuses the name: nothing to read
        _check_results(list(read_paths([folder])))


# --- the command line ---------------------------------------------------------------------------

COMMANDS = [
    ["stories"], ["stories", "--json"], ["story"], ["export", "--json", "-"], ["export", "--csv"], ["export", "--html"],
    ["export", "--graphml"], ["search"], ["remove"], ["ingest"], ["analyze", "-q"], ["dedup"], ["--version"], [],
    ["nonsense"],
]
OPTIONS = ["--since", "--until", "--outlet", "--limit", "--db", "--json", "--quiet", "-q", "--threshold", "--help"]
VALUES = st.one_of(
    st.sampled_from(["2025", "2025-02", "2025-02-30", "yesterday", "garbage", "-1", "0", "99999999999999999999",
                     "", "-", "\x1b[2J", "\udcff", "a\nskipped forged: x", "s-000000000000", "NaN", "1e400"]),
    NASTY_TEXT.filter(lambda text: "\x00" not in text),
)


def _run(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    from storyline.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_argv, old_cwd = sys.argv, os.getcwd()
    sys.argv = ["storyline", *argv]
    code = 0
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    finally:
        sys.argv = old_argv
        os.chdir(old_cwd)
    return code, out.getvalue(), err.getvalue()


_STORE: dict[str, Path] = {}


def _small_store() -> Path:
    """A store holding two articles, made once (copied per example: commands may write to it)."""
    if "path" not in _STORE:
        folder = Path(tempfile.mkdtemp(prefix="storyline-fuzz-"))
        (folder / "in").mkdir()
        (folder / "in" / "a.txt").write_text("The river flooded the old town on Monday, officials said.")
        (folder / "in" / "b.jsonl").write_text('{"id": "1", "text": "A ferry route opens next spring.", '
                                               '"outlet": "Island News\\u001b[2J"}\n')
        store = open_store(folder / "s.db")
        ingest(store, [folder / "in"])
        store.close()
        _STORE["path"] = folder / "s.db"
    return _STORE["path"]


@FUZZ
@given(command=st.sampled_from(COMMANDS),
       arguments=st.lists(st.one_of(st.sampled_from(OPTIONS), VALUES), max_size=5))
def test_no_command_line_makes_it_crash(command: list[str], arguments: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        shutil.copy(_small_store(), cwd / "storyline.db")
        code, out, err = _run([*command, *arguments], cwd)
        assert code in (0, 1, 2), (command, arguments, code)
        assert "Traceback" not in out + err, (command, arguments, err)
        # Nothing from the input reaches the terminal raw (help text and JSON output aside, which escape it).
        assert "\x1b" not in err, (command, arguments, err)
        for line in err.splitlines():
            if line.startswith("skipped "):
                assert line.isprintable(), line
        with sqlite3.connect(cwd / "storyline.db") as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
