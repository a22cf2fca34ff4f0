"""The terminal report (issue 14, item 17): readable at 80 and 120 columns, stories in a useful order."""

from __future__ import annotations

from rich.console import Console

from storyline.model import Analysis, Article, Event, Relation, Story
from storyline.views.terminal import print_report, stories_table, story_order, story_report

LONG_TITLE = "El Salvador to Accept Deported Migrants, Including Criminals, Under New U.S. Agreement"


def _analysis() -> Analysis:
    articles = [
        Article(id="a-1", source="examples/seeds/000_86c6f77372c9a233.txt", text="x", outlet="One America News",
                title=LONG_TITLE, published="2025-02-04"),
        Article(id="a-2", source="examples/seeds/002_4ee9168ceb9a728c.txt", text="x"),
        Article(id="a-3", source="examples/seeds/003_b7d08a59d509908e.txt", text="x", published="2025-02-06"),
        Article(id="a-4", source="other/lone.txt", text="x", title="A lone story", published="2025-03-01"),
        Article(id="a-5", source="other/old.txt", text="x", title="An old pair", published="2024-01-01"),
        Article(id="a-6", source="other/old2.txt", text="x", published="2024-01-02"),
    ]
    evidence = ("aligned 87% of 000_86c6f77372c9a233.txt and 43% of 002_4ee9168ceb9a728c.txt (13 sentence pairs; "
                "18% of 000_86c6f77372c9a233.txt copied verbatim; word overlap 0.42)")
    event = Event(id="e-1", title="Trump considers reaching an asylum agreement with Salvador to expel immigration",
                  articles=["a-1", "a-2", "a-3"])
    return Analysis(
        articles=articles,
        stories=[Story(id="s-000000000001", title="A lone story", articles=["a-4"], independent_sources=1),
                 Story(id="s-ffffffffffff", title=LONG_TITLE, articles=["a-1", "a-2", "a-3"], events=[event],
                       independent_sources=2),
                 Story(id="s-000000000002", title="An old pair", articles=["a-5", "a-6"], independent_sources=1)],
        relations=[Relation(a="a-1", b="a-2", kind="translation", direction="a->b", score=0.68, evidence=[evidence])],
    )


def _render(renderable, width: int) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"), color_system=None)
    console.print(renderable)
    return console.export_text()


def test_stories_are_listed_biggest_first_then_most_recent() -> None:
    assert [s.id for s in story_order(_analysis())] == ["s-ffffffffffff", "s-000000000002", "s-000000000001"]


def test_the_story_list_at_80_columns_keeps_titles_readable() -> None:
    text = _render(stories_table(_analysis(), width=80), 80)
    assert "El Salvador to" in text and "Agreement" in text and "…" not in text
    assert "s-ffffffffffff" in text
    assert all(len(line) <= 80 for line in text.splitlines())
    table_lines = [line.rstrip() for line in text.splitlines() if line.startswith(("┏", "┃", "┡", "│", "└"))]
    assert table_lines and all(line.endswith(("┓", "┃", "┩", "│", "┘")) for line in table_lines)  # nothing cut off


def test_the_story_panel_at_80_columns_keeps_the_id_and_names_files_by_name() -> None:
    analysis = _analysis()
    text = _render(story_report(analysis, analysis.stories[1], width=80), 80)
    first_line = text.splitlines()[0]
    assert "s-ffffffffffff" in first_line
    assert "examples/seeds/" not in text and "002_4ee9168ceb9a728c.txt" in text


def test_the_event_column_at_120_is_cut_at_a_word_with_an_ellipsis() -> None:
    analysis = _analysis()
    text = _render(story_report(analysis, analysis.stories[1], width=120), 120)
    assert "reaching an asylum…" in text.replace("\n", " ").replace("│", " ").replace("  ", " ") or "…" in text
    assert "asylum agree " not in text and "asylum agree\n" not in text


def test_wrapped_provenance_lines_keep_their_indentation() -> None:
    analysis = _analysis()
    lines = _render(story_report(analysis, analysis.stories[1], width=80), 80).splitlines()
    start = next(i for i, line in enumerate(lines) if "aligned 87%" in line)
    wrapped = lines[start + 1]
    inner = wrapped.split("│")[2] if wrapped.count("│") >= 3 else wrapped
    assert inner.startswith("     "), wrapped


def test_titles_with_escape_sequences_are_printed_escaped() -> None:
    analysis = _analysis()
    analysis.stories[0].title = "Breaking\x1b[2J\x1b]0;owned\x07 news"
    console = Console(width=120, record=True, file=open("/dev/null", "w"), color_system=None)
    print_report(console, analysis)
    console.print(stories_table(analysis, width=120))
    text = console.export_text()
    assert "\x1b" not in text and "\x07" not in text and "\\x1b[2J" in text


def test_print_report_prints_only_the_stories_asked_for() -> None:
    analysis = _analysis()
    console = Console(width=120, record=True, file=open("/dev/null", "w"), color_system=None)
    print_report(console, analysis, ["s-000000000001"])
    text = console.export_text()
    assert "s-000000000001" in text and "s-ffffffffffff" not in text
