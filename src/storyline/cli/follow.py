"""Commands that follow the news: follow add/list/remove/run/label, fetch, watch add/list/remove, alerts."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

import click

from .. import follow
from ..follow.fetcher import USER_AGENT
from ..follow.listings import ListingError, parse_listing
from ..follow.state import now_iso
from ..pipeline import Models
from ..printable import one_line, safe_text
from ..store import Store
from ._common import EXIT_OK, EXIT_SKIPPED, Fatal, cli, db_option, json_text, store_at

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(text: str) -> int:
    """Seconds in ``15m``, ``1h``, ``90s`` or ``1h30m``."""
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise click.BadParameter(f"{text!r} is not a duration such as 15m, 1h or 90s", param_hint="--every")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total < 60:
        raise click.BadParameter("poll at most once a minute", param_hint="--every")
    return total


def make_models(embedder: str) -> Models:
    """The models a run loads on first need (tests replace this to share theirs)."""
    return Models(embedder_name=embedder)


def _log(line: str) -> None:
    # One timestamped line per event, unwrapped, on stderr: what a service manager's journal keeps.
    click.echo(one_line(f"{now_iso()} {line}", limit=2000), err=True)


def _say(text: str, err: bool = False) -> None:
    # URLs, titles, outlets and server answers come from outside: escaped so none can drive the terminal.
    click.echo(safe_text(text), err=err)


def _remove_each(db_path: str, keys: tuple[str, ...], remove: Callable[[Store, str], bool], done: str,
                 missing: str) -> None:
    """Remove each key with ``remove``, one line each; exit 1 when some key named nothing stored."""
    absent = 0
    with store_at(db_path) as store:
        for key in keys:
            if remove(store, key):
                _say(done.format(key))
            else:
                _say(missing.format(key), err=True)
                absent += 1
    sys.exit(EXIT_SKIPPED if absent else EXIT_OK)


def fetch_options(command: Any) -> Any:
    options = [
        click.option("--user-agent", default=USER_AGENT, show_default=False,
                     help="User-Agent sent with every request."),
        click.option("--timeout", default=20.0, show_default=True, type=click.FloatRange(0.1, 600),
                     help="Seconds to wait for a server."),
        click.option("--retries", default=2, show_default=True, type=click.IntRange(0, 10),
                     help="Retries after a timeout, a 429 or a 5xx (with exponential backoff)."),
        click.option("--backoff", default=2.0, show_default=True, type=click.FloatRange(0, 600),
                     help="Seconds before the first retry, doubled for each next one."),
        click.option("--per-host-interval", default=1.0, show_default=True, type=click.FloatRange(0, 3600),
                     help="Seconds between two requests to one host (robots.txt Crawl-delay wins when longer)."),
        click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 64),
                     help="Requests in flight at once, all hosts together (one per host at a time)."),
        click.option("--max-mb", default=5.0, show_default=True, type=click.FloatRange(0.01, 1024),
                     help="Largest response read, in MB."),
        click.option("--max-redirects", default=5, show_default=True, type=click.IntRange(0, 30),
                     help="Redirects followed per request."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _fetch_settings(user_agent: str, timeout: float, retries: int, backoff: float, per_host_interval: float,
                    concurrency: int, max_mb: float, max_redirects: int) -> follow.FetchSettings:
    return follow.FetchSettings(user_agent=user_agent, timeout=timeout, retries=retries, backoff=backoff,
                                per_host_interval=per_host_interval, concurrency=concurrency,
                                max_bytes=int(max_mb * 1_000_000), max_redirects=max_redirects)


# --- follow ------------------------------------------------------------------------------------


@cli.group(name="follow")
def follow_group() -> None:
    """Follow feeds and sitemaps: the sources live in the store, `follow run` polls them.

    \b
    Example:
      storyline follow add --db news.db feeds.opml https://example.org/rss.xml
      storyline follow run --db news.db --every 15m
    """


def _opml_feeds(source: str) -> Optional[list[str]]:
    """The feeds of an OPML file given as a path, or None when ``source`` is not one."""
    path = Path(source)
    if not path.is_file():
        return None
    try:
        listing = parse_listing(path.read_bytes())
    except (OSError, ListingError) as error:
        raise Fatal(f"{source}: {error}") from error
    if listing.kind != "opml":
        raise Fatal(f"{source}: a local file must be an OPML list of feeds (this is a {listing.kind})")
    return listing.children


@follow_group.command(name="add")
@click.argument("sources", nargs=-1, required=True)
@db_option
def follow_add(sources: tuple[str, ...], db_path: str) -> None:
    """Follow RSS/Atom feeds, news sitemaps and site sitemaps (URLs), or every feed of an OPML file.

    What a URL serves is recognised when it is polled.

    \b
    Examples:
      storyline follow add https://example.org/rss.xml https://example.org/news-sitemap.xml
      storyline follow add subscriptions.opml
    """
    bad = 0
    with store_at(db_path) as store:
        for given in sources:
            feeds = _opml_feeds(given)
            for url in feeds if feeds is not None else [given]:
                if not url.startswith(("http://", "https://")):
                    _say(f"skipped {url}: not an http(s) URL or an OPML file", err=True)
                    bad += 1
                    continue
                added, source = follow.add_source(store, url)
                _say(f"{'following' if added else 'already following'} {url} ({source.id})")
            if feeds == []:
                _say(f"skipped {given}: the OPML file lists no feeds", err=True)
                bad += 1
    sys.exit(EXIT_SKIPPED if bad else EXIT_OK)


@follow_group.command(name="list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the sources and their status as JSON.")
def follow_list(db_path: str, as_json: bool) -> None:
    """The followed sources with their status: last success, last error, items seen.

    \b
    Example:
      storyline follow list --db news.db
    """
    with store_at(db_path) as store:
        found = follow.sources(store)
    if as_json:
        click.echo(json_text([follow.state.as_dict(source) for source in found]))
        return
    if not found:
        _say("no sources followed (add one with `storyline follow add URL`)")
    for source in found:
        _say(f"{source.id}  {source.url}")
        _say(f"    kind {source.kind}, {source.items_seen} items seen;"
                   f" last success {source.last_success or 'never'};"
                   f" last error {source.last_error or 'none'}"
                   + (f" at {source.last_error_at}" if source.last_error_at else ""))


@follow_group.command(name="remove")
@click.argument("sources", nargs=-1, required=True)
@db_option
def follow_remove(sources: tuple[str, ...], db_path: str) -> None:
    """Stop following sources (by URL or id). Articles already stored stay.

    \b
    Example:
      storyline follow remove https://example.org/rss.xml
    """
    _remove_each(db_path, sources, follow.remove_source, "no longer following {}", "not followed: {}")


@follow_group.command(name="label")
@click.argument("outlet")
@click.argument("labels", nargs=-1, required=True)
@db_option
def follow_label(outlet: str, labels: tuple[str, ...], db_path: str) -> None:
    """Give an outlet labels (country, leaning, ...) that `new-country`-style watches alert on.

    \b
    Example:
      storyline follow label "Harbor Gazette" country=FR leaning=centre
    """
    pairs = {}
    for item in labels:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.BadParameter(f"{item!r} is not LABEL=VALUE", param_hint="LABELS")
        pairs[name.strip()] = value.strip()
    with store_at(db_path) as store:
        follow.set_outlet_labels(store, outlet, pairs)
    _say(f"{outlet}: " + ", ".join(f"{k}={v}" for k, v in pairs.items()))


@follow_group.command(name="run")
@db_option
@click.option("--every", default="15m", show_default=True, help="Time between polls (15m, 1h, 90s...).")
@click.option("--once", is_flag=True, help="Poll once and exit (for cron and tests).")
@click.option("--max-articles-per-day", type=click.IntRange(1, None), default=None,
              help="Stop fetching pages for the day after this many new articles and versions.")
@click.option("--embedder", default="use-multilingual", show_default=True, help="Sentence-embedding backend.")
@click.option("--no-analyze", is_flag=True, help="Only fetch and store (no analysis, so no alerts).")
@fetch_options
def follow_run(db_path: str, every: str, once: bool, max_articles_per_day: Optional[int], embedder: str,
               no_analyze: bool, **fetch: object) -> None:
    """Poll every followed source, fetch new pages, analyse, send alerts; then sleep and do it again.

    Polite: robots.txt, one request per host at a time and a pause between two, conditional GET
    (ETag/Last-Modified), timeouts, retries with backoff, size and redirect limits. One log line
    per poll on stderr. Ctrl-C or a kill at any moment loses nothing stored; the next run resumes.

    \b
    Examples:
      storyline follow run --db news.db --every 15m
      storyline follow run --db news.db --once --max-articles-per-day 2000
    """
    interval = parse_duration(every)
    try:
        settings = follow.FollowSettings(fetch=_fetch_settings(**fetch),  # type: ignore[arg-type]
                                         max_articles_per_day=max_articles_per_day, analyze=not no_analyze)
    except ValueError as error:
        raise Fatal(str(error)) from error
    models = make_models(embedder)
    try:
        while True:
            started = time.monotonic()
            try:
                _poll(db_path, settings, models)
            except Fatal as error:
                if once:
                    raise
                # Unattended, a locked store or no sources yet is a state to wait out, not a reason to exit.
                _log(f"poll skipped: {error.message}")
            if once:
                return
            time.sleep(max(1.0, interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        _say("stopped; everything fetched so far is stored and the next run resumes", err=True)
        sys.exit(130)


def _poll(db_path: str, settings: follow.FollowSettings, models: Models) -> None:
    with store_at(db_path) as store:
        if not follow.sources(store):
            raise Fatal("no sources followed: add some with `storyline follow add URL...`")
        try:
            follow.poll_once(store, settings, models=models, log=_log)
        except ValueError as error:  # an unknown embedder, a bad setting: nothing to retry
            raise Fatal(str(error)) from error


# --- fetch -------------------------------------------------------------------------------------


@cli.command(name="fetch")
@click.argument("urls", nargs=-1)
@click.option("--urls", "url_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="A file of URLs, one per line, or a CSV with a url column (e.g. a Media Cloud export).")
@db_option
@click.option("--refresh", is_flag=True, help="Fetch URLs already stored again (a changed page is a new version).")
@click.option("--embedder", default="use-multilingual", show_default=True, help="Sentence-embedding backend.")
@click.option("--no-analyze", is_flag=True, help="Only fetch and store.")
@fetch_options
def fetch_command(urls: tuple[str, ...], url_file: Optional[str], db_path: str, refresh: bool, embedder: str,
                  no_analyze: bool, **fetch: object) -> None:
    """Fetch article pages once, extract them with the HTML reader, ingest and analyse them.

    \b
    Examples:
      storyline fetch https://example.org/news/1.html https://example.org/news/2.html
      storyline fetch --urls mediacloud-export.csv --db news.db
    """
    problems: list[str] = []
    pairs: list[tuple[str, dict]] = []
    for url in urls:
        if url.startswith(("http://", "https://")):
            pairs.append((url, {}))
        else:
            problems.append(f"skipped {url}: not an http(s) URL")
    if url_file:
        try:
            found, bad = follow.read_url_list(Path(url_file).read_text(encoding="utf-8-sig"), url_file)
        except (OSError, UnicodeDecodeError, follow.UrlListError) as error:
            raise Fatal(f"{url_file}: {getattr(error, 'strerror', None) or error}") from error
        pairs.extend(found)
        problems.extend(f"skipped {line}" for line in bad)
    if not pairs and not problems:
        raise click.UsageError("give URLs or --urls FILE")
    for line in problems:
        _say(line, err=True)
    try:
        settings = follow.FollowSettings(fetch=_fetch_settings(**fetch), analyze=not no_analyze)  # type: ignore[arg-type]
    except ValueError as error:
        raise Fatal(str(error)) from error
    with store_at(db_path) as store:
        summary = follow.fetch_urls(store, pairs, settings, models=make_models(embedder), refresh=refresh, log=_log)
    sys.exit(EXIT_SKIPPED if summary.skipped or problems else EXIT_OK)


# --- watches and alerts ------------------------------------------------------------------------


@cli.group(name="watch")
def watch_group() -> None:
    """Saved searches that send alerts when `follow run` finds something new.

    \b
    Example:
      storyline watch add floods --phrase "flood OR flooding" --to file:alerts.jsonl
    """


@watch_group.command(name="add")
@click.argument("name")
@click.option("--entity", help="An entity's name or alias (as the entities stage found it).")
@click.option("--phrase", help="A full-text query (SQLite FTS5 syntax: words, \"a phrase\", OR, NEAR...).")
@click.option("--outlet", help="An outlet's name.")
@click.option("--on", "kinds", multiple=True, metavar="KIND",
              help="Kinds of change (repeatable; default all): " + ", ".join(follow.KINDS)
                   + ", or new-LABEL for a new value of an outlet label (new-country, new-leaning).")
@click.option("--to", "sinks", multiple=True, metavar="SINK", required=True,
              help="Where alerts go (repeatable): file:PATH.jsonl, an http(s) webhook URL, "
                   "or smtp://HOST:PORT?from=ADDRESS&to=ADDRESS.")
@click.option("--digest", is_flag=True, help="Send each run's alerts as one message per sink.")
@db_option
def watch_add(name: str, entity: Optional[str], phrase: Optional[str], outlet: Optional[str], kinds: tuple[str, ...],
              sinks: tuple[str, ...], digest: bool, db_path: str) -> None:
    """Save a watch; it alerts on what is new from now on.

    \b
    Examples:
      storyline watch add quake --entity "Red Cross" --on new-development --to https://hooks.example.org/x
      storyline watch add abroad --on new-country --to "smtp://localhost:25?to=desk@example.org" --digest
    """
    for kind in kinds:
        if not follow.known_kind(kind):
            raise click.BadParameter(f"unknown kind {kind!r}", param_hint="--on")
    for sink in sinks:
        try:
            follow.parse_sink(sink)
        except follow.SinkError as error:
            raise click.BadParameter(str(error), param_hint="--to") from error
    with store_at(db_path) as store:
        watch = follow.add_watch(store, name, entity=entity, phrase=phrase, outlet=outlet, kinds=kinds, sinks=sinks,
                                 digest=digest)
        follow.mark_all_seen(store)
    _say(f"watching {name} ({watch.id})")


@watch_group.command(name="list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the watches as JSON.")
def watch_list(db_path: str, as_json: bool) -> None:
    """The saved watches.

    \b
    Example:
      storyline watch list --json
    """
    with store_at(db_path) as store:
        found = follow.watches(store)
    if as_json:
        click.echo(json_text([follow.state.as_dict(watch) for watch in found]))
        return
    for watch in found:
        filters = ", ".join(f"{k} {v!r}" for k, v in (("entity", watch.entity), ("phrase", watch.phrase),
                                                      ("outlet", watch.outlet)) if v) or "anything"
        _say(f"{watch.id}  {watch.name}: {filters}; on {', '.join(watch.kinds) or 'every change'};"
                   f" to {', '.join(watch.sinks)}{' (digest)' if watch.digest else ''}")


@watch_group.command(name="remove")
@click.argument("watches", nargs=-1, required=True)
@db_option
def watch_remove(watches: tuple[str, ...], db_path: str) -> None:
    """Delete watches (by name or id).

    \b
    Example:
      storyline watch remove floods
    """
    _remove_each(db_path, watches, follow.remove_watch, "removed watch {}", "no watch {}")


@cli.command(name="alerts")
@db_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000), help="How many.")
@click.option("--json", "as_json", is_flag=True, help="Print the alerts as JSON.")
def alerts_command(db_path: str, limit: int, as_json: bool) -> None:
    """The most recent alerts, newest first.

    \b
    Example:
      storyline alerts --limit 50
    """
    with store_at(db_path) as store:
        found = follow.recent_alerts(store, limit)
    if as_json:
        click.echo(json_text([alert.to_json() for alert in found]))
        return
    for alert in found:
        name, summary = alert.payload.get("watch_name"), alert.payload.get("summary")
        _say(f"{alert.created_at}  [{alert.kind}] {name}: {summary}")
