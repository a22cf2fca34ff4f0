"""A site's name or tagline in its headlines ("... - Yahoo! News") is boilerplate, not shared content."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, make_articles
from storyline.boilerplate import title_parts
from storyline.model import Prepared
from storyline.prepare import prepare
from storyline.stories import cluster_stories, term_statistics
from storyline.stories.features import _specific_terms, dating_years

BOILERPLATE = FIXTURES / "stories" / "boilerplate.json"
TAGLINE = "WKRX Channel 7 Riverside 2019 Weather & Sports"


@pytest.fixture(scope="module")
def tagged_pages(embedder) -> list[Prepared]:
    """The fixture's six unrelated pages of one site, each headline followed by the site's tagline."""
    rows = json.loads(BOILERPLATE.read_text(encoding="utf-8"))["articles"]
    texts = {row["source"]: row["text"] for row in rows}
    metadata = {row["source"]: {"title": f"{row['title']} - {TAGLINE}", "outlet": row["outlet"],
                                "published": row["published"]} for row in rows}
    return prepare(make_articles(texts, **metadata), embedder)


def test_headline_parts_split_at_spaced_separators_only():
    assert title_parts("Police: man shot - KSLA News 12 | Shreveport") == ["Police: man shot", "KSLA News 12",
                                                                        "Shreveport"]
    assert title_parts("Teen, 16, shot in drive-by") == ["Teen, 16, shot in drive-by"]


def test_a_tagline_the_site_repeats_is_dropped_from_the_headline_and_its_terms(tagged_pages):
    statistics = term_statistics(tagged_pages)
    names = statistics.name_forms()
    page = tagged_pages[0]
    story_part = page.article.title.split(" - ")[0]
    assert statistics.headline(page) == story_part
    # Without the site's counts the tagline's acronym and year are the page's own terms; with them they are not.
    assert "WKRX" in _specific_terms(page, names)
    assert "WKRX" not in _specific_terms(page, names, statistics=statistics)
    assert 2019 in dating_years(page, 1) and 2019 not in dating_years(page, 1, statistics)


def test_a_tagline_on_fewer_pages_than_the_bar_is_kept(tagged_pages):
    statistics = term_statistics(tagged_pages[:2])
    assert statistics.headline(tagged_pages[0]) == tagged_pages[0].article.title


def test_unrelated_pages_sharing_a_headline_tagline_never_form_a_story(tagged_pages):
    assert [len(story.articles) for story in cluster_stories(tagged_pages)] == [1] * len(tagged_pages)
