"""Stage 5, entities: named mentions in each article, then entities across articles.

1. ``extract_mentions`` runs spaCy's NER over an article once, cleans the
   spans (leading "the", titles, possessives, headline noise) and adds
   capitalised names the model missed. Labels are kept as hints only. The
   model is the article language's (``storyline.ner``), its labels mapped to
   the English model's, which the rules below read.
2. ``resolve_entities`` groups mentions into entities, each story alone first,
   then across stories. In a story it starts from one node per normalised form
   per article and unites nodes by rules, strongest first, each union checked
   against a conflict test (two full names that share a surname but not a first
   name are two people):

   1. the same normalised form (case, diacritics, titles, punctuation);
   2. acronyms defined in the text: "Name (ACR)", "ACR (Name)", "Name, or ACR";
   3. a bare surname for the only full name with that surname in the same
      article, then in the same story;
   4. acronyms matching a name's initials, qualified names ("U.S. X" for "X");
   5. fuzzy and phonetic look-alikes inside a story: misspellings,
      transliterations, run-together names, gated by shared sentence context;
   6. names left unmatched in passages that the reuse stage aligned between two
      articles, where a lower similarity suffices: the sentences say the
      same thing, so their names correspond. This is what catches names a
      machine translation garbled beyond plain string similarity;
   7. names one side of a derivation writes and the other does not, paired
      inside aligned passages (grown by a sentence each way) when one is an
      acronym of the other's garbled expansion ("VBS News" / "Valencia
      Broadcasting Company News") or a word-by-word translation of it
      ("Office of Coastal Security" / "Ministry of Coast and Safety"; that one
      must also stand at the same place in the passage).

   Across stories only rule 1 joins: the stories' clusters that write one
   normalised form are one entity, under the same conflict test, unless a bare
   surname was ambiguous in its story. That step reads no text, so a story whose
   inputs did not change hands over the clusters an earlier run made.

   Precision guards: two full names with one surname and different given
   names are two people; look-alike forms that one original article writes
   both of are two names when they share a sentence or are both people's.
3. Each entity gets the most used well-formed variant as its name and a type
   voted by what the texts say ("gangs such as X", "X, a gang", "members of
   X", "President X", a head word such as "Ministry") before the model's
   labels, which are hints only. Every merge keeps its rule and evidence.

   Comparisons are blocked by story and by first letter / phonetic key, so
   the cost grows with the size of stories, not of the corpus; a block of
   more than ``all_pairs_block`` names (a story naming hundreds of people)
   is compared by sorted neighbourhood, so it grows linearly with its names.

The package, one module per step:

- ``mentions``: spaCy's NER glue (the model read in pieces) and mention clean-up (step 1);
- ``names``: normalised forms, initials, acronyms and the name-similarity tests the rules use;
- ``clusters``: the working state, one node per form per article and a union-find that refuses conflicts;
- ``matching``: rules 1-5, with the candidate blocking of look-alikes;
- ``aligned``: rules 6-7, names inside passages aligned between two articles;
- ``naming``: each entity's name, type and id (step 3);
- ``resolve``: the entry point, ``resolve_entities``: each story's rules in order, then the join;
- ``across``: the join of the stories' clusters (rule 1 across stories) and the naming of every entity;
- ``incremental``: only the stories whose inputs changed resolved again, the others' clusters kept;
- ``settings``: the stage's thresholds, read from ``defaults.json`` (where each came from is said there).
"""

from .matching import _look_alike_pairs
from .mentions import (
    NAME_LABELS,
    NLP_BATCH,
    NLP_PIECE_CHARS,
    _inside,
    _overlaps,
    extract_mentions,
    extract_mentions_batch,
    load_nlp,
    parse_in_pieces,
    text_pieces,
)
from .names import _acronym_letters, _looks_like_acronym, normalise
from .resolve import resolve_entities
from .settings import EntitySettings

__all__ = [
    "EntitySettings", "NAME_LABELS", "NLP_BATCH", "NLP_PIECE_CHARS", "_acronym_letters", "_inside", "_look_alike_pairs",
    "_looks_like_acronym", "_overlaps", "extract_mentions", "extract_mentions_batch", "load_nlp", "normalise",
    "parse_in_pieces", "resolve_entities", "text_pieces",
]
