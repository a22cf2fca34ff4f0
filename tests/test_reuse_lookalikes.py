"""Reuse that look-alike reports and page furniture do not make (issue 12): reports of different events
written to one template, and a widget that a publisher's pages show in place of their stories."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, make_articles
from storyline.boilerplate import tells_another_story
from storyline.graph import count_independent
from storyline.model import Article
from storyline.prepare import prepare
from storyline.reuse import find_relations, relate, relation_between

LOOKALIKES = FIXTURES / "lookalikes"
JOINING = {"duplicate", "excerpt", "rewrite"}


def _text(name: str) -> str:
    return (LOOKALIKES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reports(embedder):
    names = ["template_first.txt", "template_second.txt", "template_first_rewrite.txt"]
    return dict(zip(names, prepare(make_articles({name: _text(name) for name in names}), embedder)))


def test_two_events_written_to_one_template_are_not_reuse(reports):
    """Same sentences, other ages, times, blocks and days: not a rewrite, translation or shared source."""
    first, second = reports["template_first.txt"], reports["template_second.txt"]
    relation = relation_between(first, second)
    assert relation is None or relation.kind == "related"
    assert all(r.kind == "related" for r in find_relations([first, second]))


def test_a_rewrite_that_keeps_the_facts_is_still_a_rewrite(reports):
    first, rewrite = reports["template_first.txt"], reports["template_first_rewrite.txt"]
    relation = relation_between(first, rewrite)
    assert relation is not None and relation.kind == "rewrite"
    assert relation.evidence[0].startswith("aligned 100% of template_first.txt and 100% of template_first_rewrite.txt")
    assert not any("give other numbers" in e for e in relation.evidence)


def test_the_rewrite_is_not_joined_to_the_other_event(reports):
    found = find_relations(list(reports.values()))
    kinds = {frozenset((r.a, r.b)): r.kind for r in found}
    first, second, rewrite = (reports[n].id for n in ("template_first.txt", "template_second.txt",
                                                       "template_first_rewrite.txt"))
    assert kinds[frozenset((first, rewrite))] == "rewrite"
    for pair in (frozenset((first, second)), frozenset((rewrite, second))):
        assert kinds.get(pair, "related") == "related"
    assert count_independent([first, second, rewrite], found) == 2


def _widget_pages() -> list[Article]:
    """One sign-in widget as the whole text of three pages of two sites, each under its own story's headline."""
    pages = {
        "https://www.station-one.example/news/local/man-wounded-in-harbour-district-shooting/1111":
            "Man wounded in Harbour District shooting",
        "https://www.station-two.example/news/local/teen-arrested-after-crash-on-route-9/2222":
            "Teen arrested after crash on Route 9",
        "https://www.station-two.example/news/local/school-board-votes-to-close-elm-park-campus/3333":
            "School board votes to close Elm Park campus",
    }
    return [Article(id=Article.id_for(url), source=url, url=url, title=title, text=_text("widget.txt"),
                    outlet=url.split("/")[2].removeprefix("www."))
            for url, title in pages.items()]


def test_a_widget_shown_in_place_of_the_stories_joins_nothing(embedder):
    """The three texts are identical, but they are the sites' furniture: no duplicate, no rewrite."""
    pages = prepare(_widget_pages(), embedder)
    assert relate(pages) == []
    assert count_independent([p.id for p in pages], relate(pages)) == 3


def test_a_story_reprinted_under_its_headline_stays_one_source(embedder):
    """The same text on several sites, telling its headline's story, is a wire copy: duplicates."""
    text = _text("template_first.txt")
    sources = {f"https://www.paper-{i}.example/crime/teen-shot-in-the-leg-on-south-tamsin-street": text
               for i in range(3)}
    articles = [Article(id=Article.id_for(url), source=url, url=url, text=body,
                        title="Teen shot in the leg on South Tamsin Street", outlet=url.split("/")[2])
                for url, body in sources.items()]
    pages = prepare(articles, embedder)
    relations = relate(pages)
    assert relations and {r.kind for r in relations} == {"duplicate"}
    assert count_independent([p.id for p in pages], relations) == 1


def test_tells_another_story():
    widget = _text("widget.txt")
    assert tells_another_story(Article(id="a", source="a", text=widget, title="Man wounded in Harbour District shooting"))
    story = _text("template_first.txt")
    assert not tells_another_story(Article(id="b", source="b", text=story, title="Boy, 17, shot on South Tamsin Street"))
    # A site's own title leaves the headline to the address.
    assert not tells_another_story(Article(id="c", source="c", text=story, title="Local News, Sports, Jobs - The Gazette",
                                           url="https://gazette.example/2017/01/boy-shot-in-leg-on-tamsin-street/"))
    # Nothing to check: no headline, too few words, a script written without spaces, a text of no words.
    assert not tells_another_story(Article(id="d", source="d", text=widget))
    assert not tells_another_story(Article(id="g", source="g", text=" \n", title="Man wounded in Harbour District shooting"))
    assert not tells_another_story(Article(id="e", source="e", text=widget, title="Breaking"))
    assert not tells_another_story(Article(id="f", source="f", text=widget, title="港区で火災、3人けが"))
