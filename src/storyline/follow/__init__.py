"""Follow the news as it happens: feeds, sitemaps and URLs polled politely, stories updated, alerts sent.

::

    from storyline import open_store
    from storyline.follow import add_source, poll_once

    with open_store("news.db") as store:
        add_source(store, "https://example.org/rss.xml")
        summary = poll_once(store, log=print)

Modules: :mod:`.listings` (feeds, sitemaps, OPML), :mod:`.fetcher` (polite HTTP),
:mod:`.poller` (one run), :mod:`.versions` (what changed in an article),
:mod:`.watches` and :mod:`.alerts` (what is new, for whom), :mod:`.sinks` (where alerts go),
:mod:`.state` (the follow tables), :mod:`.urls` (lists of URLs to fetch once).
"""

from .alerts import detect_alerts, mark_all_seen
from .fetcher import FetchError, Fetcher, FetchSettings
from .listings import Entry, Listing, ListingError, parse_listing
from .poller import FollowSettings, RunSummary, fetch_urls, poll_once
from .sinks import SinkError, deliver_pending, parse_sink
from .state import (
    Alert, Source, Watch, add_source, add_watch, recent_alerts, remove_source, remove_watch, set_outlet_labels,
    sources, watches,
)
from .urls import UrlListError, read_url_list
from .versions import VersionChange, version_changes
from .watches import KINDS, known_kind

__all__ = [
    "Alert", "Entry", "FetchError", "FetchSettings", "Fetcher", "FollowSettings", "KINDS", "Listing", "ListingError",
    "RunSummary", "SinkError", "Source", "UrlListError", "VersionChange", "Watch", "add_source", "add_watch",
    "deliver_pending", "detect_alerts", "fetch_urls", "known_kind", "mark_all_seen", "parse_listing", "parse_sink",
    "poll_once", "read_url_list", "recent_alerts", "remove_source", "remove_watch", "set_outlet_labels", "sources",
    "version_changes", "watches",
]
