"""What every command shares: options, the store opened safely, progress bars, exit codes."""

from __future__ import annotations

import datetime
import functools
import json
import re
import sqlite3
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ..model import Analysis
from ..printable import one_line, safe_text
from ..settings import Settings, SettingsError, load_settings
from ..store import DEFAULT_DB, Store, StoreError, describe_sqlite_error, open_store
from ..views.exporters import EXPORTERS

EXIT_OK, EXIT_SKIPPED, EXIT_FATAL = 0, 1, 2


class Fatal(click.ClickException):
    exit_code = EXIT_FATAL


def db_option(command: Callable) -> Callable:
    return click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, metavar="FILE",
                        help="The SQLite store to use.")(command)


def quiet_option(command: Callable) -> Callable:
    return click.option("--quiet", "-q", is_flag=True, help="Print only errors and the final result.")(command)


class IsoDate(click.ParamType):
    """A calendar date of any precision: ``2025``, ``2025-02`` or ``2025-02-03`` (a day that exists)."""

    name = "DATE"
    _FORM = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")

    def convert(self, value: object, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> str:
        text = str(value).strip()
        match = self._FORM.fullmatch(text)
        if match:
            year, month, day = match.groups()
            try:
                datetime.date(int(year), int(month or 1), int(day or 1))
                return text
            except ValueError:
                pass
        self.fail(f"{one_line(value, 40)!r} is not a date: use YYYY-MM-DD (a day that exists), YYYY-MM or YYYY",
                  param, ctx)


def filter_options(command: Callable) -> Callable:
    command = click.option("--outlet", "outlets", multiple=True, help="Keep stories this outlet covers (repeatable).")(command)
    command = click.option("--until", type=IsoDate(), metavar="DATE",
                           help="Keep stories with an article published on or before DATE.")(command)
    return click.option("--since", type=IsoDate(), metavar="DATE",
                        help="Keep stories with an article published on or after DATE.")(command)


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


def json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def stderr_console(quiet: bool) -> Console:
    return Console(stderr=True, quiet=quiet, highlight=False)


@contextmanager
def progress_bar(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    columns = (TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=console.quiet) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="storyline")
@click.option("--debug", is_flag=True, expose_value=False,
              help="On an unexpected error, print its traceback (else one line).")
def cli() -> None:
    """storyline reads the news across outlets: stories and events, who copies whom,
    entities, a claim ledger and a timeline, all extracted from the articles.

    \b
    Example:
      storyline analyze examples/seeds --json out.json --html report.html
    """


def output_options(command: Callable) -> Callable:
    """One ``--NAME FILE`` (or ``DIR``) option per registered exporter, handed to the command as ``outputs``.

    ``outputs`` maps each format given to its target, in the registry's order.
    """
    @functools.wraps(command)
    def with_outputs(**options: Any) -> Any:
        outputs = {name: target for name in EXPORTERS if (target := options.pop(f"{name}_output", None))}
        return command(outputs=outputs, **options)

    for name, exporter in reversed(list(EXPORTERS.items())):
        metavar = "DIR" if exporter.writes_directory else "FILE"
        where = "into DIR" if exporter.writes_directory else "here ('-' for stdout)"
        with_outputs = click.option(f"--{name}", f"{name}_output", metavar=metavar,
                                    help=f"Write {exporter.help} {where}.")(with_outputs)
    return with_outputs


def output_usage() -> str:
    """What to give when no output was: every format the registry has."""
    return "give " + ", ".join(f"--{name} {'DIR' if exporter.writes_directory else 'FILE'}"
                               for name, exporter in EXPORTERS.items())


def write_outputs(analysis: Analysis, outputs: dict[str, str], err: Console) -> None:
    """Write ``analysis`` in each format asked for; ``-`` sends a one-file format to stdout."""
    for name, target in outputs.items():
        exporter = EXPORTERS[name]
        try:
            if target == "-" and not exporter.writes_directory:
                sys.stdout.flush()  # what was echoed before must come first
                with tempfile.TemporaryDirectory(prefix="storyline-") as folder:
                    written = Path(folder) / f"export{exporter.suffix}"
                    exporter.write(analysis, written)
                    sys.stdout.buffer.write(written.read_bytes())
                    sys.stdout.flush()
                continue
            exporter.write(analysis, Path(target))
        except OSError as error:
            raise Fatal(f"{error.filename or target}: {error.strerror or error}") from error
        err.print(f"wrote {safe_text(target)}", markup=False)


def settings_option(command: Callable) -> Callable:
    return click.option("--settings", "settings_path", metavar="FILE",
                        help="A JSON file of stage settings over the shipped defaults, e.g. "
                             "'{\"stories\": {\"window_days\": 3}}' (`storyline settings` prints them all).")(command)


def load_settings_or_fatal(path: Optional[str]) -> Settings:
    """The settings a --settings file gives (the defaults without one); a bad file is one clear line."""
    try:
        return load_settings(path) if path else Settings()
    except SettingsError as error:
        raise Fatal(one_line(str(error))) from error
