"""Timeline: time expressions found, resolved against publication dates, grouped into entries."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from conftest import FIXTURES, make_articles
from storyline.claims import build_ledger
from storyline.model import Claim, Evidence, Prepared, Story, TimelineEntry
from storyline.prepare import prepare
from storyline.timeline import build_timeline, find_time_expressions, looks_ahead, resolve

TIMELINE = FIXTURES / "timeline"


def _fixture_docs(embedder, published: dict[str, str]) -> dict[str, Prepared]:
    names = ["port_strike", "council_budget", "border_undated", "contract_undated", "contract_dated"]
    texts = {name: (TIMELINE / f"{name}.txt").read_text(encoding="utf-8") for name in names}
    articles = make_articles(texts, **{name: {"published": day} for name, day in published.items()})
    return {article.source: doc for article, doc in zip(articles, prepare(articles, embedder))}


@pytest.fixture(scope="module")
def docs(embedder) -> dict[str, Prepared]:
    return _fixture_docs(
        embedder,
        {"port_strike": "2025-02-04", "council_budget": "2025-01-03T09:30:00Z", "contract_dated": "2025-02-04"},
    )


def _story(*docs: Prepared) -> Story:
    return Story(id="s-test", title=None, articles=[doc.id for doc in docs])


def _by_phrase(entries: list[TimelineEntry]) -> dict[str, TimelineEntry]:
    return {entry.phrase: entry for entry in entries}


# --- finding -----------------------------------------------------------------


def test_finds_explicit_and_relative_expressions_with_offsets() -> None:
    text = (
        "On January 13, 2025, crowds gathered. Talks resumed on 3 February and on February 4. "
        "The deal was struck in March 2022, yesterday, last week, earlier this week and later this week; "
        "Monday and next month too."
    )
    found = find_time_expressions(text)
    phrases = [expression.phrase for expression in found]
    assert phrases == [
        "On January 13, 2025", "on 3 February", "on February 4", "in March 2022", "yesterday", "last week",
        "earlier this week", "later this week", "Monday", "next month",
    ]
    assert all(text[e.span[0]:e.span[1]] == e.phrase for e in found)


@pytest.mark.parametrize(
    "text",
    [
        "Officials may march on the capital now, a day after the vote.",
        "Protesters will March to the square if the talks fail.",
        "\"May the talks succeed,\" she said.",
        "The union has 2022 members and a 24/7 helpline for workers aged 55.",
        "Turnout in the 1990s was higher, with 2000 people at one rally.",
        "Shoppers lined up for Black Friday deals, according to USA Today.",
    ],
)
def test_no_false_hits(text: str) -> None:
    assert find_time_expressions(text) == []


def test_years_only_where_they_stand_as_years() -> None:
    phrases = [e.phrase for e in find_time_expressions("In 2022, critics of the 2024 campaign said so; by 2030 it ends.")]
    assert phrases == ["In 2022", "2024", "by 2030"]


# --- resolving ------------------------------------------------------------------

TUESDAY = date(2025, 2, 4)


@pytest.mark.parametrize(
    ("phrase", "anchor", "future", "expected"),
    [
        ("Last Friday", TUESDAY, False, ("2025-01-31", "day")),
        ("on Monday", TUESDAY, False, ("2025-02-03", "day")),
        ("on Thursday", TUESDAY, False, ("2025-01-30", "day")),
        ("on Thursday", TUESDAY, True, ("2025-02-06", "day")),
        ("next Tuesday", TUESDAY, False, ("2025-02-11", "day")),
        ("yesterday", TUESDAY, False, ("2025-02-03", "day")),
        ("early February", TUESDAY, False, ("2025-02", "month")),
        ("in January", TUESDAY, False, ("2025-01", "month")),
        ("in December", TUESDAY, False, ("2024-12", "month")),
        ("next month", TUESDAY, False, ("2025-03", "month")),
        ("earlier this week", TUESDAY, False, ("2025-02", "month")),
        # Monday 27 January to Sunday 2 February: no single month, so no date.
        ("last week", TUESDAY, False, (None, None)),
        ("December 30", date(2025, 1, 3), False, ("2024-12-30", "day")),
        ("January 9", date(2024, 12, 28), False, ("2025-01-09", "day")),
        ("on February 4, 2025", None, False, ("2025-02-04", "day")),
        ("in March 2022", None, False, ("2022-03", "month")),
        ("In 2022", None, False, ("2022", "year")),
        ("on Thursday", None, False, (None, None)),
        ("on February 3", None, False, (None, None)),
        ("February 30, 2025", None, False, (None, None)),
    ],
)
def test_resolve(phrase: str, anchor: date | None, future: bool, expected: tuple[str | None, str | None]) -> None:
    assert resolve(phrase, anchor, future=future) == expected


def test_tense_of_the_clause_decides_direction() -> None:
    ahead = "The union will meet again on Thursday to decide."
    assert looks_ahead(ahead, (ahead.index("on Thursday"), ahead.index("on Thursday") + 11))
    behind = "Leaders, who announced plans to expand, met on Thursday."
    assert not looks_ahead(behind, (behind.index("on Thursday"), behind.index("on Thursday") + 11))


# --- building the timeline ----------------------------------------------------------


def test_dated_article_resolves_relative_dates(docs: dict[str, Prepared]) -> None:
    strike = docs["port_strike"]
    entries = build_timeline(_story(strike), [strike])
    got = {phrase: (entry.date, entry.precision) for phrase, entry in _by_phrase(entries).items()}
    assert got == {
        "on Monday": ("2025-02-03", "day"),
        "Last Friday": ("2025-01-31", "day"),
        "on Thursday": ("2025-02-06", "day"),  # "will meet again on Thursday"
        "in early February": ("2025-02", "month"),
        "in 1985": ("1985", "year"),
        "in January": ("2025-01", "month"),
    }
    # The dateline is not a happening; entries come sorted by date.
    assert [e.date for e in entries] == sorted(e.date for e in entries if e.date)
    monday = _by_phrase(entries)["on Monday"]
    (evidence,) = monday.evidence
    assert strike.article.text[evidence.span[0]:evidence.span[1]] == evidence.sentence == monday.text
    assert evidence.article == strike.id and monday.articles == [strike.id] and monday.story == "s-test"


def test_month_day_near_a_year_boundary(docs: dict[str, Prepared]) -> None:
    council = docs["council_budget"]
    got = {e.phrase: e.date for e in build_timeline(_story(council), [council])}
    assert got == {"on December 30": "2024-12-30", "on January 9": "2025-01-09"}


def test_undated_article_keeps_the_phrase_without_a_date(docs: dict[str, Prepared]) -> None:
    border = docs["border_undated"]
    entries = build_timeline(_story(border), [border])
    assert [(e.date, e.precision, e.phrase) for e in entries] == [
        ("2022-03", "month", "in March 2022"),
        (None, None, "on Thursday"),
    ]


def _claim_on_first_sentences(undated: Prepared, dated: Prepared) -> Claim:
    evidence = [Evidence(doc.id, (s.start, s.end), s.text, s.text) for doc in (undated, dated) for s in doc.sentences[:1]]
    return Claim(
        id="c-first", story="s-test", text=evidence[0].sentence, kind="event", speaker=None,
        articles=[undated.id, dated.id], status="corroborated", independent_sources=2, evidence=evidence,
    )


def test_undated_article_resolves_through_an_aligned_claim(docs: dict[str, Prepared]) -> None:
    undated, dated = docs["contract_undated"], docs["contract_dated"]
    story = _story(undated, dated)

    without = build_timeline(story, [undated, dated])
    assert {(e.phrase, e.date) for e in without} == {("on February 3", None), ("on Monday", "2025-02-03")}

    (entry,) = build_timeline(story, [undated, dated], [_claim_on_first_sentences(undated, dated)])
    assert (entry.date, entry.precision, entry.phrase) == ("2025-02-03", "day", "on February 3")
    assert entry.anchor == dated.id  # the dated article that lent its publication date
    assert all(e.anchor is None for e in without)
    assert entry.articles == [undated.id, dated.id]
    assert [e.wording for e in entry.evidence] == ["on February 3", "on Monday"]


def test_same_happening_in_two_articles_is_one_entry(embedder) -> None:
    texts = {
        "a": "The minister resigned on Friday after the audit was published.\nThe weather was mild.",
        "b": "On Friday the minister resigned, days after a damning audit.\nFarmers harvested wheat on Friday.",
    }
    articles = make_articles(texts, a={"published": "2025-03-10"}, b={"published": "2025-03-09"})
    prepared = prepare(articles, embedder)
    entries = build_timeline(_story(*prepared), prepared)
    resignation = [e for e in entries if "resigned" in e.text]
    assert len(resignation) == 1 and resignation[0].date == "2025-03-07"
    assert resignation[0].articles == [prepared[0].id, prepared[1].id]
    # The harvest is the same Friday but another happening.
    assert any(e.text.startswith("Farmers") and e.articles == [prepared[1].id] for e in entries)


def test_seeds(seed_prepared: list[Prepared]) -> None:
    # The metadata stage gives the one article that prints a dateline its date;
    # here it is set by hand on whichever seed carries one.
    dated = [p for p in seed_prepared if "February 4, 2025" in "\n".join(p.article.text.splitlines()[:3])]
    assert len(dated) == 1
    docs = [
        dataclasses.replace(p, article=dataclasses.replace(p.article, published="2025-02-04")) if p in dated else p
        for p in seed_prepared
    ]
    entries = build_timeline(_story(*docs), docs)
    dates = {e.date for e in entries}
    assert {"2025-02-03", "2025-01-31", "2025-01", "2025-01-13", "2025-01-20", "2022-03"} <= dates
    assert "2025-02-04" not in dates  # the dateline itself is no happening
    unresolved = [e for e in entries if e.date is None]
    assert unresolved and all(e.precision is None and e.phrase for e in unresolved)
    assert entries[-len(unresolved):] == unresolved
    # Three reports of one call on an undated Thursday are one entry.
    assert max(len(e.articles) for e in unresolved if e.phrase.lower() == "on thursday") == 3


def test_lending_article_is_evidence_even_without_its_own_phrase(embedder) -> None:
    texts = {
        "undated": "The ferry line resumed service last Friday after a month of repairs.",
        "dated": "The ferry line has resumed service after a month of repairs, its owner said.",
    }
    articles = make_articles(texts, dated={"published": "2025-06-10"})
    undated, dated = prepare(articles, embedder)
    (entry,) = build_timeline(_story(undated, dated), [undated, dated], [_claim_on_first_sentences(undated, dated)])
    assert (entry.date, entry.phrase) == ("2025-06-06", "last Friday")
    assert entry.articles == [undated.id, dated.id]
    assert entry.evidence[1].sentence == dated.sentences[0].text


def test_seed_ledger_lends_the_dated_reports_date_to_the_undated_one(seed_prepared: list[Prepared]) -> None:
    """The real chain: claims aligned by the ledger carry a dated report's date to an undated one, and only them."""
    dated = [p for p in seed_prepared if "February 4, 2025" in "\n".join(p.article.text.splitlines()[:3])]
    docs = [
        dataclasses.replace(p, article=dataclasses.replace(p.article, published="2025-02-04")) if p in dated else p
        for p in seed_prepared
    ]
    story = _story(*docs)
    claims, _ = build_ledger(story, docs)
    entries = build_timeline(story, docs, claims)
    undated = next(p for p in docs if "on February 3" in p.article.text)
    february = next(e for e in entries if any(ev.article == undated.id and ev.wording == "on February 3"
                                              for ev in e.evidence))
    assert (february.date, february.precision, february.anchor) == ("2025-02-03", "day", dated[0].id)
    # No dated report carries the Thursday call: the phrase stays, with no date and no anchor.
    thursday = [e for e in entries if e.phrase.lower() == "on thursday"]
    assert thursday and all(e.date is None and e.anchor is None for e in thursday)
