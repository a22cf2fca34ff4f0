"""The ``storyline`` command: a thin layer over the library.

Each command opens the store, calls one library function and renders its
result. Exit codes: 0 when all went well, 1 when some inputs were skipped,
2 for usage or fatal errors.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from . import export as export_views
from .model import Skipped
from .pipeline import Models, analyze as run_analysis, ingest as run_ingest, load_analysis
from .store import DEFAULT_DB, Store, StoreError, describe_sqlite_error, open_store
from .report import render_html
from .terminal import print_report, stories_table, story_report

EXIT_OK, EXIT_SKIPPED, EXIT_FATAL = 0, 1, 2


class Fatal(click.ClickException):
    exit_code = EXIT_FATAL


def db_option(command: Callable) -> Callable:
    return click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, metavar="FILE",
                        help="The SQLite store to use.")(command)


def quiet_option(command: Callable) -> Callable:
    return click.option("--quiet", "-q", is_flag=True, help="Print only errors and the final result.")(command)


def filter_options(command: Callable) -> Callable:
    command = click.option("--outlet", "outlets", multiple=True, help="Keep stories this outlet covers (repeatable).")(command)
    command = click.option("--until", metavar="DATE", help="Keep stories with an article published on or before DATE.")(command)
    return click.option("--since", metavar="DATE", help="Keep stories with an article published on or after DATE.")(command)


@contextmanager
def store_at(path: str, *, read_only: bool = False) -> Iterator[Store]:
    """Open the store, turning database trouble into one clear line and exit code 2."""
    try:
        store = open_store(path, read_only=read_only)
    except StoreError as error:
        raise Fatal(str(error)) from error
    try:
        yield store
    except sqlite3.DatabaseError as error:
        raise Fatal(f"{path}: {describe_sqlite_error(error)}") from error
    finally:
        store.close()


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _stderr(quiet: bool) -> Console:
    return Console(stderr=True, quiet=quiet, highlight=False)


@contextmanager
def progress_bar(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    columns = (TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=console.quiet) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _ingest(store: Store, paths: tuple[str, ...], err: Console) -> list[Skipped]:
    def on_skip(item: Skipped) -> None:
        # One unwrapped line per input, shown even with --quiet, so it can be grepped.
        click.echo(f"skipped {item.source}: {item.reason}", err=True)

    with progress_bar(err) as update:
        count = [0]

        def on_document(source: str) -> None:
            count[0] += 1
            update("reading", count[0], count[0])

        report = run_ingest(store, paths, on_skip=on_skip, on_document=on_document)
    err.print(f"read {len(report.added) + len(report.updated) + len(report.unchanged)} articles: "
              f"{len(report.added)} new, {len(report.updated)} new versions, {len(report.unchanged)} unchanged")
    if report.skipped:
        click.echo(f"skipped {len(report.skipped)} input(s); the rest were read", err=True)
    return report.skipped


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="storyline")
def cli() -> None:
    """storyline reads the news across outlets: stories and events, who copies whom,
    entities, a claim ledger and a timeline, all extracted from the articles.

    \b
    Example:
      storyline analyze examples/seeds --json out.json --html report.html
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--json", "json_path", metavar="FILE", help="Write the storyline/1 JSON export here.")
@click.option("--html", "html_path", metavar="FILE", help="Write the static HTML report here.")
@click.option("--embedder", default="use-multilingual", show_default=True, help="Sentence-embedding backend.")
@quiet_option
def analyze(paths: tuple[str, ...], db_path: str, json_path: Optional[str], html_path: Optional[str],
            embedder: str, quiet: bool) -> None:
    """Read PATHS (files or directories), run every stage and print the report per story.

    \b
    Example:
      storyline analyze news/ feeds/today.xml --json out.json
    """
    err = _stderr(quiet)
    with store_at(db_path) as store:
        skipped = _ingest(store, paths, err)
        with progress_bar(err) as update:
            try:
                run = run_analysis(store, models=Models(embedder_name=embedder), progress=update)
            except ValueError as error:
                raise Fatal(str(error)) from error
        err.print("stages: " + ", ".join(f"{name} {secs:.1f}s" for name, secs in run.seconds.items()))
        analysis = load_analysis(store)
    _write_outputs(analysis, json_path, html_path, err)
    if not quiet:
        print_report(Console(highlight=False), analysis)
    sys.exit(EXIT_SKIPPED if skipped else EXIT_OK)


def _write_outputs(analysis, json_path: Optional[str], html_path: Optional[str], err: Console) -> None:
    try:
        if json_path:
            export_views.write_json(analysis, json_path)
            err.print(f"wrote {json_path}")
        if html_path:
            Path(html_path).write_text(render_html(analysis), encoding="utf-8")
            err.print(f"wrote {html_path}")
    except OSError as error:
        raise Fatal(f"{error.filename}: {error.strerror}") from error


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@quiet_option
def ingest(paths: tuple[str, ...], db_path: str, quiet: bool) -> None:
    """Read PATHS into the store without analysing them (run `storyline analyze` later).

    \b
    Example:
      storyline ingest crawl.warc.gz --db news.db
    """
    with store_at(db_path) as store:
        skipped = _ingest(store, paths, _stderr(quiet))
    sys.exit(EXIT_SKIPPED if skipped else EXIT_OK)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@db_option
def remove(sources: tuple[str, ...], db_path: str) -> None:
    """Remove articles (by source as ingested, or by article id) and everything derived from them.

    Stories are recomputed on the next `storyline analyze`.

    \b
    Example:
      storyline remove examples/seeds/003_b7d08a59d509908e.txt
    """
    missing = 0
    with store_at(db_path) as store:
        for source in sources:
            if store.remove(source):
                click.echo(f"removed {source}")
            else:
                click.echo(f"not stored: {source}", err=True)
                missing += 1
    sys.exit(EXIT_SKIPPED if missing else EXIT_OK)


@cli.command()
@db_option
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stories(db_path: str, since: Optional[str], until: Optional[str], outlets: tuple[str, ...], as_json: bool) -> None:
    """List the stories in the store.

    \b
    Example:
      storyline stories --since 2025-02-01 --outlet "Daily Example"
    """
    with store_at(db_path, read_only=True) as store:
        analysis = export_views.filter_analysis(load_analysis(store), since=since, until=until,
                                                outlets=list(outlets) or None)
    if as_json:
        click.echo(_json_text({"stories": export_views.to_json(analysis)["stories"]}))
    else:
        Console(highlight=False).print(stories_table(analysis))


@cli.command()
@click.argument("story_id")
@db_option
def story(story_id: str, db_path: str) -> None:
    """Show one story: articles, provenance, entities, claims and timeline.

    \b
    Example:
      storyline story s-1a2b3c4d5e6f
    """
    with store_at(db_path, read_only=True) as store:
        current = store.resolve_story_id(story_id)
        analysis = load_analysis(store)
    found = next((s for s in analysis.stories if s.id == current), None)
    if found is None:
        raise Fatal(f"no story {story_id!r}; `storyline stories` lists them")
    Console(highlight=False).print(story_report(analysis, found))


@cli.command()
@db_option
@click.option("--json", "json_path", metavar="FILE", help="Write the storyline/1 JSON export here ('-' for stdout).")
@click.option("--csv", "csv_dir", metavar="DIR", help="Write one CSV file per table into DIR.")
@click.option("--html", "html_path", metavar="FILE", help="Write the static HTML report here.")
@filter_options
def export(db_path: str, json_path: Optional[str], csv_dir: Optional[str], html_path: Optional[str],
           since: Optional[str], until: Optional[str], outlets: tuple[str, ...]) -> None:
    """Export the analysis as JSON (storyline/1), CSV tables or an HTML report.

    \b
    Examples:
      storyline export --json out.json --since 2025-01-01
      storyline export --csv tables/
    """
    if not (json_path or csv_dir or html_path):
        raise click.UsageError("give --json FILE, --csv DIR or --html FILE")
    with store_at(db_path, read_only=True) as store:
        analysis = export_views.filter_analysis(load_analysis(store), since=since, until=until,
                                                outlets=list(outlets) or None)
    err = _stderr(False)
    if json_path == "-":
        click.echo(_json_text(export_views.to_json(analysis)))
        json_path = None
    _write_outputs(analysis, json_path, html_path, err)
    if csv_dir:
        try:
            export_views.write_csv(analysis, csv_dir)
        except OSError as error:
            raise Fatal(f"{error.filename}: {error.strerror}") from error
        err.print(f"wrote {csv_dir}")


@cli.command()
@click.argument("query")
@db_option
@click.option("--limit", default=20, show_default=True, help="How many articles to show.")
def search(query: str, db_path: str, limit: int) -> None:
    """Full-text search over the stored articles (SQLite FTS5 syntax: words, "phrases", OR, NOT, prefix*).

    \b
    Example:
      storyline search '"safe third country"'
    """
    with store_at(db_path, read_only=True) as store:
        hits = store.search(query, limit=limit)
        articles = {a.id: a for a in store.articles(ids=[h[0] for h in hits])}
        assignment = store.story_assignment()
    console = Console(highlight=False)
    if not hits:
        console.print("no matches")
    for article_id, snippet in hits:
        article = articles[article_id]
        console.print(Text(f"{article_id}  {article.outlet or '-'}  {article.published or '-'}  "
                           f"story {assignment.get(article_id, '-')}  {article.source}", style="bold"))
        console.print(Text("    " + " ".join(snippet.split())))


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code if isinstance(error, Fatal) else EXIT_FATAL)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_FATAL)


if __name__ == "__main__":
    main()
