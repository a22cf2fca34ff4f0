"""Who covers what, in real Chromium at desktop and phone widths: the pictures are drawn, nothing
overflows the page sideways, and the screenshots (saved to ``test-artifacts/``) are checked.

The sample story is analysed with a test-only registry giving its five outlets a leaning
(``tests/fixtures/outlets``). Skipped, with the reason, when no Chromium is installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from storyline.outlets.registry import load_outlet_map, load_registry
from storyline.pipeline import Models, analyze, ingest, load_analysis
from storyline import render_html
from storyline.store import open_store
from storyline.web import WebConfig, build_asgi
from conftest import FIXTURES, REPO, SEEDS

CHROMIUM = os.environ.get("STORYLINE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no Chromium found (install Debian's `chromium`, or set STORYLINE_CHROMIUM): browser tests skipped",
                allow_module_level=True)

playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}

# Every table must fit the page, or sit in a box that scrolls sideways itself; the page never does.
_OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width + 1) {
    problems.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + width);
    const scrolled = e => { for (let a = e.parentElement; a; a = a.parentElement) { if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true; } return false; };
    const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > width + 1 && !scrolled(e));
    // Text wider than its box (a long unbreakable word) shows as a box whose content overflows it.
    for (const e of document.querySelectorAll('main section, main section > *')) {
      if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible') problems.push('  text overflows ' + e.tagName + '.' + e.getAttribute('class') + '#' + e.id);
    }
    for (const e of wide.slice(0, 3)) problems.push('  e.g. ' + e.tagName + '.' + e.getAttribute('class') + ' right ' + Math.round(e.getBoundingClientRect().right));
  }
  for (const element of document.querySelectorAll('table, svg.chart, figure.picture')) {
    const box = element.getBoundingClientRect();
    if (box.right <= width + 1) continue;
    let scroller = element, contained = false;
    while (scroller && scroller !== document.body) {
      const style = getComputedStyle(scroller);
      if (['auto', 'scroll'].includes(style.overflowX) && scroller.getBoundingClientRect().right <= width + 1) { contained = true; break; }
      scroller = scroller.parentElement;
    }
    if (!contained) problems.push(element.tagName + '.' + element.getAttribute('class') + ' overflows: right ' + Math.round(box.right) + ' > ' + width);
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def story_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("leanings-browser")
    shutil.copytree(SEEDS, folder / "seeds")
    db = folder / "browser.db"
    with open_store(db) as store:
        store.save_outlet_registry(load_registry(FIXTURES / "outlets" / "registry.csv"))
        ingest(store, [folder / "seeds"], outlet_map=load_outlet_map(FIXTURES / "outlets" / "seeds.map"))
        analyze(store, models=Models())
        analysis = load_analysis(store)
    story = max(analysis.stories, key=lambda s: len(s.articles))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_asgi(WebConfig(db_path=str(db), port=port)), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}", story.id, render_html(analysis)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _page(browser, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on("request", lambda request: None if request.url.startswith(("http://127.0.0.1", "data:", "about:"))
           else problems.append(f"remote request: {request.url}"))
    return context, tab, problems


def _checked_screenshot(tab, name: str, width: int) -> Path:
    """A full-page screenshot, checked: a PNG exactly as wide as the viewport (nothing pushed it wider),
    taller than the viewport's first screen for these long pages, and not one flat colour."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"web-outlets-{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    shot_width, shot_height = struct.unpack(">II", data[16:24])
    assert shot_width == width, f"{path.name}: {shot_width}px wide, viewport {width}px"
    assert shot_height > 800
    assert len(data) > 30_000, f"{path.name} looks blank ({len(data)} bytes)"
    return path


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_story_page_pictures_fit_at_each_width(browser, story_server, device):
    url, story_id, _ = story_server
    context, tab, problems = _page(browser, WIDTHS[device])
    try:
        tab.goto(f"{url}/stories/{story_id}")
        expect = playwright_api.expect
        expect(tab.locator("#who-covers .sources-summary")).to_contain_text("5 outlets")
        for css in ("coverage-bar", "coverage-time", "claims-matrix"):
            expect(tab.locator(f"svg.chart.{css}")).to_be_visible()
        assert tab.locator("svg.chart.coverage-bar rect.segment").count() >= 3  # left, center, right at least
        assert tab.locator("svg.graph rect.node").count() == 5
        assert tab.locator("table.ledger .side-only").count() >= 1
        overflow = tab.evaluate(_OVERFLOW_JS)
        assert overflow == [], "\n".join(overflow)
        _checked_screenshot(tab, f"story-{device}", WIDTHS[device][0])
        tab.locator("#who-covers").screenshot(path=str(ARTIFACTS / f"web-outlets-who-covers-{device}.png"))
        assert problems == []
    finally:
        context.close()


@pytest.mark.parametrize("device", sorted(WIDTHS))
def test_static_report_pictures_fit_at_each_width(browser, story_server, device):
    _, _, html = story_server
    context, tab, problems = _page(browser, WIDTHS[device])
    try:
        tab.set_content(html)
        for css in ("coverage-bar", "coverage-time", "provenance", "claims-matrix"):
            assert tab.locator(f"svg.chart.{css}").count() >= 1
        assert tab.locator("svg.chart.provenance rect.node").count() >= 5
        assert tab.locator(".badge.side").count() >= 1
        overflow = tab.evaluate(_OVERFLOW_JS)
        assert overflow == [], "\n".join(overflow)
        _checked_screenshot(tab, f"report-{device}", WIDTHS[device][0])
        assert problems == []
    finally:
        context.close()
