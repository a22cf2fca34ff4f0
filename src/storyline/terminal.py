"""The terminal report: what ``storyline analyze`` and ``storyline story`` print, rendered with rich."""

from __future__ import annotations

from collections import Counter
from typing import Optional

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .claims import DERIVATION_LABELS, rank_score
from .model import Analysis, Article, Story

STATUS_STYLE = {"corroborated": "green", "single-source": "yellow", "contradicted": "red"}
KEY_ENTITIES = 10
CLAIMS_SHOWN = 8


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def article_label(article: Optional[Article]) -> str:
    if article is None:
        return "?"
    return article.outlet or article.source.rsplit("/", 1)[-1]


def stories_table(analysis: Analysis) -> Table:
    articles = {a.id: a for a in analysis.articles}
    table = Table(title="Stories", show_lines=False)
    table.add_column("id", no_wrap=True)
    table.add_column("title", ratio=3)
    for column in ("articles", "independent"):
        table.add_column(column, no_wrap=True)
    table.add_column("outlets", ratio=2)
    table.add_column("dates", no_wrap=True)
    for story in analysis.stories:
        members = [articles[a] for a in story.articles if a in articles]
        dates = sorted(a.published for a in members if a.published)
        outlets = sorted({a.outlet for a in members if a.outlet})
        table.add_row(
            story.id, Text(story.title or "(untitled)"), str(len(members)), str(story.independent_sources),
            Text(", ".join(outlets) or "-"), f"{dates[0]} – {dates[-1]}" if dates else "-",
        )
    return table


def story_report(analysis: Analysis, story: Story, *, claims_shown: Optional[int] = CLAIMS_SHOWN) -> Panel:
    articles = {a.id: a for a in analysis.articles}
    members = set(story.articles)
    parts: list = []

    table = Table(title="Articles", title_justify="left", expand=True)
    for column in ("outlet", "published", "title / source", "lang", "event"):
        table.add_column(column)
    event_of = {a: event for event in story.events for a in event.articles}
    ordered = sorted(story.articles, key=lambda a: (articles[a].published or "9999", a))
    for article_id in ordered:
        article = articles[article_id]
        event = event_of.get(article_id)
        table.add_row(Text(article.outlet or "unknown"), article.published or "-",
                      Text(article.title or article.source), article.language or "-",
                      Text(event.title[:40] if event and event.title else "-"))
    parts.append(table)

    if story.events:
        events = Table(title="Events", title_justify="left", expand=True)
        for column in ("date", "event", "articles"):
            events.add_column(column)
        for event in sorted(story.events, key=lambda e: (e.date or "9999", e.id)):
            events.add_row(event.date or "undated", Text(event.title or "(untitled)"),
                           Text(", ".join(article_label(articles.get(a)) for a in event.articles)))
        parts.append(events)

    relations = [r for r in analysis.relations if r.a in members and r.b in members and r.kind != "related"]
    lines = Text()
    for relation in relations:
        a, b = article_label(articles.get(relation.a)), article_label(articles.get(relation.b))
        arrow = {"a->b": f"{a} → {b}", "b->a": f"{b} → {a}"}.get(relation.direction or "", f"{a} — {b}")
        lines.append(f"{arrow}: {relation.kind} ({relation.score:.2f}, {len(relation.passages)} passages)\n")
        for sign in relation.evidence[:3]:
            lines.append(f"    {sign}\n", style="dim")
    lines.append(f"Independent sources: {story.independent_sources} of {len(story.articles)} articles")
    parts.append(Panel(lines, title="How they derive from each other", title_align="left"))

    entities = sorted((e for e in analysis.entities if members & set(e.articles)),
                      key=lambda e: (-len(members & set(e.articles)), -len(e.mentions), e.name))[:KEY_ENTITIES]
    if entities:
        table = Table(title="Key entities", title_justify="left", expand=True)
        for column in ("entity", "type", "articles", "also written"):
            table.add_column(column)
        for entity in entities:
            others = [alias for alias in entity.aliases if alias != entity.name]
            table.add_row(Text(entity.name), entity.type or "-", str(len(members & set(entity.articles))),
                          Text(", ".join(others[:6])))
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
            text = Text(claim.text if claims_shown is None else _clip(claim.text, 160))
            if claim.speaker_name:
                text.append(f"\nsaid by {claim.speaker_name}", style="dim")
            for evidence in claim.evidence:
                if evidence.derived_from:
                    label = DERIVATION_LABELS.get(evidence.derivation or "", "as derived")
                    text.append(f"\n{label} ({article_label(articles.get(evidence.article))}): {evidence.wording}",
                                style="dim")
            table.add_row(status, str(claim.independent_sources),
                          text, Text(", ".join(article_label(articles.get(a)) for a in claim.articles)))
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
            table.add_row(entry.date or "unresolved", Text(entry.phrase), Text(_clip(entry.text, 140)),
                          Text(", ".join(article_label(articles.get(a)) for a in entry.articles)))
        parts.append(table)

    return Panel(Group(*parts), title=Text(f"{story.title or '(untitled)'}  [{story.id}]"), title_align="left")


def print_report(console: Console, analysis: Analysis) -> None:
    for story in analysis.stories:
        console.print(story_report(analysis, story))
