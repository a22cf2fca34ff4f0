"""Resolution's second step: the clusters each story made alone, joined across stories, then named.

Each story is resolved alone first (``resolve.resolve_story``): rules 2-7 compare
names inside one story, and rule 1 unites a story's nodes of one normalised form.
What links stories is rule 1 alone: the nodes of one normalised form in different
stories are one entity ("Maria Lopez" in a story of March and one of May), unless
the two clusters conflict (two full names sharing a surname but not a first name)
or a bare surname was ambiguous in its own story. That step reads only the
clusters, not the texts, so a story whose inputs did not change can hand over the
clusters an earlier run made (:meth:`StoryClusters.to_json`), and the joined
result is the one a run resolving every story gives.

Why the look-alike, surname and initials rules stay inside a story: they guess
("the only full name ending so in the story"), and a guess over a whole corpus
of unrelated stories is both wrong more often and what made every common name
tie every story to every other (one new article then re-resolved them all).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from ..model import Entity, Mention, Merge
from .clusters import _Cluster, _Clusters, _Context, _Node
from .matching import _merge_same_form
from .naming import _entities, _node_cues
from .settings import DEFAULTS, EntitySettings


# Part of every kept story's key: clusters kept in another layout are made again, never misread.
CLUSTERS_FORMAT = "story-clusters/1"


@dataclass
class StoryClusters:
    """One story's nodes and the clusters its own rules made of them (what the join reads)."""

    story: str
    nodes: list[_Node] = field(default_factory=list)
    clusters: list[_Cluster] = field(default_factory=list)  # node indices into ``nodes``
    blocked: list[bool] = field(default_factory=list)  # per cluster: a bare surname ambiguous in the story
    translated: list[str] = field(default_factory=list)  # the story's machine-translated articles

    @property
    def mentions(self) -> int:
        return sum(len(node.mentions) for node in self.nodes)

    def to_json(self) -> dict[str, Any]:
        return {
            "story": self.story,
            "translated": self.translated,
            "nodes": [{"article": n.article, "key": n.key,
                       "mentions": [[m.span[0], m.span[1], m.text, m.label] for m in n.mentions],
                       "labels": list(n.labels.items()), "surfaces": list(n.surfaces.items()),
                       "sentences": sorted(n.sentences), "cues": n.cues} for n in self.nodes],
            "clusters": [{"nodes": c.nodes, "reliable": sorted(c.reliable_keys), "blocked": blocked,
                          "merges": [[m.aliases, m.rule, m.evidence, c.repeats[(m.rule, tuple(m.aliases))]]
                                     for m in c.merges]}
                         for c, blocked in zip(self.clusters, self.blocked)],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "StoryClusters":
        nodes = []
        for n in data["nodes"]:
            nodes.append(_Node(
                n["article"], n["key"],
                [Mention(n["article"], (start, end), text, label) for start, end, text, label in n["mentions"]],
                Counter(dict(n["labels"])), Counter(dict(n["surfaces"])), set(n["sentences"]), n["cues"]))
        clusters, blocked = [], []
        for c in data["clusters"]:
            members = [nodes[i] for i in c["nodes"]]
            cluster = _Cluster(list(c["nodes"]), {node.key for node in members}, _summed(n.labels for n in members),
                               {node.article for node in members}, set(c["reliable"]),
                               _summed(n.surfaces for n in members))
            for aliases, rule, evidence, times in c["merges"]:
                cluster.record(Merge(list(aliases), rule, evidence), times)
            clusters.append(cluster)
            blocked.append(bool(c["blocked"]))
        return cls(data["story"], nodes, clusters, blocked, list(data["translated"]))


def _summed(counters: Any) -> Counter:
    total: Counter = Counter()
    for counter in counters:
        total.update(counter)
    return total


def story_clusters(story: str, clusters: _Clusters, context: _Context) -> StoryClusters:
    """What one story's resolution hands to the join: its nodes (with their cues read) and clusters."""
    for node in clusters.nodes:
        _node_cues(node, context)
    roots = clusters.roots()
    return StoryClusters(
        story, list(clusters.nodes), [clusters.data[root] for root in roots], [root in clusters.blocked for root in roots],
        sorted({node.article for node in clusters.nodes} & context.translated))


def join_stories(parts: Sequence[StoryClusters], settings: EntitySettings = DEFAULTS) -> list[Entity]:
    """The entities of every story's clusters, joined across stories by rule 1 (see the module)."""
    ordered = sorted(parts, key=lambda part: part.story)
    nodes: list[_Node] = []
    offsets = []
    for part in ordered:
        offsets.append(len(nodes))
        nodes.extend(part.nodes)
    if not nodes:
        return []
    translated = {article for part in ordered for article in part.translated}
    story_of = [part.story for part in ordered for _ in part.nodes]
    stories_of_key: dict[str, set[str]] = defaultdict(set)
    for node, story in zip(nodes, story_of):
        stories_of_key[node.key].add(story)
    # Every node lies in one story's cluster: the union-find starts from those, not from one cluster per node.
    clusters = _Clusters([], translated, settings)
    clusters.nodes, clusters.parent = nodes, list(range(len(nodes)))
    for part, offset in zip(ordered, offsets):
        for cluster, blocked in zip(part.clusters, part.blocked):
            # Only a cluster with a form another story writes can be joined (and changed in place):
            # the others are shared with the story's result as they are, not copied.
            joinable = any(len(stories_of_key[part.nodes[i].key]) > 1 for i in cluster.nodes)
            _restore(clusters, cluster, offset, blocked, joinable)
    _merge_same_form(clusters, multiword=True, story_of=story_of)   # 1, across stories
    _merge_same_form(clusters, multiword=False, story_of=story_of)  # 1, across stories
    return _entities(clusters, _Context({}, {}, {}, {}, translated, settings=settings))


def _restore(clusters: _Clusters, cluster: _Cluster, offset: int, blocked: bool, joinable: bool) -> None:
    """Put one story's cluster into the corpus-wide union-find as that story left it (a copy when the
    join may change it: the story's own result is kept for the next run as it is)."""
    members = [offset + i for i in cluster.nodes]
    root = min(members)
    if joinable:
        restored = _Cluster(members, set(cluster.keys), Counter(cluster.labels), set(cluster.articles),
                            set(cluster.reliable_keys), Counter(cluster.surfaces), list(cluster.merges),
                            Counter(cluster.repeats))
    else:
        restored = replace(cluster, nodes=members)
    for member in members:
        clusters.parent[member] = root
    clusters.data[root] = restored
    if blocked:
        clusters.blocked.add(root)
