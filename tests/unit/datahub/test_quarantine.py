"""The quarantine of a partial import, without a database: what is set aside, written and stored."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from nplhub.datahub.issues import MAX_PER_GROUP, error, errors_of
from nplhub.datahub.quarantine import (
    Quarantine,
    QuarantinedRow,
    Reason,
    file_level_errors,
    quarantine_issues,
    set_aside,
    write_quarantine,
)
from nplhub.datahub.readers import read_tape
from nplhub.datahub.sample import SAMPLE_META, sample_tables
from nplhub.datahub.validate import ValidatedTape, validate_tape
from nplhub.datahub.writers import write_tables


def _validated(tmp_path: Path, tables: dict[str, pd.DataFrame] | None = None, chinese: bool = False) -> ValidatedTape:
    path = write_tables(tables or sample_tables(), SAMPLE_META, tmp_path / "tape", "csv", chinese=chinese)
    return validate_tape(read_tape(path), keep_text=True)


def test_more_bad_rows_than_the_issue_list_shows_are_all_set_aside(tmp_path: Path) -> None:
    loans = sample_tables()["loans"]
    many = pd.concat([loans.iloc[[1]]] * (MAX_PER_GROUP + 50), ignore_index=True)
    many["loan_id"] = [f"X{i:04d}" for i in range(len(many))]
    many["days_past_due"] = "n/a"
    tables = sample_tables()
    tables["loans"] = pd.concat([loans, many], ignore_index=True)
    tape = _validated(tmp_path, tables)
    shown = [i for i in tape.issues if i.code == "INVALID_INTEGER"]
    assert len(shown) == MAX_PER_GROUP + 1  # 200 cells and one "... and 50 more" line
    kept, quarantine = set_aside(tape)
    assert quarantine.counts["loans"] == MAX_PER_GROUP + 50
    assert kept.counts["loans"] == 4 and kept.ok
    issues = quarantine_issues(quarantine, kept.counts, "/q.csv")
    per_row = [i for i in issues if i.code == "QUARANTINED_ROW"]
    assert len(per_row) == MAX_PER_GROUP + 1 and per_row[-1].message.startswith("... and 50 more row(s) of loans")


def test_the_quarantine_file_keeps_the_tapes_own_chinese_headers_and_cells(tmp_path: Path) -> None:
    tables = sample_tables()
    tables["loans"].loc[0, "product"] = "游艇贷"
    tape = _validated(tmp_path, tables, chinese=True)
    _kept, quarantine = set_aside(tape)
    write_quarantine(quarantine, tmp_path / "q.csv")
    with (tmp_path / "q.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    loan = next(r for r in rows if r["table"] == "loans")
    assert (loan["row"], loan["codes"], loan["贷款编号"], loan["贷款品种"]) == ("2", "UNKNOWN_CODE", "L001", "游艇贷")
    assert {r["table"] for r in rows} == {"loans", "loan_collateral", "enforcement", "forbearance", "repayments",
                                          "loan_states"}


def test_an_error_outside_the_validators_groups_still_rejects_the_tape(tmp_path: Path) -> None:
    tape = _validated(tmp_path)
    tape.issues.append(error("OUT_OF_RANGE", "made up", table="loans", row=3, column="fees", value="1"))
    assert file_level_errors(tape.issues) == []
    kept, quarantine = set_aside(tape)
    assert quarantine.total == 0
    assert [(i.code, i.row) for i in errors_of(kept.issues)] == [("OUT_OF_RANGE", 3)]


def test_several_reasons_of_one_row_are_all_written(tmp_path: Path) -> None:
    row = QuarantinedRow("loans", 7, "loan_id", "L9", [Reason("INVALID_DATE", "maturity_date", "bad date"),
                                                        Reason("PARENT_REJECTED", "counterparty_id", "dropped")],
                         {"loan_id": "L9", "maturity_date": "2023-02-30", "note": None})
    quarantine = Quarantine(rows=[row])
    write_quarantine(quarantine, tmp_path / "q.csv")
    lines = (tmp_path / "q.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines == ["table,row,codes,reasons,loan_id,maturity_date,note",
                     "loans,7,INVALID_DATE PARENT_REJECTED,bad date; dropped,L9,2023-02-30,"]
