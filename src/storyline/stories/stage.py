"""The stage's pure core: articles in, stories (with their events, titles and ids) out."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Mapping, Optional, Sequence

from ..graph import count_independent
from ..model import Prepared, Relation, SentenceVectors, Story, stable_id
from .events import _events
from .features import TermStatistics, article_order_key
from .settings import StorySettings
from .statistics import BlockGrouping, BlockMemo, group_blocks
from .titles import _derived_articles, _title


def cluster_stories(
    docs: Sequence[Prepared],
    relations: Sequence[Relation] = (),
    *,
    settings: StorySettings | None = None,
    statistics: "TermStatistics | None" = None,
    sentence_vectors: SentenceVectors | None = None,
) -> list[Story]:
    """Group prepared articles into stories, each with its events.

    The result does not depend on the order of ``docs``: they are processed by
    publication date (undated last), then id. Stories come out in the order of
    their founding articles; each story's articles in publication order.
    ``statistics`` are the corpus' term statistics, of which the grouping reads the
    per-site line counts and the name forms (by default counted over ``docs``);
    document frequencies are counted per calendar block (:mod:`.statistics`).
    ``sentence_vectors``: when given, ``docs`` may come without their sentence vectors (an empty array),
    and the stage reads the few it averages from it (``store.stored_sentence_vectors``): a block's
    articles that leave boilerplate out, the articles of one story of several at a time.
    """
    settings = settings or StorySettings()
    partition = partition_articles(docs, relations, settings=settings, statistics=statistics,
                                   sentence_vectors=sentence_vectors)
    derived = _derived_articles(relations)
    names = partition.names
    return partition.sorted([story_from_members(members, inside, settings, names, derived, sentence_vectors)
                             for members, inside in zip(partition.groups, partition.relations_inside(relations))])


@dataclass
class ArticlePartition:
    """Which articles make one story (each group in processing order), before the stories are built."""

    groups: list[list[Prepared]]
    names: frozenset[str]  # the corpus' name forms: what the events read besides the groups' articles
    order: dict[str, tuple[bool, str, int, str]]  # article id -> its processing-order key
    grouping: Optional[BlockGrouping] = None  # the blocks' work and what the next run reuses

    def relations_inside(self, relations: Sequence[Relation]) -> list[list[Relation]]:
        """Per group, the relations between two of its articles: all :func:`story_from_members` reads of them.

        Found in one pass: handing each story every relation made building the stories cost
        stories x relations (minutes at 10,000 articles, where a story is built in milliseconds).
        """
        group_of = {doc.id: number for number, members in enumerate(self.groups) for doc in members}
        inside: list[list[Relation]] = [[] for _ in self.groups]
        for relation in relations:
            number = group_of.get(relation.a)
            if number is not None and group_of.get(relation.b) == number:
                inside[number].append(relation)
        return inside

    def sorted(self, stories: list[Story]) -> list[Story]:
        """Stories in the order of their founding articles, as :func:`cluster_stories` gives them."""
        return sorted(stories, key=lambda story: self.order[story.articles[0]])


def partition_articles(docs: Sequence[Prepared], relations: Sequence[Relation] = (), *,
                       settings: StorySettings | None = None,
                       statistics: "TermStatistics | None" = None,
                       memo: "BlockMemo | None" = None,
                       sentence_vectors: SentenceVectors | None = None) -> ArticlePartition:
    """The first half of :func:`cluster_stories`: the articles grouped into stories (steps 1-4).

    ``statistics`` lend their per-site line counts and name forms (counted here when absent);
    ``memo`` holds the blocks the last run clustered (see :mod:`.statistics`): those whose rows
    did not change are taken from it; ``sentence_vectors``: see :func:`cluster_stories`.
    """
    settings = settings or StorySettings()
    if not docs:
        return ArticlePartition([], frozenset(), {})
    by_id = {doc.id: doc for doc in sorted(docs, key=lambda d: d.id)}
    ordered = sorted(by_id.values(), key=article_order_key)
    # 1-4. Signals per block from the block's own counts (see .statistics), blocks clustered, folded left.
    grouping = group_blocks(ordered, relations, settings, statistics, memo, sentence_vectors)
    groups: dict[int, list[int]] = defaultdict(list)
    for unit, story in enumerate(grouping.story_of.tolist()):
        groups[story].extend(grouping.unit_articles[unit])
    return ArticlePartition([[ordered[i] for i in members] for members in groups.values()], grouping.names,
                            {doc.id: article_order_key(doc) for doc in ordered}, grouping)


def story_from_members(member_docs: Sequence[Prepared], relations: Sequence[Relation], settings: StorySettings,
                       names: frozenset[str], derived: Mapping[str, str] | None = None,
                       sentence_vectors: SentenceVectors | None = None) -> Story:
    """One story from its articles: events, title, id (from the founding article), independent sources.

    ``relations`` need hold only those among the members (derivation relations
    never leave a story); ``names`` are the corpus' name forms
    (:meth:`TermStatistics.name_forms`); ``derived`` the articles that copy,
    rewrite or translate another (by default found in ``relations``). The
    Spark engine builds each story with this, so both engines give the same. ``sentence_vectors``:
    see :func:`cluster_stories`.
    """
    member_docs = sorted(member_docs, key=article_order_key)
    derived = _derived_articles(relations) if derived is None else derived
    return Story(
        id=stable_id("s", member_docs[0].id),
        title=_title(member_docs, derived),
        articles=[doc.id for doc in member_docs],
        events=_events(member_docs, derived, settings, names, sentence_vectors),
        independent_sources=count_independent([doc.id for doc in member_docs], relations),
    )


def keep_story_ids(stories: Sequence[Story], previous: Mapping[str, str]) -> list[Story]:
    """Give each story the id it had in the last run, so ids survive articles arriving later.

    ``previous`` maps article id → story id from the last run. A new story takes
    the old id that holds most of its articles (ties → the smaller id); each old
    id goes to one story only, so a story that split keeps its id on the larger
    part, and the other parts get ids from their founding articles as usual.
    """
    overlaps: list[tuple[int, str, int]] = []
    for index, story in enumerate(stories):
        counts = Counter(previous[a] for a in story.articles if a in previous)
        overlaps.extend((count, old_id, index) for old_id, count in counts.items())
    taken_old: set[str] = set()
    renamed: dict[int, str] = {}
    for _count, old_id, index in sorted(overlaps, key=lambda o: (-o[0], o[1], o[2])):
        if old_id in taken_old or index in renamed:
            continue
        taken_old.add(old_id)
        renamed[index] = old_id
    out = []
    for index, story in enumerate(stories):
        new_id = renamed.get(index, story.id)
        if index not in renamed and story.id in taken_old:
            # Its founding-article id now names an older story that lives on elsewhere.
            new_id = stable_id("s", story.id, "split")
        out.append(replace(story, id=new_id))
    return out
