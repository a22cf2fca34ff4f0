"""Metadata from the text: filled only where the text states it, input metadata wins, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.readers.metadata import complete_metadata, find_date, infer_metadata, normalize_date, url_domain
from storyline.model import RawDocument

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "readers"


def seed(prefix: str) -> RawDocument:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return RawDocument(source=str(path), text=path.read_text(encoding="utf-8"))


# --- the seeds -----------------------------------------------------------------------------


def test_seed_with_masthead_staff_byline_and_dateline() -> None:
    document = complete_metadata(seed("004"))
    assert document.outlet == "One America News Network"
    assert document.byline == "James Meyers"
    assert document.published == "2025-02-04"
    assert document.title == document.text.splitlines()[0].rsplit(" – ", 1)[0]
    assert not document.title.endswith("Network")


def test_seed_with_sign_off_outlet() -> None:
    document = complete_metadata(seed("001"))
    assert document.outlet == "Rolling Stone US"
    assert document.title is None  # it opens with a paragraph, not a headline
    assert document.byline is None and document.published is None


def test_seed_with_headline_and_closing_name() -> None:
    document = complete_metadata(seed("002"))
    lines = [line for line in document.text.splitlines() if line.strip()]
    assert document.title == lines[0]
    assert document.byline == lines[-1]
    assert document.outlet is None


@pytest.mark.parametrize("prefix", ["000", "003"])
def test_seeds_without_stated_metadata_stay_unknown(prefix: str) -> None:
    document = complete_metadata(seed(prefix))
    assert (document.title, document.outlet, document.byline, document.published) == (None, None, None, None)


def test_the_text_is_never_changed() -> None:
    original = seed("004")
    assert complete_metadata(original).text == original.text


# --- precedence ------------------------------------------------------------------------------


def test_input_metadata_wins() -> None:
    given = RawDocument(
        source="x", text=seed("004").text, title="Given title", outlet="Given Outlet", byline="Given Name",
        published="2024-01-01", url="https://www.example.com/a",
    )
    assert complete_metadata(given) == given


def test_only_missing_fields_are_filled() -> None:
    partial = RawDocument(source="x", text=seed("004").text, outlet="Given Outlet")
    document = complete_metadata(partial)
    assert document.outlet == "Given Outlet"
    assert document.byline == "James Meyers"


# --- titles ----------------------------------------------------------------------------------


def test_headline_first_line_is_the_title() -> None:
    found = infer_metadata((FIXTURES / "harbor_strike.txt").read_text(encoding="utf-8"))
    assert found.title == "Port Workers End Three-Day Strike After Wage Deal"


@pytest.mark.parametrize(
    "text",
    [
        "The council approved the budget on Tuesday.\nIt passed by nine votes to two.",  # a sentence
        "By Ana Ruiz\nThe council approved the budget.",  # a byline
        "March 3, 2025\nThe council approved the budget.",  # a dateline
        "Council approves budget",  # a single line: nothing to be the headline of
        "Breaking news\nThe council approved the budget.",  # too short to tell
    ],
)
def test_lines_that_are_not_headlines(text: str) -> None:
    assert infer_metadata(text).title is None


def test_pipe_masthead_splits_headline_and_outlet() -> None:
    found = infer_metadata("Markets tumble as rates rise | Daily Ledger\nStocks fell sharply on Friday.")
    assert (found.title, found.outlet) == ("Markets tumble as rates rise", "Daily Ledger")


def test_dash_in_a_headline_is_not_taken_for_an_outlet() -> None:
    found = infer_metadata("Minister visits the coast – Fishermen Demand Quotas\nThe minister arrived on Monday.")
    assert found.outlet is None
    assert found.title == "Minister visits the coast – Fishermen Demand Quotas"


def test_dash_masthead_confirmed_by_the_url_domain() -> None:
    found = infer_metadata(
        "Ferry fares frozen for another year – Island Voice\nThe operator said fares would not change.",
        url="https://www.islandvoice.example/ferry",
    )
    assert (found.title, found.outlet) == ("Ferry fares frozen for another year", "Island Voice")


# --- outlets ---------------------------------------------------------------------------------


def test_staff_byline_initials_are_expanded_from_the_text() -> None:
    found = infer_metadata(
        "Bridge reopens after repairs\nVC Staff Maria Lopez\n"
        "Engineers told the Valley Courier that the bridge was safe.\nTraffic resumed at noon."
    )
    assert (found.outlet, found.byline) == ("Valley Courier", "Maria Lopez")


def test_staff_byline_without_expansion_keeps_the_words_before_staff() -> None:
    found = infer_metadata("Bridge reopens after repairs\nVC Staff Maria Lopez\nTraffic resumed at noon.")
    assert found.outlet == "VC"


@pytest.mark.parametrize(
    ("last_line", "outlet"),
    [
        ("From Harbor Gazette", "Harbor Gazette"),
        ("Source: Valley Courier", "Valley Courier"),
        ("© 2024 Valley Courier. All rights reserved.", "Valley Courier"),
        ("This article first appeared in The Island Voice.", "The Island Voice"),
    ],
)
def test_sign_off_outlet(last_line: str, outlet: str) -> None:
    assert infer_metadata(f"The council met on Tuesday.\nIt approved the budget.\n{last_line}").outlet == outlet


def test_outlet_from_url_domain_only_when_the_text_names_none() -> None:
    text = "The council met on Tuesday.\nIt approved the budget."
    assert infer_metadata(text, url="https://www.valleycourier.example/a").outlet == "valleycourier.example"
    assert infer_metadata(text + "\nFrom Harbor Gazette", url="https://www.valleycourier.example/a").outlet == "Harbor Gazette"
    assert complete_metadata(RawDocument(source="s", text=text, url="http://news.example.org:8080/x")).outlet == "news.example.org"


def test_url_domain() -> None:
    assert url_domain("https://www.example.com/a/b?c=1") == "example.com"
    assert url_domain("www2.example.co.uk/page") == "example.co.uk"
    assert url_domain("not a url") is None


# --- bylines ---------------------------------------------------------------------------------


def test_by_line_with_two_names_and_an_agency() -> None:
    assert infer_metadata("Storm closes schools\nBy Ana Ruiz and Tom Li, Associated Press\nSchools shut.").byline == "Ana Ruiz, Tom Li"


def test_reporting_by_at_the_end() -> None:
    text = "The council met on Tuesday.\nIt approved the budget.\nReporting by Ana Ruiz; Editing by Tom Li"
    assert infer_metadata(text).byline == "Ana Ruiz"


@pytest.mark.parametrize("last_line", ["Associated Press", "Advertisements below", "Read More Stories", "Subscribe Now"])
def test_closing_lines_that_are_not_names(last_line: str) -> None:
    assert infer_metadata(f"The council met on Tuesday.\nIt approved the budget.\n{last_line}").byline is None


# --- publication dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dateline", "iso"),
    [
        ("10:34 AM – Tuesday, February 4, 2025", "2025-02-04"),
        ("Feb. 4, 2025", "2025-02-04"),
        ("2025-02-04", "2025-02-04"),
        ("4 February 2025", "2025-02-04"),
        ("Published: 4 February 2025 at 09:12 GMT", "2025-02-04"),
        ("Updated 3:15 PM EST, March 2, 2024", "2024-03-02"),
    ],
)
def test_datelines_near_the_top(dateline: str, iso: str) -> None:
    assert infer_metadata(f"Storm closes schools\n{dateline}\nSchools closed after the storm.").published == iso


def test_agency_dateline_opening_the_first_paragraph() -> None:
    assert infer_metadata("WASHINGTON, Feb. 4, 2025 — The Senate voted on Tuesday.\nMore text.").published == "2025-02-04"


def test_published_line_wins_over_updated() -> None:
    text = "Storm closes schools\nUpdated: March 3, 2024\nSchools closed.\nPublished: March 2, 2024"
    assert infer_metadata(text).published == "2024-03-02"


def test_dates_in_the_narrative_are_not_the_publication_date() -> None:
    text = "Storm closes schools\nSchools closed on 4 February 2025 after heavy snow.\nThey reopen on February 6, 2025."
    assert infer_metadata(text).published is None


# --- date values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2025-02-04T23:30:00-05:00", "2025-02-04"),  # the date as written, not moved to UTC
        ("2025-02-04 10:00", "2025-02-04"),
        ("Tue, 04 Feb 2025 23:30:00 -0800", "2025-02-04"),
        ("February 4th, 2025", "2025-02-04"),
        ("February 2025", "2025-02"),
        ("2025-02", "2025-02"),
        ("2025", "2025"),
        ("4 février 2025", "2025-02-04"),
        ("13/04/2025", "2025-04-13"),
        ("04.02.2025", "2025-02-04"),
        (1738627200, "2025-02-04"),
        (1738627200000, "2025-02-04"),
        ("02/04/2025", None),  # February 4 or 2 April: not knowable
        ("yesterday", None),  # relative to a day we do not know
        ("2025-02-30", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_normalize_date(value: object, iso: str | None) -> None:
    assert normalize_date(value) == iso


def test_find_date_gives_the_span() -> None:
    text = "Posted on Feb. 4, 2025 by the desk"
    iso, start, end = find_date(text)
    assert iso == "2025-02-04" and text[start:end] == "Feb. 4, 2025"


def test_a_marked_line_whose_date_is_not_the_markers_own() -> None:
    # An age ("1 year, 160 days ago") after the marker: the date that follows is when the page was saved.
    text = "Director still in talks for sequel\nPosted 1 year , 160 days ago [ downloaded on 2 October 2013 ]\nBody."
    assert infer_metadata(text).published is None
