"""Commands that read articles and analyse them: analyze, ingest, remove."""

from __future__ import annotations

import sys
from typing import Callable, Optional

import click
from rich.console import Console

from ..model import Skipped
from ..outlets.registry import OutletMap, RegistryError, load_outlet_map, load_registry
from ..pipeline import Models, analyze as run_analysis, ingest as run_ingest, load_analysis
from ..store import Store
from ..terminal import print_report
from ._common import (EXIT_OK, EXIT_SKIPPED, Fatal, cli, db_option, progress_bar, quiet_option, stderr_console,
                      store_at, write_outputs)


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
        raise Fatal(str(error)) from error


def _ingest(store: Store, paths: tuple[str, ...], err: Console, outlet: Optional[str] = None,
            outlet_map: Optional[OutletMap] = None) -> list[Skipped]:
    def on_skip(item: Skipped) -> None:
        # One unwrapped line per input, shown even with --quiet, so it can be grepped.
        click.echo(f"skipped {item.source}: {item.reason}", err=True)

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
    return report.skipped



@cli.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--json", "json_path", metavar="FILE", help="Write the storyline/1 JSON export here.")
@click.option("--html", "html_path", metavar="FILE", help="Write the static HTML report here.")
@click.option("--embedder", default="use-multilingual", show_default=True, help="Sentence-embedding backend.")
@outlet_options
@quiet_option
def analyze(paths: tuple[str, ...], db_path: str, json_path: Optional[str], html_path: Optional[str],
            embedder: str, quiet: bool, outlet: Optional[str] = None, outlet_map_path: Optional[str] = None,
            registry_path: Optional[str] = None) -> None:
    """Read PATHS (files or directories), run every stage and print the report per story.

    \b
    Example:
      storyline analyze news/ feeds/today.xml --json out.json
      storyline analyze nyt/ --outlet "The New York Times" --registry outlets.csv
    """
    err = stderr_console(quiet)
    with store_at(db_path) as store:
        outlet_map = _outlet_settings(store, registry_path, outlet_map_path)
        skipped = _ingest(store, paths, err, outlet, outlet_map)
        with progress_bar(err) as update:
            try:
                run = run_analysis(store, models=Models(embedder_name=embedder), progress=update)
            except ValueError as error:
                raise Fatal(str(error)) from error
        err.print("stages: " + ", ".join(f"{name} {secs:.1f}s" for name, secs in run.seconds.items()))
        analysis = load_analysis(store)
    write_outputs(analysis, json_path, html_path, err)
    if not quiet:
        print_report(Console(highlight=False), analysis)
    sys.exit(EXIT_SKIPPED if skipped else EXIT_OK)


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
        skipped = _ingest(store, paths, stderr_console(quiet), outlet, outlet_map)
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


