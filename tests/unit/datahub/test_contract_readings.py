"""Where the independent spec tape found the importer stricter or looser than the contract's words.

shared/spec/data-tape.md: metadata is "portfolio name, cut-off date, reporting date/version,
currency, seller" (no id); id_number is an "18-character unified social credit code or resident
identity number, check digit verified" (for any counterparty); a guarantee has
"guarantor_counterparty_id or guarantor_name".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from nplhub.datahub.issues import errors_of
from nplhub.datahub.readers import read_tape
from nplhub.datahub.sample import SAMPLE_META, sample_tables, uscc
from nplhub.datahub.validate import ValidatedTape, portfolio_id_from_name, validate_tape
from nplhub.datahub.writers import write_tables

Tables = dict[str, pd.DataFrame]


def _check(tmp_path: Path, change: Callable[[Tables], None] | None = None,
           meta: dict[str, str] | None = None) -> ValidatedTape:
    tables = sample_tables()
    if change:
        change(tables)
    return validate_tape(read_tape(write_tables(tables, meta or SAMPLE_META, tmp_path / "tape", "csv")))


def _set(table: str, row: int, column: str, value: str | None) -> Callable[[Tables], None]:
    def change(tables: Tables) -> None:
        tables[table].loc[row, column] = value
    return change


# --- metadata: the contract names the portfolio, it gives it no id ------------------------------


def test_a_tape_with_the_metadata_the_contract_lists_is_identified_by_its_portfolio_name(tmp_path: Path) -> None:
    meta = {k: v for k, v in SAMPLE_META.items() if k != "portfolio_id"}
    tape = _check(tmp_path, meta=meta | {"portfolio_name": "华东不良贷款包 2024/1"})
    assert tape.ok, errors_of(tape.issues)
    assert tape.meta is not None and tape.meta.portfolio_id == "华东不良贷款包-2024-1"
    assert tape.meta.portfolio_name == "华东不良贷款包 2024/1"
    said = [i for i in tape.issues if i.code == "PORTFOLIO_ID_FROM_NAME"]
    assert [(i.severity, i.table, i.column, i.value) for i in said] == [
        ("warning", "_meta", "portfolio_id", "华东不良贷款包-2024-1")]


def test_a_given_portfolio_id_wins_over_the_name_and_nothing_is_said(tmp_path: Path) -> None:
    tape = _check(tmp_path)
    assert tape.meta is not None and tape.meta.portfolio_id == "SAMPLE-01"
    assert "PORTFOLIO_ID_FROM_NAME" not in {i.code for i in tape.issues}


def test_a_tape_without_portfolio_id_or_name_is_still_rejected(tmp_path: Path) -> None:
    meta = {k: v for k, v in SAMPLE_META.items() if k not in ("portfolio_id", "portfolio_name")}
    tape = _check(tmp_path, meta=meta)
    assert ("MISSING_METADATA", "portfolio_id") in [(i.code, i.column) for i in errors_of(tape.issues)]


def test_a_name_too_long_to_be_an_id_asks_for_a_portfolio_id() -> None:
    assert portfolio_id_from_name("  A  @ B#/C ") == "A-B-C"
    assert portfolio_id_from_name("包" * 65) == ""


# --- id numbers: either form, for any counterparty ----------------------------------------------


def test_a_person_may_carry_the_credit_code_of_a_sole_trader_business(tmp_path: Path) -> None:
    code = uscc("92320106MA1ABCDE1")  # 9 market regulation, 2 sole trader (个体工商户)
    tape = _check(tmp_path, _set("counterparties", 2, "id_number", code))
    assert tape.ok, errors_of(tape.issues)


def test_a_person_with_a_mistyped_sole_trader_code_is_rejected_under_gb_32100(tmp_path: Path) -> None:
    code = uscc("92320106MA1ABCDE1")
    mistyped = code[:17] + ("0" if code[17] != "0" else "1")
    tape = _check(tmp_path, _set("counterparties", 2, "id_number", mistyped))
    found = [(i.code, i.row, i.column) for i in errors_of(tape.issues)]
    assert found == [("BAD_CHECK_DIGIT", 4, "id_number")]
    assert "GB 32100" in errors_of(tape.issues)[0].message


def test_a_person_with_a_company_credit_code_is_still_rejected(tmp_path: Path) -> None:
    tape = _check(tmp_path, _set("counterparties", 2, "id_number", uscc("91320106MA1ABCDE1")))
    assert [(i.code, i.row) for i in errors_of(tape.issues)] == [("BAD_CHECK_DIGIT", 4)]


# --- guarantees: a guarantor by id or by name ---------------------------------------------------


def test_a_guarantee_naming_no_guarantor_is_rejected_at_its_row(tmp_path: Path) -> None:
    tape = _check(tmp_path, _set("guarantees", 0, "guarantor_counterparty_id", None))
    found = [(i.code, i.table, i.row, i.column) for i in errors_of(tape.issues)]
    assert found == [("REQUIRED_VALUE", "guarantees", 2, "guarantor_counterparty_id")]


def test_a_guarantee_may_name_its_guarantor_by_name_alone(tmp_path: Path) -> None:
    def by_name(tables: Tables) -> None:
        tables["guarantees"].loc[0, "guarantor_counterparty_id"] = None
        tables["guarantees"].loc[0, "guarantor_name"] = "江苏信达融资担保有限公司"
    tape = _check(tmp_path, by_name)
    assert tape.ok, errors_of(tape.issues)


def test_a_guarantees_table_without_either_guarantor_column_is_rejected(tmp_path: Path) -> None:
    def drop(tables: Tables) -> None:
        tables["guarantees"] = tables["guarantees"].drop(columns=["guarantor_counterparty_id", "guarantor_name"])
    tape = _check(tmp_path, drop)
    found = [(i.code, i.table, i.row, i.column) for i in errors_of(tape.issues)]
    assert found == [("MISSING_COLUMN", "guarantees", 1, "guarantor_counterparty_id")]


# --- Parquet: money as float64, as pandas writes it ---------------------------------------------


def test_a_parquet_amount_of_ten_billion_yuan_or_more_keeps_its_two_decimals(tmp_path: Path) -> None:
    """Arrow prints a double of 1e10 or more with an exponent ('2.00000000005e+10'), which read as
    text has eleven decimals: the amount must come through as 20000000000.5, not MONEY_PRECISION."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = write_tables(sample_tables(), SAMPLE_META, tmp_path / "tape", "parquet")
    borrowers = pq.read_table(path / "counterparties.parquet")
    amounts = [20000000000.5, 98765432109.87, None][: borrowers.num_rows]
    at = borrowers.column_names.index("annual_revenue")
    pq.write_table(borrowers.set_column(at, "annual_revenue", pa.array(amounts, pa.float64())),
                   path / "counterparties.parquet")
    tape = validate_tape(read_tape(path))
    assert tape.ok, errors_of(tape.issues)
    assert tape.tables["counterparties"].column("annual_revenue").to_pylist() == amounts


# --- readings of what the contract leaves open (docs/datahub.md, "Where the contract says little") --


def test_a_version_key_is_reported_and_ignored_since_the_importer_numbers_versions(tmp_path: Path) -> None:
    tape = _check(tmp_path, meta=SAMPLE_META | {"version": "3"})
    assert tape.ok, errors_of(tape.issues)
    assert [(i.code, i.column) for i in tape.issues if i.code == "UNKNOWN_METADATA"] == [
        ("UNKNOWN_METADATA", "version")]


def test_a_blank_sheet_for_an_optional_table_lacks_its_required_columns(tmp_path: Path) -> None:
    import openpyxl

    path = write_tables(sample_tables(), SAMPLE_META, tmp_path / "book", "xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["guarantees"]
    sheet.delete_rows(1, sheet.max_row)
    workbook.save(path)
    tape = validate_tape(read_tape(path))
    assert {(i.code, i.table, i.column) for i in errors_of(tape.issues)} == {
        ("MISSING_COLUMN", "guarantees", "guarantee_id"), ("MISSING_COLUMN", "guarantees", "loan_id"),
        ("MISSING_COLUMN", "guarantees", "amount")}


def test_a_borrower_repeated_in_a_flat_list_is_compared_as_written(tmp_path: Path) -> None:
    path = write_tables(sample_tables(), SAMPLE_META, tmp_path / "flat", "flat")
    frame = pd.read_csv(path, dtype=str)
    repeated = frame["counterparty_id"].duplicated(keep="first")
    assert repeated.any()
    row = int(repeated.to_numpy().nonzero()[0][0])
    value = str(frame.loc[row, "total_assets"])  # the same amount, written with one more zero
    frame.loc[row, "total_assets"] = value + ("0" if "." in value else ".0")
    frame.to_csv(path, index=False)
    tape = validate_tape(read_tape(path))
    assert [(i.code, i.row, i.column) for i in errors_of(tape.issues)] == [
        ("FLAT_CONFLICT", row + 2, "counterparty_id")]
