"""A news site on 127.0.0.1 for the follow tests: feeds, sitemaps, pages that change between polls,
and hostile responses (304, 500, slow, huge, a redirect loop, a robots.txt disallow), plus a webhook
endpoint. ``site.round`` says which poll the site is serving; every request is logged.

Each handler answers once and returns: nothing loops, and the server stops with the test.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from typing import Optional

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "follow"
ARTICLES = json.loads((FIXTURES / "articles.json").read_text(encoding="utf-8"))
PAGE = Template((FIXTURES / "page.html.tmpl").read_text(encoding="utf-8"))
SLOW_SECONDS = 1.0
HUGE_BYTES = 400_000


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    status: int
    started: float
    ended: float = 0.0


@dataclass
class Site:
    round: int = 1
    requests: list[Request] = field(default_factory=list)
    hooks: list[dict] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""

    def paths(self, path: str, status: Optional[int] = None) -> list[Request]:
        return [r for r in self.requests if r.path == path and r.method == "GET" and (status is None or r.status == status)]


def page(key: str) -> bytes:
    article = ARTICLES[key]
    paragraphs = "\n".join(f"<p>{text}</p>" for text in article["text"])
    return PAGE.substitute(title=article["title"], outlet=article["outlet"], author=article["author"],
                           published=article["published"], paragraphs=paragraphs).encode("utf-8")


def rss(site: Site) -> tuple[bytes, str]:
    items = ["/news/flood-valley.html", "/private/secret.html", "/news/slow.html", "/news/huge.html",
             "/news/loop.html", "/news/broken.html"]
    if site.round >= 3:
        items.append("/news/flood-north.html")
    body = "".join(f"<item><title>{name}</title><link>{site.base}{name}</link>"
                   f"<guid>{site.base}{name}</guid><pubDate>Tue, 01 Dec 2026 09:00:00 GMT</pubDate>"
                   f"<description>{name}</description></item>" for name in items)
    xml = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Valley Times</title>'
           f"<link>{site.base}/</link><description>news</description>{body}</channel></rss>")
    return xml.encode("utf-8"), '"rss-v2"' if site.round >= 3 else '"rss-v1"'


def atom(site: Site) -> tuple[bytes, str]:
    updated = "2026-12-03T12:00:00Z" if site.round >= 3 else "2026-12-01T10:00:00Z"
    xml = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
           f"<title>Harbor Gazette</title><id>{site.base}/feed.atom</id><updated>{updated}</updated>"
           f'<entry><title>Floods in Port Avalon</title><link href="{site.base}/news/flood.html"/>'
           f"<id>{site.base}/news/flood.html</id><published>2026-12-01T10:00:00Z</published>"
           f"<updated>{updated}</updated><summary>Floods</summary></entry></feed>")
    stamp = 1796292000 if site.round >= 3 else 1796119200
    return xml.encode("utf-8"), formatdate(stamp, usegmt=True)


def news_sitemap(site: Site) -> bytes:
    return (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
            f' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>{site.base}/news/council.html</loc>'
            f"<news:news><news:publication><news:name>Metro Daily</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>2026-12-01T08:00:00Z</news:publication_date>"
            f"<news:title>City council approves budget</news:title></news:news></url></urlset>").encode("utf-8")


def sitemap_index(site: Site) -> bytes:
    return (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{site.base}/sitemap-pages.xml</loc></sitemap></sitemapindex>").encode("utf-8")


def sitemap_pages(site: Site) -> bytes:
    return (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{site.base}/pages/museum.html</loc><lastmod>2026-11-30</lastmod></url></urlset>").encode("utf-8")


def opml(site: Site) -> str:
    return (f'<?xml version="1.0"?><opml version="2.0"><head><title>My feeds</title></head><body>'
            f'<outline text="news"><outline type="rss" text="Valley" xmlUrl="{site.base}/feed.rss"/>'
            f'<outline type="rss" text="Harbor" xmlUrl="{site.base}/feed.atom"/></outline></body></opml>')


class Handler(BaseHTTPRequestHandler):
    server: "SiteServer"
    protocol_version = "HTTP/1.0"

    def log_message(self, *args: object) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        site = self.server.site
        status = 204 if self.path == "/hook" else 404
        with site.lock:
            site.requests.append(Request("POST", self.path, dict(self.headers), status, time.monotonic()))
            if status == 204:
                site.hooks.append(json.loads(body))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        site = self.server.site
        record = Request("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, 0, time.monotonic())
        with site.lock:
            site.requests.append(record)
            site.in_flight += 1
            site.most_in_flight = max(site.most_in_flight, site.in_flight)
        try:
            record.status = self.answer(site, record.headers)
        finally:
            with site.lock:
                site.in_flight -= 1
                record.ended = time.monotonic()

    def answer(self, site: Site, headers: dict[str, str]) -> int:
        path = self.path
        if path == "/robots.txt":
            return self.reply(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path == "/feed.rss":
            body, etag = rss(site)
            if headers.get("if-none-match") == etag:
                return self.reply(304, b"", extra={"ETag": etag})
            return self.reply(200, body, "application/rss+xml", {"ETag": etag})
        if path == "/feed.atom":
            body, modified = atom(site)
            if headers.get("if-modified-since") == modified:
                return self.reply(304, b"", extra={"Last-Modified": modified})
            return self.reply(200, body, "application/atom+xml", {"Last-Modified": modified})
        if path == "/feeds.opml":
            return self.reply(200, opml(site).encode("utf-8"), "text/x-opml")
        if path == "/news-sitemap.xml":
            return self.reply(200, news_sitemap(site), "application/xml")
        if path == "/sitemap.xml":
            return self.reply(200, sitemap_index(site), "application/xml")
        if path == "/sitemap-pages.xml":
            return self.reply(200, sitemap_pages(site), "application/xml")
        if path == "/broken-feed.xml":
            return self.reply(500, b"internal error", "text/plain")
        if path == "/news/flood.html":
            return self.reply(200, page("flood-v2" if site.round >= 3 else "flood-v1"))
        if path in ("/news/flood-valley.html", "/news/flood-north.html", "/news/council.html", "/pages/museum.html"):
            key = {"/news/flood-valley.html": "flood-valley", "/news/flood-north.html": "flood-north",
                   "/news/council.html": "council", "/pages/museum.html": "museum"}[path]
            return self.reply(200, page(key))
        if path == "/news/slow.html":
            time.sleep(SLOW_SECONDS)  # longer than the client's timeout: it gives up first
            return self.reply(200, page("museum"))
        if path == "/news/huge.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()  # no Content-Length: the client must count what it reads
            try:
                chunk = b"<p>" + b"x" * 8190 + b"</p>"
                for _ in range(HUGE_BYTES // len(chunk) + 1):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return 200
        if path == "/news/loop.html":
            return self.reply(302, b"", extra={"Location": "/news/loop-b.html"})
        if path == "/news/loop-b.html":
            return self.reply(302, b"", extra={"Location": "/news/loop.html"})
        if path == "/news/broken.html":
            return self.reply(500, b"oops", "text/plain")
        return self.reply(404, b"not found", "text/plain")

    def reply(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
              extra: Optional[dict[str, str]] = None) -> int:
        try:
            self.send_response(status)
            if body:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout): nothing to answer
        return status


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.site = Site()
        self.site.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "SiteServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


_MODELS: list = []


def shared_models():
    """One set of analysis models for every follow test module (loading them costs seconds)."""
    from storyline.pipeline import Models

    if not _MODELS:
        _MODELS.append(Models())
    return _MODELS[0]
