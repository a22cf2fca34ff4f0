"""The ``spark`` command group: analyse a corpus on Apache Spark, and load a run into the store."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Optional

import click

from ..embedders import DEFAULT_EMBEDDER
from ..printable import one_line
from ..stages import STAGE_NAMES
from ._common import (EXIT_OK, EXIT_SKIPPED, Fatal, cli, db_option, load_settings_or_fatal, quiet_option,
                      settings_option, stderr_console, store_at)

ENGINE_STAGES = STAGE_NAMES  # the stage registry's: both engines run the same stages


def _spark_or_fatal(master: Optional[str], shuffle_partitions: Optional[int]):  # -> SparkSession
    from ..spark.session import SparkUnavailable, spark_session

    try:
        return spark_session(master, shuffle_partitions=shuffle_partitions)
    except SparkUnavailable as error:
        raise Fatal(str(error)) from error


@cli.group()
def spark() -> None:
    """Run the analysis on Apache Spark (the optional extra: pip install 'storyline[spark]').

    \b
    Example:
      storyline spark analyze news.warc.gz feeds/ --output out/run1
      storyline spark load out/run1 --db news.db && storyline serve --db news.db
    """


@click.command("analyze")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--output", "-o", required=True, metavar="DIR",
              help="Where to write the Parquet tables (a local path or a Hadoop URI).")
@click.option("--master", default=None, metavar="URL",
              help="Spark master, e.g. local[2] or yarn. Default: spark-submit's, else local[*].")
@click.option("--embedder", default=DEFAULT_EMBEDDER, show_default=True, help="Sentence-embedding backend.")
@click.option("--until", type=click.Choice(ENGINE_STAGES), help="Stop after this stage.")
@click.option("--partition-days", type=int, default=None,
              help="Cluster stories per calendar block of this many days, one task each (default: the stories "
                   "stage's partition_days, 28, as in the embedded engine; at least its 14-day window).")
@click.option("--reuse-window-days", type=int, default=0, show_default=True,
              help="Search reuse within and between neighbouring windows of this many days (0: the story blocks).")
@click.option("--partitions", type=int, default=0, help="Partitions for the per-article stages (0: cores x 4).")
@click.option("--shuffle-partitions", type=int, default=None, help="spark.sql.shuffle.partitions.")
@settings_option
@quiet_option
def analyze_command(inputs: tuple[str, ...], output: str, master: Optional[str], embedder: str,
                    until: Optional[str], partition_days: Optional[int], reuse_window_days: int, partitions: int,
                    shuffle_partitions: Optional[int], quiet: bool, settings_path: Optional[str] = None) -> None:
    """Analyse INPUTS (local paths or Hadoop URIs of WARC, JSON(L), HTML, text or Parquet) on Spark
    and write articles, relations, near-duplicates, stories, entities, claims and timeline as Parquet.

    \b
    Example:
      storyline spark analyze examples/seeds --output out/seeds --master 'local[2]'
      storyline spark analyze s3a://bucket/cc-news/2025/02/ --output s3a://bucket/out/2025-02
    """
    err = stderr_console(quiet)
    stage_settings = load_settings_or_fatal(settings_path)  # a bad file is refused before Spark starts
    session = _spark_or_fatal(master, shuffle_partitions)
    from ..spark import run
    from ..spark.engine import SparkSettings

    try:
        story_settings = (stage_settings.stories if partition_days is None
                          else replace(stage_settings.stories, partition_days=partition_days))
        settings = SparkSettings(embedder=embedder, reuse_settings=stage_settings.reuse, story_settings=story_settings,
                                 entity_settings=stage_settings.entities, claim_settings=stage_settings.claims,
                                 timeline_settings=stage_settings.timeline,
                                 reuse_window_days=reuse_window_days, partitions=partitions)
        result = run(session, list(inputs), output, settings, until=until,
                     on_stage=lambda name, seconds, count: err.print(f"{name}: {count:,} in {seconds:.1f}s"))
    except ValueError as error:
        raise Fatal(str(error)) from error
    for item in result.skipped:
        click.echo(f"skipped {one_line(item.source)}: {one_line(item.reason)}", err=True)
    err.print(f"wrote {one_line(output)}", markup=False)
    sys.exit(EXIT_SKIPPED if result.skipped else EXIT_OK)


spark.add_command(analyze_command)


@spark.command("load")
@click.argument("directory", metavar="DIR")
@db_option
@click.option("--master", default="local[2]", show_default=True, metavar="URL", help="Spark master used to read.")
@quiet_option
def load_command(directory: str, db_path: str, master: str, quiet: bool) -> None:
    """Load the Parquet output of `storyline spark analyze` in DIR into the SQLite store,
    so `storyline serve`, `export` and `report` show it.

    \b
    Example:
      storyline spark load out/seeds --db seeds.db
    """
    err = stderr_console(quiet)
    session = _spark_or_fatal(master, None)
    from ..spark.load import load

    with store_at(db_path) as store:
        report = load(session, directory, store, progress=lambda table, count: err.print(f"{table}: {count:,}"))
    if not report.counts.get("articles"):
        raise Fatal(f"{directory}: no articles table (is it the output of `storyline spark analyze`?)")
    err.print(f"loaded {one_line(directory)} into {one_line(db_path)}", markup=False)
