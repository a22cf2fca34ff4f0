"""The storyline/1 JSON export, its schema, CSV tables, filters and the static HTML report."""

from __future__ import annotations

import copy
import csv
import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import FIXTURES, make_articles
from storyline.model import (
    Analysis,
    Article,
    Claim,
    Entity,
    Event,
    Evidence,
    Mention,
    Merge,
    Omission,
    Passage,
    Relation,
    Story,
    TimelineEntry,
)
from storyline.views.csv_export import CSV_TABLES, write_csv
from storyline.views.filters import filter_analysis
from storyline.views.json_export import (
    ExportValidationError,
    dumps,
    load_schema,
    normalize_date,
    to_json,
    validate_export,
    write_json,
)
from storyline.views.report import anchor_id, render_html, write_html

HERE = FIXTURES / "export"
WIRE, REWRITE, HOSTILE = "harbour-wire.txt", "harbour-rewrite.txt", "harbour-hostile.txt"


def span_of(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return (start, start + len(needle))


def evidence(article: Article, needle: str, wording: str | None = None) -> Evidence:
    span = span_of(article.text, needle)
    line_start = article.text.rfind("\n", 0, span[0]) + 1
    line_end = article.text.find("\n", span[1])
    sentence = article.text[line_start : line_end if line_end >= 0 else len(article.text)]
    return Evidence(article=article.id, span=span, sentence=sentence, wording=wording or needle)


def build_analysis() -> Analysis:
    texts = {name: (HERE / name).read_text(encoding="utf-8") for name in (WIRE, REWRITE, HOSTILE)}
    wire, rewrite, hostile = make_articles(
        texts,
        **{
            WIRE: {
                "outlet": "Coast Wire",
                "published": "2024-11-12",
                "title": "Port authority approves harbour expansion",
                "language": "en",
                "url": "https://coastwire.example/harbour",
            },
            REWRITE: {"outlet": "Harbour Daily", "published": "2024-11-13T08:30:00Z", "language": "en",
                      "byline": "J. Berg"},
            HOSTILE: {"outlet": 'Evil <b onmouseover="alert(3)">News</b>', "published": "2024-12",
                      "title": 'Plan <script>alert("t")</script>', "url": "javascript:alert(4)"},
        },
    )
    story_id = "s-harbour"
    # Relations hold a < b by id; the wire text is the source whichever id sorts first.
    first, second = sorted([wire, rewrite], key=lambda article: article.id)
    aligned = {wire.id: "approved a 240 million euro expansion", rewrite.id: "approved on Tuesday an expansion"}
    relation = Relation(
        a=first.id,
        b=second.id,
        kind="rewrite",
        direction="a->b" if first is wire else "b->a",
        score=0.8123456,
        evidence=["same quote reworded", "same figures in the same order"],
        passages=[Passage(a=span_of(first.text, aligned[first.id]), b=span_of(second.text, aligned[second.id]),
                          similarity=0.91)],
    )
    related = Relation(a=min(wire.id, hostile.id), b=max(wire.id, hostile.id), kind="related", score=0.41)
    person = Entity(
        id="e-chair",
        name="Marta Lindqvist",
        type="PERSON",
        aliases=["Lindqvist", "Marta Lindqvist"],
        articles=[wire.id, rewrite.id, hostile.id],
        mentions=[
            Mention(wire.id, span_of(wire.text, "Marta Lindqvist"), "Marta Lindqvist", "PERSON"),
            Mention(rewrite.id, span_of(rewrite.text, "Marta Lindqvist"), "Marta Lindqvist", "PERSON"),
            Mention(hostile.id, span_of(hostile.text, "Marta Lindqvist"), "Marta Lindqvist", "ORG"),
            Mention(wire.id, span_of(wire.text, "Lindqvist told"), "Lindqvist", "PERSON"),
        ],
        merges=[Merge(aliases=["Lindqvist", "Marta Lindqvist"], rule="surname", evidence="same article")],
    )
    place = Entity(id="e-harbour", name="northern harbour", type=None, aliases=["northern harbour"],
                   articles=[wire.id, rewrite.id], mentions=[])
    cost = Claim(
        id="c-cost", story=story_id, text="The expansion costs 240 million euros.", kind="number", speaker=None,
        articles=[wire.id, rewrite.id], status="contradicted", independent_sources=1, conflicts=["c-cost-critics"],
        evidence=[evidence(wire, "240 million euro expansion"), evidence(rewrite, "worth 240 million euros")],
    )
    critics = Claim(
        id="c-cost-critics", story=story_id, text="The plan costs 300 million euros.", kind="number", speaker=None,
        articles=[hostile.id], status="contradicted", independent_sources=1, conflicts=["c-cost"],
        evidence=[evidence(hostile, "the plan costs 300 million euros")],
    )
    quote = Claim(
        id="c-quote", story=story_id, text="The largest investment in the port for thirty years.", kind="quote",
        speaker="e-chair", articles=[wire.id, rewrite.id], status="single-source", independent_sources=1,
        evidence=[
            evidence(wire, "This is the largest investment in the port for thirty years"),
            evidence(rewrite, "It is the biggest investment in the port in three decades"),
        ],
    )
    approved = Claim(
        id="c-approved", story=story_id, text="The port authority approved the expansion.", kind="event",
        speaker=None, articles=[wire.id, rewrite.id, hostile.id], status="corroborated", independent_sources=2,
        evidence=[evidence(wire, "approved a 240 million euro expansion"), evidence(hostile, "the vote")],
    )
    story = Story(
        id=story_id,
        title="Harbour expansion approved",
        articles=[hostile.id, rewrite.id, wire.id],
        independent_sources=2,
        events=[
            Event(id="ev-work", title="Construction begins", articles=[wire.id, rewrite.id], date="2025-03"),
            Event(id="ev-vote", title="Authority votes", articles=[wire.id, rewrite.id, hostile.id], date="2024-11-12"),
            Event(id="ev-appeal", title="Appeal announced", articles=[wire.id], date=None),
        ],
    )
    timeline = [
        TimelineEntry(story=story_id, date=None, precision=None, phrase="three years",
                      text="Construction lasts three years", articles=[wire.id],
                      evidence=[evidence(wire, "last three years")]),
        TimelineEntry(story=story_id, date="2025-03", precision="month", phrase="March 2025",
                      text="Construction is expected to begin", articles=[wire.id, rewrite.id],
                      evidence=[evidence(rewrite, "start in March 2025"), evidence(wire, "begin in March 2025")]),
        TimelineEntry(story=story_id, date="2024-11-12", precision="day", phrase="on Tuesday",
                      text="The port authority approved the expansion", articles=[wire.id],
                      evidence=[evidence(wire, "on Tuesday approved")]),
    ]
    return Analysis(
        articles=[hostile, wire, rewrite],
        stories=[story],
        relations=[relation, related],
        entities=[place, person],
        claims=[quote, cost, approved, critics],
        omissions=[Omission(story=story_id, article=hostile.id, claims=["c-quote"])],
        timeline=timeline,
    )


@pytest.fixture
def analysis() -> Analysis:
    return build_analysis()


# --- JSON ----------------------------------------------------------------------------


def test_export_validates_and_keeps_the_documented_key_order(analysis: Analysis) -> None:
    doc = to_json(analysis)
    validate_export(doc)
    assert list(doc) == ["schema", "articles", "stories", "relations", "entities", "claims", "omissions", "timeline",
                         "outlets", "claim_events", "languages"]
    assert doc["schema"] == "storyline/1"
    assert doc["languages"]["claims"] == "English" and doc["languages"]["stories"] == "any"
    assert list(doc["articles"][0]) == ["id", "source", "outlet", "title", "published", "language", "byline", "version",
                                        "wire"]
    assert list(doc["stories"][0]) == ["id", "title", "articles", "independent_sources", "events", "analysed_in_depth",
                                       "outlets", "source_groups", "sources_summary", "coverage", "blindspots"]
    assert list(doc["stories"][0]["events"][0]) == ["id", "title", "articles", "date"]
    assert list(doc["relations"][0]) == ["story", "a", "b", "kind", "direction", "score", "evidence", "passages"]
    assert list(doc["entities"][0]) == ["id", "name", "type", "aliases", "articles", "mentions", "merges"]
    assert list(doc["entities"][0]["mentions"][0]) == ["article", "span", "text"]
    assert list(doc["claims"][0]) == [
        "id", "story", "text", "kind", "speaker", "articles", "status", "independent_sources", "conflicts", "evidence",
        "opinion", "markers", "checkworthiness", "origin", "sources", "speaker_name", "events",
        "outlets", "source_groups", "sources_summary", "blindspots",
    ]
    assert list(doc["claims"][0]["evidence"][0]) == [
        "article", "span", "sentence", "wording", "attributed_to", "markers", "hedges", "quotes", "derived_from", "derivation"]
    assert list(doc["timeline"][0]) == ["story", "date", "precision", "phrase", "text", "articles", "evidence", "anchor"]
    assert all(list(item) == ["article", "span", "sentence"] for entry in doc["timeline"] for item in entry["evidence"])


def test_export_values(analysis: Analysis) -> None:
    doc = to_json(analysis)
    by_source = {article["source"]: article for article in doc["articles"]}
    assert [article["source"] for article in doc["articles"]] == sorted(by_source)
    assert by_source[REWRITE]["published"] == "2024-11-13"  # a date-time is exported as its date
    assert by_source[REWRITE]["title"] is None  # unknown stays null
    relation = next(relation for relation in doc["relations"] if relation["kind"] == "rewrite")
    assert relation["story"] == "s-harbour"
    assert relation["score"] == 0.8123
    assert all(isinstance(value, int) for passage in relation["passages"] for value in passage["a"] + passage["b"])
    events = doc["stories"][0]["events"]
    assert [event["date"] for event in events] == ["2024-11-12", "2025-03", None]
    assert [entry["date"] for entry in doc["timeline"]] == ["2024-11-12", "2025-03", None]
    chair = next(entity for entity in doc["entities"] if entity["id"] == "e-chair")
    assert chair["aliases"] == ["Lindqvist", "Marta Lindqvist"]
    # Records and lists of article ids follow the export's article order, then spans.
    rank = {article["id"]: index for index, article in enumerate(doc["articles"])}
    mention_keys = [(rank[mention["article"]], mention["span"]) for mention in chair["mentions"]]
    assert mention_keys == sorted(mention_keys) and len(mention_keys) == 4
    assert doc["stories"][0]["articles"] == sorted(doc["stories"][0]["articles"], key=rank.__getitem__)


def test_export_is_deterministic_whatever_the_input_order(analysis: Analysis) -> None:
    first = dumps(to_json(analysis))
    assert dumps(to_json(build_analysis())) == first
    shuffled = copy.deepcopy(analysis)
    chooser = random.Random(7)
    for table in ("articles", "stories", "relations", "entities", "claims", "omissions", "timeline"):
        chooser.shuffle(getattr(shuffled, table))
    for story in shuffled.stories:
        chooser.shuffle(story.articles)
        chooser.shuffle(story.events)
    for entity in shuffled.entities:
        chooser.shuffle(entity.aliases)
        chooser.shuffle(entity.mentions)
    for claim in shuffled.claims:
        chooser.shuffle(claim.evidence)
        chooser.shuffle(claim.articles)
    assert dumps(to_json(shuffled)) == first


def test_write_json_round_trips(analysis: Analysis, tmp_path: Path) -> None:
    path = write_json(analysis, tmp_path / "out.json")
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert json.loads(text) == to_json(analysis)


def test_non_finite_scores_are_refused(analysis: Analysis) -> None:
    analysis.relations[0].score = float("nan")
    with pytest.raises(ValueError, match="finite"):
        to_json(analysis)


def test_normalize_date() -> None:
    assert normalize_date("2025") == "2025"
    assert normalize_date(" 2025-02-03 ") == "2025-02-03"
    assert normalize_date("2025-02-03T10:00:00+01:00") == "2025-02-03"
    assert normalize_date("Feb 3, 2025") is None
    assert normalize_date(None) is None


# --- schema ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "breakage, path_fragment",
    [
        (lambda doc: doc["relations"][0].update(kind="copy"), "$.relations[0].kind"),
        (lambda doc: doc["relations"][0].update(direction="both"), "$.relations[0].direction"),
        (lambda doc: doc["claims"][0].update(status="disputed"), "$.claims[0].status"),
        (lambda doc: doc["claims"][0].update(kind="opinion"), "$.claims[0].kind"),
        (lambda doc: doc["timeline"][0].update(precision="week"), "$.timeline[0].precision"),
        (lambda doc: doc["articles"][0].pop("outlet"), "$.articles[0]"),
        (lambda doc: doc["stories"][0].pop("events"), "$.stories[0]"),
        (lambda doc: doc.pop("timeline"), "$"),
        (lambda doc: doc.update(schema="storyline/2"), "$.schema"),
        (lambda doc: doc["articles"][0].update(published="03/02/2025"), "$.articles[0].published"),
        (lambda doc: doc["stories"][0]["events"][0].update(date="2025-3-1"), "$.stories[0].events[0].date"),
        (lambda doc: doc["claims"][0]["evidence"][0].update(span=[1, 2, 3]), "$.claims[0].evidence[0].span"),
        (lambda doc: doc["relations"][0]["passages"][0].update(a=[-1, 4]), "$.relations[0].passages[0].a[0]"),
        (lambda doc: doc["entities"][0]["mentions"][0].update(span=["1", 2]), "$.entities[0].mentions[0].span[0]"),
        (lambda doc: doc["stories"][0].update(independent_sources=1.5), "$.stories[0].independent_sources"),
    ],
)
def test_schema_rejects_bad_documents(analysis: Analysis, breakage, path_fragment: str) -> None:
    doc = to_json(analysis)
    breakage(doc)
    with pytest.raises(ExportValidationError) as caught:
        validate_export(doc)
    assert any(problem.startswith(path_fragment) for problem in caught.value.problems), caught.value.problems


def test_schema_accepts_added_fields(analysis: Analysis) -> None:
    doc = to_json(analysis)
    doc["generator"] = "storyline 9"
    doc["claims"][0]["confidence"] = 0.5
    validate_export(doc)


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda doc: doc["relations"][0].update(a="a-missing"), "$.relations[0].a: 'a-missing' is no article"),
        (lambda doc: doc["claims"][0].update(conflicts=["c-nowhere"]), "$.claims[0].conflicts[0]: 'c-nowhere'"),
        (lambda doc: doc["claims"][0].update(speaker="e-nobody"), "$.claims[0].speaker"),
        (lambda doc: doc["articles"].append(dict(doc["articles"][0])), "duplicate id"),
        (lambda doc: doc["timeline"][0].update(precision="year"), "$.timeline[0].precision"),
        (lambda doc: doc["claims"][0]["evidence"][0].update(span=[9, 3]), "span starts after it ends"),
    ],
)
def test_validation_checks_references_and_consistency(analysis: Analysis, breakage, message: str) -> None:
    doc = to_json(analysis)
    breakage(doc)
    with pytest.raises(ExportValidationError, match=r"(?s)invalid.*" + re.escape(message)):
        validate_export(doc)


def test_schema_file_is_a_valid_draft_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# --- CSV ---------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_tables(analysis: Analysis, tmp_path: Path) -> None:
    paths = write_csv(analysis, tmp_path / "csv")
    assert sorted(path.name for path in paths) == sorted(f"{table}.csv" for table in CSV_TABLES)
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            assert handle.readline().rstrip("\n").split(",") == list(CSV_TABLES[path.stem])
    doc = to_json(analysis)
    articles = read_csv(tmp_path / "csv" / "articles.csv")
    assert [row["source"] for row in articles] == [article["source"] for article in doc["articles"]]
    rewrite_row = next(row for row in articles if row["source"] == REWRITE)
    assert rewrite_row["title"] == "" and rewrite_row["byline"] == "J. Berg"
    stories = read_csv(tmp_path / "csv" / "stories.csv")
    assert stories[0]["articles"] == ";".join(doc["stories"][0]["articles"])
    assert stories[0]["events"] == "ev-vote;ev-work;ev-appeal"
    events = read_csv(tmp_path / "csv" / "events.csv")
    assert [(row["story"], row["id"], row["date"]) for row in events] == [
        ("s-harbour", "ev-vote", "2024-11-12"), ("s-harbour", "ev-work", "2025-03"), ("s-harbour", "ev-appeal", ""),
    ]
    relations = read_csv(tmp_path / "csv" / "relations.csv")
    rewrite_relation = next(row for row in relations if row["kind"] == "rewrite")
    assert json.loads(rewrite_relation["passages"]) == next(
        relation["passages"] for relation in doc["relations"] if relation["kind"] == "rewrite"
    )
    assert json.loads(rewrite_relation["evidence"]) == ["same quote reworded", "same figures in the same order"]
    claims = read_csv(tmp_path / "csv" / "claims.csv")
    assert {row["id"]: row["status"] for row in claims} == {
        "c-approved": "corroborated", "c-cost": "contradicted", "c-cost-critics": "contradicted",
        "c-quote": "single-source",
    }
    entities = read_csv(tmp_path / "csv" / "entities.csv")
    assert next(row for row in entities if row["id"] == "e-chair")["mention_count"] == "4"
    timeline = read_csv(tmp_path / "csv" / "timeline.csv")
    assert [row["date"] for row in timeline] == ["2024-11-12", "2025-03", ""]
    assert len(read_csv(tmp_path / "csv" / "omissions.csv")) == 1


def test_csv_spreadsheet_safe_defuses_formulas(analysis: Analysis, tmp_path: Path) -> None:
    analysis.articles[0] = Article(**{**analysis.articles[0].__dict__, "title": "=HYPERLINK(\"x\")"})
    write_csv(analysis, tmp_path / "raw")
    write_csv(analysis, tmp_path / "safe", spreadsheet_safe=True)
    raw_titles = {row["title"] for row in read_csv(tmp_path / "raw" / "articles.csv")}
    safe_titles = {row["title"] for row in read_csv(tmp_path / "safe" / "articles.csv")}
    assert '=HYPERLINK("x")' in raw_titles
    assert "'=HYPERLINK(\"x\")" in safe_titles


# --- filters ---------------------------------------------------------------------------------


def two_story_analysis() -> Analysis:
    analysis = build_analysis()
    other = make_articles(
        {"late.txt": "Ferry operators announce new winter timetable for the islands."},
        **{"late.txt": {"outlet": "Island Post", "published": "2025-01-20"}},
    )[0]
    undated = make_articles({"undated.txt": "An undated note about the ferries."})[0]
    analysis.articles += [other, undated]
    analysis.stories.append(Story(id="s-ferry", title="Ferry timetable", articles=[other.id, undated.id],
                                  independent_sources=2))
    analysis.timeline.append(TimelineEntry(story="s-ferry", date="2025-01", precision="month", phrase="winter",
                                           text="New timetable", articles=[other.id]))
    return analysis


def story_ids(analysis: Analysis) -> list[str]:
    return sorted(story.id for story in analysis.stories)


def test_filter_by_dates_keeps_whole_stories() -> None:
    analysis = two_story_analysis()
    before = dumps(to_json(analysis))
    late = filter_analysis(analysis, since="2025-01")
    assert story_ids(late) == ["s-ferry"]
    # The undated article stays because its story is kept, though alone it would not match.
    assert sorted(article.source for article in late.articles) == ["late.txt", "undated.txt"]
    assert late.relations == [] and late.claims == [] and late.omissions == [] and late.entities == []
    assert [entry.story for entry in late.timeline] == ["s-ferry"]
    validate_export(to_json(late))
    assert dumps(to_json(analysis)) == before  # the input is left alone

    early = filter_analysis(analysis, until="2024-11")
    assert story_ids(early) == ["s-harbour"]
    assert len(early.claims) == 4 and len(early.relations) == 2
    # A month-precision publication date matches a day range it overlaps.
    assert story_ids(filter_analysis(analysis, since="2024-12-15", until="2024-12-20")) == ["s-harbour"]
    assert story_ids(filter_analysis(analysis, since="2030")) == []
    assert story_ids(filter_analysis(analysis)) == ["s-ferry", "s-harbour"]


def test_filter_undated_articles_never_match_a_date_filter() -> None:
    analysis = two_story_analysis()
    analysis.articles = [
        Article(**{**article.__dict__, "published": None}) if article.source == "late.txt" else article
        for article in analysis.articles
    ]
    assert story_ids(filter_analysis(analysis, since="2000")) == ["s-harbour"]


def test_filter_by_outlet_trims_entities() -> None:
    analysis = two_story_analysis()
    ferry = filter_analysis(analysis, outlets=["island post"])
    assert story_ids(ferry) == ["s-ferry"]
    harbour = filter_analysis(analysis, outlets=["Harbour Daily", "Nobody"])
    assert story_ids(harbour) == ["s-harbour"]
    chair = next(entity for entity in harbour.entities if entity.id == "e-chair")
    assert len(chair.mentions) == 4
    both = filter_analysis(analysis, outlets=["Island Post"], since="2024-11-13", until="2024-11-13")
    assert story_ids(both) == []  # each filter must hold for the same article


def test_filter_rejects_bad_dates(analysis: Analysis) -> None:
    with pytest.raises(ValueError, match="since must be an ISO date"):
        filter_analysis(analysis, since="last week")


# --- HTML ---------------------------------------------------------------------------------------


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append((tag, name, value))
            if name == "id" and value:
                self.ids.add(value)
            if name == "href" and value is not None:
                self.hrefs.append(value)


def test_html_report_shows_the_story(analysis: Analysis) -> None:
    page = render_html(analysis)
    assert "Harbour expansion approved" in page
    for status in ("corroborated", "single-source", "contradicted"):
        assert f'class="badge {status}"' in page
    # Differing quote wordings are shown side by side.
    assert "This is the largest investment in the port for thirty years" in page
    assert "It is the biggest investment in the port in three decades" in page
    assert "undated" in page and "2025-03" in page
    assert "Marta Lindqvist" in page and "PERSON" in page
    assert "https://coastwire.example/harbour" in page


def test_html_report_escapes_untrusted_text(analysis: Analysis) -> None:
    page = render_html(analysis)
    parser = PageParser()
    parser.feed(page)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert parser.tags.count("script") == 1  # only the report's own
    assert "img" not in parser.tags and "b" not in parser.tags
    assert not [attribute for attribute in parser.attributes if attribute[1].startswith("on")]
    assert not [href for href in parser.hrefs if not href.startswith(("#", "https://", "http://"))]
    assert "Content-Security-Policy" in page


def test_html_links_point_at_anchors_in_the_page(analysis: Analysis) -> None:
    page = render_html(analysis)
    parser = PageParser()
    parser.feed(page)
    internal = [href[1:] for href in parser.hrefs if href.startswith("#")]
    assert internal and not [target for target in internal if target not in parser.ids]
    # Claim evidence links to the anchor at the evidence span's start.
    quote = next(claim for claim in analysis.claims if claim.id == "c-quote")
    for item in quote.evidence:
        assert f'href="#{anchor_id(item.article, item.span[0])}"' in page
        assert anchor_id(item.article, item.span[0]) in parser.ids
    assert len(parser.ids) == len([1 for _, name, _ in parser.attributes if name == "id"])  # ids are unique


def test_html_ignores_spans_outside_the_text(analysis: Analysis) -> None:
    analysis.claims[0].evidence.append(Evidence(analysis.articles[0].id, (10_000, 10_010), "x", "x"))
    parser = PageParser()
    parser.feed(render_html(analysis))
    assert not [href for href in parser.hrefs if href.startswith("#") and href[1:] not in parser.ids]


def test_write_html(analysis: Analysis, tmp_path: Path) -> None:
    path = write_html(analysis, tmp_path / "report.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_seed_articles_export_and_render(seed_articles: list[Article]) -> None:
    story = Story(id="s-seeds", title=None, articles=[article.id for article in seed_articles], independent_sources=5)
    analysis = Analysis(articles=list(seed_articles), stories=[story])
    validate_export(to_json(analysis))
    assert "Untitled story" in render_html(analysis)


def test_html_ids_stay_unique_when_input_repeats_ids() -> None:
    analysis = two_story_analysis()
    ferry = next(story for story in analysis.stories if story.id == "s-ferry")
    chair = next(entity for entity in analysis.entities if entity.id == "e-chair")
    chair.articles.append(ferry.articles[0])  # one entity under two stories
    analysis.claims.append(copy.deepcopy(analysis.claims[0]))  # a stage that emitted a claim twice
    parser = PageParser()
    parser.feed(render_html(analysis))
    ids = [value for _, name, value in parser.attributes if name == "id"]
    assert len(ids) == len(set(ids))
    assert not [href for href in parser.hrefs if href.startswith("#") and href[1:] not in parser.ids]
