"""The reuse stage: which articles derive from which, and how. One module per step:

1. :mod:`.candidates`: at most ``candidate_limit`` candidates per article from each
   source (MinHash LSH through :mod:`storyline.similarity`, nearest article
   embeddings, shared names and numbers), so the work never grows quadratic.
2. :mod:`.alignment`: each candidate pair's sentences aligned into passages with
   character spans in both articles (per-article signals in :mod:`.profile`).
3. :mod:`.kinds`: the relation's kind (``duplicate``, ``excerpt``, ``rewrite``,
   ``translation``, ``shared-source`` or ``related``) and its direction (``"a->b"``:
   ``a`` is the source), from how much of each text aligns and how verbatim it is.
4. :mod:`.translation`: different languages, translations the embedder cannot
   read, and signs of machine translation that say which side is the translation.
5. :mod:`.relations`: the entry points (:func:`relate` is the stage's core), and the
   rule that one text under two sources is a ``duplicate`` whatever the candidate
   search found.

Evidence strings name the articles (by outlet, else by source file name) so they
read on their own. Thresholds are :class:`ReuseSettings` (:mod:`.settings`), whose defaults file
(``reuse/defaults.json``) says where each value came from; the entry points take them as ``settings``.

The core is pure: ``find_relations``, ``relation_between`` and
``alignment_measures`` read ``Prepared`` records and return ``Relation``
records (and numbers).
"""

from __future__ import annotations

from .kinds import DERIVED_KINDS, Direction, article_label
from .profile import attributed_sources
from .relations import (ReuseMeasures, alignment_measures, find_relations, identical_texts, relate, relation_between,
                        with_identical_texts)
from .settings import ReuseSettings
from .translation import machine_translation_signs

__all__ = [
    "DERIVED_KINDS", "Direction", "ReuseMeasures", "ReuseSettings",
    "alignment_measures", "article_label", "attributed_sources", "find_relations", "identical_texts",
    "machine_translation_signs", "relate", "relation_between", "with_identical_texts",
]
