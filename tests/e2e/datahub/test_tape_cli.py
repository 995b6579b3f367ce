"""`nplhub tape validate|import` and `nplhub portfolio summary` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nplhub.cli.main import app
from nplhub.datahub.issues import ISSUE_KEYS
from nplhub.datahub.sample import SAMPLE_META, sample_tables
from nplhub.datahub.writers import write_tables

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPLHUB_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("NPLHUB_DATA_DIR", str(tmp_path / "var"))


def _good(tmp_path: Path) -> Path:
    return write_tables(sample_tables(), SAMPLE_META, tmp_path / "good", "csv")


def _bad(tmp_path: Path) -> Path:
    tables = sample_tables()
    tables["loans"].loc[1, "days_past_due"] = "ninety"
    return write_tables(tables, SAMPLE_META, tmp_path / "bad", "csv")


def test_validating_a_good_tape_exits_zero(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tape", "validate", str(_good(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validating_a_bad_tape_prints_issues_with_exactly_the_contract_keys_and_exits_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tape", "validate", str(_bad(tmp_path)), "--json"])
    assert result.exit_code == 1
    issues = json.loads(result.stdout)
    assert all(tuple(issue) == ISSUE_KEYS for issue in issues)
    errors = [i for i in issues if i["severity"] == "error"]
    assert errors == [{"table": "loans", "row": 3, "column": "days_past_due", "value": "ninety",
                       "code": "INVALID_INTEGER", "message": errors[0]["message"], "severity": "error"}]


def test_a_cli_import_is_recorded_with_the_operating_system_user(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from nplhub.domain.events import TapeImported
    from nplhub.services import ports

    monkeypatch.setenv("USER", "risk-officer-7")
    monkeypatch.setenv("LOGNAME", "risk-officer-7")
    recorded: list[TapeImported] = []
    original = ports.AbstractUnitOfWork.record

    def keep(self, event):  # type: ignore[no-untyped-def]
        if isinstance(event, TapeImported):
            recorded.append(event)
        original(self, event)

    monkeypatch.setattr(ports.AbstractUnitOfWork, "record", keep)
    result = runner.invoke(app, ["tape", "import", str(_good(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    assert [e.imported_by for e in recorded] == ["cli:risk-officer-7"]


def test_the_human_report_names_the_table_row_and_column_of_each_issue(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tape", "validate", str(_bad(tmp_path))])
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if "INVALID_INTEGER" in line)
    assert "[loans row 3 days_past_due] 'ninety'" in line


def test_importing_prints_the_snapshot_id_and_counts_and_a_bad_tape_changes_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tape", "import", str(_good(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["snapshot_id"] == "SAMPLE-01@2024-06-30#v1"
    assert body["counts"]["loans"] == 4 and body["counts"]["counterparties"] == 3
    rejected = runner.invoke(app, ["tape", "import", str(_bad(tmp_path)), "--json"])
    assert rejected.exit_code == 1
    assert {i["code"] for i in json.loads(rejected.stdout)} >= {"INVALID_INTEGER"}
    summary = runner.invoke(app, ["portfolio", "summary", "--json"])
    assert summary.exit_code == 0, summary.output
    data = json.loads(summary.stdout)
    assert data["snapshot_id"] == "SAMPLE-01@2024-06-30#v1" and data["loans"] == 4


def test_metadata_flags_name_the_portfolio(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tape", "import", str(_good(tmp_path)), "--json", "--portfolio-id", "FLAGGED",
                                 "--cutoff-date", "2024-07-01"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["snapshot_id"] == "FLAGGED@2024-07-01#v1"


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tape", "import", str(tmp_path / "nowhere")])
    assert result.exit_code == 2


def test_a_summary_before_any_import_is_a_usage_error() -> None:
    result = runner.invoke(app, ["portfolio", "summary", "--json"])
    assert result.exit_code == 2


def test_the_human_summary_names_the_five_categories(tmp_path: Path) -> None:
    runner.invoke(app, ["tape", "import", str(_good(tmp_path))])
    result = runner.invoke(app, ["portfolio", "summary"])
    assert result.exit_code == 0, result.output
    assert "次级" in result.output and "SAMPLE-01" in result.output


def _partly_bad(tmp_path: Path) -> Path:
    tables = sample_tables()
    tables["loans"].loc[1, "days_past_due"] = "ninety"  # L002 and its collateral link
    tables["counterparties"].loc[0, "name"] = "华东机械制造有限公司\n（原华东机械厂）"  # a multi-line cell
    return write_tables(tables, SAMPLE_META, tmp_path / "partly", "csv")


def test_a_partial_import_exits_zero_and_reports_imported_and_quarantined_counts(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tape", "import", str(_partly_bad(tmp_path)), "--partial", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["partial"] is True
    assert (body["counts"]["loans"], body["quarantined"]["loans"]) == (3, 1)
    assert (body["counts"]["loan_collateral"], body["quarantined"]["loan_collateral"]) == (2, 1)
    assert sum(body["quarantined"].values()) == 2
    quarantine = Path(body["quarantine_file"])
    assert quarantine == (tmp_path / "var" / "quarantine" / "SAMPLE-01_2024-06-30_v1.quarantine.csv").resolve()
    text = quarantine.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("table,row,codes,reasons,")
    assert "loans,3,INVALID_INTEGER," in text and "dropped because loan L002 was rejected" in text
    summary = runner.invoke(app, ["portfolio", "summary", "--json"])
    assert json.loads(summary.stdout)["loans"] == 3


def test_a_partial_import_names_its_quarantine_file_and_says_what_it_set_aside(tmp_path: Path) -> None:
    target = tmp_path / "rejected-rows.csv"
    result = runner.invoke(app, ["tape", "import", str(_partly_bad(tmp_path)), "--partial", "--quarantine",
                                 str(target)])
    assert result.exit_code == 0, result.output
    said = result.output.replace("\n", "")  # the console wraps long lines
    assert "set aside 2 row(s) (loans 1, loan_collateral 1)" in said and "rejected-rows.csv" in said
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_partial_import_of_a_tape_with_a_file_level_error_exits_one_and_writes_nothing(tmp_path: Path) -> None:
    tables = sample_tables()
    tables["loans"] = tables["loans"].drop(columns=["days_past_due"])
    path = write_tables(tables, SAMPLE_META, tmp_path / "broken", "csv")
    result = runner.invoke(app, ["tape", "import", str(path), "--partial", "--json"])
    assert result.exit_code == 1
    assert "MISSING_COLUMN" in {i["code"] for i in json.loads(result.stdout)}
    folder = tmp_path / "var" / "quarantine"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_quarantine_file_without_partial_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tape", "import", str(_partly_bad(tmp_path)), "--quarantine",
                                 str(tmp_path / "q.csv")])
    assert result.exit_code == 2
    assert not (tmp_path / "q.csv").exists()


def test_a_quarantine_file_in_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tape", "import", str(_partly_bad(tmp_path)), "--partial", "--quarantine",
                                 str(tmp_path / "nowhere" / "q.csv")])
    assert result.exit_code == 2


def test_without_partial_the_same_tape_is_rejected_whole(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tape", "import", str(_partly_bad(tmp_path)), "--json"])
    assert result.exit_code == 1
    assert [i["row"] for i in json.loads(result.stdout) if i["severity"] == "error"] == [3]
