"""A tape made by an independent generator that follows the contract imports exactly, on SQLite and PostgreSQL.

The book comes from `tests/support/spec_tape.py`, written from shared/spec/data-tape.md alone (it
imports nothing of `nplhub.datahub`), and is written into every container of the contract with the
variety the contract allows (`tests/support/spec_containers.py`). Each import must store exactly
the rows the generator wrote, every cell equal to what the generator meant (money to the fen,
dates, codes mapped from Chinese terms), and report the findings the contract calls warnings at
the rows where the generator placed them. Bad variants derived from the contract's list of errors
are rejected at the table, row, column and value where the generator broke them, and leave the
database exactly as it was.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from nplhub.bootstrap import Platform
from nplhub.datahub.issues import TapeIssue, TapeRejected
from nplhub.services.datahub import ImportResult, import_tape
from nplhub.services.ports import SnapshotReader
from nplhub.storage.tables import datahub as t
from support.datahub_db import row_counts
from support.spec_containers import (
    CSV_LAYOUT,
    KEYS,
    Written,
    kinds,
    record_lines,
    write_csv_folder,
    write_flat_csv,
    write_flat_xlsx,
    write_parquet_folder,
    write_xlsx,
)
from support.spec_tape import CHINESE_HEADERS, TABLES, Book, build_book

CUTOFF = "2024-06-30"
CONTAINERS: dict[str, Callable[[Book, Path], Written]] = {
    "csv": lambda book, root: write_csv_folder(book, root / "csv"),
    "xlsx": lambda book, root: write_xlsx(book, root / "tape.xlsx"),
    "parquet": lambda book, root: write_parquet_folder(book, root / "parquet"),
    "flat-csv": lambda book, root: write_flat_csv(book, root / "flat"),
    "flat-xlsx": lambda book, root: write_flat_xlsx(book, root / "loan_list.xlsx"),
}


@pytest.fixture(scope="module")
def book() -> Book:
    return build_book(loans=200)


def assert_snapshot_of_the_book(result: ImportResult, version: int = 1) -> None:
    """The book's metadata is the contract's list (a portfolio name, no id): the importer must
    identify the portfolio all the same, and say how, since it never decides silently."""
    assert result.portfolio_id and str(result.cutoff_date) == CUTOFF
    assert result.snapshot_id == f"{result.portfolio_id}@{CUTOFF}#v{version}"
    assert any(i.table == "_meta" and i.column == "portfolio_id" for i in result.warnings), result.warnings


def read_back(hub: Platform, snapshot_id: str) -> dict[str, pd.DataFrame]:
    with hub.uow() as uow:
        return uow.get(SnapshotReader).frames(snapshot_id, list(TABLES))  # type: ignore[type-abstract]


# --- comparing what was stored with what the generator meant ------------------------------------


def as_meant(kind: str, value: Any) -> Any:
    """A stored cell (float64 money, datetime64 dates, nullable ints ...) in the generator's terms."""
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind == "money":
        assert float(value) == float(Decimal(f"{value:.2f}")), f"{value!r} is not a whole number of fen"
        return Decimal(f"{value:.2f}")
    if kind in ("rate", "number"):
        return round(float(value), 10)
    if kind == "date":
        return pd.Timestamp(value).date()
    if kind == "month":
        return pd.Timestamp(value).strftime("%Y-%m") if not isinstance(value, str) else value[:7]
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    return str(value)


def meant(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "money":
        return value.quantize(Decimal("0.01"))
    if kind in ("rate", "number"):
        return round(float(value), 10)
    return value


def assert_table_equal(name: str, frame: pd.DataFrame, expected: list[dict[str, Any]]) -> None:
    """Every row and every cell: keyed tables by their key, the others in tape order."""
    assert len(frame) == len(expected), f"{name}: {len(frame)} rows stored, {len(expected)} written"
    kind = kinds(name)
    stored = [{c: as_meant(kind[c], row[c]) for c in kind} for row in frame.to_dict("records")]
    wanted = [{c: meant(kind[c], row[c]) for c in kind} for row in expected]
    keys = KEYS[name]
    if keys:
        stored.sort(key=lambda r: tuple(str(r[k]) for k in keys))
        wanted.sort(key=lambda r: tuple(str(r[k]) for k in keys))
    mismatches = [(w_row, c, s_row[c], w_row[c]) for s_row, w_row in zip(stored, wanted, strict=True)
                  for c in kind if s_row[c] != w_row[c]]
    assert not mismatches, (f"{name}: {len(mismatches)} cell(s) differ, e.g. "
                            + "; ".join(f"{[w[k] for k in keys] or '?'} {c}: stored {s!r}, meant {m!r}"
                                        for w, c, s, m in mismatches[:5]))


# --- a valid tape in every container ------------------------------------------------------------


@pytest.mark.parametrize("container", list(CONTAINERS))
def test_an_independent_spec_tape_imports_every_row_and_cell_as_the_generator_meant_them(
        hub: Platform, book: Book, tmp_path: Path, container: str) -> None:
    written = CONTAINERS[container](book, tmp_path)
    result = import_tape(hub.uow(), written.path)
    assert_snapshot_of_the_book(result)
    counts = row_counts(hub)
    for name in TABLES:
        assert counts[name] == written.counts()[name] == result.counts.get(name, 0), name
    frames = read_back(hub, result.snapshot_id)
    for name in TABLES:
        assert_table_equal(name, frames[name], written.expected[name])


# --- metadata, findings, versions ---------------------------------------------------------------


def test_the_metadata_of_tape_yaml_is_stored_with_the_portfolio_and_snapshot(hub: Platform, book: Book,
                                                                             tmp_path: Path) -> None:
    result = import_tape(hub.uow(), write_csv_folder(book, tmp_path / "csv").path)
    with hub.engine.connect() as conn:
        portfolio = conn.execute(select(t.portfolios)).mappings().one()
        snapshot = conn.execute(select(t.snapshots)).mappings().one()
    assert (portfolio["portfolio_id"], portfolio["name"], portfolio["seller"], portfolio["currency"]) == (
        result.portfolio_id, "华东不良贷款包 2024-1", "示例农商银行", "CNY")
    assert (str(snapshot["cutoff_date"])[:10], str(snapshot["reporting_date"])[:10]) == ("2024-06-30", "2024-07-15")


def test_metadata_may_come_from_flags_alone(hub: Platform, book: Book, tmp_path: Path) -> None:
    folder = write_csv_folder(book, tmp_path / "csv").path
    (folder / "tape.yaml").unlink()
    result = import_tape(hub.uow(), folder, {"portfolio_id": "SPEC-FLAGS", "cutoff_date": "2024-06-30"})
    assert result.snapshot_id == "SPEC-FLAGS@2024-06-30#v1" and result.counts["loans"] == 200


def test_a_reissued_tape_for_the_same_cutoff_is_a_new_version_not_a_duplicate(hub: Platform, book: Book,
                                                                               tmp_path: Path) -> None:
    first = import_tape(hub.uow(), write_csv_folder(book, tmp_path / "a").path)
    second = import_tape(hub.uow(), write_xlsx(book, tmp_path / "b.xlsx").path)
    assert (first.version, second.version) == (1, 2)
    assert second.portfolio_id == first.portfolio_id  # the same portfolio name: the same portfolio
    assert_snapshot_of_the_book(second, version=2)
    assert row_counts(hub)["snapshots"] == 2


def warnings_at(issues: list[TapeIssue], table: str, column: str) -> set[int]:
    return {int(i.row) for i in issues if not i.is_error and i.table == table and i.column == column
            and i.row is not None}


@pytest.mark.parametrize("container", ["csv", "xlsx"])
def test_the_findings_the_contract_calls_warnings_are_stored_at_the_rows_the_generator_placed_them(
        hub: Platform, book: Book, tmp_path: Path, container: str) -> None:
    written = CONTAINERS[container](book, tmp_path)
    result = import_tape(hub.uow(), written.path)
    loans, collateral = written.rows["loans"], written.rows["collateral"]
    assert warnings_at(result.warnings, "loans", "reported_class") == {loans[i] for i in book.class_contradictions}
    assert warnings_at(result.warnings, "collateral", "appraisal_date") == {collateral[i] for i in book.stale_appraisals}
    prior = {collateral[i] for i in book.prior_claims_above_value}
    assert prior <= warnings_at(result.warnings, "collateral", "prior_claims") | warnings_at(
        result.warnings, "collateral", "appraisal_value")
    with hub.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.import_issues)
                              .where(t.import_issues.c.snapshot_id == result.snapshot_id)).scalar_one()
    assert stored == len(result.warnings) > 0


def test_a_column_that_is_not_in_the_contract_is_reported_and_the_rest_imported(hub: Platform, book: Book,
                                                                                 tmp_path: Path) -> None:
    """The contract: where a tape and the contract disagree the importer says so; it never guesses silently."""
    written = write_csv_folder(book, tmp_path / "csv")
    assert written.unknown_columns
    result = import_tape(hub.uow(), written.path)
    reported = {(i.table, i.column) for i in result.warnings}
    for table, header in written.unknown_columns:
        assert (table, header) in reported
    assert result.counts["counterparties"] == 120 and result.counts["enforcement"] == len(book.tables["enforcement"])


def test_only_the_required_tables_with_an_empty_optional_table_import(hub: Platform, book: Book,
                                                                       tmp_path: Path) -> None:
    written = write_csv_folder(book, tmp_path / "csv", tables=["counterparties", "loans", "guarantees"])
    guarantees = written.path / "guarantees.csv"
    encoding = CSV_LAYOUT["guarantees"][0]
    guarantees.write_bytes(guarantees.read_bytes().splitlines()[0] + b"\n")  # the header line only
    assert guarantees.read_bytes().decode(encoding).count("\n") == 1
    result = import_tape(hub.uow(), written.path)
    assert result.counts.get("guarantees", 0) == 0 and result.counts["loans"] == 200
    counts = row_counts(hub)
    assert counts["loans"] == 200 and counts["counterparties"] == 120
    assert all(counts[name] == 0 for name in TABLES if name not in ("loans", "counterparties"))


# --- what bad input gets ------------------------------------------------------------------------


def rewrite_cell(folder: Path, table: str, book_row: Any, column: str, text: str | None) -> int:
    """Change one cell of a written CSV file (its encoding and headers kept), or drop the column
    (`text` None); return the file line of the changed record (1, the header, for a column)."""
    encoding, newline, chinese, *_ = CSV_LAYOUT[table]
    path = folder / f"{table}.csv"
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode(encoding))))
    header = CHINESE_HEADERS[table][column] if chinese else column
    at = rows[0].index(header)
    if text is None:
        rows = [r[:at] + r[at + 1:] for r in rows]
    elif isinstance(book_row, tuple):  # ("copy", n): a further row, copied from row n, with this cell changed
        rows.append(list(rows[book_row[1] + 1]))
        rows[-1][at] = text
    else:
        assert book_row is not None
        rows[book_row + 1][at] = text
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    if text is None:
        return 1
    return record_lines(rows[1:])[len(rows) - 2 if isinstance(book_row, tuple) else book_row]


def cell(book: Book, table: str, row: int, column: str) -> Any:
    return book.tables[table][row][column]


def first_individual(book: Book) -> int:
    return next(i for i, r in enumerate(book.tables["counterparties"]) if r["counterparty_type"] == "individual")


def first_company(book: Book) -> int:
    return next(i for i, r in enumerate(book.tables["counterparties"]) if r["counterparty_type"] == "corporate")


def first_sole_trader(book: Book) -> int:
    return next(i for i, r in enumerate(book.tables["counterparties"])
                if r["counterparty_type"] == "individual" and r["id_number"].startswith("92"))


def mistyped(id_number: str, resident: bool) -> str:
    """The same id with its check character changed."""
    chars = "0123456789X" if resident else "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return id_number[:17] + chars[(chars.index(id_number[17]) + 1) % len(chars)]


# (name, table, book row, column, new text or None to drop the column, expected code, where: row or None)
BAD_CELLS: list[tuple[str, str, Any, str, Any, str]] = [
    ("a missing required column", "loans", None, "interest_rate", None, "MISSING_COLUMN"),
    ("a wrong type (no such date)", "loans", 57, "origination_date", "2021-02-30", "INVALID_DATE"),
    ("a wrong type (not an amount)", "collateral", 9, "appraisal_value", "约300万", "INVALID_NUMBER"),
    ("an unknown code", "collateral", 12, "collateral_type", "spaceship", "UNKNOWN_CODE"),
    ("an unknown Chinese term", "loans", 33, "reported_class", "很差", "UNKNOWN_CODE"),
    ("a duplicate id", "counterparties", ("copy", 40), "counterparty_id",
     lambda b: cell(b, "counterparties", 7, "counterparty_id"), "DUPLICATE_KEY"),
    ("an unknown code below an address over two lines", "counterparties", 50, "counterparty_type", "corp",
     "UNKNOWN_CODE"),
    ("a loan whose counterparty does not exist", "loans", 150, "counterparty_id", "KH999999999", "DANGLING_REFERENCE"),
    ("origination after maturity", "loans", 21, "maturity_date",
     lambda b: (cell(b, "loans", 21, "origination_date").replace(day=1) - pd.Timedelta(days=1)).isoformat(),
     "DATE_ORDER"),
    ("a negative balance", "loans", 88, "outstanding_principal", "-1500.00", "NEGATIVE_AMOUNT"),
    ("money with three decimals", "loans", 89, "original_principal", "1500000.125", "MONEY_PRECISION"),
    ("an invalid resident id check digit", "counterparties", "individual", "id_number",
     lambda b: mistyped(cell(b, "counterparties", first_individual(b), "id_number"), True), "BAD_CHECK_DIGIT"),
    ("an invalid credit code check digit", "counterparties", "company", "id_number",
     lambda b: mistyped(cell(b, "counterparties", first_company(b), "id_number"), False), "BAD_CHECK_DIGIT"),
    ("an invalid check digit of a person's sole-trader code", "counterparties", "sole trader", "id_number",
     lambda b: mistyped(cell(b, "counterparties", first_sole_trader(b), "id_number"), False), "BAD_CHECK_DIGIT"),
    ("a guarantee naming no guarantor", "guarantees", 2, "guarantor_counterparty_id", "", "REQUIRED_VALUE"),
    ("a required value left empty", "repayments", 300, "amount_paid", "", "REQUIRED_VALUE"),
    ("a month that is not YYYY-MM", "price_index", 5, "month", "2023-13", "INVALID_MONTH"),
]


@pytest.mark.parametrize("bad", BAD_CELLS, ids=[b[0] for b in BAD_CELLS])
def test_a_tape_breaking_the_contract_is_rejected_where_it_breaks_it_and_nothing_changes(
        hub: Platform, book: Book, tmp_path: Path, bad: tuple[Any, ...]) -> None:
    _, table, row, column, text, code = bad
    import_tape(hub.uow(), write_csv_folder(book, tmp_path / "good").path)
    before = row_counts(hub)
    folder = write_csv_folder(book, tmp_path / "bad").path
    if row == "individual":
        row = first_individual(book)
    elif row == "company":
        row = first_company(book)
    elif row == "sole trader":
        row = first_sole_trader(book)
    value = text(book) if callable(text) else text
    line = rewrite_cell(folder, table, row, column, value)
    with pytest.raises(TapeRejected) as rejected:
        import_tape(hub.uow(), folder)
    errors = [i for i in rejected.value.issues if i.is_error]
    header = CHINESE_HEADERS[table][column] if CSV_LAYOUT[table][2] else column
    assert [(i.table, i.row, i.code) for i in errors] == [(table, line, code)], errors
    issue = errors[0]
    assert issue.column in (column, header) or (code == "DATE_ORDER" and issue.column == "origination_date")
    if value:
        assert issue.value == value
    assert issue.message
    assert row_counts(hub) == before


def test_a_bad_cell_of_the_workbook_is_located_by_its_sheet_row(hub: Platform, book: Book, tmp_path: Path) -> None:
    written = write_xlsx(book, tmp_path / "tape.xlsx")
    workbook = openpyxl.load_workbook(written.path)
    sheet = workbook["loans"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=written.rows["loans"][120], column=header.index("五级分类") + 1, value="很差")
    workbook.save(written.path)
    with pytest.raises(TapeRejected) as rejected:
        import_tape(hub.uow(), written.path)
    assert [(i.table, i.row, i.column, i.value, i.code) for i in rejected.value.issues if i.is_error] == [
        ("loans", 122, "reported_class", "很差", "UNKNOWN_CODE")]
    assert row_counts(hub)["loans"] == 0


def test_a_missing_required_table_rejects_the_tape(hub: Platform, book: Book, tmp_path: Path) -> None:
    folder = write_csv_folder(book, tmp_path / "csv").path
    (folder / "counterparties.csv").unlink()
    with pytest.raises(TapeRejected) as rejected:
        import_tape(hub.uow(), folder)
    errors = [i for i in rejected.value.issues if i.is_error]
    assert ("counterparties", "MISSING_TABLE") in [(i.table, i.code) for i in errors]
    assert all(v == 0 for v in row_counts(hub).values())


def test_a_file_in_neither_utf8_nor_gb18030_is_rejected(hub: Platform, book: Book, tmp_path: Path) -> None:
    folder = write_csv_folder(book, tmp_path / "csv").path
    loans = folder / "loans.csv"
    loans.write_bytes(loans.read_bytes().decode("gb18030").encode("utf-16"))
    with pytest.raises(TapeRejected) as rejected:
        import_tape(hub.uow(), folder)
    errors = [(i.table, i.code) for i in rejected.value.issues if i.is_error]
    assert errors[0] == ("loans", "ENCODING")  # then what the unread table leaves dangling
    assert all(v == 0 for v in row_counts(hub).values())


def test_the_parquet_record_of_a_bad_value_is_its_place_in_the_file(hub: Platform, book: Book,
                                                                    tmp_path: Path) -> None:
    written = write_parquet_folder(book, tmp_path / "parquet")
    path = written.path / "loans.parquet"
    data = pq.read_table(path)
    owners = data.column("counterparty_id").to_pylist()
    owners[9] = "KH999999999"
    pq.write_table(data.set_column(data.column_names.index("counterparty_id"), "counterparty_id",
                                   pa.array(owners, pa.string())), path)
    with pytest.raises(TapeRejected) as rejected:
        import_tape(hub.uow(), written.path)
    assert [(i.table, i.row, i.column, i.value, i.code) for i in rejected.value.issues if i.is_error] == [
        ("loans", written.rows["loans"][9], "counterparty_id", "KH999999999", "DANGLING_REFERENCE")]
    assert written.rows["loans"][9] == 10  # the tenth record: a Parquet file has no header line


def test_a_partial_import_asked_for_sets_the_bad_loan_and_what_hangs_on_it_aside(
        hub: Platform, book: Book, tmp_path: Path) -> None:
    """The contract: a tape is never partly imported unless the user asks for it explicitly, and then
    the rejected rows are written to a quarantine file. What is imported stays consistent."""
    folder = write_csv_folder(book, tmp_path / "csv").path
    bad = next(i for i, r in enumerate(book.tables["loans"])
               if any(link["loan_id"] == r["loan_id"] for link in book.tables["loan_collateral"]))
    loan_id = book.tables["loans"][bad]["loan_id"]
    rewrite_cell(folder, "loans", bad, "outstanding_principal", "-1.00")
    with pytest.raises(TapeRejected):
        import_tape(hub.uow(), folder)  # not asked for: nothing is written
    assert all(v == 0 for v in row_counts(hub).values())
    result = import_tape(hub.uow(), folder, quarantine=tmp_path / "aside.csv")
    hanging = {name: sum(1 for r in book.tables[name] if r.get("loan_id") == loan_id)
               for name in TABLES if name != "counterparties"}
    hanging["loans"] = 1
    for name in TABLES:
        assert result.counts.get(name, 0) == len(book.tables[name]) - hanging.get(name, 0), name
    frames = read_back(hub, result.snapshot_id)
    for name, frame in frames.items():
        assert "loan_id" not in frame or loan_id not in set(frame["loan_id"]), name
    with open(tmp_path / "aside.csv", encoding="utf-8-sig", newline="") as handle:
        aside = list(csv.DictReader(handle))
    assert len(aside) == sum(hanging.values())
    loans_aside = [r for r in aside if r["table"] == "loans"]
    assert [(r["row"], r[CHINESE_HEADERS["loans"]["loan_id"]]) for r in loans_aside] == [(str(bad + 2), loan_id)]
