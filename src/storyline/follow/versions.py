"""What changed between two versions of an article, as a story shows it: a dated entry per new version.

Pure functions over the stored texts, and :func:`story_updates`, which reads them. Sentences are compared as units (a correction rewrites
a sentence, an update adds one); a sentence that was reworded is shown before and after, and
numbers that changed in it (a death toll going from 12 to 15) are named in the summary.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Sequence

if TYPE_CHECKING:
    from ..store import Store

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
REWORDED_SIMILARITY = 0.5
MAX_SHOWN = 5
MAX_EDITS_SHOWN = 6


@dataclass(frozen=True)
class Edit:
    before: Optional[str]  # None for an added sentence
    after: Optional[str]  # None for a removed one


@dataclass(frozen=True)
class VersionChange:
    version: int
    date: str
    summary: str
    edits: list[Edit] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def compare_texts(before: str, after: str) -> list[Edit]:
    """The sentence edits that turn ``before`` into ``after``, in reading order."""
    old, new = sentences(before), sentences(after)
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        removed, added = old[i1:i2], new[j1:j2]
        # Pair reworded sentences up so the reader sees each one before and after.
        while removed and added and difflib.SequenceMatcher(a=removed[0], b=added[0]).ratio() >= REWORDED_SIMILARITY:
            edits.append(Edit(removed.pop(0), added.pop(0)))
        edits.extend(Edit(sentence, None) for sentence in removed)
        edits.extend(Edit(None, sentence) for sentence in added)
    return edits


def summarize(edits: Sequence[Edit]) -> str:
    """One line: changed numbers first (they are what a correction or an update is usually about)."""
    numbers: list[str] = []
    for edit in edits:
        if edit.before and edit.after:
            old = _NUMBER.findall(edit.before)
            new = _NUMBER.findall(edit.after)
            numbers.extend(f"{a} → {b}" for a, b in zip(old, new) if a != b)
    added = sum(1 for e in edits if e.before is None)
    removed = sum(1 for e in edits if e.after is None)
    reworded = sum(1 for e in edits if e.before and e.after)
    parts = []
    if numbers:
        parts.append("numbers changed: " + ", ".join(numbers[:MAX_SHOWN]))
    for count, what in ((reworded, "reworded"), (added, "added"), (removed, "removed")):
        if count:
            parts.append(f"{count} sentence{'s' if count != 1 else ''} {what}")
    return "; ".join(parts) or "formatting only"


def version_changes(versions: Sequence[tuple[int, str, str]]) -> list[VersionChange]:
    """One entry per version after the first, from ``(version, added_at, text)`` rows in order."""
    changes = []
    for (_, _, before), (version, added_at, after) in zip(versions, versions[1:]):
        edits = compare_texts(before, after)
        changes.append(VersionChange(version, added_at, summarize(edits), edits))
    return changes


def story_updates(store: "Store", article_ids: Sequence[str]) -> list[dict[str, Any]]:
    """One dated entry per new version of an article of the story, newest first (the store read, then
    :func:`version_changes` per article)."""
    entries = []
    for article in store.articles(ids=list(article_ids)):
        if article.version < 2:
            continue
        for change in version_changes(store.versions(article.id)):
            entries.append({
                "article": article.id, "title": article.title, "outlet": article.outlet, "version": change.version,
                "date": change.date, "summary": change.summary,
                "edits": [{"before": edit.before, "after": edit.after} for edit in change.edits[:MAX_EDITS_SHOWN]],
                "more_edits": max(0, len(change.edits) - MAX_EDITS_SHOWN),
            })
    return sorted(entries, key=lambda entry: (entry["date"], entry["article"]), reverse=True)
