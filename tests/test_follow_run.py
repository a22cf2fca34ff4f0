"""`storyline follow run --once`, five times against a local news site: what is stored, skipped and alerted.

The site (tests/follow_site.py) changes between polls: round 3 adds an entry to the RSS feed and
updates an article (its Atom entry is re-dated; the death toll goes from 12 to 15). Alerts go to
a JSON Lines file, a webhook on the local site and an SMTP server (aiosmtpd) on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from follow_site import SiteServer, shared_models

from conftest import REPO, run_cli

from storyline import open_store
from storyline.follow import state
from storyline.follow.versions import version_changes
from storyline.pipeline import Models

FETCH = ["--timeout", "0.5", "--retries", "1", "--backoff", "0", "--per-host-interval", "0.05", "--max-mb", "0.2"]
SOURCES = ["/feed.rss", "/feed.atom", "/news-sitemap.xml", "/sitemap.xml", "/broken-feed.xml"]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001 - aiosmtpd's handler protocol
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture(scope="module")
def models() -> Models:
    return shared_models()


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def site():
    with SiteServer() as server:
        yield server.site


def test_five_runs_store_each_entry_once_version_the_update_and_alert(tmp_path, site, mailbox, models, capsys,
                                                                      monkeypatch):
    box, smtp_port = mailbox
    monkeypatch.setattr("storyline.cli.follow.make_models", lambda embedder: models)
    db = tmp_path / "news.db"
    alerts_file = tmp_path / "alerts.jsonl"
    opml = tmp_path / "feeds.opml"
    from follow_site import opml as opml_text

    opml.write_text(opml_text(site), encoding="utf-8")

    # Sources: an OPML file (RSS + Atom), a news sitemap, a sitemap index, and a feed that always fails.
    code, out, err = run_cli(capsys, "follow", "add", "--db", db, opml,
                             *(site.base + path for path in SOURCES[2:]))
    assert code == 0, err
    assert out.count("following") == 5
    for outlet, country in (("Harbor Gazette", "FR"), ("Valley Times", "FR"), ("Northern Post", "US")):
        assert run_cli(capsys, "follow", "label", "--db", db, outlet, f"country={country}")[0] == 0
    watches = [
        ("stories", "--on", "new-story", "--to", f"file:{alerts_file}"),
        ("floods", "--phrase", "flood*", "--on", "new-article", "--to", site.base + "/hook"),
        ("abroad", "--on", "new-country", "--digest", "--to",
         f"smtp://127.0.0.1:{smtp_port}?from=bot@example.org&to=desk@example.org"),
    ]
    for name, *options in watches:
        code, _, err = run_cli(capsys, "watch", "add", name, "--db", db, *options)
        assert code == 0, err

    logs, file_lines, hooks, mails = [], [], [], []
    for round_number in range(1, 6):
        site.round = round_number
        code, out, err = run_cli(capsys, "follow", "run", "--once", "--db", db, *FETCH)
        assert code == 0, err
        logs.append(err)
        file_lines.append(len(alerts_file.read_text(encoding="utf-8").splitlines()) if alerts_file.exists() else 0)
        hooks.append(len(site.hooks))
        mails.append(len(box.messages))

    # One log line per source per poll, the failing one included, and every run finishes.
    for log in logs:
        polls = [line for line in log.splitlines() if " poll " in line]
        assert len(polls) == 5
        assert any("broken-feed.xml: error: HTTP 500" in line for line in polls)
        assert " run: " in log
    assert "feed.rss: not modified (304)" in logs[1] and "feed.atom: not modified (304)" in logs[1]

    # Stored: every new entry exactly once; the updated article as version 2 of the same article.
    with open_store(db) as store:
        articles = {article.source.removeprefix(site.base): article for article in store.articles()}
        assert sorted(articles) == ["/news/council.html", "/news/flood-north.html", "/news/flood-valley.html",
                                    "/news/flood.html", "/pages/museum.html"]
        flood = articles["/news/flood.html"]
        assert flood.version == 2 and "15 people" in flood.text
        changes = version_changes(store.versions(flood.id))
        assert len(changes) == 1 and "12 → 15" in changes[0].summary
        items = {url.removeprefix(site.base): item for url, item in state.item_states(store).items()}
        listed = {source.url.removeprefix(site.base): source for source in state.sources(store)}
    # Skipped with a reason each: robots.txt, too large, a redirect loop; retried then given up: slow, 500.
    assert items["/private/secret.html"] == ("skipped", "disallowed by robots.txt")
    assert items["/news/huge.html"][1].startswith("response too large")
    assert items["/news/loop.html"][1].startswith("redirect loop")
    assert items["/news/slow.html"] == ("skipped", "timed out after 0.5s")
    assert items["/news/broken.html"] == ("skipped", "HTTP 500 after 2 attempts")
    assert listed["/broken-feed.xml"].last_error == "HTTP 500 after 2 attempts"
    assert listed["/broken-feed.xml"].last_success is None
    assert listed["/feed.rss"].last_success and listed["/feed.rss"].items_seen == 7
    for reason in ("disallowed by robots.txt", "response too large", "redirect loop", "timed out", "HTTP 500"):
        assert reason in logs[0]

    # Politeness, as the site saw it.
    assert not site.paths("/private/secret.html"), "robots.txt disallows it"
    assert len(site.paths("/news/flood-valley.html")) == 1 and len(site.paths("/news/flood.html")) == 2
    assert len(site.paths("/news/slow.html")) == 2 * 3 and len(site.paths("/news/broken.html")) == 2 * 3
    assert len(site.paths("/robots.txt")) == 5  # once per run and host
    rss_polls = site.paths("/feed.rss")
    assert [r.status for r in rss_polls] == [200, 304, 200, 304, 304]
    assert rss_polls[1].headers["if-none-match"] == '"rss-v1"'
    assert [r.status for r in site.paths("/feed.atom")] == [200, 304, 200, 304, 304]
    assert all("storyline/" in r.headers["user-agent"] for r in site.requests if r.method == "GET")
    # One request at a time to the host, each starting at least --per-host-interval after the last ended
    # (the slow and huge responses are left out: the server goes on with them after the client gave up).
    polite = sorted((r for r in site.requests if r.method == "GET" and r.path not in ("/news/slow.html",
                                                                                      "/news/huge.html")),
                    key=lambda r: r.started)
    for earlier, later in zip(polite, polite[1:]):
        if later.path == "/robots.txt":
            # A run's first request: the five runs here follow each other at once, where real runs are
            # --every apart; the interval holds within a run (a run reads robots.txt once per host).
            continue
        # The client waits 0.05 s after it has read a response; the server saw the response end a
        # moment before that, so its gap is at least the interval (less a little thread-switch slack).
        assert later.started - earlier.ended >= 0.04, (earlier.path, later.path)

    # Alerts: new stories to the file in run 1 only; flood articles to the webhook in runs 1 and 3
    # (the new one and the new version); coverage from a new country by e-mail, one digest, in run 3.
    assert file_lines[0] >= 3 and file_lines == [file_lines[0]] * 5
    stories_alerted = [json.loads(line) for line in alerts_file.read_text(encoding="utf-8").splitlines()]
    assert {alert["kind"] for alert in stories_alerted} == {"new-story"}
    assert hooks == [2, 2, 4, 4, 4]
    assert {hook["detail"]["version"] for hook in site.hooks[2:]} == {"1", "2"}
    assert all(hook["kind"] == "new-article" and hook["watch_name"] == "floods" for hook in site.hooks)
    assert mails == [0, 0, 1, 1, 1]
    assert "country US" in box.messages[0] and "desk@example.org" in box.messages[0]

    code, out, _ = run_cli(capsys, "alerts", "--db", db, "--json")
    assert code == 0 and len(json.loads(out)) == file_lines[0] + 4 + 1
    code, out, _ = run_cli(capsys, "follow", "list", "--db", db)
    assert "last error HTTP 500 after 2 attempts" in out


def test_max_articles_per_day_defers_the_rest(tmp_path, site, capsys):
    db = tmp_path / "news.db"
    assert run_cli(capsys, "follow", "add", "--db", db, site.base + "/sitemap.xml", site.base + "/news-sitemap.xml")[0] == 0
    code, _, err = run_cli(capsys, "follow", "run", "--once", "--no-analyze", "--max-articles-per-day", "1",
                           "--db", db, *FETCH)
    assert code == 0, err
    assert "1 page(s) left for tomorrow" in err
    with open_store(db) as store:
        assert store.article_count() == 1
        assert sorted(s for s, _ in state.item_states(store).values()) == ["pending", "stored"]
    code, _, err = run_cli(capsys, "follow", "run", "--once", "--no-analyze", "--max-articles-per-day", "1",
                           "--db", db, *FETCH)
    assert "1 page(s) left for tomorrow" in err  # today's one is spent
    with open_store(db) as store:
        assert store.article_count() == 1


def test_interrupted_run_loses_nothing_and_the_next_resumes(tmp_path, site, capsys, monkeypatch):
    db = tmp_path / "news.db"
    assert run_cli(capsys, "follow", "add", "--db", db, site.base + "/feed.rss")[0] == 0
    from storyline.follow import poller

    real = poller.fetch_page
    calls = []

    def interrupted(fetcher, url, *args):
        calls.append(url)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the page fetches
        return real(fetcher, url, *args)

    monkeypatch.setattr(poller, "fetch_page", interrupted)
    code, _, err = run_cli(capsys, "follow", "run", "--once", "--no-analyze", "--db", db,
                           "--concurrency", "1", *FETCH)
    assert code == 130 and "next run resumes" in err
    monkeypatch.setattr(poller, "fetch_page", real)
    with open_store(db) as store:
        pending_after_stop = [url for url, (s, _) in state.item_states(store).items() if s == "pending"]
        assert pending_after_stop, "the listing was recorded before the stop"
    site.round = 2  # the feed now answers 304: the pending items must still be fetched
    code, _, err = run_cli(capsys, "follow", "run", "--once", "--no-analyze", "--db", db, *FETCH)
    assert "not modified (304)" in err
    with open_store(db) as store:
        assert [a.source.removeprefix(site.base) for a in store.articles()] == ["/news/flood-valley.html"]
        assert store.db.execute("SELECT count(*) FROM article_versions").fetchone()[0] == 1


def test_kill_9_during_a_run_leaves_a_store_the_next_run_finishes(tmp_path, site, capsys):
    db = tmp_path / "news.db"
    assert run_cli(capsys, "follow", "add", "--db", db, site.base + "/feed.rss", site.base + "/news-sitemap.xml")[0] == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "storyline.cli", "follow", "run", "--once", "--no-analyze", "--db", str(db),
         "--concurrency", "1", "--timeout", "5", "--retries", "0", "--per-host-interval", "0.05",
         "--max-mb", "0.2"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # at most a minute: until the run is waiting on the slow page
            if site.paths("/news/slow.html") or process.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        process.kill()
        process.wait()
    assert site.paths("/news/slow.html"), "the run reached the slow page before it was killed"
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    code, _, err = run_cli(capsys, "follow", "run", "--once", "--no-analyze", "--db", db, *FETCH)
    with open_store(db) as store:
        sources = sorted(a.source.removeprefix(site.base) for a in store.articles())
        assert sources == ["/news/council.html", "/news/flood-valley.html"]
        assert store.db.execute("SELECT count(*) FROM article_versions").fetchone()[0] == 2
        assert all(s != "pending" or "slow" in url or "broken" in url
                   for url, (s, _) in state.item_states(store).items())
