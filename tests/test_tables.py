"""CSV and Parquet inputs, Parquet and GEXF exports, and DataFrames: what goes out reads back in."""

from __future__ import annotations

from xml.etree import ElementTree

from conftest import FIXTURES, run_cli

from storyline import frames
from storyline.model import Skipped
from storyline.pipeline import ingest, load_analysis
from storyline.readers import read_paths
from storyline.store import open_store
from storyline.views.tables import write_parquet

MEDIA_CLOUD = FIXTURES / "readers" / "mediacloud.csv"


def test_csv_reads_media_cloud_columns_and_skips_rows_without_text():
    results = list(read_paths([MEDIA_CLOUD]))
    docs = [r for r in results if not isinstance(r, Skipped)]
    skipped = [r for r in results if isinstance(r, Skipped)]
    assert [d.source.rsplit("#", 1)[1] for d in docs] == ["id=101", "id=102"]
    first = docs[0]
    assert (first.outlet, first.published, first.url, first.title, first.language, first.reader) == (
        "Harbor Times", "2024-05-02", "https://harbortimes.example/ferry", "Ferry service resumes", "en", "csv")
    assert first.text.endswith("Crews replaced a damaged propeller.")
    assert docs[1].title == 'Ferry back, with a "new" schedule'
    assert [(s.source.rsplit("#", 1)[1], s.reason.split(" (")[0]) for s in skipped] == [("row=3", "no text")]


def test_a_table_without_a_text_column_is_one_clear_line(tmp_path):
    table = tmp_path / "links.csv"
    table.write_text("media_name,url\nA,https://a.example/1\n", encoding="utf-8")
    (result,) = list(read_paths([table]))
    assert isinstance(result, Skipped) and result.source == str(table)
    assert result.reason.startswith("no text column (looked for: text, content")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    (result,) = list(read_paths([broken]))
    assert isinstance(result, Skipped) and result.reason.startswith("not a readable Parquet file")


def test_csv_in_parquet_out_and_back_in(tmp_path):
    with open_store(tmp_path / "one.db") as store:
        ingest(store, [MEDIA_CLOUD])
        analysis = load_analysis(store)
    write_parquet(analysis, tmp_path / "tables")
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "articles.parquet", "claims.parquet", "outlets.parquet", "relations.parquet", "stories.parquet",
        "timeline.parquet"]
    with open_store(tmp_path / "two.db") as store:
        report = ingest(store, [tmp_path / "tables" / "articles.parquet"])
        again = load_analysis(store)
    assert len(report.added) == 2 and not report.skipped

    def fields(articles):
        return sorted((a.title, a.outlet, a.published, a.url, a.language, a.text) for a in articles)

    assert fields(again.articles) == fields(analysis.articles)


def test_frames_and_gexf(tmp_path, capsys):
    db = tmp_path / "f.db"
    with open_store(db) as store:
        ingest(store, [MEDIA_CLOUD])
        tables = frames(store)
    assert list(tables.articles["outlet"]) == ["Harbor Times", "Valley Radio"]
    assert {"id", "source", "title", "published", "text", "url", "wire"} <= set(tables.articles.columns)
    assert tables.stories.empty and tables.claims.empty
    code, _, err = run_cli(capsys, "export", "--db", db, "--gexf", tmp_path / "g.gexf", "--parquet", tmp_path / "pq")
    assert code == 0, err
    root = ElementTree.parse(tmp_path / "g.gexf").getroot()
    ns = {"g": "http://gexf.net/1.3"}
    labels = sorted(n.get("label") for n in root.iterfind(".//g:node", ns))
    assert labels == sorted(["Ferry service resumes", 'Ferry back, with a "new" schedule', "Harbor Times", "Valley Radio"])
    assert [e.get("label") for e in root.iterfind(".//g:edge", ns)] == ["published by", "published by"]
    assert (tmp_path / "pq" / "articles.parquet").exists()


def test_csv_in_csv_out_and_back_in(tmp_path):
    from storyline.views.csv_export import write_csv

    with open_store(tmp_path / "one.db") as store:
        ingest(store, [MEDIA_CLOUD])
        analysis = load_analysis(store)
    write_csv(analysis, tmp_path / "csv")
    with open_store(tmp_path / "two.db") as store:
        report = ingest(store, [tmp_path / "csv" / "articles.csv"])
        again = load_analysis(store)
    assert len(report.added) == 2 and not report.skipped

    def fields(articles):
        return sorted((a.title, a.outlet, a.published, a.url, a.language, a.text) for a in articles)

    assert fields(again.articles) == fields(analysis.articles)


def test_an_empty_outlet_cell_stays_unknown(tmp_path):
    table = tmp_path / "mine.csv"
    table.write_text("id,source,outlet,text\n1,notes/a.txt,,Some words here.\n", encoding="utf-8")
    (doc,) = list(read_paths([table]))
    assert doc.outlet is None and doc.source == f"{table}#id=1"
