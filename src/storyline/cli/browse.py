"""Commands that read the store: stories, story, export, search."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Optional

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..depth import analyse_story_now
from ..follow.versions import story_updates
from ..model import Analysis
from ..outlets.registry import Registry
from ..outlets.views import blindspot_stories, coverage_lines, outlet_rows
from ..pipeline import load_analysis
from ..printable import safe_text
from ..store import StoreError, open_store
from ..views.filters import filter_analysis
from ..views.json_export import to_json
from ..views.terminal import CLAIMS_SHOWN, stories_table, story_report
from ._common import (Fatal, cli, db_option, filter_options, json_text, output_options, output_usage, stderr_console,
                      store_at, write_outputs)


@cli.command()
@db_option
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--blindspot", "blindspot_label", metavar="LABEL",
              help="Only stories covered only or mostly by one side of LABEL (a registry label, e.g. leaning).")
def stories(db_path: str, since: Optional[str], until: Optional[str], outlets: tuple[str, ...], as_json: bool,
            blindspot_label: Optional[str] = None) -> None:
    """List the stories in the store, biggest first, then the most recent.

    \b
    Examples:
      storyline stories --since 2025-02-01 --outlet "Daily Example"
      storyline stories --blindspot leaning
    """
    with store_at(db_path, read_only=True) as store:
        analysis = filter_analysis(load_analysis(store), since=since, until=until,
                                                outlets=list(outlets) or None)
    doc = to_json(analysis)
    if blindspot_label is not None:
        kept = blindspot_stories(doc, blindspot_label)
        analysis.stories = [s for s in analysis.stories if s.id in kept]
        doc["stories"] = [s for s in doc["stories"] if s["id"] in kept]
    if as_json:
        click.echo(json_text({"stories": doc["stories"]}))
    else:
        console = Console(highlight=False)
        console.print(stories_table(analysis, width=console.width))
        for story in doc["stories"]:
            for spot in story.get("blindspots", []):
                click.echo(safe_text(f"{story['id']}  blindspot on {spot['label']}: {spot['share']:.0%} of sources "
                                     f"{spot['dominant']}; none from {', '.join(spot['missing']) or '-'}"))


@cli.command()
@click.argument("story_id")
@click.option("--claims", "claims_shown", type=click.Choice(["top", "all"]), default="top", show_default=True,
              help="the top claims of the ledger, or all of them")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the story's part of the storyline/1 export instead.")
def story(story_id: str, db_path: str, claims_shown: str = "top", as_json: bool = False) -> None:
    """Show one story: articles, provenance, who covers it, entities, claims and timeline.

    \b
    Examples:
      storyline story s-1a2b3c4d5e6f
      storyline story s-1a2b3c4d5e6f --claims all
      storyline story s-1a2b3c4d5e6f --json
    """
    _analyse_in_depth(db_path, story_id)
    with store_at(db_path, read_only=True) as store:
        current = store.resolve_story_id(story_id)
        analysis = load_analysis(store)
        found = next((s for s in analysis.stories if s.id == current), None)
        updates = story_updates(store, found.articles) if found is not None else []
    if found is None:
        raise Fatal(f"no story {story_id!r}; `storyline stories` lists them")
    doc = to_json(_only_story(analysis, found.id))
    if as_json:
        click.echo(json_text(doc))
        return
    console = Console(highlight=False)
    console.print(story_report(analysis, found, width=console.width,
                               claims_shown=None if claims_shown == "all" else CLAIMS_SHOWN))
    story_doc = next(s for s in doc["stories"] if s["id"] == found.id)
    for line in coverage_lines(story_doc, [c for c in doc["claims"] if c["story"] == found.id]):
        console.print(Text(safe_text(line)))
    for entry in updates:  # articles that changed after they were stored (storyline follow)
        click.echo(safe_text(f"updated {entry['date']}: {entry['outlet'] or ''} {entry['title'] or entry['article']}"
                             f" (version {entry['version']}): {entry['summary']}"))


@cli.command()
@db_option
@output_options
@filter_options
def export(db_path: str, outputs: dict[str, str], since: Optional[str], until: Optional[str],
           outlets: tuple[str, ...]) -> None:
    """Export the analysis in any of the formats below: JSON (storyline/1), CSV or Parquet tables, the HTML
    report, or the provenance graph as GraphML or GEXF.

    \b
    Examples:
      storyline export --json out.json --since 2025-01-01
      storyline export --csv tables/
      storyline export --graphml provenance.graphml
      storyline export --parquet tables/ --gexf graph.gexf
    """
    if not outputs:
        raise click.UsageError(output_usage())
    with store_at(db_path, read_only=True) as store:
        analysis = filter_analysis(load_analysis(store), since=since, until=until, outlets=list(outlets) or None)
    write_outputs(analysis, outputs, stderr_console(False))


def _analyse_in_depth(db_path: str, story_id: str) -> None:
    """A single-article story not analysed in depth yet is analysed (and stored) when opened (storyline.depth)."""
    if not Path(db_path).is_file():
        return
    try:
        with open_store(db_path) as store:
            analyse_story_now(store, story_id)
    except (StoreError, sqlite3.DatabaseError):
        return  # a store this user cannot write: the story is shown as stored, marked not analysed in depth


def _only_story(analysis: Analysis, story_id: str) -> Analysis:
    """The part of an analysis one story holds: its articles, relations, entities, claims and timeline."""
    story = next(s for s in analysis.stories if s.id == story_id)
    members = set(story.articles)
    return Analysis(
        articles=[a for a in analysis.articles if a.id in members],
        stories=[story],
        relations=[r for r in analysis.relations if r.a in members and r.b in members],
        entities=[e for e in analysis.entities if members & set(e.articles)],
        claims=[c for c in analysis.claims if c.story == story_id],
        omissions=[o for o in analysis.omissions if o.story == story_id],
        timeline=[t for t in analysis.timeline if t.story == story_id],
        outlets=analysis.outlets,
        claim_events=[e for e in analysis.claim_events if e.story == story_id],
        shallow_stories=[s for s in analysis.shallow_stories if s == story_id],
    )


@cli.command()
@click.argument("query")
@db_option
@click.option("--limit", default=20, show_default=True, help="How many articles to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
def search(query: str, db_path: str, limit: int, as_json: bool = False) -> None:
    """Full-text search over the stored articles (SQLite FTS5 syntax: words, "phrases", OR, NOT, prefix*).

    \b
    Example:
      storyline search '"state of emergency"'
    """
    with store_at(db_path, read_only=True) as store:
        hits = store.search(query, limit=limit)
        articles = {a.id: a for a in store.articles(ids=[h[0] for h in hits])}
        assignment = store.story_assignment()
    if as_json:
        click.echo(json_text({"query": query, "hits": [
            {"article": article_id, "source": articles[article_id].source, "outlet": articles[article_id].outlet,
             "title": articles[article_id].title, "published": articles[article_id].published,
             "story": assignment.get(article_id), "snippet": " ".join(snippet.split())}
            for article_id, snippet in hits]}))
        return
    console = Console(highlight=False)
    if not hits:
        console.print("no matches")
    for article_id, snippet in hits:
        article = articles[article_id]
        console.print(Text(safe_text(f"{article_id}  {article.outlet or '-'}  {article.published or '-'}  "
                                     f"story {assignment.get(article_id, '-')}  {article.source}"), style="bold"))
        console.print(Text("    " + safe_text(" ".join(snippet.split()))))




@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def outlets(db_path: str, as_json: bool = False) -> None:
    """List the outlets in the store with their article counts and what your registry says of them
    (an outlet the registry does not know is a row to add to it, or to an --outlet-map).

    \b
    Example:
      storyline outlets --db news.db
    """
    with store_at(db_path, read_only=True) as store:
        rows = outlet_rows(store.facets()["outlet"], Registry.with_agencies(store.outlet_registry()))
    if as_json:
        click.echo(json_text({"outlets": rows}))
        return
    table = Table(expand=True)
    for column in ("outlet", "articles", "registry", "type", "country", "labels"):
        table.add_column(column)
    for row in rows:
        table.add_row(Text(safe_text(row["outlet"])), str(row["articles"]), Text(safe_text(row["registry"] or "not in the registry")),
                      row["type"] or "-", row["country"] or "-",
                      Text(", ".join(f"{k}: {v}" for k, v in row["labels"].items()) or "-"))
    Console(highlight=False).print(table)
