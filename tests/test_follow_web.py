"""The follow pages of the web app in-process: what's new, alerts, watches, and a story's dated updates."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from starlette.testclient import TestClient

from follow_site import ARTICLES, shared_models

from storyline.follow import add_watch, detect_alerts, set_outlet_labels
from storyline.readers.metadata import complete_metadata
from storyline.model import RawDocument
from storyline.pipeline import analyze
from storyline.store import open_store
from storyline.web import WebConfig, build_asgi

BASE = "https://news.example"


def _document(key: str, path: str) -> RawDocument:
    article = ARTICLES[key]
    return complete_metadata(RawDocument(source=BASE + path, text="\n".join(article["text"]), title=article["title"],
                                         url=BASE + path, outlet=article["outlet"], published=article["published"]))


@pytest.fixture(scope="module")
def followed_db(tmp_path_factory):
    """A store as two polls leave it: three articles, then a new one and a corrected version."""
    db = tmp_path_factory.mktemp("follow-web") / "news.db"
    models = shared_models()
    with open_store(db) as store:
        for outlet, country in (("Harbor Gazette", "FR"), ("Valley Times", "FR"), ("Northern Post", "US")):
            set_outlet_labels(store, outlet, {"country": country})
        add_watch(store, "abroad", kinds=["new-country"], sinks=["file:/dev/null"])
        add_watch(store, "red cross", entity="Red Cross", kinds=["new-article"], sinks=["file:/dev/null"])
        add_watch(store, "north", outlet="northern post", sinks=["file:/dev/null"])
        for key, path in (("flood-v1", "/flood"), ("flood-valley", "/valley"), ("council", "/council")):
            store.ingest(_document(key, path))
        analyze(store, models=models)
        detect_alerts(store)
        between = datetime.now(timezone.utc).isoformat(timespec="seconds")
        store.db.execute("UPDATE articles SET added_at = '2026-01-01T00:00:00+00:00',"
                         " updated_at = '2026-01-01T00:00:00+00:00'")
        for key, path in (("flood-v2", "/flood"), ("flood-north", "/north")):
            store.ingest(_document(key, path))
        analyze(store, models=models)
        detect_alerts(store)
    return db, between


@pytest.fixture(scope="module")
def client(followed_db):
    db, _ = followed_db
    with TestClient(build_asgi(WebConfig(db_path=str(db))), base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_whats_new_lists_active_stories_first_with_new_articles_marked(client, followed_db):
    _, between = followed_db
    page = client.get("/new.json", params={"since": between}).json()
    assert page["basis"] == "chosen time"
    [story] = page["stories"]  # the council story has nothing new
    assert story["new_articles"] == 2
    marks = {article["title"]: article["mark"] for article in story["articles"]}
    assert marks[ARTICLES["flood-north"]["title"]] == "new"
    assert marks[ARTICLES["flood-v2"]["title"]] == "updated"
    assert marks[ARTICLES["flood-valley"]["title"]] is None
    html = client.get("/new", params={"since": between}).text
    assert 'class="status corroborated">new<' in html and ">updated<" in html
    assert client.get("/new.json", params={"since": "yesterday"}).status_code == 400


def test_whats_new_since_the_last_visit_uses_a_cookie(client):
    first = client.get("/new.json")
    assert first.json()["basis"] in ("the last 24 hours", "your last visit")
    assert "storyline_last_visit" in first.cookies or "storyline_last_visit" in client.cookies
    second = client.get("/new.json").json()
    assert second["basis"] == "your last visit"
    assert second["since"] >= datetime.now(timezone.utc).isoformat(timespec="seconds")[:16]  # this visit, not 24h ago


def test_story_page_shows_the_correction_as_a_dated_entry(client, followed_db):
    stories = client.get("/stories.json").json()["stories"]
    flood = next(story for story in stories if "Avalon" in (story["title"] or ""))
    data = client.get(f"/stories/{flood['id']}.json").json()
    [update] = data["updates"]
    assert update["version"] == 2 and "12 → 15" in update["summary"]
    assert update["date"][:4] == str(datetime.now(timezone.utc).year)
    html = client.get(f"/stories/{flood['id']}").text
    assert 'id="updates"' in html and "12 → 15" in html and "<ins>Correction:" in html


def test_alerts_page_lists_what_each_watch_caught(client):
    alerts = client.get("/alerts.json").json()["alerts"]
    by_watch: dict[str, list[str]] = {}
    for alert in alerts:
        by_watch.setdefault(alert["watch_name"], []).append(alert["summary"])
    assert by_watch["abroad"] == ["first coverage from country US"]
    # The entity is named in every flood article: the first poll's two, then the new one and the new version.
    assert sorted(by_watch["red cross"]) == sorted([
        f"new article: {ARTICLES['flood-v1']['title']}", f"new article: {ARTICLES['flood-valley']['title']}",
        f"new article: {ARTICLES['flood-north']['title']}", f"updated: {ARTICLES['flood-v2']['title']}"])
    # Outlet, any kind: its article, its story's new country, and whatever its article changed in claims.
    assert f"new article: {ARTICLES['flood-north']['title']}" in by_watch["north"]
    assert "first coverage from country US" in by_watch["north"]
    assert "first coverage from country US" in client.get("/alerts").text


def test_watches_are_managed_with_the_form_token(client):
    html = client.get("/watches").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    refused = client.post("/watches?format=json", data={"name": "x", "sinks": "a.jsonl", "csrf": "wrong"})
    assert refused.status_code == 403
    bad = client.post("/watches?format=json", data={"name": "x", "sinks": "ftp://x", "csrf": csrf})
    assert bad.status_code == 400 and "not a sink" in bad.json()["error"]
    made = client.post("/watches?format=json", data={"name": "floods", "phrase": "flood", "kinds": ["new-story"],
                                                      "sinks": "file:alerts.jsonl\nhttps://hooks.example/x",
                                                      "csrf": csrf})
    assert made.status_code == 201
    watch = made.json()["watch"]
    assert watch["sinks"] == ["file:alerts.jsonl", "https://hooks.example/x"] and watch["kinds"] == ["new-story"]
    names = [w["name"] for w in client.get("/watches.json").json()["watches"]]
    assert {"abroad", "red cross", "north", "floods"} == set(names)
    assert client.post(f"/watches/{watch['id']}/delete?format=json", data={"csrf": csrf}).status_code == 200
    assert "floods" not in [w["name"] for w in client.get("/watches.json").json()["watches"]]


def test_read_only_server_shows_watches_but_refuses_changes(followed_db):
    db, _ = followed_db
    with TestClient(build_asgi(WebConfig(db_path=str(db), read_only=True)), base_url="http://127.0.0.1") as c:
        page = c.get("/watches.json").json()
        assert page["editable"] is False and "read-only" in page["reason"]
        assert "cannot be changed here" in c.get("/watches").text
        assert c.post("/watches?format=json", data={"name": "x", "sinks": "a.jsonl"}).status_code == 403


def test_cli_story_shows_the_update_too(followed_db, client, capsys):
    from conftest import run_cli

    db, _ = followed_db
    stories = client.get("/stories.json").json()["stories"]
    flood = next(story for story in stories if "Avalon" in (story["title"] or ""))
    code, out, _ = run_cli(capsys, "story", flood["id"], "--db", db)
    assert code == 0
    assert "(version 2): numbers changed: 12 → 15" in out
