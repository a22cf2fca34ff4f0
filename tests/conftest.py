"""Shared fixtures: the models are loaded once per test session; stores live in temp dirs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from storyline.embedders import load_embedder
from storyline.model import Article, Prepared
from storyline.prepare import prepare

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "examples" / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def embedder():
    return load_embedder()


def make_articles(texts: dict[str, str], **metadata: dict) -> list[Article]:
    """Articles from ``{source: text}``; ``metadata[source]`` adds fields such as outlet or published."""
    return [
        Article(id=Article.id_for(source), source=source, text=text, **metadata.get(source, {}))
        for source, text in texts.items()
    ]


@pytest.fixture(scope="session")
def seed_articles() -> list[Article]:
    return make_articles({f"examples/seeds/{p.name}": p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))})


@pytest.fixture(scope="session")
def seed_prepared(seed_articles, embedder) -> list[Prepared]:
    return prepare(seed_articles, embedder)


def run_cli(capsys, *args: object) -> tuple[int, str, str]:
    """Run the ``storyline`` command in-process: (exit code, stdout, stderr)."""
    from storyline.cli import main

    old_argv = sys.argv
    sys.argv = ["storyline", *map(str, args)]
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    finally:
        sys.argv = old_argv
    captured = capsys.readouterr()
    return code, captured.out, captured.err
