"""`nplhub demo-data` as a user runs it: writes a tape the importer accepts, refuses bad options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nplhub.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPLHUB_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("NPLHUB_DATA_DIR", str(tmp_path / "var"))


def test_demo_data_writes_a_csv_tape_and_reports_its_counts_as_json(tmp_path: Path):
    out = tmp_path / "tape"
    result = runner.invoke(app, ["demo-data", "--loans", "300", "--seed", "7", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["counts"]["loans"] == 300
    assert report["format"] == "csv" and report["cutoff_date"] == "2025-12-31"
    assert (out / "loans.csv").exists() and (out / "tape.yaml").exists()
    assert len((out / "loans.csv").read_text(encoding="utf-8").splitlines()) == 301


def test_the_written_tape_imports_with_the_tape_command(tmp_path: Path):
    out = tmp_path / "tape"
    assert runner.invoke(app, ["demo-data", "--loans", "200", "--seed", "1", "--out", str(out)]).exit_code == 0
    result = runner.invoke(app, ["tape", "import", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["loans"] == 200


def test_a_flat_loan_list_without_history(tmp_path: Path):
    out = tmp_path / "flat"
    result = runner.invoke(app, ["demo-data", "--loans", "120", "--seed", "2", "--out", str(out), "--format", "flat",
                                 "--no-history", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert "loan_states" not in report["counts"] and "repayments" not in report["counts"]
    assert (out / "loan_list.csv").exists()


@pytest.mark.parametrize("args", [["--format", "json"], ["--cutoff", "2025-13-01"], ["--loans", "0"]])
def test_bad_options_are_usage_errors_and_write_nothing(tmp_path: Path, args: list[str]):
    out = tmp_path / "never"
    result = runner.invoke(app, ["demo-data", "--out", str(out), *args])
    assert result.exit_code == 2
    assert not out.exists()
