"""One polling run over every followed source, and the one-off fetch of a list of URLs.

``poll_once`` is the list of steps it runs:

1. list      fetch each source (conditional GET, in parallel up to the concurrency cap) and record
             its new or re-dated entries as pending items, with its status, in one transaction each
2. fetch     fetch every pending item's page (this run's and any a stopped run left), extract it
             with the HTML reader and ingest it: a changed page becomes a new version of its article
3. analyze   the incremental pipeline, when anything was stored
4. alert     changes not seen before, matched against the watches, recorded with their deliveries
5. deliver   every alert still to send, to its sinks

Each step persists what it did before the next starts, so Ctrl-C or kill -9 at any moment
loses nothing stored, and the next run resumes: pending items stay pending, analysis is
incremental, alerts are keyed by the change that caused them.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Callable, Optional, Sequence
from urllib.parse import urlsplit

from ..readers.metadata import complete_metadata
from ..model import RawDocument, Skipped
from ..pipeline import Models, analyze
from ..readers._common import decode_or_skip
from ..readers.html import declared_charset, html_to_document
from ..store import Store
from . import alerts as alert_runner
from . import sinks, state
from .fetcher import Fetched, FetchError, Fetcher, FetchSettings
from .listings import Entry, Listing, ListingError, ListingKind, parse_listing

MAX_SITEMAP_CHILDREN = 20
MAX_ITEM_ATTEMPTS = 3
Log = Callable[[str], None]


@dataclass(frozen=True)
class FollowSettings:
    fetch: FetchSettings = FetchSettings()
    max_articles_per_day: Optional[int] = None
    analyze: bool = True
    alerts: bool = True


@dataclass
class SourcePoll:
    """One source's poll, as its log line says it."""

    url: str
    status: str  # "ok", "not-modified" or "error"
    kind: str = ""
    entries: int = 0
    pending: int = 0
    error: Optional[str] = None
    seconds: float = 0.0

    def line(self) -> str:
        if self.status == "error":
            return f"poll {self.url}: error: {self.error} ({self.seconds:.1f}s)"
        if self.status == "not-modified":
            return f"poll {self.url}: not modified (304) ({self.seconds:.1f}s)"
        return (f"poll {self.url}: {self.kind}, {self.entries} entries, {self.pending} to fetch"
                f" ({self.seconds:.1f}s)")


@dataclass
class RunSummary:
    polls: list[SourcePoll] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    deferred: int = 0  # pending items left for tomorrow by --max-articles-per-day
    alerts: int = 0
    delivered: int = 0
    delivery_failures: int = 0

    def line(self) -> str:
        return (f"run: {len(self.added)} new, {len(self.updated)} new versions, {len(self.unchanged)} unchanged,"
                f" {len(self.skipped)} skipped, {self.deferred} deferred, {self.alerts} alerts"
                f" ({self.delivered} sent, {self.delivery_failures} failed)")


def poll_once(store: Store, settings: FollowSettings = FollowSettings(), *, models: Optional[Models] = None,
              fetcher: Optional[Fetcher] = None, log: Log = lambda line: None,
              labels: Optional[alert_runner.LabelSource] = None) -> RunSummary:
    """Poll every source once, fetch and ingest what is new, analyse, alert. Never raises for a bad source."""
    summary = RunSummary()
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(settings.fetch)
    try:
        # 1. list
        followed = state.sources(store)
        with _Pool(settings.fetch.concurrency) as pool:
            listed = list(pool.map(lambda source: _list_source(fetcher, source), followed))
        for source, (poll, listing, fetched) in zip(followed, listed):
            if listing is not None and fetched is not None and listing.kind == "opml":
                # An OPML file followed by URL: its feeds become sources, polled from the next run on.
                for feed in listing.children:
                    state.add_source(store, feed)
                poll.pending = state.record_listing(store, source, "opml", listing.title, [], fetched.etag,
                                                    fetched.last_modified, f"ok: opml, {len(listing.children)} feeds",
                                                    None)
            elif listing is not None and fetched is not None:
                outlet = listing.title if listing.kind == "feed" else None
                poll.pending = state.record_listing(store, source, listing.kind, listing.title, listing.entries,
                                                    fetched.etag, fetched.last_modified, f"ok: {poll.kind}",
                                                    outlet)
            elif poll.status == "not-modified":
                state.record_not_modified(store, source)
            else:
                state.record_source_error(store, source, poll.error or "unknown error")
            summary.polls.append(poll)
            log(poll.line())
        # 2. fetch
        budget = None
        if settings.max_articles_per_day is not None:
            budget = max(0, settings.max_articles_per_day - state.articles_today(store))
        pending = state.pending_items(store)
        if budget is not None and len(pending) > budget:
            summary.deferred = len(pending) - budget
            log(f"--max-articles-per-day {settings.max_articles_per_day}: {summary.deferred} page(s) left for"
                " tomorrow")
            pending = pending[:budget]
        _fetch_items(store, fetcher, pending, settings, summary, log)
    finally:
        if own_fetcher:
            fetcher.close()
    # 3. analyze
    if settings.analyze and (summary.added or summary.updated):
        analyze(store, models=models)
    # 4. alert, 5. deliver
    if settings.alerts and settings.analyze:
        summary.alerts = len(alert_runner.detect_alerts(store, labels))
        summary.delivered, summary.delivery_failures = sinks.deliver_pending(store, log=log)
    log(summary.line())
    return summary


def _list_source(fetcher: Fetcher, source: state.Source) -> tuple[SourcePoll, Optional[Listing], Optional[Fetched]]:
    started = time.perf_counter()
    poll = SourcePoll(source.url, "ok")
    try:
        fetched = fetcher.get(source.url, etag=source.etag, last_modified=source.last_modified)
        if fetched.not_modified:
            poll.status = "not-modified"
            return poll, None, None
        listing = parse_listing(fetched.body, fetched.url)
        if listing.kind == "sitemap-index":
            listing = _expand_index(fetcher, listing)
        poll.kind, poll.entries = listing.kind, len(listing.entries or listing.children)
        return poll, listing, fetched
    except (FetchError, ListingError) as error:
        poll.status, poll.error = "error", str(error)
        return poll, None, None
    except Exception as error:  # noqa: BLE001 - one source's surprise must not stop the others; it is reported
        poll.status, poll.error = "error", f"{type(error).__name__}: {error}"
        return poll, None, None
    finally:
        poll.seconds = time.perf_counter() - started


def _expand_index(fetcher: Fetcher, index: Listing) -> Listing:
    """A sitemap index read as the entries of its first sitemaps (news sitemaps keep their kind)."""
    entries: list[Entry] = []
    kind: ListingKind = "sitemap"
    for child in index.children[:MAX_SITEMAP_CHILDREN]:
        try:
            listing = parse_listing(fetcher.get(child).body, child)
        except (FetchError, ListingError):
            continue  # one broken child sitemap is not the index's failure
        if listing.kind == "news-sitemap":
            kind = "news-sitemap"
        entries.extend(listing.entries)
    return Listing(kind, index.title, entries)


def _fetch_items(store: Store, fetcher: Fetcher, items: Sequence[state.Item], settings: FollowSettings,
                 summary: RunSummary, log: Log) -> None:
    if not items:
        return
    items = interleave_hosts(items)
    with _Pool(settings.fetch.concurrency) as pool:
        # Pages are fetched in parallel; the store is written here, in this thread, one item at a time.
        for item, result in zip(items, pool.map(lambda item: fetch_page(fetcher, item.url, item.etag,
                                                                        item.last_modified), items)):
            _store_item(store, item, result, summary, log)


def interleave_hosts(items: Sequence[state.Item]) -> list[state.Item]:
    """Items taken one host at a time in turn, so workers waiting out one host's pause do not hold up the rest."""
    by_host: dict[str, list[state.Item]] = {}
    for item in items:
        by_host.setdefault(urlsplit(item.url).netloc.lower(), []).append(item)
    queues = list(by_host.values())
    ordered: list[state.Item] = []
    for turn in range(max((len(queue) for queue in queues), default=0)):
        ordered.extend(queue[turn] for queue in queues if turn < len(queue))
    return ordered


class _Pool(ThreadPoolExecutor):
    """A thread pool that, when the run is stopped (Ctrl-C), drops the fetches not started instead of
    waiting for all of them: what was stored is stored, the rest stays pending for the next run."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers)

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        self.shutdown(wait=kind is None, cancel_futures=kind is not None)


def fetch_page(fetcher: Fetcher, url: str, etag: Optional[str] = None,
               last_modified: Optional[str] = None) -> tuple[Optional[RawDocument], Optional[FetchError], dict]:
    """A page as a document (source: the URL as listed), or the error; plus its validators."""
    try:
        fetched = fetcher.get(url, etag=etag, last_modified=last_modified)
    except FetchError as error:
        return None, error, {}
    validators = {"etag": fetched.etag, "last_modified": fetched.last_modified}
    if fetched.not_modified:
        return None, None, validators
    content_type = fetched.content_type.split(";")[0].strip().lower()
    if content_type and "html" not in content_type and not content_type.startswith("text/"):
        return None, FetchError(f"not an HTML page ({content_type})", permanent=True), validators
    charset = fetched.content_type.partition("charset=")[2].strip().strip('"') or declared_charset(fetched.body)
    markup = decode_or_skip(fetched.body, url, charset or None)
    if isinstance(markup, Skipped):
        return None, FetchError(markup.reason, permanent=True), validators
    document = html_to_document(markup, url, url=fetched.url)
    if isinstance(document, Skipped):
        return None, FetchError(document.reason, permanent=True), validators
    return replace(document, url=document.url or fetched.url, reader="html"), None, validators


def _store_item(store: Store, item: state.Item, result: tuple[Optional[RawDocument], Optional[FetchError], dict],
                summary: RunSummary, log: Log) -> None:
    document, error, validators = result
    if error is not None:
        gives_up = error.permanent or item.attempts + 1 >= MAX_ITEM_ATTEMPTS
        reason = error.reason if gives_up else f"{error.reason} (will retry)"
        state.finish_item(store, item.url, state.ITEM_SKIPPED if gives_up else state.ITEM_PENDING, reason)
        summary.skipped.append(Skipped(item.url, reason))
        log(f"skipped {item.url}: {reason}")
        return
    if document is None:  # 304: the page is as it was
        state.finish_item(store, item.url, state.ITEM_STORED, "not modified (304)", **validators)
        summary.unchanged.append(item.url)
        return
    document = replace(document, outlet=document.outlet or item.outlet or urlsplit(item.url).hostname,
                       published=document.published or item.published, title=document.title or item.title)
    outcome, article = store.ingest(complete_metadata(document))
    getattr(summary, outcome).append(article.id)
    # After the ingest, not with it: a run killed in between fetches the page again and finds it unchanged.
    state.finish_item(store, item.url, state.ITEM_STORED, None, article_id=article.id,
                      counted=outcome != "unchanged", **validators)


def fetch_urls(store: Store, urls: Sequence[tuple[str, dict]], settings: FollowSettings = FollowSettings(), *,
               models: Optional[Models] = None, fetcher: Optional[Fetcher] = None, refresh: bool = False,
               log: Log = lambda line: None) -> RunSummary:
    """Fetch pages once (``storyline fetch``), ingest and analyse them. ``urls`` pairs each URL with what
    the list said about it (outlet, published, title); URLs already stored are not fetched again unless
    ``refresh``."""
    summary = RunSummary()
    stored = {row[0] for row in store.db.execute("SELECT source FROM articles")} if not refresh else set()
    todo = [(url, known) for url, known in dict(urls).items() if url not in stored]
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(settings.fetch)
    try:
        with _Pool(settings.fetch.concurrency) as pool:
            results = pool.map(lambda pair: fetch_page(fetcher, pair[0]), todo)
            for (url, known), (document, error, _) in zip(todo, results):
                if error is not None or document is None:
                    reason = error.reason if error else "no content"
                    summary.skipped.append(Skipped(url, reason))
                    log(f"skipped {url}: {reason}")
                    continue
                document = replace(document, outlet=document.outlet or known.get("outlet") or urlsplit(url).hostname,
                                   published=document.published or known.get("published"),
                                   title=document.title or known.get("title"))
                outcome, article = store.ingest(complete_metadata(document))
                getattr(summary, outcome).append(article.id)
    finally:
        if own_fetcher:
            fetcher.close()
    summary.unchanged.extend(url for url, _ in urls if url in stored)
    if settings.analyze and (summary.added or summary.updated):
        analyze(store, models=models)
    log(summary.line())
    return summary
