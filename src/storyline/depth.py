"""Which stories get the per-story stages now, and which wait until they can matter.

Entity resolution, claim alignment, omissions and the timeline compare an article
with the others of its story. In a real news stream most stories hold one article,
and for those the comparison has nothing to work on while NER, the parser and the
date reader still cost most of the run. So the per-story stages run for a story
with two or more articles, and for a single-article story only once a user opens
it (``storyline story ID``, the web story page, or :func:`analyse_story_now`) or it
gains a second article. The opened mark is stored, so later runs keep the story
current (as they keep any story already analysed in depth, say by a Spark run); until
then the export and the views say the story is not analysed in depth.

A story analysed late gets exactly what an eager run gives it: the stages read the
same inputs, and entity resolution, which reads every article's mentions, runs
again over all of them (tests/test_lazy.py compares both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Container, Iterable, Optional, Sequence

from .model import Story

if TYPE_CHECKING:  # the runner imports this module; the store and the runner are only needed when a story is opened
    from .pipeline import Models
    from .store import Store

# The per-story result kind that marks a story a user asked to see in depth. Kept beside the
# story's claims and timeline, so a story that disappears (merged into another) drops its mark.
OPENED = "opened"

# Stages whose work is per story and so can wait for a story to matter.
PER_STORY_STAGES = ("entities", "claims", "timeline")


def needs_depth(story: Story, opened: Container[str]) -> bool:
    """Whether the per-story stages run for ``story`` now."""
    return len(story.articles) >= 2 or story.id in opened


def deep_articles(stories: Iterable[Story], opened: Container[str]) -> set[str]:
    """The articles of every story analysed in depth: the ones NER reads."""
    return {article for story in stories if needs_depth(story, opened) for article in story.articles}


def shallow_story_ids(stories: Iterable[Story], opened: Container[str]) -> list[str]:
    """Stories not analysed in depth yet, in id order."""
    return sorted(story.id for story in stories if not needs_depth(story, opened))


def opened_stories(store: "Store") -> set[str]:
    """Stories opened by a user, and those already analysed in depth by any engine (a Spark run
    loaded into the store, a store analysed before stories could wait): all are kept current."""
    return store.stories_with_result(OPENED) | store.stories_with_result("claims")


def opened_for_run(store: "Store", models: "Models") -> set[str]:
    """The stories a run treats as opened; an eager run (``models.all_in_depth``) first opens every story."""
    opened = opened_stories(store)
    if models.all_in_depth:
        waiting = shallow_story_ids(store.stories(), opened)
        for story_id in waiting:
            store.save_story_result(story_id, OPENED, "", True)
        opened.update(waiting)
    return opened


def shallow_stories_in(store: "Store", stories: Optional[Sequence[Story]] = None) -> list[str]:
    """The store's stories not analysed in depth yet (``stories``: the ones already read, to avoid reading twice)."""
    return shallow_story_ids(store.stories() if stories is None else stories, opened_stories(store))


def analyse_story_now(store: "Store", story_id: str, models: "Optional[Models]" = None) -> bool:
    """Analyse one story in depth now, if it waits for it; True when work was done.

    The story is marked opened, so every later run keeps it analysed; then the
    per-story stages run (each skips the stories whose results are current).
    """
    from .pipeline import Models, run_stage

    current = store.resolve_story_id(story_id)
    story = store.story(current) if current else None
    if story is None or needs_depth(story, opened_stories(store)):
        return False
    store.save_story_result(story.id, OPENED, "", True)
    models = models or Models()
    for stage in PER_STORY_STAGES:
        run_stage(store, stage, models)
    return True
