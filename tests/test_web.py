"""The web app in-process: every page's JSON twin, escaping of hostile articles, guards and uploads.

One store is analysed per module (the seeds plus two hostile articles); tests that write
work on a copy of it.
"""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from storyline import filter_analysis, to_json
from storyline.pipeline import Models, analyze, ingest, load_analysis
from storyline.store import open_store
from storyline.web import WebConfig, build_asgi
from storyline.web.security import safe_upload_name

from conftest import FIXTURES, SEEDS

HOSTILE = FIXTURES / "web" / "hostile.jsonl"
LEDGER_STATES = {"corroborated", "single-source", "contradicted", "omitted", None}


@pytest.fixture(scope="module")
def models() -> Models:
    return Models()


@pytest.fixture(scope="module")
def analysed_db(tmp_path_factory, models) -> Path:
    folder = tmp_path_factory.mktemp("web")
    inputs = folder / "inputs"
    shutil.copytree(SEEDS, inputs / "seeds")
    shutil.copy(HOSTILE, inputs / "hostile.jsonl")
    db = folder / "web.db"
    with open_store(db) as store:
        ingest(store, [inputs])
        analyze(store, models=models)
    return db


@pytest.fixture(scope="module")
def client(analysed_db) -> TestClient:
    app = build_asgi(WebConfig(db_path=str(analysed_db), read_only=True))
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def everything(analysed_db):
    with open_store(analysed_db, read_only=True) as store:
        return load_analysis(store)


def seed_story(everything):
    return max(everything.stories, key=lambda story: len(story.articles))


def hostile_ids(everything) -> list[str]:
    """The article with the javascript: URL and hostile outlet first, then its clean twin."""
    return [a.id for a in sorted((a for a in everything.articles if "hostile" in a.source), key=lambda a: a.source)]


# --- JSON twins ----------------------------------------------------------------------------


def test_stories_list_json_twin(client, everything):
    data = client.get("/stories.json").json()
    assert data["total"] == len(everything.stories)
    assert {s["id"] for s in data["stories"]} == {s.id for s in everything.stories}
    assert client.get("/stories?format=json").json() == data
    listed = {s["id"]: s for s in data["stories"]}
    story = seed_story(everything)
    assert listed[story.id]["articles"] == len(story.articles)
    assert listed[story.id]["independent_sources"] == story.independent_sources


@pytest.mark.parametrize("filters", [
    {"since": "2025-02"}, {"until": "2025-01-31"}, {"since": "2024", "until": "2024-03-05"}, {"outlets": ["coast courier"]},
    {"outlets": ["Nobody"]}, {"since": "2025-02-04", "until": "2025-02-04"},
])
def test_story_filters_mean_what_the_export_filter_means(client, everything, filters):
    params = {key: value for key, value in filters.items() if key != "outlets"}
    params["outlet"] = filters.get("outlets", [])
    listed = {s["id"] for s in client.get("/stories.json", params=params).json()["stories"]}
    expected = {s.id for s in filter_analysis(everything, **filters).stories}
    assert listed == expected


def test_full_text_search_and_language_filter(client, everything):
    data = client.get("/stories.json", params={"q": "dredging"}).json()
    assert data["total"] == 1
    assert data["stories"][0]["matches"], "the matching article and its snippet are listed"
    assert all(a in hostile_ids(everything) for a in (m["article"] for m in data["stories"][0]["matches"]))
    assert client.get("/stories.json", params={"language": "xx"}).json()["total"] == 0
    assert client.get("/stories.json", params={"q": 'unbalanced "quote'}).status_code == 200


def test_bad_date_is_a_clear_400(client):
    response = client.get("/stories.json", params={"since": "last week"})
    assert response.status_code == 400
    assert "ISO date" in response.json()["error"]


def test_downloads_are_the_registered_exporters_output(client, everything):
    response = client.get("/export/json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert 'filename="storyline.json"' in response.headers["content-disposition"]
    assert response.json() == to_json(everything)
    kept = filter_analysis(everything, since="2025-02")
    assert response.json() != to_json(kept) or kept.stories == everything.stories
    assert client.get("/export/json", params={"since": "2025-02"}).json() == to_json(kept)
    tables = client.get("/export/csv")
    assert tables.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(tables.content)) as archive:
        names = set(archive.namelist())
        assert "csv/articles.csv" in names and "csv/claims.csv" in names
        rows = archive.read("csv/stories.csv").decode("utf-8").splitlines()
    assert len(rows) == 1 + len(everything.stories)
    assert client.get("/export/graphml").content.startswith(b"<?xml")
    missing = client.get("/export/nothing")
    assert missing.status_code == 404 and "graphml" in missing.text
    assert client.get("/export/json", params={"since": "last week"}).status_code == 400


def test_story_json_is_the_exports_view_of_that_story(client, everything):
    story = seed_story(everything)
    data = client.get(f"/stories/{story.id}.json").json()
    doc = to_json(everything)
    assert data["schema"] == "storyline/1"
    assert data["story"] == next(s for s in doc["stories"] if s["id"] == story.id)
    assert data["claims"] == [c for c in doc["claims"] if c["story"] == story.id]
    assert data["timeline"] == [t for t in doc["timeline"] if t["story"] == story.id]
    assert data["relations"] == [r for r in doc["relations"] if r["story"] == story.id]
    assert len(data["independent_groups"]) == story.independent_sources
    assert {n["id"] for n in data["graph"]["nodes"]} == set(story.articles)
    assert len(data["graph"]["edges"]) == len([r for r in data["relations"] if r["kind"] != "related"])
    assert len(data["ledger"]["rows"]) + len(data["ledger"]["more_rows"]) == len(data["claims"])
    for row in data["ledger"]["rows"]:
        assert len(row["cells"]) == len(data["ledger"]["outlets"])
        assert set(row["cells"]) <= LEDGER_STATES
    assert data["entities"] and all(e["articles"] >= 1 for e in data["entities"])
    assert data["framing"]["rows"], "the seeds share claims across outlets"
    assert client.get(f"/stories/{story.id}", params={"format": "json"}).json() == data


def test_story_page_shows_graph_ledger_and_timeline(client, everything):
    story = seed_story(everything)
    html = client.get(f"/stories/{story.id}").text
    assert '<svg class="graph"' in html and "marker-end" in html
    assert 'id="ledger"' in html and 'class="cell ' in html
    assert 'id="timeline"' in html and html.count('<span class="date">') >= 1
    assert "/compare/" in html


def test_article_json_and_highlights(client, everything):
    story = seed_story(everything)
    related = {r.a for r in everything.relations if r.kind != "related"}
    article_id = sorted(related & set(story.articles))[0]
    data = client.get(f"/articles/{article_id}.json").json()
    assert data["article"]["id"] == article_id
    assert data["story"]["id"] == story.id
    assert data["relations"] and data["claims"]
    html = client.get(f"/articles/{article_id}").text
    assert 'class="passage' in html and f'href="/compare/{article_id}/' in html
    assert 'class="claim ' in html and 'id="claim-' in html


def test_compare_json_links_aligned_passages(client, everything):
    relation = max((r for r in everything.relations if r.passages), key=lambda r: len(r.passages))
    data = client.get(f"/compare/{relation.a}/{relation.b}.json").json()
    assert data["relation"]["kind"] == relation.kind
    assert len(data["passages"]) == len(relation.passages)
    for passage in data["passages"]:
        assert 0 <= passage["left"][0] < passage["left"][1] <= len(data["left"]["text"])
    flipped = client.get(f"/compare/{relation.b}/{relation.a}.json").json()
    assert flipped["passages"][0]["left"] == data["passages"][0]["right"]
    html = client.get(f"/compare/{relation.a}/{relation.b}").text
    assert 'id="left-0"' in html and 'id="right-0"' in html and 'href="#right-0"' in html


def test_entity_json_has_aliases_and_mentions(client, everything):
    entity = max(everything.entities, key=lambda e: len(e.aliases))
    data = client.get(f"/entities/{entity.id}.json").json()
    assert sorted(data["entity"]["aliases"]) == sorted(set(entity.aliases))
    assert data["total_mentions"] == len(entity.mentions)
    assert all(m["context"]["text"] == m["text"] for m in data["mentions"] if m["context"])
    assert entity.name in client.get(f"/entities/{entity.id}").text


def test_missing_things_are_404_in_both_forms(client):
    for url in ("/stories/s-nothing", "/articles/a-nothing", "/entities/n-nothing", "/compare/a-x/a-y"):
        assert client.get(url).status_code == 404
        assert client.get(url + ".json").json()["error"].startswith("no ")


def test_merged_story_id_redirects(analysed_db, tmp_path, everything):
    db = tmp_path / "copy.db"
    shutil.copy(analysed_db, db)
    story = seed_story(everything)
    with open_store(db) as store, store.transaction() as connection:
        connection.execute("INSERT INTO story_redirects VALUES ('s-old', ?)", (story.id,))
    with TestClient(build_asgi(WebConfig(db_path=str(db), read_only=True)), base_url="http://127.0.0.1") as c:
        response = c.get("/stories/s-old", follow_redirects=False)
        assert response.status_code == 301 and response.headers["location"] == f"/stories/{story.id}"
        assert c.get("/stories/s-old.json").json()["story"]["id"] == story.id


def test_story_page_cache_serves_until_the_store_changes(analysed_db, tmp_path, everything):
    db = tmp_path / "copy.db"
    shutil.copy(analysed_db, db)
    story = seed_story(everything)
    article_id = sorted(story.articles)[0]
    asgi = build_asgi(WebConfig(db_path=str(db), read_only=True))
    cache = asgi.app.state.page_cache
    with TestClient(asgi, base_url="http://127.0.0.1") as c:
        first = c.get(f"/stories/{story.id}")
        assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
        assert cache.size > 0
        again = c.get(f"/stories/{story.id}")
        assert again.text == first.text and again.headers["content-type"] == first.headers["content-type"]
        assert "content-security-policy" in again.headers, "a cached page still passes through the guards"
        assert c.get(f"/stories/{story.id}.json").json()["story"]["id"] == story.id
        # Another process (here: another connection) changes the store: the cached page is stale.
        with open_store(db) as writer, writer.transaction() as connection:
            connection.execute("UPDATE articles SET title = 'Retitled by a later run' WHERE id = ?", (article_id,))
        assert "Retitled by a later run" in c.get(f"/stories/{story.id}").text
        assert "Retitled by a later run" in c.get(f"/stories/{story.id}").text
        titles = {a["id"]: a["title"] for a in c.get(f"/stories/{story.id}.json").json()["articles"]}
        assert titles[article_id] == "Retitled by a later run"


def test_page_cache_is_bounded_in_bytes():
    from starlette.responses import Response

    from storyline.web.app import PageCache
    from storyline.web.jobs import Snapshot

    cache = PageCache(max_bytes=1000)
    now = Snapshot(built_at=1, current=1)
    for index in range(10):
        cache.put((f"/stories/{index}", ""), now, Response(b"x" * 200, media_type="text/html"))
    assert cache.size <= 1000
    assert cache.get(("/stories/0", ""), now) is None, "the least recently used page went first"
    assert cache.get(("/stories/9", ""), now).body == b"x" * 200
    assert cache.get(("/stories/9", ""), Snapshot(built_at=2, current=2)) is None, "a later store generation"


def test_templates_read_dict_keys_and_keep_dict_methods():
    from storyline.web.app import _environment

    template = _environment().from_string("{{ d.title }}|{{ d.get('title') }}|{{ d.get('absent', 'none') }}")
    assert template.render(d={"title": "<T>", "get": "a key named like a method"}) == "&lt;T&gt;|&lt;T&gt;|none"


# --- security --------------------------------------------------------------------------------


def test_hostile_article_text_is_escaped_everywhere(client, everything):
    first, second = hostile_ids(everything)
    story_id = next(s.id for s in everything.stories if first in s.articles)
    pages = [f"/articles/{first}", f"/articles/{second}", f"/compare/{first}/{second}", f"/stories/{story_id}",
             "/stories?q=dredging", "/stories"]
    pages += [f"/entities/{e.id}" for e in everything.entities if first in e.articles][:3]
    for url in pages:
        html = client.get(url).text
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html and " onerror=\"alert" not in html, url
        assert "<b onmouseover" not in html, url
        assert 'href="javascript:' not in html, url
        assert '" onerror="alert(4)' not in html, url
    article = client.get(f"/articles/{first}").text
    assert "&lt;script&gt;alert(" in article and "&lt;img src=x onerror=" in article
    assert 'rel="noopener noreferrer nofollow"' not in article, "a javascript: url is no link at all"
    assert 'href="https://example.org/harbour" rel="noopener noreferrer nofollow"' in client.get(f"/articles/{second}").text


def test_security_headers_and_no_remote_resources(client):
    response = client.get("/stories")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "http://" not in response.text.replace("http://127.0.0.1", "") and "https://" not in response.text
    assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 404


def test_foreign_host_header_is_refused_on_loopback(client):
    assert client.get("/stories", headers={"host": "evil.example:8000"}).status_code == 400
    assert client.get("/stories", headers={"host": "localhost:8000"}).status_code == 200


def test_static_files_cannot_escape_their_folder(client):
    for url in ("/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/%2e%2e/store.py"):
        response = client.get(url)
        assert response.status_code == 404 and "import" not in response.text


def test_request_bodies_are_bounded(client):
    assert client.post("/upload", content=b"x" * 10, headers={"content-length": str(1 << 40)}).status_code == 413
    assert client.request("GET", "/stories", content=b"x" * 200_000).status_code == 413


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "passwd"), ("..\\..\\win.ini", "win.ini"), (".hidden", "hidden"), ("a b/c d.txt", "c_d.txt"),
    ("", None), ("../..", None), ("ünïcode.txt", "unicode.txt"),
])
def test_upload_names_cannot_traverse(name, expected):
    assert safe_upload_name(name) == expected


def test_uploads_are_off_when_read_only_or_exposed_without_token(analysed_db, tmp_path):
    db = tmp_path / "copy.db"
    shutil.copy(analysed_db, db)
    cases = [WebConfig(db_path=str(db), read_only=True), WebConfig(db_path=str(db), host="0.0.0.0")]
    for config in cases:
        with TestClient(build_asgi(config), base_url="http://127.0.0.1") as c:
            assert c.get("/upload.json").json()["enabled"] is False
            response = c.post("/upload", files={"files": ("a.txt", b"text")})
            assert response.status_code == 403
    exposed = WebConfig(db_path=str(db), host="0.0.0.0", token="s3cret-token-0123456789")
    assert exposed.uploads_allowed


def test_upload_needs_form_token_and_access_token(analysed_db, tmp_path):
    db = tmp_path / "copy.db"
    shutil.copy(analysed_db, db)
    config = WebConfig(db_path=str(db), host="127.0.0.1", token="s3cret-token-0123456789")
    with TestClient(build_asgi(config), base_url="http://127.0.0.1") as c:
        page = c.get("/upload").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        files = {"files": ("a.txt", b"Some text about a harbour.")}
        assert c.post("/upload?format=json", files=files).status_code == 403
        assert c.post("/upload?format=json", files=files, data={"csrf": csrf}).status_code == 403
        assert c.post("/upload?format=json", files=files, data={"csrf": csrf, "token": "wrong"}).status_code == 403
        cross = c.post("/upload?format=json", files=files, data={"csrf": csrf, "token": config.token},
                       headers={"origin": "http://evil.example"})
        assert cross.status_code == 403


def test_upload_reads_analyses_and_reports_progress(analysed_db, tmp_path, models):
    db = tmp_path / "copy.db"
    shutil.copy(analysed_db, db)
    uploads = tmp_path / "uploads"
    config = WebConfig(db_path=str(db), uploads_dir=str(uploads), models=models)
    text = (FIXTURES / "web" / "hostile.jsonl").read_text(encoding="utf-8").splitlines()[0]
    with TestClient(build_asgi(config), base_url="http://127.0.0.1") as c:
        csrf = c.get("/upload").text.split('name="csrf" value="')[1].split('"')[0]
        response = c.post("/upload?format=json", data={"csrf": csrf},
                          files=[("files", ("../../../escape.jsonl", text.encode())),
                                 ("files", ("notes.txt", b"The lighthouse keeper retired on Friday after forty years."))])
        assert response.status_code == 202
        status_url = response.json()["status"]
        deadline = time.monotonic() + 120
        job = c.get(status_url).json()
        seen = {job["state"]}
        while job["state"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = c.get(status_url).json()
            seen.add(job["state"])
        assert job["state"] == "done", job
        assert job["progress"] == 1.0 and len(job["added"]) == 2
        assert sorted(p.name for p in uploads.iterdir()) == ["escape.jsonl", "notes.txt"]
        assert not (tmp_path.parent / "escape.jsonl").exists()
        found = c.get("/stories.json", params={"q": "lighthouse"}).json()
        assert found["total"] == 1, "the uploaded article is analysed into a story"
        assert "done" in c.get(status_url.removesuffix(".json")).text


def test_entity_index_migration_fills_from_existing_entities(analysed_db, tmp_path, everything):
    db = tmp_path / "old.db"
    shutil.copy(analysed_db, db)
    story = seed_story(everything)
    with open_store(db) as store:
        expected = store.entities_in(story.articles, limit=100)
        version = next(v for v, name, _ in store.migrations() if name == "entities indexed by article")
        with store.transaction() as connection:
            # As a store written before the index existed.
            connection.execute("DROP TABLE entity_articles")
            connection.execute("DROP TABLE entity_names")
            connection.execute("DELETE FROM schema_migrations WHERE version = ?", (version,))
    with open_store(db) as store:
        assert store.entities_in(story.articles, limit=100) == expected
    assert expected and {e.id for e in expected} == {
        e.id for e in everything.entities if set(e.articles) & set(story.articles)} or len(expected) == 100


def _upload_and_wait(c, files) -> dict:
    csrf = c.get("/upload").text.split('name="csrf" value="')[1].split('"')[0]
    response = c.post("/upload?format=json", data={"csrf": csrf}, files=files)
    assert response.status_code == 202
    status_url = response.json()["status"]
    deadline = time.monotonic() + 120
    job = c.get(status_url).json()
    while job["state"] not in ("done", "failed") and time.monotonic() < deadline:
        assert not (job["stage"] == "reading" and job["stage_done"] > job["stage_total"]), job
        time.sleep(0.1)
        job = c.get(status_url).json()
    return job


def test_upload_counts_files_and_drops_rejected_ones(analysed_db, tmp_path, models):
    """Issue 14, item 16: "reading 5/4" for a JSON Lines file of two records; rejected files were kept."""
    db = tmp_path / "copy.db"
    shutil.copy(analysed_db, db)
    uploads = tmp_path / "uploads"
    config = WebConfig(db_path=str(db), uploads_dir=str(uploads), models=models)
    two_records = (b'{"id": "1", "text": "The lighthouse keeper retired on Friday after forty years."}\n'
                   b'{"id": "2", "text": "A new ferry route opens between the islands next spring."}\n')
    with TestClient(build_asgi(config), base_url="http://127.0.0.1") as c:
        job = _upload_and_wait(c, [("files", ("two.jsonl", two_records)), ("files", ("blob.txt", b"\x00\x01" * 50))])
        assert job["state"] == "done", job
        assert job["stage_total"] >= 2 and len(job["added"]) == 2
        assert [p.name for p in uploads.iterdir()] == ["two.jsonl"]  # the rejected file is not kept
        job = _upload_and_wait(c, [("files", ("empty.txt", b"   ")), ("files", ("bin.txt", b"\x00" * 10))])
        assert job["state"] == "failed" and "none of the 2 file(s) could be read" in job["error"]
        page = c.get(f"/jobs/{job['id']}").text
        assert "none of the 2 file(s) could be read" in page and "See the stories" not in page
        assert [p.name for p in uploads.iterdir()] == ["two.jsonl"]
def test_story_ledger_filters_ranks_and_shows_origin_and_variants(client, everything):
    story = seed_story(everything)
    data = client.get(f"/stories/{story.id}.json").json()
    by_id = {claim["id"]: claim for claim in data["claims"]}
    rows = data["ledger"]["rows"] + data["ledger"]["more_rows"]
    assert len(data["ledger"]["rows"]) <= 10 and data["ledger"]["more_rows"]
    facts = [by_id[row["claim"]] for row in rows if not by_id[row["claim"]]["opinion"]]
    assert facts and facts[0]["checkworthiness"] > 0
    quotes = client.get(f"/stories/{story.id}.json?kind=quote").json()["ledger"]
    shown = quotes["rows"] + quotes["more_rows"]
    assert shown and {by_id[row["claim"]]["kind"] for row in shown} == {"quote"}
    assert quotes["shown"] == sum(1 for claim in data["claims"] if claim["kind"] == "quote")
    html = client.get(f"/stories/{story.id}").text
    assert 'class="ledger-filters"' in html and 'class="more-claims"' in html
    assert "as machine-translated" in html and "wrote it" in html
