"""The web app in real Chromium (Debian's ``chromium`` driven by Playwright): story list → story → article →
side by side, with screenshots saved to ``test-artifacts/``.

Skipped, with the reason, when no Chromium is installed (``make test`` installs it when run as root).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, SEEDS

CHROMIUM = os.environ.get("STORYLINE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no Chromium found (install Debian's `chromium`, or set STORYLINE_CHROMIUM): browser tests skipped",
                allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

import uvicorn  # noqa: E402

from storyline.pipeline import Models, analyze, ingest  # noqa: E402
from storyline.store import open_store  # noqa: E402
from storyline.web import WebConfig, build_asgi  # noqa: E402

ARTIFACTS = REPO / "test-artifacts"
# Without the networking switches Chromium keeps trying to reach Google's services.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    inputs = folder / "inputs"
    shutil.copytree(SEEDS, inputs / "seeds")
    shutil.copy(FIXTURES / "web" / "hostile.jsonl", inputs / "hostile.jsonl")
    db = folder / "browser.db"
    with open_store(db) as store:
        ingest(store, [inputs])
        analyze(store, models=Models())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(build_asgi(WebConfig(db_path=str(db), port=port)), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    # Nothing may be fetched from anywhere but the app itself.
    tab.on("request", lambda request: None if request.url.startswith(("http://127.0.0.1", "data:"))
           else problems.append(f"remote request: {request.url}"))
    tab.problems = problems
    yield tab
    context.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"web-{name}.png"
    page.screenshot(path=str(path))
    return path


def test_click_from_story_list_to_side_by_side(page, server_url):
    expect = playwright_api.expect
    page.goto(server_url + "/")
    expect(page.locator("h1")).to_contain_text("stories")
    story_links = page.locator("a.story-title")
    assert story_links.count() >= 2
    shot(page, "1-stories")

    # The seeds' story is the one with the most articles: five.
    seed_story = page.locator("ol.story-list li", has_text="5 articles").locator("a.story-title")
    title = seed_story.inner_text()
    seed_story.click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("svg.graph rect.node")).to_have_count(5)
    assert page.locator("svg.graph path.edge").count() >= 1
    assert page.locator("table.ledger tbody tr").count() >= 10
    assert page.locator("table.ledger td.cell.corroborated").count() >= 1
    assert page.locator("table.ledger td.cell.omitted").count() >= 1
    assert page.locator("ol.timeline li").count() >= 1
    assert page.locator("table.entities tbody tr").count() >= 5
    shot(page, "2-story")
    page.locator("#ledger").scroll_into_view_if_needed()
    shot(page, "2-story-ledger")

    # The first article in the graph that has a relation: click its box.
    source_edge = page.locator("svg.graph a.edge-link").first
    compare_href = source_edge.get_attribute("href")
    left_id = compare_href.split("/")[2]
    page.locator(f'svg.graph a.node-link[href="/articles/{left_id}"]').click()
    expect(page).to_have_url(f"{server_url}/articles/{left_id}")
    expect(page.locator(".article-text")).to_be_visible()
    assert page.locator(".article-text a.passage").count() >= 1
    assert page.locator(".article-text .claim").count() >= 1
    assert page.locator("ul.related li").count() >= 1
    shot(page, "3-article")

    page.locator("ul.related a.button").first.click()
    expect(page.locator(".side-by-side .pane")).to_have_count(2)
    assert "/compare/" in page.url
    left_passages = page.locator("#pane-left a.passage")
    right_passages = page.locator("#pane-right a.passage")
    assert left_passages.count() >= 1 and right_passages.count() >= 1
    left_passages.first.click()
    assert page.url.endswith("#right-0")
    expect(page.locator("#right-0")).to_be_attached()
    shot(page, "4-side-by-side")
    assert page.problems == []


def test_hostile_article_runs_nothing(page, server_url):
    page.goto(server_url + "/stories?q=dredging")
    page.locator("a.story-title").first.click()
    page.locator("svg.graph a.node-link").first.click()
    expect = playwright_api.expect
    expect(page.locator(".article-text")).to_contain_text("<script>alert('text')</script>")
    expect(page.locator("h1")).to_contain_text("<script>")
    assert page.locator(".article-text script, .article-text img, main a[href^='javascript:']").count() == 0
    shot(page, "5-hostile")
    assert page.problems == []
