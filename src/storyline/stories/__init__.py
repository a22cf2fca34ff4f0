"""Stage: stories, and the events (developments) inside each story.

:func:`cluster_stories` is the stage's pure core. It works in four steps:

1. Signals (:func:`story_signals`). Per article: its embedding (from prepare),
   a TF-IDF vector of its *specific* terms (names and numbers, found by
   truecasing: a word is a name when the articles write it capitalised
   mid-sentence at least as often as in lower case), optionally
   a TF-IDF vector of its content words (``content_share``), and its
   publication day. Lines the article's site repeats on its pages
   (:mod:`storyline.boilerplate`) count for neither vector nor embedding.
   Articles joined by a relation of ``joining_kinds`` (by default duplicate,
   excerpt and rewrite) are one unit from the start, so they always end in
   the same story. Document frequencies and name forms are counted over the
   unit's calendar block, the blocks next to it and the undated articles
   (:mod:`.statistics`), so new articles move the rows of a few blocks only.
2. Time windows (:func:`window_of`). Units fall into calendar blocks of
   ``partition_days`` days; undated units form one last block of their own.
3. Streaming assignment per block (:func:`cluster_window`). Units are taken in
   publication order (then by a hash of their content, never by id: ids derive
   from file paths) and each joins the best-scoring story or founds a new one. Candidates come from an inverted index over specific terms whose
   postings older than ``window_days`` are never read, so the cost per unit is
   bounded by the scan limits, not by the number of stories. The score mixes
   the average embedding cosine with the average specific-term cosine between
   the unit and the story's articles (average link), so two earthquakes or two rehab stays (same topic, embedding
   cosine 0.6-0.8) stay apart unless they share their names and numbers. The story a unit links to
   best must also back it as a whole: of its first ``support_members`` units, those holding
   ``support_share`` of their articles (three quarters, as shipped) link to the unit at ``support_link`` each,
   or the unit founds a story; average link alone let a look-alike in through the few members it
   resembles. The merge pass, the fragment pass and the borders read the
   same check. A
   merge pass then streams the block's stories themselves through the same
   index, joining stories that arrival order split. A split test
   (:func:`split_lookalikes`) then cuts a large story in two (normalised cut) when
   its halves link far less to each other than within themselves (and their
   years disagree): two look-alikes glued by a shared setting (team, city,
   product) but with different actors or different words for what happened (the
   test reads content words, ``split_content_share``: rumours of one product share
   its names). A rejoin pass (:func:`rejoin_parts`)
   then joins two stories that link at the join threshold when the split test
   would keep them together: parts the stream's order kept apart. A fragment pass
   (:func:`attach_fragments`) lets stories of one to a few articles join the
   larger story they link to best on a lower bar, through the same index. Last, a
   content merge (:func:`merge_on_content`) joins two stories whose average link over
   content words (TF-IDF of every word, under keys the stream never reads) mixed with
   their specific terms reaches ``content_merge`` and ``content_merge_ratio`` times the weaker
   story's own link (the split test's rule): one story told in other words. Then a
   re-assignment pass (:func:`reassign_units`) moves each unit to the story it links to best
   on that same link when it beats its own story's: a unit the stream put with a look-alike
   early leaves it (``reassign_rounds``; all moves of a round decided at once), and the content
   merge runs once more. Both passes read the stream's year rule for undated sides (texts sharing no
   named year lose ``year_penalty``, sharing one but not their latest ``latest_year_penalty``; the latest
   of the years named in the headline and first ``dating_sentences`` sentences, those that date the text) and, for
   dated sides, a cost for the days between their date ranges (``date_gap_penalty``).
4. Borders (:func:`merge_across_border`). Blocks are folded left in time
   order (:func:`fold_blocks`, the one fold: the Spark driver's too); at each border the stories active within ``window_days`` of it are
   streamed together once more, and the undated block last meets every story.

The Spark engine runs step 3 on partitions (one block each) and step 4 at the
driver: since the local path is the same fold, both give the same stories.

Events: inside each story, average-link clustering on lead-level signals (the
embedding of the first sentences, the specific terms of the headline and lead,
the publication day) splits the story into its developments; an article joins
the one development it is most similar to.

Titles are always taken from the articles (a headline, else a lead sentence);
ids derive from the founding article, so the same input gives the same ids.
The defaults live in ``stories/defaults.json``, which says what data each value
was learnt on (``benchmarks/train_stories.py``: across corpora, checked by leaving
one corpus out).

One module per step: ``settings``, ``features`` (specific terms, content words,
boilerplate), ``signals`` (the rows the stream reads), ``assignment`` (the streaming
core and its candidate index), ``candidates`` (story pairs and similarities for the
passes), ``passes`` (split, rejoin, fragments, content merge), ``reassign``, ``windows`` (calendar blocks and
their borders), ``events``, ``titles``, ``stage`` (the core that strings them), and ``incremental``
(after articles arrive, only the stories whose inputs changed are built again).
Every public name is importable from ``storyline.stories``.
"""

from __future__ import annotations

from ..boilerplate import BOILERPLATE_PAGES, site_line_key, site_of
from .assignment import processing_order, window_of
from .events import EVENT_SEED_ROWS, event_clusters, event_clusters_in_blocks, event_similarity
from .features import TermStatistics, content_key, day_ordinal, term_key, term_statistics
from .passes import attach_fragments, merge_on_content, rejoin_parts, split_lookalikes
from .reassign import reassign_units
from .settings import DEFAULTS_PATH, StorySettings
from .signals import UNDATED, StorySignals, joining, story_signals
from .stage import cluster_stories, keep_story_ids, story_from_members
from .windows import (WindowStories, cluster_blocks, cluster_window, fold_across_borders, fold_blocks, in_fold_order,
                      merge_across_border)

__all__ = [
    "BOILERPLATE_PAGES", "DEFAULTS_PATH", "EVENT_SEED_ROWS", "StorySettings", "StorySignals", "TermStatistics",
    "UNDATED", "WindowStories", "attach_fragments", "cluster_blocks", "cluster_stories", "cluster_window", "content_key",
    "day_ordinal", "event_clusters", "event_clusters_in_blocks", "event_similarity", "fold_across_borders", "fold_blocks", "in_fold_order", "joining",
    "keep_story_ids", "merge_across_border",
    "merge_on_content",
    "processing_order", "reassign_units", "rejoin_parts", "site_line_key", "site_of", "split_lookalikes",
    "story_from_members",
    "story_signals", "term_key", "term_statistics", "window_of",
]
