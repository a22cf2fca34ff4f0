"""Everything the analysis is shown as: exports, the HTML report, the terminal, and the web app's view models.

Each module reads an :class:`~storyline.model.Analysis` (or the ``storyline/1`` object built
from it) and writes or shapes one view; none of them changes the analysis. The modules
depend on one another in one direction only, from the JSON export outwards::

    common, svg                      shared labels and links; the provenance graph's layout
    json_export                      the storyline/1 object, its schema and validation
    filters, csv_export, tables,     views built on the JSON object
      graph_export
    charts -> report                 the static HTML report and its SVG pictures
    pages                            the web app's per-page view models (read from the store)
    terminal                         the command line's rich tables
    exporters                        the EXPORTERS registry: every file format by name

The registry is :data:`storyline.views.exporters.EXPORTERS`; ``storyline export``,
``storyline analyze`` and the web app's downloads all look formats up there.
"""
