"""The parts of storyline.follow one at a time: listings, the fetcher's pacing and limits, URL lists,
version changes, watches and sinks."""

from __future__ import annotations

import json

import httpx
import pytest

from follow_site import FIXTURES, SiteServer, news_sitemap, opml, rss, sitemap_index, sitemap_pages

from conftest import run_cli

from storyline import open_store
from storyline.follow import FetchError, Fetcher, FetchSettings, parse_listing, read_url_list
from storyline.follow import state
from storyline.follow.listings import ListingError
from storyline.follow.sinks import SinkError, deliver_pending, parse_sink
from storyline.follow.versions import compare_texts, version_changes
from storyline.follow.watches import Change, WatchFilter, current_changes, matches, new_changes
from storyline.model import Article, Claim, Event, Story
from storyline.cli.follow import parse_duration


# --- listings ---------------------------------------------------------------------------------


class _Base:
    base = "http://news.example"
    round = 3


def test_listings_recognise_feeds_sitemaps_and_opml():
    feed = parse_listing(rss(_Base())[0], "http://news.example/feed.rss")
    assert feed.kind == "feed" and feed.title == "Valley Times" and len(feed.entries) == 7
    assert feed.entries[0].url == "http://news.example/news/flood-valley.html"
    assert feed.entries[0].published == "2026-12-01"
    news = parse_listing(news_sitemap(_Base()))
    assert news.kind == "news-sitemap"
    assert news.entries[0].title == "City council approves budget" and news.entries[0].published == "2026-12-01"
    index = parse_listing(sitemap_index(_Base()))
    assert index.kind == "sitemap-index" and index.children == ["http://news.example/sitemap-pages.xml"]
    pages = parse_listing(sitemap_pages(_Base()))
    assert pages.kind == "sitemap" and pages.entries[0].listed_date == "2026-11-30"
    subscriptions = parse_listing(opml(_Base()).encode())
    assert subscriptions.kind == "opml"
    assert subscriptions.children == ["http://news.example/feed.rss", "http://news.example/feed.atom"]


@pytest.mark.parametrize("body", [b"", b"<html><body>hello</body></html>", b"just text"])
def test_listing_refuses_what_is_not_a_listing(body):
    with pytest.raises(ListingError):
        parse_listing(body)


def test_listing_ignores_entities_and_non_http_links():
    hostile = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&e;</loc></url>'
               b"<url><loc>javascript:alert(1)</loc></url><url><loc>https://ok.example/a</loc></url></urlset>")
    assert [entry.url for entry in parse_listing(hostile).entries] == ["https://ok.example/a"]


# --- the fetcher ------------------------------------------------------------------------------


class FakeClock:
    """Time that moves only when the fetcher sleeps (or a request 'takes' some)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def _fetcher(handler, clock: FakeClock, **settings) -> Fetcher:
    client = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False)
    return Fetcher(FetchSettings(**settings), client=client, clock=clock.clock, sleep=clock.sleep)


def test_fetcher_paces_each_host_and_honours_crawl_delay():
    clock = FakeClock()
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), clock.now))
        if request.url.path == "/robots.txt":
            delay = "Crawl-delay: 3\n" if request.url.host == "slow.example" else ""
            return httpx.Response(200, text=f"User-agent: *\n{delay}Disallow: /private/\n")
        return httpx.Response(200, text="<html><body>ok</body></html>", headers={"content-type": "text/html"})

    fetcher = _fetcher(handler, clock, per_host_interval=1.0)
    for url in ("http://a.example/1", "http://a.example/2", "http://b.example/1", "http://slow.example/1",
                "http://slow.example/2"):
        fetcher.get(url)
    times = dict(seen)
    assert times["http://a.example/2"] - times["http://a.example/1"] >= 1.0
    assert times["http://slow.example/2"] - times["http://slow.example/1"] >= 3.0
    assert times["http://b.example/robots.txt"] == times["http://a.example/2"]  # another host does not wait
    with pytest.raises(FetchError, match="robots.txt") as refused:
        fetcher.get("http://a.example/private/x")
    assert refused.value.permanent
    assert [url for url, _ in seen].count("http://a.example/robots.txt") == 1


def test_fetcher_retries_with_backoff_then_gives_up():
    clock = FakeClock()
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        attempts.append(clock.now)
        return httpx.Response(503)

    fetcher = _fetcher(handler, clock, retries=3, backoff=2.0, per_host_interval=0.0)
    with pytest.raises(FetchError, match="HTTP 503 after 4 attempts") as failed:
        fetcher.get("http://a.example/x")
    assert not failed.value.permanent
    assert [b - a for a, b in zip(attempts, attempts[1:])] == [2.0, 4.0, 8.0]


def test_fetcher_limits_size_redirects_and_schemes():
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/robots.txt":
            return httpx.Response(404)
        if path == "/big":
            return httpx.Response(200, content=b"x" * 5000)
        if path.startswith("/hop"):
            return httpx.Response(302, headers={"location": f"/hop{int(path[4:]) + 1}"})
        if path == "/gone":
            return httpx.Response(404)
        return httpx.Response(200, text="fine")

    fetcher = _fetcher(handler, clock, max_bytes=1000, max_redirects=3, per_host_interval=0.0)
    with pytest.raises(FetchError, match="too large"):
        fetcher.get("http://a.example/big")
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetcher.get("http://a.example/hop1")
    with pytest.raises(FetchError, match="HTTP 404") as gone:
        fetcher.get("http://a.example/gone")
    assert gone.value.permanent
    with pytest.raises(FetchError, match="only http and https"):
        fetcher.get("file:///etc/passwd")


def test_fetcher_sends_validators_and_reads_304():
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"etag": '"v1"'})
        return httpx.Response(200, text="feed", headers={"etag": '"v1"', "last-modified": "Tue, 01 Dec 2026 10:00:00 GMT"})

    fetcher = _fetcher(handler, clock, per_host_interval=0.0)
    first = fetcher.get("http://a.example/feed")
    assert first.etag == '"v1"' and first.last_modified and not first.not_modified
    assert fetcher.get("http://a.example/feed", etag=first.etag).not_modified


def test_unreachable_robots_txt_means_not_now():
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    fetcher = _fetcher(handler, clock, retries=0, per_host_interval=0.0)
    with pytest.raises(FetchError, match="robots.txt unreachable") as error:
        fetcher.get("http://a.example/x")
    assert not error.value.permanent


# --- URL lists --------------------------------------------------------------------------------


def test_url_lists_plain_and_media_cloud_csv():
    found, problems = read_url_list("https://a.example/1\n# comment\nnot a url\nhttp://b.example/2\n", "urls.txt")
    assert [url for url, _ in found] == ["https://a.example/1", "http://b.example/2"]
    assert problems == ["urls.txt line 3: not an http(s) URL: 'not a url'"]
    csv_text = (FIXTURES / "mediacloud.csv").read_text(encoding="utf-8")
    found, problems = read_url_list(csv_text, "mc.csv")
    assert found[0] == ("https://news.example/2026/12/01/floods.html",
                        {"outlet": "Harbor Gazette", "published": "2026-12-01", "title": "Floods in Port Avalon"})
    assert len(found) == 2 and len(problems) == 1 and "row 4" in problems[0]


# --- versions ---------------------------------------------------------------------------------


def test_version_change_names_the_changed_number_and_added_sentence():
    articles = json.loads((FIXTURES / "articles.json").read_text(encoding="utf-8"))
    before, after = (" ".join(articles[key]["text"]) for key in ("flood-v1", "flood-v2"))
    edits = compare_texts(before, after)
    assert edits[0].before.startswith("Floods killed 12") and edits[0].after.startswith("Floods killed 15")
    assert edits[-1].before is None and edits[-1].after.startswith("Correction:")
    [change] = version_changes([(1, "2026-12-01T10:00:00+00:00", before), (2, "2026-12-03T12:00:00+00:00", after)])
    assert change.version == 2 and change.date.startswith("2026-12-03")
    assert change.summary == "numbers changed: 12 → 15; 1 sentence reworded; 1 sentence added"
    assert version_changes([(1, "x", before)]) == []


# --- watches ----------------------------------------------------------------------------------


def _analysis():
    articles = {
        "a1": Article("a1", "u1", "t", outlet="Harbor Gazette"),
        "a2": Article("a2", "u2", "t", outlet="Northern Post", version=2),
    }
    story = Story("s1", "Floods", ["a1", "a2"], [Event("e1", "Rain", ["a1"]), Event("e2", "Toll", ["a2"])])
    claims = [Claim("c1", "s1", "12 dead", "number", None, ["a1", "a2"], "contradicted", 2),
              Claim("c2", "s1", "rain", "statement", None, ["a1", "a2"], "corroborated", 2)]
    countries = {"Harbor Gazette": "FR", "Northern Post": "US"}
    return current_changes([story], claims, articles, lambda a: {"country": countries[a.outlet]})


def test_a_new_story_hides_its_own_events_and_labels_but_later_ones_are_news():
    changes = _analysis()
    first = new_changes(changes, set())
    assert {c.kind for c in first} == {"new-story", "new-article", "new-contradiction", "corroborated"}
    seen = {c.key for c in changes if c.key not in {"event:e2", "label:s1:country=US", "article:a2@2"}}
    later = new_changes(changes, seen)
    assert [(c.kind, c.summary) for c in later] == [
        ("new-development", "new development: Toll"), ("new-article", "updated: u2"),
        ("new-country", "first coverage from country US")]
    assert new_changes(changes, {c.key for c in changes}) == []


def test_watch_filters_must_all_match():
    change = Change("k", "new-article", "s1", "Floods", ["a1"], "new article")
    lookups = dict(outlets=lambda ids: {"harbor gazette"}, entity_names=lambda ids: {"red cross", "clara mendes"},
                   phrase_hits=lambda phrase, ids: {"a1"} if phrase == "flood*" else set())
    assert matches(WatchFilter(), change, **lookups)
    assert matches(WatchFilter(entity="Red Cross", phrase="flood*", outlet="Harbor Gazette",
                               kinds=("new-article",)), change, **lookups)
    assert not matches(WatchFilter(kinds=("new-story",)), change, **lookups)
    assert not matches(WatchFilter(entity="UNICEF"), change, **lookups)
    assert not matches(WatchFilter(phrase="drought"), change, **lookups)
    assert not matches(WatchFilter(outlet="Valley Times"), change, **lookups)


# --- sinks ------------------------------------------------------------------------------------


def test_sink_strings():
    assert parse_sink("file:out/alerts.jsonl").target == "out/alerts.jsonl"
    assert parse_sink("alerts.jsonl").kind == "file"
    assert parse_sink("https://hooks.example/x").kind == "webhook"
    mail = parse_sink("smtp://mail.example:2525?from=a@example.org&to=b@example.org&to=c@example.org")
    assert mail.target == "mail.example:2525" and mail.options["to"] == ["b@example.org", "c@example.org"]
    for bad in ("smtp://mail.example", "ftp://x", "alerts.txt", "file:"):
        with pytest.raises(SinkError):
            parse_sink(bad)


def test_failed_delivery_is_kept_and_retried(tmp_path):
    with SiteServer() as server, open_store(tmp_path / "s.db") as store:
        watch = state.add_watch(store, "w", sinks=[server.site.base + "/missing-hook", f"file:{tmp_path}/a.jsonl"],
                                digest=True)
        alerts = [state.Alert(f"al-{n}", watch.id, "new-story", "s1", state.now_iso(), {"summary": f"n{n}"})
                  for n in range(3)]
        state.record_alerts(store, ["k"], alerts, {watch.id: watch.sinks})
        lines = []
        sent, failed = deliver_pending(store, log=lines.append)
        assert (sent, failed) == (1, 1)  # one digest to the file; the webhook answered 204 to POST /hook only
        digest = json.loads((tmp_path / "a.jsonl").read_text(encoding="utf-8"))
        assert digest["digest"] and digest["count"] == 3
        assert len(state.undelivered(store)) == 3
        assert deliver_pending(store) == (0, 1)


# --- small CLI pieces -------------------------------------------------------------------------


def test_durations():
    assert parse_duration("15m") == 900 and parse_duration("1h30m") == 5400 and parse_duration("90s") == 90
    import click

    for bad in ("", "15", "5s", "fortnight"):
        with pytest.raises(click.BadParameter):
            parse_duration(bad)


def test_cli_rejects_bad_sources_watches_and_url_files(tmp_path, capsys):
    db = tmp_path / "s.db"
    code, _, err = run_cli(capsys, "follow", "add", "--db", db, "ftp://x/feed")
    assert code == 1 and "not an http(s) URL" in err
    code, _, err = run_cli(capsys, "watch", "add", "w", "--db", db, "--on", "old-news", "--to", "a.jsonl")
    assert code == 2 and "unknown kind" in err
    code, _, err = run_cli(capsys, "watch", "add", "w", "--db", db, "--to", "ftp://x")
    assert code == 2 and "not a sink" in err
    code, _, err = run_cli(capsys, "fetch", "--db", db, "--urls", tmp_path / "missing.csv")
    assert code == 2 and "missing.csv" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "follow", "run", "--once", "--db", db)
    assert code == 2 and "no sources followed" in err
    code, _, err = run_cli(capsys, "follow", "run", "--every", "10s", "--db", db)
    assert code == 2 and "once a minute" in err
    code, out, _ = run_cli(capsys, "follow", "list", "--db", db)
    assert "no sources followed" in out


def test_follow_add_list_remove(tmp_path, capsys):
    db = tmp_path / "s.db"
    code, out, _ = run_cli(capsys, "follow", "add", "--db", db, "https://a.example/rss", "https://a.example/rss")
    assert code == 0 and "already following" in out
    code, out, _ = run_cli(capsys, "follow", "list", "--db", db, "--json")
    [source] = json.loads(out)
    assert source["url"] == "https://a.example/rss" and source["last_success"] is None
    assert run_cli(capsys, "follow", "remove", "--db", db, source["id"])[0] == 0
    assert run_cli(capsys, "follow", "remove", "--db", db, "https://a.example/rss")[0] == 1


def test_fetch_urls_from_a_media_cloud_csv(tmp_path, capsys):
    db = tmp_path / "s.db"
    with SiteServer() as server:
        base = server.site.base
        export = tmp_path / "mc.csv"
        export.write_text("id,publish_date,title,url,media_name\n"
                          f"1,2026-12-01 08:00:00,Budget,{base}/news/council.html,Metro Daily\n"
                          f"2,2026-11-30,Museum,{base}/pages/museum.html,Metro Daily\n"
                          f"3,2026-11-30,Secret,{base}/private/secret.html,Metro Daily\n", encoding="utf-8")
        code, _, err = run_cli(capsys, "fetch", "--db", db, "--urls", export, "--no-analyze",
                               "--per-host-interval", "0")
        assert code == 1 and "secret.html: disallowed by robots.txt" in err
        code, _, err = run_cli(capsys, "fetch", "--db", db, f"{base}/news/council.html", "--no-analyze")
        assert code == 0 and "0 new" in err  # already stored: not fetched again
        assert len(server.site.paths("/news/council.html")) == 1
    with open_store(db) as store:
        articles = {a.source.removeprefix(base): a for a in store.articles()}
    assert sorted(articles) == ["/news/council.html", "/pages/museum.html"]
    assert articles["/news/council.html"].outlet == "Metro Daily"


def test_readme_follows_a_list_of_feeds_in_two_commands(tmp_path):
    from conftest import REPO

    from storyline.cli import cli

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Follow the news as it happens", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split() for line in block.strip().splitlines()]
    assert [argv[:3] for argv in commands] == [["storyline", "follow", "add"], ["storyline", "follow", "run"]]
    for argv in commands:
        group = cli.get_command(None, argv[1])  # type: ignore[arg-type]
        command = group.get_command(None, argv[2])  # type: ignore[union-attr]
        command.make_context(argv[2], argv[3:])  # the options and arguments parse


def test_pages_are_fetched_one_host_at_a_time_in_turn():
    from storyline.follow.poller import interleave_hosts

    items = [state.Item(url, "s", None, None, None, 0, None, None) for url in
             ("http://a/1", "http://a/2", "http://a/3", "http://b/1", "http://c/1", "http://c/2")]
    assert [item.url for item in interleave_hosts(items)] == [
        "http://a/1", "http://b/1", "http://c/1", "http://a/2", "http://c/2", "http://a/3"]


def test_an_opml_file_followed_by_url_adds_its_feeds(tmp_path):
    from storyline.follow import FollowSettings, poll_once

    with SiteServer() as server, open_store(tmp_path / "s.db") as store:
        site = server.site
        state.add_source(store, site.base + "/feeds.opml")
        lines = []
        poll_once(store, FollowSettings(fetch=FetchSettings(per_host_interval=0), analyze=False), log=lines.append)
        assert any("feeds.opml: opml, 2 entries" in line for line in lines)
        assert sorted(source.url.removeprefix(site.base) for source in state.sources(store)) == [
            "/feed.atom", "/feed.rss", "/feeds.opml"]


def test_fetcher_caps_requests_in_flight_across_hosts():
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    lock = threading.Lock()
    in_flight = [0, 0]  # now, most

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
        time.sleep(0.02)  # hold the slot a moment so that others queue behind it
        with lock:
            in_flight[0] -= 1
        return httpx.Response(200, text="ok")

    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(FetchSettings(concurrency=2, per_host_interval=0.0), client=client)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: fetcher.get(f"http://host{n}.example/page"), range(8)))
    assert 1 <= in_flight[1] <= 2


def test_unattended_run_waits_for_sources_instead_of_exiting(tmp_path, capsys, monkeypatch):
    import storyline.cli.follow as follow_cli

    def stop(seconds):
        raise KeyboardInterrupt  # the first sleep between polls ends the test

    monkeypatch.setattr(follow_cli.time, "sleep", stop)
    code, _, err = run_cli(capsys, "follow", "run", "--every", "1m", "--db", tmp_path / "s.db")
    assert "poll skipped: no sources followed" in err and code == 130


def test_entry_urls_lose_tracking_tags_and_fragments():
    from storyline.follow.listings import canonical_url

    assert canonical_url("HTTPS://News.Example/a?id=3&utm_source=rss&utm_medium=feed#top") == "https://news.example/a?id=3"
    assert canonical_url("http://news.example") == "http://news.example/"


def test_watch_labels_come_from_the_outlet_registry_and_follow_labels_win(tmp_path):
    from storyline.follow import set_outlet_labels
    from storyline.follow.alerts import store_labels
    from storyline.model import Article, Outlet
    from storyline.store import open_store

    with open_store(tmp_path / "labels.db") as store:
        store.save_outlet_registry([
            Outlet(name="Harbor Gazette", aliases=("HG",), domains=("harbor.example",), country="FR",
                   labels=(("leaning", "left"),)),
        ])
        labels = store_labels(store)
        by_alias = Article(id="a1", source="a.txt", text="x", outlet="HG")
        by_domain = Article(id="a2", source="https://harbor.example/p", text="x", url="https://harbor.example/p")
        assert labels(by_alias) == {"country": "FR", "leaning": "left"}
        assert labels(by_domain)["country"] == "FR"
        set_outlet_labels(store, "HG", {"country": "BE"})
        assert store_labels(store)(by_alias) == {"country": "BE", "leaning": "left"}
