"""Commands that read articles and analyse them: analyze, ingest, remove."""

from __future__ import annotations

import json
import os
import sys
from typing import Callable, Optional

import click
from rich.console import Console

from ..model import Analysis, Skipped
from ..outlets.registry import OutletMap, RegistryError, load_outlet_map, load_registry
from ..pipeline import IngestReport, Models, analyze as run_analysis, ingest as run_ingest, load_analysis
from ..printable import one_line
from ..settings import settings_to_mapping
from ..store import Store
from ..views.terminal import print_report
from ..workers import default_workers
from ._common import (EXIT_OK, EXIT_SKIPPED, Fatal, cli, db_option, load_settings_or_fatal, output_options,
                      progress_bar, quiet_option, settings_option, stderr_console, store_at, write_outputs)


def outlet_options(command: Callable) -> Callable:
    command = click.option("--registry", "registry_path", metavar="FILE",
                           help="Your outlet registry (CSV or JSON: name, aliases, domains, country, type, owner, "
                                "your own labels such as leaning); kept in the store, replacing the last one.")(command)
    command = click.option("--outlet-map", "outlet_map_path", metavar="FILE",
                           help="Rules 'path glob or domain = outlet' saying which outlet an input is from.")(command)
    return click.option("--outlet", metavar="NAME", help="The outlet of every input given (overrides the inputs).")(command)


def _outlet_settings(store: Store, registry_path: Optional[str],
                     outlet_map_path: Optional[str]) -> Optional[OutletMap]:
    """Store the registry given and read the outlet map, turning a bad file into one clear line."""
    try:
        if registry_path:
            store.save_outlet_registry(load_registry(registry_path))
        return load_outlet_map(outlet_map_path) if outlet_map_path else None
    except RegistryError as error:
        raise Fatal(one_line(str(error))) from error


def _ingest(store: Store, paths: tuple[str, ...], err: Console, outlet: Optional[str] = None,
            outlet_map: Optional[OutletMap] = None) -> IngestReport:
    def on_skip(item: Skipped) -> None:
        # One unwrapped line per input, shown even with --quiet, so it can be grepped.
        click.echo(f"skipped {one_line(item.source)}: {one_line(item.reason)}", err=True)

    with progress_bar(err) as update:
        count = [0]

        def on_document(source: str) -> None:
            count[0] += 1
            update("reading", count[0], count[0])

        report = run_ingest(store, paths, on_skip=on_skip, on_document=on_document, outlet=outlet,
                            outlet_map=outlet_map)
    err.print(f"read {len(report.added) + len(report.updated) + len(report.unchanged)} articles: "
              f"{len(report.added)} new, {len(report.updated)} new versions, {len(report.unchanged)} unchanged")
    if report.skipped:
        click.echo(f"skipped {len(report.skipped)} input(s); the rest were read", err=True)
    return report


@cli.command("settings")
@settings_option
def show_settings(settings_path: Optional[str] = None) -> None:
    """Print every stage's settings as JSON: the shipped defaults, or those a --settings FILE gives.

    The output is itself a settings file: keep the values to change and pass it to `analyze --settings`.
    Where each default comes from is said in the stage's defaults file, beside its code
    (storyline/<stage>/defaults.json, for reuse, stories, entities, claims and timeline).

    \b
    Examples:
      storyline settings > my-settings.json
      storyline settings --settings my-settings.json   (check a file: the settings it gives, or why not)
    """
    click.echo(json.dumps(settings_to_mapping(load_settings_or_fatal(settings_path)), indent=2))


def _touched_stories(analysis: Analysis, article_ids: set[str]) -> list[str]:
    return [story.id for story in analysis.stories if article_ids.intersection(story.articles)]


@cli.command()
@click.argument("paths", nargs=-1)
@db_option
@output_options
@click.option("--embedder", default="use-multilingual", show_default=True, help="Sentence-embedding backend.")
@settings_option
@click.option("--all-in-depth", is_flag=True,
              help="Analyse single-article stories in depth now too (by default they wait until they gain a "
                   "second article or are opened).")
@click.option("--workers", type=click.IntRange(min=1), default=default_workers(), show_default=True,
              help="Processes for the model work (spaCy, the sentence encoders; each one model thread): 2 uses "
                   "both CPUs of a two-CPU machine.")
@outlet_options
@quiet_option
def analyze(paths: tuple[str, ...], db_path: str, outputs: dict[str, str], embedder: str, quiet: bool,
            outlet: Optional[str] = None, outlet_map_path: Optional[str] = None,
            registry_path: Optional[str] = None, settings_path: Optional[str] = None,
            all_in_depth: bool = False, workers: int = 1) -> None:
    """Read PATHS (files or directories), run every stage and print the report of each story they touched.

    Without PATHS, analyse the store as it is (after `storyline ingest` or `remove`) and print every story.
    With --quiet, print only the one-line summary (and skipped inputs).

    \b
    Examples:
      storyline analyze news/ feeds/today.xml --json out.json
      storyline analyze --db news.db
      storyline analyze nyt/ --outlet "The New York Times" --registry outlets.csv
      storyline analyze news/ --settings my-settings.json   (see `storyline settings`)
    """
    settings = load_settings_or_fatal(settings_path)
    if not paths and not os.path.exists(db_path):
        raise click.UsageError(f"give PATHS to read, or the --db of an existing store to re-analyse ({db_path} "
                               "does not exist)")
    err = stderr_console(quiet)
    with store_at(db_path) as store:
        outlet_map = _outlet_settings(store, registry_path, outlet_map_path)
        report = _ingest(store, paths, err, outlet, outlet_map) if paths else IngestReport()
        with progress_bar(err) as update:
            try:
                run = run_analysis(store, models=Models(embedder_name=embedder, settings=settings,
                                                         all_in_depth=all_in_depth, workers=workers),
                                   progress=update)
            except ValueError as error:
                raise Fatal(str(error)) from error
        err.print("stages: " + ", ".join(f"{name} {secs:.1f}s" for name, secs in run.seconds.items()))
        # What this run re-ran, apart from what the store holds: an incremental run's work is small.
        err.print(run.summary(), markup=False, soft_wrap=True)
        for note in run.notes:
            err.print(note, markup=False, soft_wrap=True)
        for problem in run.problems:  # shown even with --quiet: the run did not go as asked
            click.echo(f"warning: {problem}", err=True)
        analysis = load_analysis(store)
    write_outputs(analysis, outputs, err)
    changed = set(report.added) | set(report.updated)
    touched = _touched_stories(analysis, changed) if paths else [story.id for story in analysis.stories]
    if not quiet:
        print_report(Console(highlight=False), analysis, touched)
    # The final result, printed even with --quiet: what the store holds and what this run changed.
    summary = f"{len(analysis.articles)} articles in {len(analysis.stories)} stories"
    if paths:
        summary += (f"; this run added {len(report.added)} and updated {len(report.updated)} articles, "
                    f"touching {len(touched)} stories")
        if not quiet and len(touched) < len(analysis.stories):
            summary += " (shown above; `storyline stories` lists all)"
    click.echo(summary)
    sys.exit(EXIT_SKIPPED if report.skipped else EXIT_OK)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@outlet_options
@quiet_option
def ingest(paths: tuple[str, ...], db_path: str, quiet: bool, outlet: Optional[str] = None,
           outlet_map_path: Optional[str] = None, registry_path: Optional[str] = None) -> None:
    """Read PATHS into the store without analysing them (run `storyline analyze` later).

    \b
    Example:
      storyline ingest crawl.warc.gz --db news.db
      storyline ingest station/ --outlet-map outlets.map --registry outlets.csv
    """
    with store_at(db_path) as store:
        outlet_map = _outlet_settings(store, registry_path, outlet_map_path)
        report = _ingest(store, paths, stderr_console(quiet), outlet, outlet_map)
    sys.exit(EXIT_SKIPPED if report.skipped else EXIT_OK)


def _source_forms(source: str) -> list[str]:
    """The ways an input may have been stored: as typed, and its path relative to here or absolute.

    A source is the path as given to `ingest`; the same file named another way (an
    absolute path for a relative one, ``./a.txt`` for ``a.txt``) is the same article.
    """
    path, marker, record = source.partition("#")
    forms = [source]
    for other in (os.path.normpath(path), os.path.relpath(path), os.path.abspath(path)):
        form = other + marker + record
        if form not in forms:
            forms.append(form)
    return forms


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@db_option
@quiet_option
def remove(sources: tuple[str, ...], db_path: str, quiet: bool) -> None:
    """Remove articles (by source as ingested, or by article id) and everything derived from them.

    The stories, entities, claims and timelines the articles were part of are re-analysed
    at once, so every view is consistent when the command ends.

    \b
    Example:
      storyline remove examples/seeds/003_b7d08a59d509908e.txt
    """
    missing = 0
    err = stderr_console(quiet)
    with store_at(db_path) as store:
        removed = 0
        for source in sources:
            if any(store.remove(form) for form in _source_forms(source)):
                click.echo(f"removed {one_line(source)}")
                removed += 1
            else:
                click.echo(f"not stored: {one_line(source)}", err=True)
                missing += 1
        if removed:
            # Derived results (stories, entities, claims, timelines) still name the removed articles
            # until the stages run again; only what the removal changed is recomputed.
            with progress_bar(err) as update:
                run_analysis(store, progress=update)
            err.print(f"re-analysed: the store holds {store.article_count()} articles")
    sys.exit(EXIT_SKIPPED if missing else EXIT_OK)


