"""The documentation is checked against the code (datasette's tests/test_docs.py idea)."""

from pathlib import Path

from nplhub.cli.main import app
from nplhub.cli.reference import command_paths, render
from nplhub.config import Settings

ROOT = Path(__file__).resolve().parents[3]


def test_the_cli_reference_matches_the_commands_exactly():
    committed = (ROOT / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    assert committed == render(app), "run: python -m nplhub.cli.reference > docs/cli-reference.md"


def test_every_command_is_in_the_cli_reference():
    committed = (ROOT / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    missing = [p for p in command_paths(app) if f"`{p}`" not in committed]
    assert not missing


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [f"NPLHUB_{name.upper()}" for name in Settings.model_fields if f"NPLHUB_{name.upper()}" not in readme]
    assert not missing, f"settings missing from README.md: {missing}"
