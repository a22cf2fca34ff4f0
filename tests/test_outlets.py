"""Outlets: the registry, the outlet map, wire copies counted once, coverage and blindspots."""

from __future__ import annotations

import json
import re

import pytest
from conftest import FIXTURES, REPO, run_cli

from storyline.model import Article, Relation
from storyline.outlets.coverage import (
    claim_blindspots,
    coverage_by_label,
    source_groups,
    sources_phrase,
    story_blindspots,
)
from storyline.outlets.registry import (
    Registry,
    RegistryError,
    label_names,
    labels_of,
    load_outlet_map,
    load_registry,
    parse_registry,
)
from storyline.outlets.wire import WireDetector
from storyline.readers import read_paths

OUTLETS = FIXTURES / "outlets"


def test_registry_csv_and_json_read_the_same_fields():
    csv_outlets = load_registry(REPO / "examples" / "outlets" / "registry.csv")
    json_outlets = load_registry(REPO / "examples" / "outlets" / "registry.json")
    times_csv = next(o for o in csv_outlets if o.name == "The Example Times")
    times_json = next(o for o in json_outlets if o.name == "The Example Times")
    assert times_csv.aliases == times_json.aliases == ("Example Times", "ET")
    assert times_csv.labels == times_json.labels == (("leaning", "your-label-here"),)
    assert times_csv.domains == ("example-times.example",) and times_csv.type == "newspaper"


def test_names_aliases_and_domains_resolve_to_one_outlet():
    registry = Registry.with_agencies(load_registry(OUTLETS / "registry.csv"))
    for given, url in (("Outlet A", None), ("the outlet a daily", None), ("OA", None), (None, "https://www.outlet-a.example/x"),
                       ("outlet-a.example", None), (None, "http://news.outlet-a.example/y")):
        assert registry.normalise(given, url) == "Outlet A"
    assert registry.normalise("Someone Else") == "Someone Else"
    assert registry.normalise(None) is None
    assert registry.normalise("Associated Press") == "AP"  # a shipped agency


@pytest.mark.parametrize("text, message", [
    ("aliases\nx\n", "needs a header row with a 'name' column"),
    ("[{\"aliases\": \"x\"}]", "outlet 1: an outlet needs a name"),
    ("name\nA\na\n", "listed twice"),
    ("{\"outlets\": 3}", "a JSON registry is a list"),
    ("[{\"name\": \"A\", \"labels\": [1]}]", "labels must be an object"),
])
def test_bad_registries_say_which_file_and_why(text, message):
    with pytest.raises(RegistryError, match=message) as error:
        parse_registry(text, "mine.csv")
    assert str(error.value).startswith("mine.csv: ")


def test_outlet_map_globs_and_domains():
    rules = load_outlet_map(OUTLETS / "seeds.map")
    assert rules.outlet_for("examples/seeds/003_b7d08a59d509908e.txt") == "Outlet D"
    assert rules.outlet_for("elsewhere/9.txt") is None
    domains = load_outlet_map(REPO / "examples" / "outlets" / "outlets.map")
    assert domains.outlet_for("feed.xml#entry=2", "https://www.epr.example/story") == "Example Public Radio"
    assert domains.outlet_for("news/times/a.txt") == "The Example Times"


def _articles(path):
    return [Article(id=Article.id_for(d.source), source=d.source, text=d.text, title=d.title, url=d.url,
                    outlet=d.outlet, published=d.published, byline=d.byline) for d in read_paths([path])]


def test_wire_signals_and_what_is_not_one():
    found = WireDetector(Registry.with_agencies()).detect_all(_articles(OUTLETS / "wire.jsonl"))
    by_id = {article_id.rsplit("=", 1)[-1]: credit for article_id, credit in
             ((a.source, found.get(a.id)) for a in _articles(OUTLETS / "wire.jsonl"))}
    assert (by_id["w1"].agency, by_id["w1"].signal, by_id["w1"].evidence) == ("AP", "dateline", "(AP) —")
    assert (by_id["w2"].agency, by_id["w2"].signal) == ("AP", "byline")
    assert by_id["w3"] is None  # quotes the agency and credits its photo: its own reporting
    assert (by_id["w4"].agency, by_id["w4"].signal) == ("Reuters", "dateline")  # a contribution note is no signal
    assert by_id["w5"] is None and by_id["w6"] is None  # joint credits: the station's own text
    assert (by_id["w7"].agency, by_id["w7"].signal, by_id["w7"].evidence) == ("AP", "credit", "© 2024 The Associated Press")


def test_wire_copies_count_once_and_copies_join_their_agency():
    credits = {"a": _credit("AP"), "c": _credit("AP"), "e": _credit("Reuters")}
    relations = [Relation("c", "d", "duplicate")]  # d is an unsigned copy of c
    groups = source_groups("abcdef", relations, credits)
    assert [(g.agency, g.articles) for g in groups] == [("AP", ["a", "c", "d"]), ("Reuters", ["e"]), (None, ["b"]),
                                                        (None, ["f"])]
    assert sources_phrase(5, groups[:1]) == "5 outlets, 1 source: AP"
    assert sources_phrase(4, groups, 1) == ("4 outlets (+1 article of unknown outlet), 4 sources: AP, Reuters "
                                            "and 2 others")


def _credit(agency):
    from storyline.outlets.wire import WireCredit
    return WireCredit(agency, "dateline", f"({agency}) —")


def test_coverage_blindspots_and_claim_sides():
    outlets = load_registry(OUTLETS / "registry.csv")
    by_name = {o.name: o for o in outlets}
    labels = {"a1": labels_of(by_name["Outlet A"]), "a2": labels_of(by_name["Outlet B"]),
              "a3": labels_of(by_name["Outlet B"]), "a4": labels_of(by_name["Outlet E"])}
    groups = source_groups(labels, [], {})
    coverage = coverage_by_label(list(labels), labels, groups, ["leaning"])
    assert [(v.value, v.articles, v.sources) for v in coverage[0].values] == [("left", 3, 3), ("right", 1, 1)]
    known = {"leaning": ["left", "center", "right"]}
    assert story_blindspots(coverage, known) == []
    only_left = {k: v for k, v in labels.items() if k != "a4"}
    spot = story_blindspots(coverage_by_label(list(only_left), only_left, groups, ["leaning"]), known)
    assert [(s.label, s.dominant, s.share, s.missing) for s in spot] == [("leaning", "left", 1.0, ["center", "right"])]
    outlet_of = {"a1": "Outlet A", "a2": "Outlet B", "a3": "Outlet B", "a4": "Outlet E"}
    sides = claim_blindspots(["a1", "a2"], list(labels), labels, outlet_of, 2, ["leaning"])
    assert [(s.label, s.only, s.omitted_by) for s in sides] == [("leaning", "left", ["right"])]
    # Two articles of one outlet are one outlet: not yet "one side carries it".
    assert claim_blindspots(["a2", "a3"], list(labels), labels, outlet_of, 1, ["leaning"]) == []
    assert label_names(outlets) == ["leaning", "country", "type", "owner"]


@pytest.fixture(scope="module")
def seeds_with_leanings(tmp_path_factory):
    """The sample story analysed with a (test-only) registry giving its five outlets a leaning."""
    folder = tmp_path_factory.mktemp("leanings")
    db, out, html = folder / "s.db", folder / "out.json", folder / "report.html"
    import sys

    from storyline.cli import main
    old = sys.argv
    sys.argv = ["storyline", "analyze", str(REPO / "examples" / "seeds"), "--db", str(db), "--json", str(out),
                "--html", str(html), "--registry", str(OUTLETS / "registry.csv"), "--outlet-map",
                str(OUTLETS / "seeds.map"), "--quiet"]
    try:
        with pytest.raises(SystemExit) as done:
            main()
    finally:
        sys.argv = old
    assert done.value.code == 0
    return db, json.loads(out.read_text(encoding="utf-8")), html.read_text(encoding="utf-8")


def test_sample_story_coverage_by_leaning(seeds_with_leanings):
    _, doc, _ = seeds_with_leanings
    assert sorted(a["outlet"] for a in doc["articles"]) == ["Outlet A", "Outlet B", "Outlet C", "Outlet D", "Outlet E"]
    story = max(doc["stories"], key=lambda s: len(s["articles"]))
    assert story["outlets"] == ["Outlet A", "Outlet B", "Outlet C", "Outlet D", "Outlet E"]
    leaning = next(c for c in story["coverage"] if c["label"] == "leaning")
    assert {v["value"]: v["articles"] for v in leaning["values"]} == {"left": 2, "center": 1, "right": 2}
    assert story["blindspots"] == [] or all(b["label"] != "leaning" for b in story["blindspots"])
    assert story["sources_summary"].startswith("5 outlets, ")
    leaning_of = {o.name: dict(o.labels)["leaning"] for o in load_registry(OUTLETS / "registry.csv")}
    one_side = [(c, b["only"]) for c in doc["claims"] for b in c["blindspots"] if b["label"] == "leaning" and b["only"]]
    assert one_side, "some claim is carried only by one side's outlets"
    for claim, side in one_side:
        assert len(claim["outlets"]) >= 2 and {leaning_of[o] for o in claim["outlets"]} == {side}
    assert {o["name"] for o in doc["outlets"]} >= {"Outlet A", "Outlet E"}


def test_stories_blindspot_filter_and_bad_registry(seeds_with_leanings, capsys, tmp_path):
    db, _, _ = seeds_with_leanings
    code, out, _ = run_cli(capsys, "stories", "--db", db, "--blindspot", "leaning", "--json")
    assert code == 0 and json.loads(out)["stories"] == []
    bad = tmp_path / "bad.csv"
    bad.write_text("aliases\nx\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "ingest", str(OUTLETS / "wire.jsonl"), "--db", tmp_path / "x.db", "--registry", bad)
    assert code == 2 and err.strip().splitlines()[-1].endswith(f"{bad}: a CSV registry needs a header row with a 'name' column")
    assert "Traceback" not in err


def test_story_and_search_json_and_the_coverage_section(seeds_with_leanings, capsys):
    db, doc, _ = seeds_with_leanings
    story = max(doc["stories"], key=lambda s: len(s["articles"]))
    code, out, _ = run_cli(capsys, "story", story["id"], "--db", db, "--json")
    assert code == 0
    mine = json.loads(out)
    assert [s["id"] for s in mine["stories"]] == [story["id"]] and len(mine["articles"]) == 5
    assert mine["stories"][0]["coverage"] == story["coverage"]
    code, out, _ = run_cli(capsys, "story", story["id"], "--db", db)
    assert code == 0 and "Sources: 5 outlets" in out and "Coverage by leaning:" in out
    # A claim one side alone carries is marked so (which claims make the ledger is the check-worthiness model's call).
    assert re.search(r"only (left|center|right) \(leaning\)", out)
    code, out, _ = run_cli(capsys, "search", "Bukele", "--db", db, "--json")
    hits = json.loads(out)["hits"]
    assert code == 0 and hits and all(h["story"] and h["outlet"].startswith("Outlet ") for h in hits)


def test_static_report_draws_the_pictures_and_marks_one_side_claims(seeds_with_leanings):
    _, doc, html = seeds_with_leanings
    for css in ("coverage-bar", "coverage-time", "provenance", "claims-matrix"):
        assert f'<svg class="chart {css}"' in html
    assert 'src="http' not in html and "url(http" not in html  # self-contained: nothing to fetch
    assert "Who covers it" in html and "5 outlets, " in html
    sides = {f"only {b['only']} ({b['label']})" for c in doc["claims"] for b in c["blindspots"] if b["only"]}
    assert sides and all(note in html for note in sides)


def test_web_story_page_shows_the_pictures(seeds_with_leanings):
    from starlette.testclient import TestClient

    from storyline.web import WebConfig, build_asgi

    db, doc, _ = seeds_with_leanings
    story = max(doc["stories"], key=lambda s: len(s["articles"]))
    with TestClient(build_asgi(WebConfig(db_path=str(db), read_only=True)), base_url="http://127.0.0.1") as client:
        page = client.get(f"/stories/{story['id']}")
        twin = client.get(f"/stories/{story['id']}.json").json()
    assert page.status_code == 200
    for css in ("coverage-bar", "coverage-time", "claims-matrix"):
        assert f'<svg class="chart {css}"' in page.text
    assert 'svg class="graph"' in page.text and "Who covers it" in page.text and 'class="side-only"' in page.text
    assert twin["story"]["coverage"] == story["coverage"] and twin["outlets"]


def test_web_edits_an_articles_outlet_only_when_uploads_are_allowed(seeds_with_leanings, tmp_path):
    import re
    import shutil

    from starlette.testclient import TestClient

    from storyline.store import open_store
    from storyline.web import WebConfig, build_asgi

    db, doc, _ = seeds_with_leanings
    copy = tmp_path / "edit.db"
    shutil.copy(db, copy)
    article = next(a for a in doc["articles"] if a["outlet"] == "Outlet C")
    with TestClient(build_asgi(WebConfig(db_path=str(copy), read_only=True)), base_url="http://127.0.0.1") as client:
        assert 'class="outlet-edit"' not in client.get(f"/articles/{article['id']}").text
        assert client.post(f"/articles/{article['id']}/outlet", data={"outlet": "x"}).status_code == 403
    config = WebConfig(db_path=str(copy), uploads_dir=str(tmp_path / "up"))
    with TestClient(build_asgi(config), base_url="http://127.0.0.1") as client:
        page = client.get(f"/articles/{article['id']}").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        assert client.post(f"/articles/{article['id']}/outlet", data={"outlet": "OA"}).status_code == 403  # no token
        done = client.post(f"/articles/{article['id']}/outlet?format=json", data={"outlet": " OA ", "csrf": csrf})
        assert done.status_code == 200 and done.json() == {"article": article["id"], "outlet": "Outlet A"}
        assert client.post("/articles/a-nothing/outlet", data={"outlet": "x", "csrf": csrf}).status_code == 404
    with open_store(copy) as store:
        assert store.articles(ids=[article["id"]])[0].outlet == "Outlet A"


def test_copies_of_a_signed_text_are_wire_copies_but_its_sources_are_not():
    from storyline.outlets.wire import WireCredit, propagate_copies

    credits = {"ap": WireCredit("AP", "dateline", "(AP) —")}
    relations = [Relation("ap", "copy", "duplicate"), Relation("copy", "cut", "excerpt"),
                 Relation("ap", "local", "rewrite", "b->a"),  # the agency rewrote a local outlet's report
                 Relation("ap", "redo", "rewrite", "a->b")]
    found = propagate_copies(credits, relations)
    assert {k: (v.agency, v.signal) for k, v in found.items()} == {
        "ap": ("AP", "dateline"), "copy": ("AP", "copy"), "cut": ("AP", "copy"), "redo": ("AP", "copy")}
    assert found["cut"].evidence == "excerpt of copy"


def test_a_filtered_export_keeps_the_registry(seeds_with_leanings, capsys, tmp_path):
    db, _, _ = seeds_with_leanings
    code, out, _ = run_cli(capsys, "export", "--db", db, "--json", "-", "--since", "2000")
    doc = json.loads(out)
    assert code == 0 and any(c["label"] == "leaning" for s in doc["stories"] for c in s["coverage"])


def test_two_outlets_printing_one_agency_text_are_one_source(tmp_path):
    from storyline import to_json
    from storyline.pipeline import Models, analyze, ingest, load_analysis
    from storyline import render_html
    from storyline.store import open_store

    with open_store(tmp_path / "w.db") as store:
        ingest(store, [OUTLETS / "wire.jsonl"])
        analyze(store, models=Models())
        analysis = load_analysis(store)
    doc = to_json(analysis)
    by_record = {a["source"].rsplit("=", 1)[1]: a for a in doc["articles"]}
    story = next(s for s in doc["stories"] if by_record["w1"]["id"] in s["articles"])
    assert by_record["w2"]["id"] in story["articles"]
    agency = next(g for g in story["source_groups"] if g["agency"] == "AP")
    assert {by_record["w1"]["id"], by_record["w2"]["id"]} <= set(agency["articles"])
    assert story["sources_summary"].split(": ", 1)[1].startswith("AP")
    shared = [c for c in doc["claims"] if {by_record["w1"]["id"], by_record["w2"]["id"]} <= set(c["articles"])]
    assert shared and all(c["sources_summary"] == "2 outlets, 1 source: AP" for c in shared)
    assert "2 outlets, 1 source: AP" in render_html(analysis)


def test_outlets_command_says_what_the_registry_knows(seeds_with_leanings, capsys):
    db, _, _ = seeds_with_leanings
    code, out, _ = run_cli(capsys, "outlets", "--db", db, "--json")
    rows = {row["outlet"]: row for row in json.loads(out)["outlets"]}
    assert code == 0 and set(rows) == {"Outlet A", "Outlet B", "Outlet C", "Outlet D", "Outlet E"}
    assert rows["Outlet D"]["labels"] == {"leaning": "right"} and rows["Outlet D"]["type"] == "state media"
