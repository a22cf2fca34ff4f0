"""What the CLI, the report and the web app show of outlets, from the export's added fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["blindspot_stories", "claim_side_notes"]


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
