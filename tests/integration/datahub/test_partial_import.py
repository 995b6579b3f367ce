"""A partial import on SQLite and PostgreSQL: the valid rows go in, the rest into the quarantine file.

Only on request (`quarantine=`): rows with row-level errors and every row that depends on them are
set aside and written to the quarantine file with their reasons; file-level errors still reject the
tape whole, and then nothing is written, no quarantine file either.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from nplhub.bootstrap import Platform
from nplhub.datahub.issues import TapeRejected
from nplhub.datahub.sample import SAMPLE_META, sample_tables
from nplhub.datahub.schema import TABLE_ORDER
from nplhub.datahub.writers import write_tables
from nplhub.services.datahub import import_tape
from nplhub.storage.tables import datahub as t
from support.datahub_db import row_counts

Tables = dict[str, pd.DataFrame]
def _keys(hub: Platform, table: str, column: str) -> list[str]:
    with hub.engine.connect() as conn:
        return sorted(conn.execute(select(t.metadata.tables[table].c[column])).scalars())


def _quarantine(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), "the quarantine file must carry a BOM for Excel"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _tape(tmp_path: Path, change: Callable[[Tables], None], fmt: str = "csv", name: str = "tape") -> Path:
    tables = sample_tables()
    change(tables)
    return write_tables(tables, SAMPLE_META, tmp_path / name, fmt)  # type: ignore[arg-type]


def _set(table: str, row: int, column: str, value: str) -> Callable[[Tables], None]:
    def change(tables: Tables) -> None:
        tables[table].loc[row, column] = value
    return change


def _three_bad_rows(tables: Tables) -> None:
    """C002 has a region of no province (so its loan L003 goes, and with it L003's guarantee,
    forbearance, loan state and disposal); L004 has a negative balance (so its collateral link
    goes); the second repayment month of L001 is no month."""
    tables["counterparties"].loc[1, "region"] = "990101"
    tables["counterparties"].loc[1, "address"] = "杭州市上城区\n解放路 8 号"
    tables["counterparties"].loc[0, "address"] = "苏州市工业园区\n星湖街 1 号"  # a multi-line cell before them
    tables["loans"].loc[3, "outstanding_principal"] = "-5.00"
    tables["repayments"].loc[1, "month"] = "2024-13"


EXPECTED_ASIDE = {  # (table, file row) -> codes
    ("counterparties", "4"): "INVALID_REGION",
    ("loans", "4"): "PARENT_REJECTED",  # L003 of C002
    ("loans", "5"): "NEGATIVE_AMOUNT",  # L004
    ("loan_collateral", "4"): "PARENT_REJECTED",  # L004 / K002
    ("guarantees", "2"): "PARENT_REJECTED",  # G001 of L003
    ("forbearance", "3"): "PARENT_REJECTED",  # L003
    ("repayments", "3"): "INVALID_MONTH",  # L001 2024-13
    ("repayments", "4"): "PARENT_REJECTED",  # L004 2024-05
    ("loan_states", "4"): "PARENT_REJECTED",  # L003
    ("disposals", "2"): "PARENT_REJECTED",  # L003
}


def test_a_tape_with_a_few_bad_rows_imports_the_rest_and_quarantines_exactly_the_bad_and_dependent_rows(
        hub: Platform, tmp_path: Path) -> None:
    path = _tape(tmp_path, _three_bad_rows)
    result = import_tape(hub.uow(), path, quarantine=tmp_path / "aside.csv")
    assert result.partial and result.quarantine_file == str((tmp_path / "aside.csv").resolve())
    lines = _quarantine(tmp_path / "aside.csv")
    assert {(r["table"], r["row"]): r["codes"] for r in lines} == EXPECTED_ASIDE
    by_place = {(r["table"], r["row"]): r for r in lines}
    assert by_place[("loans", "4")]["reasons"] == "dropped because counterparty C002 was rejected"
    assert by_place[("loan_collateral", "4")]["reasons"] == "dropped because loan L004 was rejected"
    assert "990101" in by_place[("counterparties", "4")]["reasons"]
    assert by_place[("counterparties", "4")]["name"] == "鑫隆商贸有限公司"  # the original cells, Chinese intact
    assert by_place[("loans", "5")]["outstanding_principal"] == "-5.00"
    assert by_place[("repayments", "3")]["month"] == "2024-13"
    assert by_place[("counterparties", "4")]["address"] == "杭州市上城区\n解放路 8 号"  # a multi-line cell kept whole
    assert (tmp_path / "aside.csv").stat().st_mode & 0o777 == 0o600  # it holds personal data
    # the counts add up: imported + set aside = rows of the tape, table by table
    given = {name: len(frame) for name, frame in sample_tables().items()}
    for name in TABLE_ORDER:
        assert result.counts[name] + result.quarantined[name] == given.get(name, 0), name  # type: ignore[index]
    stored = row_counts(hub)
    assert {name: stored[name] for name in t.TAPE_TABLES} == {name: result.counts[name] for name in t.TAPE_TABLES}
    assert _keys(hub, "counterparties", "counterparty_id") == ["C001", "C003"]
    assert _keys(hub, "loans", "loan_id") == ["L001", "L002"]
    assert _keys(hub, "loan_collateral", "loan_id") == ["L001", "L002"]


def test_the_snapshot_records_the_partial_import_its_counts_and_the_quarantine_file(
        hub: Platform, tmp_path: Path) -> None:
    result = import_tape(hub.uow(), _tape(tmp_path, _three_bad_rows), quarantine=tmp_path / "aside.csv")
    with hub.engine.connect() as conn:
        stored = conn.execute(select(t.import_issues).where(
            t.import_issues.c.snapshot_id == result.snapshot_id)).mappings().all()
    summary = [r for r in stored if r["code"] == "PARTIAL_IMPORT"]
    assert len(summary) == 1 and summary[0]["value"] == result.quarantine_file
    assert "10 of 26 row(s)" in summary[0]["message"] and "loans 2" in summary[0]["message"]
    per_row = {(r["table_name"], str(r["row_number"])) for r in stored if r["code"] == "QUARANTINED_ROW"}
    assert per_row == set(EXPECTED_ASIDE)
    loan = next(r for r in stored if r["code"] == "QUARANTINED_ROW" and r["table_name"] == "loans"
                and r["row_number"] == 4)
    assert loan["value"] == "L003" and "counterparty C002 was rejected" in loan["message"]
    # findings about rows that were not imported are not stored; those about imported rows are
    assert not [r for r in stored if r["code"] == "CLASS_BELOW_DPD_FLOOR" and r["table_name"] == "loans"
                and r["row_number"] in (4, 5)]
    assert ("STALE_APPRAISAL", 3) in [(r["code"], r["row_number"]) for r in stored]


def test_the_audit_event_of_a_partial_import_names_what_was_set_aside_and_fingerprints_the_file(
        hub: Platform, tmp_path: Path) -> None:
    import hashlib

    from nplhub.domain.events import TapeImported

    uow = hub.uow()
    result = import_tape(uow, _tape(tmp_path, _three_bad_rows), quarantine=tmp_path / "aside.csv")
    (event,) = [e for e in uow.published if isinstance(e, TapeImported)]
    assert event.quarantined == result.quarantined and sum(event.quarantined.values()) == 10
    assert event.quarantine_sha256 == hashlib.sha256(Path(result.quarantine_file or "").read_bytes()).hexdigest()
    whole = hub.uow()
    import_tape(whole, _tape(tmp_path, lambda tables: None, name="clean"))
    (plain,) = [e for e in whole.published if isinstance(e, TapeImported)]
    assert plain.quarantined == {} and plain.quarantine_sha256 == ""


def test_a_partial_import_keeps_every_reference_of_the_database_intact(hub: Platform, tmp_path: Path) -> None:
    folder = tmp_path / "aside"
    folder.mkdir()
    result = import_tape(hub.uow(), _tape(tmp_path, _set("collateral", 0, "status", "stolen")), quarantine=folder)
    assert result.quarantined is not None
    assert (result.quarantined["collateral"], result.quarantined["loan_collateral"],
            result.quarantined["enforcement"]) == (1, 2, 1)  # K001, its two links and its auction case
    assert Path(result.quarantine_file or "").name == "SAMPLE-01_2024-06-30_v1.quarantine.csv"
    if hub.engine.dialect.name == "sqlite":
        with hub.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []


def test_a_duplicated_key_sets_every_row_of_it_aside(hub: Platform, tmp_path: Path) -> None:
    def duplicate(tables: Tables) -> None:
        tables["collateral"] = pd.concat([tables["collateral"], tables["collateral"].iloc[[1]]], ignore_index=True)

    result = import_tape(hub.uow(), _tape(tmp_path, duplicate), quarantine=tmp_path / "aside.csv")
    lines = _quarantine(tmp_path / "aside.csv")
    assert [(r["table"], r["row"], r["codes"]) for r in lines] == [
        ("collateral", "3", "DUPLICATE_KEY"), ("collateral", "4", "DUPLICATE_KEY"),
        ("loan_collateral", "4", "PARENT_REJECTED")]
    assert "given again on row 4" in lines[0]["reasons"]
    assert _keys(hub, "collateral", "collateral_id") == ["K001"]
    assert result.counts["loans"] == 4


@pytest.mark.parametrize("fmt", ["xlsx", "parquet", "flat"])
def test_every_container_can_be_imported_in_part(hub: Platform, tmp_path: Path, fmt: str) -> None:
    path = _tape(tmp_path, _set("loans", 3, "days_past_due", "many"), fmt)
    result = import_tape(hub.uow(), path, quarantine=tmp_path / "aside.csv")
    lines = _quarantine(tmp_path / "aside.csv")
    loan = next(r for r in lines if r["table"] == "loans")
    assert loan["codes"] == "INVALID_INTEGER"
    assert int(loan["row"]) == (4 if fmt == "parquet" else 5)  # the record number of Parquet, else the file row
    assert _keys(hub, "loans", "loan_id") == ["L001", "L002", "L003"]
    assert result.counts["loans"] == 3 and result.quarantined and result.quarantined["loans"] == 1


def _drop_column(tables: Tables) -> None:
    tables["loans"] = tables["loans"].drop(columns=["reported_class"])


def _every_loan_bad(tables: Tables) -> None:
    tables["loans"]["product"] = "yacht"


NO_CUTOFF = {k: v for k, v in SAMPLE_META.items() if k != "cutoff_date"}


@pytest.mark.parametrize(("what", "change", "meta", "code"), [
    ("a missing required column", _drop_column, SAMPLE_META, "MISSING_COLUMN"),
    ("no cut-off date", None, NO_CUTOFF, "MISSING_METADATA"),
    ("every loan bad", _every_loan_bad, SAMPLE_META, "NOTHING_TO_IMPORT"),
])
def test_a_file_level_error_still_rejects_the_whole_tape_and_writes_nothing(
        hub: Platform, tmp_path: Path, what: str, change: Callable[[Tables], None] | None, meta: dict[str, str],
        code: str) -> None:
    import_tape(hub.uow(), write_tables(sample_tables(), SAMPLE_META, tmp_path / "good", "csv"))
    before = row_counts(hub)
    tables = sample_tables()
    tables["loans"].loc[0, "days_past_due"] = "abc"  # a row-level error as well
    if change:
        change(tables)
    folder = tmp_path / "aside"
    folder.mkdir()
    with pytest.raises(TapeRejected) as rejected:
        import_tape(hub.uow(), write_tables(tables, meta, tmp_path / "bad", "csv"), quarantine=folder)
    assert code in {i.code for i in rejected.value.issues if i.is_error}, what
    assert row_counts(hub) == before
    assert list(folder.iterdir()) == []


def test_without_the_request_a_bad_row_still_rejects_the_whole_tape(hub: Platform, tmp_path: Path) -> None:
    before = row_counts(hub)
    with pytest.raises(TapeRejected):
        import_tape(hub.uow(), _tape(tmp_path, _three_bad_rows))
    assert row_counts(hub) == before


def test_a_failure_while_writing_leaves_neither_rows_nor_a_quarantine_file(
        hub: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nplhub.storage.datahub import SqlSnapshotRepository

    before = row_counts(hub)

    def failing(self: SqlSnapshotRepository, snapshot_id: str, issues: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(SqlSnapshotRepository, "add_issues", failing)  # after the quarantine file is staged
    folder = tmp_path / "aside"
    folder.mkdir()
    with pytest.raises(RuntimeError):
        import_tape(hub.uow(), _tape(tmp_path, _three_bad_rows), quarantine=folder)
    assert row_counts(hub) == before
    assert list(folder.iterdir()) == []


def test_a_partial_import_of_a_clean_tape_imports_everything_and_writes_an_empty_quarantine_file(
        hub: Platform, tmp_path: Path) -> None:
    result = import_tape(hub.uow(), write_tables(sample_tables(), SAMPLE_META, tmp_path / "tape", "csv"),
                         quarantine=tmp_path / "aside.csv")
    assert not result.partial and result.quarantined == dict.fromkeys(TABLE_ORDER, 0)
    assert _quarantine(tmp_path / "aside.csv") == []
    assert (tmp_path / "aside.csv").read_text(encoding="utf-8-sig").startswith("table,row,codes,reasons")
    assert "PARTIAL_IMPORT" not in {w.code for w in result.warnings}
    assert result.counts["loans"] == 4
