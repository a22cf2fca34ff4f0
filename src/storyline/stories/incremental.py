"""The stories stage after articles arrive: only the blocks whose rows changed are grouped again, only
the changed stories are built again.

Grouping: every article is weighed (its terms counted and weighted by its block's neighbourhood, see
:mod:`.statistics`), and a calendar block whose rows are those the last run clustered keeps the stories
it had (:class:`~.statistics.BlockMemo`); the others are clustered again, and all are folded across
their borders. Exact by construction: a block's stories are a pure function of its rows.

Building each story (events, title, independent sources) from its articles: a story is built by
:func:`story_from_members` from its articles, the derivations touching them, the settings and the
corpus' name forms, of which it reads only those its articles write. So a group of articles whose
inputs are those a stored story was built from, and whose texts write no word that became or stopped
being a name form, is that stored story: it is taken as it was. The result equals
:func:`cluster_stories` over the whole corpus.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Mapping, Optional, Sequence

from ..model import Prepared, Relation, SentenceVectors, Story, stable_id
from .settings import StorySettings
from .stage import partition_articles, story_from_members
from .windows import BlockMemo, settings_hash
from .titles import _derived_articles


@dataclass
class BuiltStories:
    """The stories of a run, what was built anew, and what the next run needs to reuse them."""

    stories: list[Story]
    rebuilt: int  # stories built anew: the work this run did beyond grouping
    reused: int
    names: frozenset[str]  # the corpus' name forms they were built with
    blocks: BlockMemo = field(default_factory=BlockMemo)  # the blocks as grouped, for the next run
    blocks_clustered: int = 0  # calendar blocks whose rows changed, clustered again
    blocks_kept: int = 0
    articles_clustered: int = 0  # the articles of the blocks clustered again


@dataclass
class StoryMemo:
    """What the last run built its stories from: the name forms and, per story, a hash of its inputs."""

    settings: str = ""
    names: frozenset[str] = frozenset()
    inputs: dict[str, str] = field(default_factory=dict)  # story id -> hash of what it was built from
    corpus: str = ""  # a hash of every input of the stage (the runner's): unchanged, nothing to redo
    blocks: BlockMemo = field(default_factory=BlockMemo)  # each block's rows as last clustered (see .statistics)

    def to_json(self) -> str:
        return json.dumps({"settings": self.settings, "names": sorted(self.names), "inputs": self.inputs,
                           "corpus": self.corpus, "blocks": self.blocks.to_json()}, sort_keys=True)

    @classmethod
    def from_json(cls, text: Optional[str]) -> Optional["StoryMemo"]:
        """The memo kept by the last run; None when there is none (or it was written before memos)."""
        try:
            found = json.loads(text) if text else None
        except ValueError:
            return None
        if not isinstance(found, dict) or not isinstance(found.get("inputs"), dict):
            return None
        return cls(str(found.get("settings", "")), frozenset(found.get("names", ())), dict(found["inputs"]),
                   str(found.get("corpus", "")), BlockMemo.from_json(found.get("blocks")))


def build_stories(docs: Sequence[Prepared], relations: Sequence[Relation], previous: Sequence[Story],
                  memo: Optional[StoryMemo], settings: StorySettings | None = None,
                  sentence_vectors: Optional[SentenceVectors] = None) -> BuiltStories:
    """:func:`cluster_stories` over ``docs``, taking each story whose inputs did not change from ``previous``.

    ``previous`` are the stories of the last run and ``memo`` what it built them
    from; without a memo (or with other settings) every story is built. ``sentence_vectors``: see
    :func:`~.stage.cluster_stories`.
    """
    settings = settings or StorySettings()
    partition = partition_articles(docs, relations, settings=settings,
                                   memo=memo.blocks if memo is not None else None, sentence_vectors=sentence_vectors)
    derived = _derived_articles(relations)
    touching = _relations_by_article(relations)
    key = settings_hash(settings)
    usable = memo if memo is not None and memo.settings == key else None
    stored_by_inputs: dict[str, Story] = {}
    if usable is not None:
        for story in previous:
            if story.id in usable.inputs:
                stored_by_inputs[usable.inputs[story.id]] = story
    turned = partition.names ^ usable.names if usable is not None else frozenset()
    stories: list[Story] = []
    rebuilt = 0
    for members, inside in zip(partition.groups, partition.relations_inside(relations)):
        inputs = _inputs_hash(members, touching)
        stored = stored_by_inputs.get(inputs)
        if stored is not None and not _writes_any(members, turned):
            # The same articles, relations and settings, and no name form of theirs changed: the same story.
            story = replace(stored, id=stable_id("s", stored.articles[0]))
        else:
            story = story_from_members(members, inside, settings, partition.names, derived, sentence_vectors)
            rebuilt += 1
        stories.append(story)
    stories = partition.sorted(stories)
    built = BuiltStories(stories, rebuilt, len(stories) - rebuilt, partition.names)
    grouping = partition.grouping
    if grouping is not None:
        built.blocks, built.blocks_clustered, built.blocks_kept = (grouping.memo, grouping.blocks_clustered,
                                                                   grouping.blocks_kept)
        built.articles_clustered = grouping.articles_clustered
    return built


def remember(settings: StorySettings, names: frozenset[str], final: Sequence[Story], relations: Sequence[Relation],
             docs_by_id: Mapping[str, Prepared], blocks: BlockMemo | None = None) -> StoryMemo:
    """The memo for the next run, keyed by the ids the stories are saved under (after ids were kept);
    ``names`` are the name forms the stories were built with, ``blocks`` the blocks as grouped."""
    touching = _relations_by_article(relations)
    inputs = {story.id: _inputs_hash([docs_by_id[a] for a in story.articles], touching) for story in final}
    return StoryMemo(settings_hash(settings), names, inputs, blocks=blocks or BlockMemo())


def _relations_by_article(relations: Sequence[Relation]) -> dict[str, list[str]]:
    touching: dict[str, list[str]] = {}
    for relation in relations:
        if relation.kind == "related":
            continue  # a story is built from derivations only (which article copies which): see titles, graph
        described = f"{relation.a} {relation.b} {relation.kind} {relation.direction}"
        touching.setdefault(relation.a, []).append(described)
        touching.setdefault(relation.b, []).append(described)
    return touching


def _inputs_hash(members: Sequence[Prepared], touching: Mapping[str, list[str]]) -> str:
    """The articles (at their versions) and every derivation touching one of them."""
    parts = sorted(f"{doc.id}@{doc.article.version}" for doc in members)
    parts.extend(sorted({r for doc in members for r in touching.get(doc.id, ())}))
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()


_LETTER_RUN = re.compile(r"[^\W\d_]+")


def _writes_any(members: Sequence[Prepared], words: frozenset[str]) -> bool:
    """Whether an article may write one of ``words`` (lower-cased name forms) as a token.

    A name form is a token lower-cased (less a possessive or a final dot), and a token
    starts where a run of letters starts, so the form's first run of letters is a whole
    run of letters of the case-folded text wherever the article writes it. Testing
    those runs finds every such article (and perhaps a few more, which are only built again).
    """
    if not words:
        return False
    firsts = {runs[0] for runs in (_LETTER_RUN.findall(word.casefold()) for word in words) if runs}
    for doc in members:
        text = f"{doc.article.title or ''}\n{doc.article.text}".casefold()
        if not firsts.isdisjoint(_LETTER_RUN.findall(text)):
            return True
    return False
