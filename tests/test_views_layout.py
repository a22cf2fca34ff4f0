"""The output side's layout: every views module imports on its own, the views depend on one another
in one direction only, and the CLI offers exactly the formats the EXPORTERS registry holds."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import click
import pytest

import storyline.views
from conftest import make_articles, run_cli
from storyline.cli import analysis, browse
from storyline.model import Analysis, Story
from storyline.store import open_store
from storyline.views.exporters import EXPORTERS, Exporter, export_file, register_exporter

VIEWS = Path(storyline.views.__file__).parent
MODULES = sorted(path.stem for path in VIEWS.glob("*.py") if path.stem != "__init__")


def sibling_imports(module: str) -> set[str]:
    """The views modules ``module`` imports (``from .x import``, ``from . import x``, ``storyline.views.x``)."""
    tree = ast.parse((VIEWS / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
            elif node.level == 0 and (node.module or "").startswith("storyline.views."):
                found.add(node.module.split(".")[2])
            elif node.level == 2 and (node.module or "").startswith("views."):
                found.add(node.module.split(".")[1])
    return found & set(MODULES)


def test_the_views_import_one_another_without_a_cycle():
    graph = {module: sibling_imports(module) for module in MODULES}
    assert graph["report"] >= {"json_export", "charts", "common"}, "the import graph is read from the files"
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join(path + (module,))}"
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, path + (module,))
        done.add(module)

    for module in MODULES:
        visit(module, ())


def test_views_never_import_the_cli_or_the_web_app():
    for module in MODULES:
        text = (VIEWS / f"{module}.py").read_text(encoding="utf-8")
        assert "from ..cli" not in text and "from ..web" not in text, module


@pytest.mark.parametrize("module", MODULES)
def test_each_views_module_imports_first_in_a_fresh_interpreter(module):
    # First in a fresh interpreter: a cycle hidden by whatever happened to be imported before shows here.
    done = subprocess.run([sys.executable, "-c", f"import storyline.views.{module}"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("command", [browse.export, analysis.analyze])
def test_the_cli_offers_every_registered_format_and_no_other(command: click.Command):
    formats = {option.name.removesuffix("_output") for option in command.params
               if option.name and option.name.endswith("_output")}
    assert formats == set(EXPORTERS)
    metavars = {option.name: option.metavar for option in command.params}
    assert metavars["csv_output"] == "DIR" and metavars["json_output"] == "FILE"


def test_every_format_downloads_as_one_file():
    articles = make_articles({"wire/a.txt": "A wire report on the harbour.", "paper/b.txt": "The harbour report."})
    analysis = Analysis(articles=articles, stories=[Story(id="s-1", title="Harbour", articles=[a.id for a in articles])])
    for name, exporter in EXPORTERS.items():
        filename, media_type, body = export_file(analysis, name)
        assert body and media_type == ("application/zip" if exporter.writes_directory else exporter.media_type)
        assert filename.endswith(".zip" if exporter.writes_directory else exporter.suffix), name


def test_a_registered_exporter_is_offered_for_download_and_a_bad_name_is_refused():
    written: list[Path] = []

    def write_titles(analysis: Analysis, path: Path) -> Path:
        path.write_text("\n".join(story.title or "" for story in analysis.stories), encoding="utf-8")
        written.append(path)
        return path

    try:
        register_exporter("titles", Exporter(write_titles, ".txt", "text/plain", "story titles, one a line"))
        analysis = Analysis(stories=[Story(id="s-1", title="Harbour", articles=[])])
        assert export_file(analysis, "titles") == ("storyline.txt", "text/plain", b"Harbour") and written
    finally:
        EXPORTERS.pop("titles", None)
    for bad in ("", "two words", "../up"):
        with pytest.raises(ValueError, match="letters, digits"):
            register_exporter(bad, EXPORTERS["json"])


def test_a_one_file_format_goes_to_stdout_with_a_dash(tmp_path, capsys):
    db = tmp_path / "empty.db"
    open_store(db).close()
    code, out, _ = run_cli(capsys, "export", "--db", db, "--graphml", "-")
    assert code == 0 and out.startswith("<?xml") and "graphml" in out
    code, _, err = run_cli(capsys, "export", "--db", db)
    assert code == 2 and all(f"--{name}" in err for name in EXPORTERS)
