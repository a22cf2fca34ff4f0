"""The ``storyline`` command: a thin layer over the library.

Each command opens the store, calls one library function and renders its
result. Commands live in modules by group and register on ``cli``. Exit codes:
0 when all went well, 1 when some inputs were skipped, 2 for usage or fatal
errors.
"""

from __future__ import annotations

import sys

import click

from . import analysis, browse, dedup, follow, serve, spark  # noqa: F401  (importing registers their commands)
from ._common import EXIT_FATAL, Fatal, cli

__all__ = ["cli", "main"]


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

