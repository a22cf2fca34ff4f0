"""Which outlet a document is from, before it is stored: the user's word first, then the input's, then the text's.

1. ``--outlet NAME`` for a whole input;
2. else the first outlet-map rule matching the document's source path or URL domain;
3. else the outlet the input carried (a JSON key, a feed's title) or the text says (a masthead);
4. the name normalised through the registry: an alias or a domain becomes the registry's name.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..readers.metadata import complete_metadata
from ..model import RawDocument
from .registry import OutletMap, Registry

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["assign_outlet"]


def assign_outlet(doc: RawDocument, registry: Registry, *, outlet: str | None = None,
                  outlet_map: OutletMap | None = None) -> RawDocument:
    """``doc`` with its metadata completed from the text and its outlet decided as the module says."""
    given = " ".join(outlet.split()) if outlet and outlet.strip() else None
    if given is None and outlet_map is not None:
        given = outlet_map.outlet_for(doc.source, doc.url)
    if given is not None:
        doc = replace(doc, outlet=given)
    doc = complete_metadata(doc)
    normalised = registry.normalise(doc.outlet, doc.url, doc.source)
    return doc if normalised == doc.outlet else replace(doc, outlet=normalised)


def edited_outlet(store: Store, value: str) -> str | None:
    """An outlet name a user typed (web edit), normalised through the store's registry; blank clears it."""
    name = " ".join(value.split())
    if not name:
        return None
    return Registry.with_agencies(store.outlet_registry()).normalise(name)
