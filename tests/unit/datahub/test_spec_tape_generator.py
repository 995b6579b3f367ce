"""The independent spec tape generator (tests/support) is itself right: published check-digit
examples, a book that keeps the contract's rules, and files that really hold the allowed variety."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from support.spec_containers import CSV_LAYOUT, write_csv_folder, write_xlsx
from support.spec_tape import (
    CHINESE_HEADERS,
    CHINESE_TERMS,
    CUTOFF,
    SPEC,
    Book,
    build_book,
    code_list,
    gb11643_check,
    gb11714_check,
    gb32100_check,
)


@pytest.fixture(scope="module")
def book() -> Book:
    return build_book()


def test_check_characters_match_the_examples_published_with_the_standards() -> None:
    assert gb11643_check("11010519491231002") == "X"  # GB 11643-1999's own example, 11010519491231002X
    assert gb32100_check("91350100M000100Y4") == "3"  # a published credit code, 91350100M000100Y43
    assert gb11714_check("M000100Y") == "4"  # its organisation code M000100Y-4
    assert gb11714_check("D2143569") == "X"  # GB 11714's example, D2143569-X


def test_the_book_keeps_the_contracts_keys_references_and_signs(book: Book) -> None:
    tables = book.tables
    for name, key in (("counterparties", "counterparty_id"), ("loans", "loan_id"), ("collateral", "collateral_id"),
                      ("guarantees", "guarantee_id"), ("enforcement", "case_id")):
        ids = [r[key] for r in tables[name]]
        assert len(ids) == len(set(ids)), name
    borrowers = {r["counterparty_id"] for r in tables["counterparties"]}
    loans = {r["loan_id"] for r in tables["loans"]}
    collateral = {r["collateral_id"] for r in tables["collateral"]}
    assert {r["counterparty_id"] for r in tables["loans"]} <= borrowers
    assert {r["loan_id"] for r in tables["loan_collateral"]} <= loans
    assert {r["collateral_id"] for r in tables["loan_collateral"]} <= collateral
    assert all(r["guarantor_counterparty_id"] or r["guarantor_name"] for r in tables["guarantees"])
    for name, columns in SPEC.items():
        for row in tables[name]:
            for column, kind, required in columns:
                value = row[column]
                assert not required or value is not None, (name, column)
                if kind == "money" and value is not None:
                    assert value >= 0 and -value.as_tuple().exponent <= 2, (name, column, value)  # type: ignore[operator]
                if kind == "code" and value is not None:
                    assert value in CHINESE_TERMS[code_list(column)], (name, column, value)


def test_the_books_dates_are_in_order_and_past_events_before_the_cutoff(book: Book) -> None:
    for loan in book.tables["loans"]:
        assert loan["origination_date"] < loan["maturity_date"]
        assert loan["origination_date"] <= CUTOFF and (loan["default_date"] or CUTOFF) <= CUTOFF
    for event in book.tables["forbearance"]:
        assert event["new_maturity_date"] is None or event["new_maturity_date"] >= event["event_date"]
    for case in book.tables["enforcement"]:
        dates = [d for d in (case["filed_date"], case["judgment_date"], case["sale_date"]) if d is not None]
        assert dates == sorted(dates) and dates[-1] <= CUTOFF
    assert all(d["end_date"] is None or d["start_date"] <= d["end_date"] for d in book.tables["disposals"])
    assert all(c["appraisal_date"] <= CUTOFF for c in book.tables["collateral"])


def test_every_table_of_the_contract_has_rows_and_the_deliberate_findings_are_placed(book: Book) -> None:
    assert book.counts()["loans"] == 200 and min(book.counts().values()) > 0
    assert book.class_contradictions and book.stale_appraisals and book.prior_claims_above_value
    for i in book.stale_appraisals:
        assert (CUTOFF - book.tables["collateral"][i]["appraisal_date"]).days > 365
    assert {r["id_number"][:2] for r in book.tables["counterparties"] if r["counterparty_type"] == "individual"} \
        >= {"92"}  # a person with the credit code of a sole-trader business


def test_the_csv_files_hold_every_format_the_contract_allows(book: Book, tmp_path: Path) -> None:
    folder = write_csv_folder(book, tmp_path / "csv").path
    loans = (folder / "loans.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        loans.decode("utf-8")  # GB18030
    text = loans.decode("gb18030")
    for needle in ("贷款编号", "五级分类", "次级", "%", "0.0", "是", "否"):
        assert needle in text, needle
    dates = [r[CHINESE_HEADERS["loans"]["origination_date"]] for r in csv.DictReader(io.StringIO(text))]
    assert {len(d) for d in dates} == {10, 8, 5}  # ISO and YYYY/MM/DD, YYYYMMDD, Excel serial
    assert any("/" in d for d in dates) and any("-" in d for d in dates)
    assert (folder / "counterparties.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (folder / "collateral.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in (folder / "enforcement.csv").read_bytes()
    assert b"\r\n" not in (folder / "collateral.csv").read_bytes()
    guarantors = (folder / "guarantees.csv").read_bytes().decode(CSV_LAYOUT["guarantees"][0])
    assert "𠮷" in guarantors or "䶮" in guarantors  # four-byte GB18030 sequences
    assert "cutoff_date: 2024-06-30" in (folder / "tape.yaml").read_text(encoding="utf-8")
    assert "portfolio_id" not in (folder / "tape.yaml").read_text(encoding="utf-8")


def test_the_workbook_has_a_meta_sheet_and_chinese_headers(book: Book, tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.load_workbook(write_xlsx(book, tmp_path / "t.xlsx").path)
    assert workbook.sheetnames[0] == "_meta"
    meta = {row[0]: row[1] for row in workbook["_meta"].iter_rows(values_only=True)}
    assert meta["cutoff_date"].date() == date(2024, 6, 30)  # a date cell
    assert [c.value for c in workbook["loans"][1]][:3] == ["贷款编号", "借款人编号", "贷款品种"]
    assert workbook["guarantees"].max_row == 1  # an optional table with a header and no rows
    amounts = [r[0] for r in workbook["collateral"].iter_rows(min_row=2, min_col=6, max_col=6, values_only=True)]
    assert any(isinstance(a, float) for a in amounts) and any(isinstance(a, str) for a in amounts)
    assert Decimal(str(amounts[1])) == book.tables["collateral"][1]["appraisal_value"]
