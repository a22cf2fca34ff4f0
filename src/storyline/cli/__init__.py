"""The ``storyline`` command: a thin layer over the library.

Each command opens the store, calls one library function and renders its
result. Commands live in modules by group and register on ``cli``. Exit codes:
0 when all went well, 1 when some inputs were skipped, 2 for usage or fatal
errors.
"""

from __future__ import annotations

import io
import sys
import traceback

import click

from . import analysis, browse, dedup, follow, serve, spark  # noqa: F401  (importing registers their commands)
from ..printable import one_line, safe_text
from ._common import EXIT_FATAL, Fatal, cli

__all__ = ["cli", "main"]


def main() -> None:
    # Read before click parses: an error while parsing must honour it too.
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        # A usage error quotes what was typed: shown line by line through the sanitiser, like everything else.
        shown = io.StringIO()
        error.show(file=shown)
        for line in shown.getvalue().splitlines():
            click.echo(safe_text(line), err=True)
        sys.exit(error.exit_code if isinstance(error, Fatal) else EXIT_FATAL)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("aborted", err=True)
        sys.exit(EXIT_FATAL)
    except BrokenPipeError:
        sys.exit(EXIT_FATAL)  # the reader of our output went away (`storyline stories | head`)
    except Exception as error:  # noqa: BLE001 - a bug must reach the user as one line and exit 2, not a traceback
        if debug:
            traceback.print_exc()
        click.echo(f"error: {one_line(f'{type(error).__name__}: {error}')} (run with --debug for the traceback)",
                   err=True)
        sys.exit(EXIT_FATAL)

