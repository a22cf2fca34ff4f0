"""The terminal report: what ``storyline analyze`` and ``storyline story`` print, rendered with rich."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Optional

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..claims import DERIVATION_LABELS, rank_score
from ..model import Analysis, Article, Story
from ..printable import safe_text
from .common import short_source

STATUS_STYLE = {"corroborated": "green", "single-source": "yellow", "contradicted": "red"}
KEY_ENTITIES = 10
CLAIMS_SHOWN = 8
# Below this many columns the tables drop what is least needed (outlets in the list, language
# and event in a story's articles) so that titles stay readable.
NARROW_COLUMNS = 100
EVENT_CHARS = 40


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def _text(value: object, style: str = "") -> Text:
    """A table cell from input text: control characters escaped (titles and outlets come from the input)."""
    return Text(safe_text(value), style=style)


def article_label(article: Optional[Article]) -> str:
    if article is None:
        return "?"
    return safe_text(article.outlet or short_source(article.source))


def story_order(analysis: Analysis) -> list[Story]:
    """Stories biggest first, then the most recently published, then by id: the ones worth reading first."""
    published = {a.id: a.published for a in analysis.articles}

    def latest(story: Story) -> str:
        return max((published[a] or "" for a in story.articles if published.get(a)), default="")

    # Stable sorts, least significant key first: undated stories ("") come last among their size.
    ordered = sorted(analysis.stories, key=lambda story: story.id)
    ordered.sort(key=latest, reverse=True)
    ordered.sort(key=lambda story: len(story.articles), reverse=True)
    return ordered


def _date_range(dates: list[str]) -> str:
    if not dates:
        return "-"
    first, last = dates[0], dates[-1]
    if first == last:
        return first
    if first[:4] == last[:4] and len(last) > 4:
        return f"{first} – {last[5:]}"  # the same year written once: "2025-02-01 – 02-04"
    return f"{first} – {last}"


def stories_table(analysis: Analysis, width: Optional[int] = None) -> Table:
    """The stories, in :func:`story_order`; at a narrow ``width`` the outlets column is left out."""
    narrow = width is not None and width < NARROW_COLUMNS
    articles = {a.id: a for a in analysis.articles}
    table = Table(title="Stories", show_lines=False)
    table.add_column("story", no_wrap=True)
    table.add_column("title", ratio=3, min_width=20)
    table.add_column("articles", no_wrap=True, justify="right")
    table.add_column("sources", no_wrap=True, justify="right")
    if not narrow:
        table.add_column("outlets", ratio=2)
    # A range wraps after its first date when narrow.
    table.add_column("dates", min_width=10, max_width=12 if narrow else None)
    for story in story_order(analysis):
        members = [articles[a] for a in story.articles if a in articles]
        dates = sorted(a.published for a in members if a.published)
        outlets = sorted({a.outlet for a in members if a.outlet})
        row: list[RenderableType] = [story.id, _text(story.title or "(untitled)"), str(len(members)),
                                     str(story.independent_sources)]
        if not narrow:
            row.append(_text(", ".join(outlets) or "-"))
        table.add_row(*row, _date_range(dates))
    if table.row_count:
        table.caption = "sources: independent sources among the articles"
    return table


def story_report(analysis: Analysis, story: Story, width: Optional[int] = None, *,
                 claims_shown: Optional[int] = CLAIMS_SHOWN) -> Panel:
    narrow = width is not None and width < NARROW_COLUMNS
    articles = {a.id: a for a in analysis.articles}
    members = set(story.articles)
    parts: list = []

    table = Table(title="Articles", title_justify="left", expand=True)
    table.add_column("outlet", ratio=2)
    table.add_column("published", no_wrap=True)
    table.add_column("title / file", ratio=4)
    if not narrow:
        table.add_column("lang", no_wrap=True)
        table.add_column("event", ratio=2)
    event_of = {a: event for event in story.events for a in event.articles}
    ordered = sorted(story.articles, key=lambda a: (articles[a].published or "9999", a) if a in articles else ("", a))
    for article_id in ordered:
        article = articles.get(article_id)
        if article is None:
            continue
        event = event_of.get(article_id)
        row: list[RenderableType] = [_text(article.outlet or "unknown"), article.published or "-",
               _text(article.title or short_source(article.source))]
        if not narrow:
            row += [article.language or "-",
                    _text(_clip(event.title, EVENT_CHARS) if event and event.title else "-")]
        table.add_row(*row)
    parts.append(table)
    if story.id in analysis.shallow_stories:
        parts.append(Text("Not analysed in depth yet: entities, claims and timeline come when the story gains a"
                          " second article or is opened."))

    if story.events:
        events = Table(title="Events", title_justify="left", expand=True)
        for column in ("date", "event", "articles"):
            events.add_column(column)
        for event in sorted(story.events, key=lambda e: (e.date or "9999", e.id)):
            events.add_row(event.date or "undated", _text(event.title or "(untitled)"),
                           Text(", ".join(article_label(articles.get(a)) for a in event.articles)))
        parts.append(events)

    relations = [r for r in analysis.relations if r.a in members and r.b in members and r.kind != "related"]
    # Padding, not leading spaces: a wrapped evidence line keeps its indentation.
    lines: list[RenderableType] = []
    for relation in relations:
        a, b = article_label(articles.get(relation.a)), article_label(articles.get(relation.b))
        arrow = {"a->b": f"{a} → {b}", "b->a": f"{b} → {a}"}.get(relation.direction or "", f"{a} — {b}")
        lines.append(Text(f"{arrow}: {relation.kind} ({relation.score:.2f}, {len(relation.passages)} passages)"))
        lines.extend(Padding(_text(sign, style="dim"), (0, 0, 0, 4)) for sign in relation.evidence[:3])
    lines.append(Text(f"Independent sources: {story.independent_sources} of {len(story.articles)} articles"))
    parts.append(Panel(Group(*lines), title="How they derive from each other", title_align="left"))

    entities = sorted((e for e in analysis.entities if members & set(e.articles)),
                      key=lambda e: (-len(members & set(e.articles)), -len(e.mentions), e.name))[:KEY_ENTITIES]
    if entities:
        table = Table(title="Key entities", title_justify="left", expand=True)
        for column in ("entity", "type", "articles", "also written"):
            table.add_column(column)
        for entity in entities:
            others = [alias for alias in entity.aliases if alias != entity.name]
            table.add_row(_text(entity.name), entity.type or "-", str(len(members & set(entity.articles))),
                          _text(", ".join(others[:6])))
        parts.append(table)

    claims = [c for c in analysis.claims if c.story == story.id]
    if claims:
        counts = Counter(c.status for c in claims)
        table = Table(title="Claims: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
                      title_justify="left", expand=True)
        table.add_column("status", no_wrap=True)
        table.add_column("sources", no_wrap=True)
        table.add_column("claim", ratio=4)
        table.add_column("carried by", ratio=2)
        # The ledger's rank: facts first, then check-worthiness weighted by how far the claim travelled;
        # opinion last: it is wording, not a checkable fact.
        ranked = sorted(claims, key=lambda c: (c.opinion, -rank_score(c.checkworthiness, c.independent_sources), c.id))
        shown = ranked if claims_shown is None else ranked[:claims_shown]
        for claim in shown:
            status = Text(claim.status, style=STATUS_STYLE.get(claim.status, ""))
            if claim.opinion:
                status.append("\nopinion", style="magenta")
            text = _text(claim.text if claims_shown is None else _clip(claim.text, 160))
            if claim.speaker_name:
                text.append(f"\nsaid by {safe_text(claim.speaker_name)}", style="dim")
            for evidence in claim.evidence:
                if evidence.derived_from:
                    label = DERIVATION_LABELS.get(evidence.derivation or "", "as derived")
                    text.append("\n")
                    text.append(safe_text(f"{label} ({article_label(articles.get(evidence.article))}): "
                                          f"{evidence.wording}"), style="dim")
            table.add_row(status, str(claim.independent_sources),
                          text, _text(", ".join(article_label(articles.get(a)) for a in claim.articles)))
        if len(ranked) > len(shown):
            table.caption = (f"{len(ranked) - len(shown)} more: `storyline story {story.id} --claims all`, "
                             "the JSON export and the HTML report")
        parts.append(table)

    timeline = sorted((t for t in analysis.timeline if t.story == story.id),
                      key=lambda t: (t.date is None, t.date or "", t.text))
    if timeline:
        table = Table(title="Timeline", title_justify="left", expand=True)
        table.add_column("date", no_wrap=True)
        table.add_column("as written", ratio=1, min_width=12)
        table.add_column("what", ratio=4)
        table.add_column("source", ratio=2)
        for entry in timeline:
            table.add_row(entry.date or "unresolved", _text(entry.phrase), _text(_clip(entry.text, 140)),
                          Text(", ".join(article_label(articles.get(a)) for a in entry.articles)))
        parts.append(table)

    # The id first: a long title is clipped to the width, the id never is.
    title = safe_text(story.title or "(untitled)")
    if width is not None:
        title = _clip(title, max(12, width - len(story.id) - 12))
    return Panel(Group(*parts), title=Text(f"{story.id}  {title}"), title_align="left")


def print_report(console: Console, analysis: Analysis, story_ids: Optional[Iterable[str]] = None) -> None:
    """Every story's report (biggest first), or only those in ``story_ids``."""
    wanted = None if story_ids is None else set(story_ids)
    for story in story_order(analysis):
        if wanted is None or story.id in wanted:
            console.print(story_report(analysis, story, width=console.width))
