"""What the CLI, the report and the web app show of outlets, from the export's added fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ["blindspot_stories", "claim_side_notes", "coverage_lines", "outlet_rows"]


def blindspot_stories(doc: Mapping[str, Any], label: str) -> set[str]:
    """Ids of the stories with a blindspot on ``label`` (compared without case)."""
    wanted = label.strip().casefold()
    return {story["id"] for story in doc["stories"]
            if any(spot["label"].casefold() == wanted for spot in story.get("blindspots", []))}


def claim_side_notes(claim: Mapping[str, Any]) -> list[str]:
    """One short note per claim blindspot: "only left (leaning)", "omitted by right (leaning)"."""
    notes = []
    for spot in claim.get("blindspots", []):
        if spot["only"]:
            notes.append(f"only {spot['only']} ({spot['label']})")
        if spot["omitted_by"]:
            notes.append(f"omitted by {', '.join(spot['omitted_by'])} ({spot['label']})")
    return notes


def coverage_lines(story: Mapping[str, Any], claims: list[Mapping[str, Any]]) -> list[str]:
    """The "who covers it" section of the terminal story report, as plain lines."""
    lines = [f"Sources: {story['sources_summary']}"]
    for group in story.get("source_groups", []):
        if group["agency"]:
            lines.append(f"  {group['agency']}: {len(group['articles'])} article(s) are its copy")
    for item in story.get("coverage", []):
        values = ", ".join(f"{v['value']} {v['articles']} art./{v['sources']} src." for v in item["values"])
        unknown = f", unknown {item['unknown']}" if item["unknown"] else ""
        lines.append(f"Coverage by {item['label']}: {values}{unknown}")
    for spot in story.get("blindspots", []):
        lines.append(f"Blindspot ({spot['label']}): {spot['share']:.0%} of labelled sources are {spot['dominant']}"
                     + (f"; none from {', '.join(spot['missing'])}" if spot["missing"] else ""))
    sided = [(claim, claim_side_notes(claim)) for claim in claims if claim.get("blindspots")]
    if sided:
        lines.append("Claims one side carries or leaves out:")
        for claim, notes in sided:
            lines.append(f"  [{'; '.join(notes)}] {claim['text'][:100]}")
    return lines


def outlet_rows(outlets: list[tuple[str, int]], registry: "Registry") -> list[dict[str, Any]]:
    """The outlets a store holds (name, article count) as the registry knows them; unknown ones flagged."""
    rows = []
    for name, articles in outlets:
        entry = registry.resolve(name)
        rows.append({
            "outlet": name, "articles": articles, "registry": entry.name if entry else None,
            "type": entry.type if entry else None, "country": entry.country if entry else None,
            "labels": dict(entry.labels) if entry else {},
        })
    return rows
