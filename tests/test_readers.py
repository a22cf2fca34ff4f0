"""Readers: every format, the registry, and one Skipped with a reason for each kind of bad input."""

from __future__ import annotations

import gzip
import os
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storyline.model import RawDocument, Skipped
from storyline.readers import ReadOptions, get_reader, read_paths, reader_for, register_reader, unregister_reader

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "readers"
SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"


def read_one(path: Path | str, **kwargs: int) -> list[RawDocument | Skipped]:
    return list(read_paths([path], **kwargs))


def only_document(path: Path | str) -> RawDocument:
    results = read_one(path)
    assert len(results) == 1 and isinstance(results[0], RawDocument), results
    return results[0]


def only_skipped(path: Path | str, **kwargs: int) -> Skipped:
    results = read_one(path, **kwargs)
    assert len(results) == 1 and isinstance(results[0], Skipped), results
    return results[0]


# --- WARC files written with warcio ---------------------------------------------------

PAGE_A = (
    b"<html><head><title>Harbour crane collapses in storm</title></head><body><nav>Home | World</nav>"
    b"<article><p>A crane at the container terminal collapsed during the storm on Tuesday night, the port said.</p>"
    b"<p>No one was hurt and the terminal reopened on Wednesday morning.</p></article></body></html>"
)
PAGE_B_LATIN1 = (
    "<html><body><article><p>Le café du port a rouvert mardi après trois jours de grève des dockers.</p>"
    "<p>Les clients sont revenus dès le matin.</p></article></body></html>"
).encode("latin-1")


def write_warc(path: Path, *, gzipped: bool) -> Path:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gzipped)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "storyline tests"}))
        pages = [
            ("https://news.example.com/crane", "text/html; charset=utf-8", "200 OK", PAGE_A),
            ("https://news.example.com/logo.png", "image/png", "200 OK", b"\x89PNG\r\n\x1a\n...."),
            ("https://news.example.com/gone", "text/html", "404 Not Found", b"<html><body>Not found</body></html>"),
            ("https://news.example.com/cafe", "text/html; charset=iso-8859-1", "200 OK", PAGE_B_LATIN1),
        ]
        for uri, content_type, status, body in pages:
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(uri, "response", payload=BytesIO(body), http_headers=headers))
    return path


@pytest.fixture
def warc_file(tmp_path: Path) -> Path:
    return write_warc(tmp_path / "crawl.warc", gzipped=False)


@pytest.fixture
def warc_gz_file(tmp_path: Path) -> Path:
    return write_warc(tmp_path / "crawl.warc.gz", gzipped=True)


# --- plain text ------------------------------------------------------------------------


def test_text_file_is_one_document_with_its_path_as_source() -> None:
    path = FIXTURES / "harbor_strike.txt"
    document = only_document(str(path))
    assert document.source == str(path)
    assert document.reader == "text"
    assert document.text == path.read_text(encoding="utf-8")
    assert document.title is None  # readers leave text metadata to complete_metadata


def test_directory_is_read_recursively_sorted_and_hidden_files_are_left_out(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("Second article body text.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("First article body text.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.md").write_text("Third article in a folder.", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("Not to be read.", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.txt").write_text("Not to be read either.", encoding="utf-8")
    sources = [result.source for result in read_paths([tmp_path])]
    assert sources == [os.path.join(str(tmp_path), name) for name in ("a.txt", "b.txt", os.path.join("sub", "c.md"))]


def test_seeds_read_as_five_text_documents() -> None:
    documents = [result for result in read_paths([SEEDS]) if result.source.endswith(".txt")]
    assert len(documents) == 5
    assert all(isinstance(document, RawDocument) and document.reader == "text" for document in documents)


def test_latin1_file_is_decoded() -> None:
    document = only_document(FIXTURES / "cafe_latin1.txt")
    assert document.text.startswith("Café owners")
    assert "règles" in document.text


def test_mixed_encoding_keeps_the_utf8_and_replaces_the_stray_byte() -> None:
    document = only_document(FIXTURES / "mixed_encoding.txt")
    assert "mayor’s office" in document.text
    assert "caf\ufffd association" in document.text


def test_crlf_line_breaks_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "windows.txt"
    path.write_bytes(b"Headline of the day\r\nBody text follows here.\r\n")
    assert only_document(path).text == "Headline of the day\nBody text follows here.\n"


# --- bad input: exactly one Skipped each, and the batch goes on -----------------------------


def test_binary_file_is_skipped() -> None:
    assert "binary" in only_skipped(FIXTURES / "archive.bin").reason


def test_binary_file_with_a_text_extension_is_skipped_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    shutil.copy(FIXTURES / "archive.bin", path)
    assert only_skipped(path).reason == "binary file (NUL bytes)"


def test_random_bytes_without_nul_are_skipped_as_binary(tmp_path: Path) -> None:
    import random

    generator = random.Random(7)
    path = tmp_path / "noise.dat"
    path.write_bytes(bytes(generator.randrange(1, 256) for _ in range(4000)))
    assert "binary" in only_skipped(path).reason


def test_latin1_html_page_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(
        '<html><head><meta charset="iso-8859-1"></head><body><article><p>Le café du port a rouvert mardi '
        "après trois jours de grève.</p><p>Les clients sont revenus dès le matin.</p></article></body></html>"
        .encode("latin-1")
    )
    assert "après trois jours de grève" in only_document(path).text


def test_empty_and_blank_files_are_skipped() -> None:
    assert only_skipped(FIXTURES / "empty.txt").reason == "empty file"
    assert "no text" in only_skipped(FIXTURES / "blank.txt").reason


def test_missing_path_is_skipped() -> None:
    skipped = only_skipped("no/such/article.txt")
    assert skipped == Skipped("no/such/article.txt", "no such file or directory")


def test_unreadable_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("Some article text.", encoding="utf-8")
    original_open = Path.open

    def refusing_open(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return original_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    assert only_skipped(path).reason == "permission denied"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_by_mode_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("Some article text.", encoding="utf-8")
    path.chmod(0)
    assert only_skipped(path).reason == "permission denied"


def test_single_article_over_the_limit_is_refused_naming_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_text("word " * 400, encoding="utf-8")
    reason = only_skipped(path, max_article_bytes=1000).reason
    assert "2,000 bytes" in reason and "1,000 bytes" in reason


def test_a_bad_file_does_not_stop_the_batch() -> None:
    results = list(read_paths(["missing.txt", FIXTURES / "archive.bin", FIXTURES / "harbor_strike.txt"]))
    assert [type(result) for result in results] == [Skipped, Skipped, RawDocument]


def test_a_failing_user_reader_costs_one_file_with_a_reason(tmp_path: Path) -> None:
    def broken_reader(path: Path, source: str, options: ReadOptions):  # type: ignore[no-untyped-def]
        raise RuntimeError("parser exploded")
        yield  # pragma: no cover

    register_reader("broken-test", broken_reader, extensions=(".brk",))
    try:
        path = tmp_path / "x.brk"
        path.write_text("anything", encoding="utf-8")
        skipped = only_skipped(path)
        assert "broken-test reader failed" in skipped.reason and "parser exploded" in skipped.reason
    finally:
        unregister_reader("broken-test")


# --- the registry ------------------------------------------------------------------------


def test_user_reader_is_registered_by_name_and_chosen_by_extension(tmp_path: Path) -> None:
    def read_subtitles(path: Path, source: str, options: ReadOptions):  # type: ignore[no-untyped-def]
        for number, block in enumerate(path.read_text(encoding="utf-8").split("\n\n"), start=1):
            yield RawDocument(source=f"{source}#cue={number}", text=block.splitlines()[-1])

    register_reader("subtitles", read_subtitles, extensions=(".srt",))
    try:
        path = tmp_path / "clip.SRT"
        path.write_text("1\nThe minister arrived.\n\n2\nShe spoke to reporters.", encoding="utf-8")
        documents = read_one(path)
        assert [(d.source.rsplit("#", 1)[1], d.text, d.reader) for d in documents] == [
            ("cue=1", "The minister arrived.", "subtitles"),
            ("cue=2", "She spoke to reporters.", "subtitles"),
        ]
        with pytest.raises(ValueError):
            register_reader("subtitles", read_subtitles, extensions=(".srt",))
    finally:
        unregister_reader("subtitles")


def test_builtins_are_in_the_registry() -> None:
    for name in ("text", "html", "json", "jsonl", "feed", "warc"):
        assert get_reader(name).name == name
    assert reader_for("crawl.warc.gz", b"").name == "warc"
    assert reader_for("page.HTM", b"").name == "html"


@pytest.mark.parametrize(
    ("content", "reader"),
    [
        (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "html"),
        (b"<?xml version='1.0'?>\n<rss version='2.0'><channel></channel></rss>", "feed"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "feed"),
        (b'{"text": "a"}\n{"text": "b"}\n', "jsonl"),
        (b'[{"text": "a"}]', "json"),
        (b"WARC/1.0\r\nWARC-Type: warcinfo\r\n", "warc"),
        (gzip.compress(b"WARC/1.1\r\nWARC-Type: warcinfo\r\n"), "warc"),
        (b"Just some words of text.", "text"),
    ],
)
def test_unknown_extension_is_sniffed(content: bytes, reader: str) -> None:
    assert reader_for("download.dat", content).name == reader


def test_sniffed_html_without_extension_is_read_as_html(tmp_path: Path) -> None:
    path = tmp_path / "page"
    shutil.copy(FIXTURES / "harbor_strike.html", path)
    assert only_document(path).reader == "html"


# --- HTML ----------------------------------------------------------------------------------


def test_html_main_text_and_metadata() -> None:
    document = only_document(FIXTURES / "harbor_strike.html")
    assert document.reader == "html"
    assert "Dock workers returned to the terminals" in document.text
    assert "Subscribe" not in document.text and "Sport" not in document.text
    assert document.title == "Port strike ends after three days"
    assert document.byline == "Dana Whitfield"
    assert document.outlet == "Harbor Gazette"
    assert document.published == "2024-11-05"
    assert document.url == "https://www.harborgazette.example/news/port-strike-ends"
    assert document.language == "en"


def test_malformed_html_still_yields_its_text() -> None:
    document = only_document(FIXTURES / "malformed.html")
    assert "Firefighters contained a grass fire" in document.text


def test_html_without_text_is_skipped() -> None:
    assert "no article text" in only_skipped(FIXTURES / "no_text.html").reason


# --- JSON and JSON Lines ------------------------------------------------------------------


def test_jsonl_records_keys_sources_and_bad_lines() -> None:
    path = str(FIXTURES / "wire.jsonl")
    results = read_one(path)
    by_source = {result.source: result for result in results}
    assert list(by_source) == [f"{path}#id=w-101", f"{path}#id=w-102", f"{path}#line=3", f"{path}#line=4", f"{path}#line=6"]

    first = by_source[f"{path}#id=w-101"]
    assert isinstance(first, RawDocument) and first.reader == "jsonl"
    assert first.title == "Rail fares to rise 3 percent in January"
    assert first.text.startswith("Rail fares will rise") and "\nCommuter groups" in first.text
    assert (first.url, first.outlet, first.published, first.language, first.byline) == (
        "https://news.example.org/rail-fares", "Example Wire", "2024-12-06", "en", "Priya Natarajan, Tom Hale"
    )
    assert by_source[f"{path}#id=w-102"].published == "2024-12-07"  # RFC 822, taken as written

    bad_line = by_source[f"{path}#line=3"]
    assert isinstance(bad_line, Skipped) and "malformed JSON on line 3" in bad_line.reason
    no_text = by_source[f"{path}#line=4"]
    assert isinstance(no_text, Skipped) and "no text" in no_text.reason

    listed = by_source[f"{path}#line=6"]
    assert listed.text == "Schools reopened on Monday after the storm.\nBus services resumed on most routes."
    assert (listed.published, listed.byline) == ("2024-12-09", "Mara Jensen")  # a Unix timestamp


def test_oversize_jsonl_record_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    long_text = "x" * 5000
    path.write_text(
        f'{{"text": "short one"}}\n{{"text": "{long_text}"}}\n{{"text": "short two"}}\n', encoding="utf-8"
    )
    results = read_one(path, max_article_bytes=1000)
    assert [type(result) for result in results] == [RawDocument, Skipped, RawDocument]
    assert results[1].source == f"{path}#line=2" and "over the limit of 1,000 bytes" in results[1].reason
    assert results[2].text == "short two"


def test_duplicate_ids_in_one_file_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "dupes.jsonl"
    path.write_text('{"id": 1, "text": "first"}\n{"id": 1, "text": "again"}\n', encoding="utf-8")
    results = read_one(path)
    assert isinstance(results[0], RawDocument) and results[0].source == f"{path}#id=1"
    assert isinstance(results[1], Skipped) and "duplicate id" in results[1].reason


def test_json_list_and_single_object() -> None:
    path = str(FIXTURES / "wire_list.json")
    first, second = read_one(path)
    assert first.source == f"{path}#item=1" and first.outlet == "Coastal Times" and first.published == "2024-12-12"
    assert second.source == f"{path}#id=77" and second.published == "2025-01"
    assert second.text.startswith("The central library")

    single = only_document(FIXTURES / "single.json")
    assert single.source == str(FIXTURES / "single.json")
    assert (single.title, single.outlet, single.published) == ("Marathon route announced", "Runner's Weekly", "2025-03-02")


def test_broken_json_file_is_one_skipped() -> None:
    assert "malformed JSON" in only_skipped(FIXTURES / "broken.json").reason


def test_json_file_holding_json_lines_is_read_as_lines(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"text": "one"}\n{"text": "two"}\n', encoding="utf-8")
    assert [result.source for result in read_one(path)] == [f"{path}#line=1", f"{path}#line=2"]


# --- feeds ---------------------------------------------------------------------------------


def test_rss_entries() -> None:
    path = str(FIXTURES / "harbor.rss")
    first, second, third = read_one(path)
    assert first.source == f"{path}#entry=1" and first.reader == "feed"
    assert first.url == "https://www.harborgazette.example/news/port-strike-ends"
    assert first.text == (
        "Dock workers returned to the terminals on Tuesday after a new contract was agreed.\n"
        "The agreement raises wages by four percent a year."
    )
    assert (first.title, first.outlet, first.byline, first.language) == (
        "Port strike ends after three days", "Harbor Gazette", "Dana Whitfield", "en"
    )
    assert first.published == "2024-11-05"  # the date as written, not moved to UTC
    assert second.text == "The morning ferry will leave fifteen minutes earlier from December."
    assert isinstance(third, Skipped) and third.source == f"{path}#entry=3"


def test_atom_entry() -> None:
    document = only_document(FIXTURES / "valley.atom")
    assert document.source.endswith("valley.atom#entry=1")
    assert (document.title, document.url, document.outlet, document.byline, document.published, document.language) == (
        "Hochwasserwarnung aufgehoben", "https://valley.example.net/hochwasser", "Valley Courier", "Greta Vogel",
        "2024-12-07", "de",
    )
    assert document.text == "Die Hochwasserwarnung für das Tal wurde am Samstag aufgehoben.\nDie Pegel sinken weiter."


def test_malformed_and_empty_feeds_are_skipped() -> None:
    assert "malformed feed XML" in only_skipped(FIXTURES / "broken_feed.xml").reason
    assert only_skipped(FIXTURES / "empty_feed.rss").reason == "feed has no entries"


# --- WARC ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture_name", ["warc_file", "warc_gz_file"])
def test_warc_html_responses_become_articles(fixture_name: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(fixture_name)
    results = read_one(path)
    assert [result.source for result in results] == [
        "https://news.example.com/crane",
        "https://news.example.com/gone",
        "https://news.example.com/cafe",
    ]
    crane, gone, cafe = results
    assert isinstance(crane, RawDocument) and crane.reader == "warc"
    assert crane.url == "https://news.example.com/crane"
    assert "A crane at the container terminal collapsed" in crane.text and "Home | World" not in crane.text
    assert isinstance(gone, Skipped) and "404" in gone.reason
    assert "Le café du port a rouvert mardi après trois jours" in cafe.text


def test_truncated_warc_keeps_the_records_before_the_damage(warc_file: Path, tmp_path: Path) -> None:
    data = warc_file.read_bytes()
    truncated = tmp_path / "cut.warc"
    truncated.write_bytes(data[: len(data) - 80])
    results = read_one(truncated)
    assert [type(result) for result in results] == [RawDocument, Skipped, Skipped]
    assert results[0].source == "https://news.example.com/crane"
    assert results[-1].source == str(truncated) and "truncated WARC" in results[-1].reason


def test_truncated_warc_gz_keeps_the_records_before_the_damage(warc_gz_file: Path, tmp_path: Path) -> None:
    data = warc_gz_file.read_bytes()
    truncated = tmp_path / "cut.warc.gz"
    truncated.write_bytes(data[: len(data) - 60])
    results = read_one(truncated)
    assert isinstance(results[0], RawDocument) and results[0].source == "https://news.example.com/crane"
    assert isinstance(results[-1], Skipped) and results[-1].source == str(truncated)
    assert sum(isinstance(result, Skipped) and result.source == str(truncated) for result in results) == 1


def test_garbage_in_a_warc_is_reported_after_the_good_records(warc_file: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.warc"
    damaged.write_bytes(warc_file.read_bytes() + b"this is not a WARC header\r\n\r\n" * 3)
    results = read_one(damaged)
    assert [result.source for result in results if isinstance(result, RawDocument)] == [
        "https://news.example.com/crane", "https://news.example.com/cafe"
    ]
    assert isinstance(results[-1], Skipped) and results[-1].source == str(damaged)


def test_oversize_warc_page_is_skipped_and_the_rest_read(warc_file: Path) -> None:
    results = read_one(warc_file, max_article_bytes=250)
    crane = next(result for result in results if result.source == "https://news.example.com/crane")
    assert isinstance(crane, Skipped) and "over the limit of 250 bytes" in crane.reason
    cafe = next(result for result in results if result.source == "https://news.example.com/cafe")
    assert isinstance(cafe, RawDocument)


def test_warc_record_without_target_uri_is_identified_by_offset(tmp_path: Path) -> None:
    path = tmp_path / "anon.warc"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "storyline tests"}))
        # A resource record (a page stored without its HTTP exchange) need not name a URI.
        record = writer.create_warc_record("", "resource", payload=BytesIO(PAGE_A), warc_content_type="text/html")
        record.rec_headers.remove_header("WARC-Target-URI")
        writer.write_record(record)
    first_record_length = len(path.read_bytes()) - len(PAGE_A)
    document = only_document(path)
    offset = int(document.source.rsplit("#record=", 1)[1])
    assert document.source.startswith(f"{path}#record=") and 0 < offset < first_record_length
    assert "A crane at the container terminal collapsed" in document.text
