"""Commands that read the store: stories, story, export, search."""

from __future__ import annotations

from typing import Optional

import click
from rich.console import Console
from rich.text import Text

from .. import export as export_views
from ..pipeline import load_analysis
from ..terminal import CLAIMS_SHOWN, stories_table, story_report
from ._common import Fatal, cli, db_option, filter_options, json_text, stderr_console, store_at, write_outputs


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
        click.echo(json_text({"stories": export_views.to_json(analysis)["stories"]}))
    else:
        Console(highlight=False).print(stories_table(analysis))


@cli.command()
@click.argument("story_id")
@click.option("--claims", "claims_shown", type=click.Choice(["top", "all"]), default="top", show_default=True,
              help="the top claims of the ledger, or all of them")
@db_option
def story(story_id: str, db_path: str, claims_shown: str) -> None:
    """Show one story: articles, provenance, entities, claims and timeline.

    \b
    Example:
      storyline story s-1a2b3c4d5e6f --claims all
    """
    with store_at(db_path, read_only=True) as store:
        current = store.resolve_story_id(story_id)
        analysis = load_analysis(store)
    found = next((s for s in analysis.stories if s.id == current), None)
    if found is None:
        raise Fatal(f"no story {story_id!r}; `storyline stories` lists them")
    Console(highlight=False).print(story_report(analysis, found, claims_shown=None if claims_shown == "all" else CLAIMS_SHOWN))


@cli.command()
@db_option
@click.option("--json", "json_path", metavar="FILE", help="Write the storyline/1 JSON export here ('-' for stdout).")
@click.option("--csv", "csv_dir", metavar="DIR", help="Write one CSV file per table into DIR.")
@click.option("--html", "html_path", metavar="FILE", help="Write the static HTML report here.")
@click.option("--graphml", "graphml_path", metavar="FILE",
              help="Write the provenance graph (articles, reuse relations) as GraphML for Gephi or networkx.")
@filter_options
def export(db_path: str, json_path: Optional[str], csv_dir: Optional[str], html_path: Optional[str],
           since: Optional[str], until: Optional[str], outlets: tuple[str, ...],
           graphml_path: Optional[str]) -> None:
    """Export the analysis as JSON (storyline/1), CSV tables, an HTML report or a GraphML provenance graph.

    \b
    Examples:
      storyline export --json out.json --since 2025-01-01
      storyline export --csv tables/
      storyline export --graphml provenance.graphml
    """
    if not (json_path or csv_dir or html_path or graphml_path):
        raise click.UsageError("give --json FILE, --csv DIR, --html FILE or --graphml FILE")
    with store_at(db_path, read_only=True) as store:
        analysis = export_views.filter_analysis(load_analysis(store), since=since, until=until,
                                                outlets=list(outlets) or None)
    err = stderr_console(False)
    if json_path == "-":
        click.echo(json_text(export_views.to_json(analysis)))
        json_path = None
    write_outputs(analysis, json_path, html_path, err)
    if csv_dir:
        try:
            export_views.write_csv(analysis, csv_dir)
        except OSError as error:
            raise Fatal(f"{error.filename}: {error.strerror}") from error
        err.print(f"wrote {csv_dir}")
    if graphml_path:
        try:
            export_views.write_graphml(analysis, graphml_path)
        except OSError as error:
            raise Fatal(f"{error.filename}: {error.strerror}") from error
        err.print(f"wrote {graphml_path}")


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


