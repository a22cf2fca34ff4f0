"""The ``serve`` command: the web app over a store."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Optional

import click

from ..store import StoreError
from ._common import Fatal, cli, db_option, store_at

MIN_TOKEN_CHARS = 16


def _check_store(db_path: str, read_only: bool) -> None:
    """Refuse at start what would otherwise serve an empty store or a 500 on every page.

    A mistyped --db would create a new empty store; a store whose folder is read-only
    opens, but SQLite cannot create the -shm file its first query needs.
    """
    if not os.path.exists(db_path):
        raise Fatal(f"{db_path}: no such store (create one with `storyline analyze PATHS --db {db_path}`)")
    with store_at(db_path, read_only=True) as store:
        store.article_count()
    if not read_only and not os.access(os.path.dirname(os.path.abspath(db_path)), os.W_OK):
        raise Fatal(f"cannot serve {db_path}: its folder is not writable (uploads need it); use --read-only")


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but a loopback address makes the app reachable from other machines.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--read-only", is_flag=True, help="Open the store read-only; uploads are off.")
@click.option("--token", envvar="STORYLINE_TOKEN", metavar="TOKEN",
              help="Access token that uploads must carry (also read from $STORYLINE_TOKEN). Needed for uploads "
                   "when --host is not a loopback address.")
@click.option("--max-upload-mb", default=20, show_default=True, type=click.IntRange(1, 2048),
              help="Largest upload (all files of one request together).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes; more than one needs --read-only (upload progress lives in one process).")
@click.option("--page-cache-mb", default=32, show_default=True, type=click.IntRange(0, 65536),
              help="Memory for rendered story pages, per server process (0: no cache). Pages are kept until "
                   "the store changes.")
def serve(db_path: str, host: str, port: int, read_only: bool, token: Optional[str], max_upload_mb: int,
          workers: int, page_cache_mb: int) -> None:
    """Explore the store in a browser: stories, provenance graphs, the claim ledger, timelines.

    Every page has a JSON twin: add .json to its address. Uploads (the same readers as
    `storyline analyze`) are on when bound to a loopback address, or with --token.

    \b
    Examples:
      storyline serve --db news.db
      storyline serve --db news.db --read-only --workers 2
      storyline serve --db news.db --host 0.0.0.0 --token "$(openssl rand -hex 16)"
    """
    import uvicorn  # imported here: the other commands need no web server

    from ..web.app import CONFIG_ENV, WebConfig, build_asgi, tune_gc_for_serving

    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise click.BadParameter(f"use at least {MIN_TOKEN_CHARS} characters", param_hint="--token")
    if workers > 1 and not read_only:
        raise click.BadParameter("more than one worker needs --read-only", param_hint="--workers")
    _check_store(db_path, read_only)
    config = WebConfig(db_path=db_path, host=host, port=port, read_only=read_only, token=token,
                       max_upload_bytes=max_upload_mb * 1024 * 1024, page_cache_bytes=page_cache_mb * 1024 * 1024)
    if not config.uploads_allowed:
        click.echo(f"uploads are off: {config.uploads_reason}", err=True)
    try:
        if workers > 1:
            settings = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name != "models"}
            os.environ[CONFIG_ENV] = json.dumps(settings)
            build_asgi(config)  # fail here, with a clear message, if the store cannot be opened
            uvicorn.run("storyline.web.app:app_from_environment", factory=True, host=host, port=port,
                        workers=workers, log_level="warning", access_log=False)
        else:
            click.echo(f"storyline is serving {db_path} at http://{host}:{port}/", err=True)
            asgi = build_asgi(config)
            tune_gc_for_serving()
            uvicorn.run(asgi, host=host, port=port, log_level="warning", access_log=False)
    except StoreError as error:
        raise Fatal(str(error)) from error
