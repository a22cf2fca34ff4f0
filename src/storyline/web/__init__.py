"""The web app: ``storyline serve`` explores stories, provenance and the claim ledger in a browser."""

from .app import WebConfig, build_asgi, create_app

__all__ = ["WebConfig", "build_asgi", "create_app"]
