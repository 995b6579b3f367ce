"""Each kind of malformed tape is rejected with the right code at the right place.

Rows are numbered as the user sees them: the header is line 1 of a CSV file, the first loan line 2.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from nplhub.datahub.issues import errors_of
from nplhub.datahub.readers import read_tape
from nplhub.datahub.sample import SAMPLE_META, sample_tables
from nplhub.datahub.validate import ValidatedTape, validate_tape
from nplhub.datahub.writers import write_tables

Tables = dict[str, pd.DataFrame]


def _write(tmp_path: Path, change: Callable[[Tables], None] | None = None, meta: dict[str, str] | None = None) -> Path:
    tables = sample_tables()
    if change:
        change(tables)
    return write_tables(tables, meta or SAMPLE_META, tmp_path / "tape", "csv")


def _check(path: Path) -> ValidatedTape:
    return validate_tape(read_tape(path))


def _set(table: str, row: int, column: str, value: str | None) -> Callable[[Tables], None]:
    def change(tables: Tables) -> None:
        tables[table].loc[row, column] = value
    return change


CASES = [
    # (name, change, code, table, row, column)
    ("a word where days past due should be", _set("loans", 1, "days_past_due", "abc"),
     "INVALID_INTEGER", "loans", 3, "days_past_due"),
    ("an unknown product code", _set("loans", 0, "product", "mortgagee"), "UNKNOWN_CODE", "loans", 2, "product"),
    ("a duplicate loan id", _set("loans", 2, "loan_id", "L001"), "DUPLICATE_KEY", "loans", 4, "loan_id"),
    ("a loan whose borrower does not exist", _set("loans", 2, "counterparty_id", "C999"),
     "DANGLING_REFERENCE", "loans", 4, "counterparty_id"),
    ("a link to a missing collateral", _set("loan_collateral", 0, "collateral_id", "K999"),
     "DANGLING_REFERENCE", "loan_collateral", 2, "collateral_id"),
    ("a link to a missing loan", _set("loan_collateral", 1, "loan_id", "L999"),
     "DANGLING_REFERENCE", "loan_collateral", 3, "loan_id"),
    ("a guarantee of a missing loan", _set("guarantees", 0, "loan_id", "L404"),
     "DANGLING_REFERENCE", "guarantees", 2, "loan_id"),
    ("a mistyped identity number", _set("counterparties", 2, "id_number", "110105194912310021"),
     "BAD_CHECK_DIGIT", "counterparties", 4, "id_number"),
    ("a mistyped credit code", _set("counterparties", 0, "id_number", "91350100M000100Y44"),
     "BAD_CHECK_DIGIT", "counterparties", 2, "id_number"),
    ("an id number of the wrong shape", _set("counterparties", 1, "id_number", "12345"),
     "INVALID_ID_NUMBER", "counterparties", 3, "id_number"),
    ("a maturity before the origination", _set("loans", 0, "maturity_date", "2020-01-01"),
     "DATE_ORDER", "loans", 2, "maturity_date"),
    ("a negative balance", _set("loans", 3, "outstanding_principal", "-5.00"),
     "NEGATIVE_AMOUNT", "loans", 5, "outstanding_principal"),
    ("a loan originated after the cut-off", _set("loans", 1, "origination_date", "2024-07-01"),
     "DATE_AFTER_CUTOFF", "loans", 3, "origination_date"),
    ("an impossible date", _set("collateral", 1, "appraisal_date", "2023-02-29"),
     "INVALID_DATE", "collateral", 3, "appraisal_date"),
    ("an empty required cell", _set("loans", 2, "reported_class", None), "REQUIRED_VALUE", "loans", 4, "reported_class"),
    ("an amount with fractions of a fen", _set("loans", 0, "original_principal", "100.123"),
     "MONEY_PRECISION", "loans", 2, "original_principal"),
    ("a region code of no province", _set("counterparties", 0, "region", "990101"),
     "INVALID_REGION", "counterparties", 2, "region"),
    ("a rate written as a bare percentage", _set("loans", 0, "interest_rate", "4.35"),
     "OUT_OF_RANGE", "loans", 2, "interest_rate"),
    ("a duplicate month of repayments", _set("repayments", 1, "month", "2024-04"),
     "DUPLICATE_KEY", "repayments", 3, "month"),
    ("a missing required column", lambda t: t.__setitem__("loans", t["loans"].drop(columns=["reported_class"])),
     "MISSING_COLUMN", "loans", 1, "reported_class"),
]


@pytest.mark.parametrize(("name", "change", "code", "table", "row", "column"), CASES, ids=[c[0] for c in CASES])
def test_a_malformed_tape_is_rejected_with_the_right_code_and_place(
        tmp_path: Path, name: str, change: Callable[[Tables], None], code: str, table: str, row: int,
        column: str) -> None:
    tape = _check(_write(tmp_path, change))
    assert not tape.ok
    found = [(i.code, i.table, i.row, i.column) for i in errors_of(tape.issues)]
    assert (code, table, row, column) in found, found


def test_the_sample_tape_is_valid(tmp_path: Path) -> None:
    tape = _check(_write(tmp_path))
    assert tape.ok, errors_of(tape.issues)
    assert tape.counts["loans"] == 4


def test_a_truncated_file_is_rejected_at_its_last_line(tmp_path: Path) -> None:
    path = _write(tmp_path)
    data = (path / "loans.csv").read_bytes()
    (path / "loans.csv").write_bytes(data[: data.rstrip(b"\n").rfind(b",", 0, len(data) - 40)])
    tape = _check(path)
    truncated = [i for i in tape.issues if i.code == "TRUNCATED_ROW"]
    assert truncated and truncated[0].table == "loans" and truncated[0].row == 5


def test_an_unterminated_quote_makes_the_file_malformed(tmp_path: Path) -> None:
    path = _write(tmp_path)
    with (path / "loans.csv").open("a", encoding="utf-8") as handle:
        handle.write('"L009,C001,other')
    tape = _check(path)
    assert not tape.ok
    assert {i.code for i in errors_of(tape.issues)} & {"MALFORMED_FILE", "TRUNCATED_ROW"}


def test_a_file_in_utf16_is_rejected_as_a_wrong_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path)
    frame = pd.read_csv(path / "loans.csv", dtype=str)
    frame.to_csv(path / "loans.csv", index=False, encoding="utf-16")
    tape = _check(path)
    assert [(i.code, i.table) for i in errors_of(tape.issues)][:1] == [("ENCODING", "loans")]


def test_a_latin1_file_is_rejected_as_a_wrong_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path)
    text = (path / "counterparties.csv").read_text(encoding="utf-8")
    (path / "counterparties.csv").write_bytes(text.split("\n")[0].encode() + "\nC1,Café\xff\n".encode("latin-1"))
    tape = _check(path)
    assert ("ENCODING", "counterparties") in [(i.code, i.table) for i in errors_of(tape.issues)]


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (path / "loans.csv").write_bytes(b"")
    tape = _check(path)
    assert ("EMPTY_FILE", "loans") in [(i.code, i.table) for i in errors_of(tape.issues)]


def test_a_header_without_loans_is_rejected_as_an_empty_table(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda t: t.__setitem__("loans", t["loans"].iloc[0:0]))
    tape = _check(path)
    assert "EMPTY_TABLE" in {i.code for i in errors_of(tape.issues)}


def test_a_tape_without_counterparties_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (path / "counterparties.csv").unlink()
    tape = _check(path)
    codes = {(i.code, i.table) for i in errors_of(tape.issues)}
    assert ("MISSING_TABLE", "counterparties") in codes
    assert ("DANGLING_REFERENCE", "loans") in codes


def test_a_tape_without_a_cutoff_date_is_rejected(tmp_path: Path) -> None:
    meta = {k: v for k, v in SAMPLE_META.items() if k != "cutoff_date"}
    tape = _check(_write(tmp_path, meta=meta))
    assert ("MISSING_METADATA", "cutoff_date") in [(i.code, i.column) for i in errors_of(tape.issues)]


def test_flags_override_the_metadata_file(tmp_path: Path) -> None:
    path = _write(tmp_path)
    tape = validate_tape(read_tape(path, {"portfolio_id": "OTHER", "cutoff_date": "2024-07-01"}))
    assert tape.meta is not None and tape.meta.portfolio_id == "OTHER" and str(tape.meta.cutoff_date) == "2024-07-01"


def test_gb18030_files_with_chinese_headers_and_codes_are_read(tmp_path: Path) -> None:
    tables = sample_tables()
    tables["loans"]["reported_class"] = ["次级", "正常", "可疑", "关注"]
    path = write_tables(tables, SAMPLE_META, tmp_path / "gb", "csv", chinese=True, encoding="gb18030")
    tape = _check(path)
    assert tape.ok, errors_of(tape.issues)
    assert tape.tables["loans"].column("reported_class").to_pylist() == [
        "substandard", "normal", "doubtful", "special_mention"]


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = write_tables(sample_tables(), SAMPLE_META, tmp_path / "bom", "csv", encoding="utf-8-sig")
    assert (path / "loans.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert _check(path).ok


def test_a_flat_list_whose_repeated_loan_disagrees_is_rejected(tmp_path: Path) -> None:
    path = write_tables(sample_tables(), SAMPLE_META, tmp_path / "flat", "flat")
    frame = pd.read_csv(path, dtype=str)
    extra = frame.iloc[[0]].copy()
    extra["collateral_id"] = "K002"
    extra["outstanding_principal"] = "1.00"
    pd.concat([frame, extra]).to_csv(path, index=False)
    tape = _check(path)
    assert "FLAT_CONFLICT" in {i.code for i in errors_of(tape.issues)}


def test_warnings_do_not_reject_the_tape(tmp_path: Path) -> None:
    def change(t: Tables) -> None:
        t["loans"].loc[0, "reported_class"] = "normal"       # 107 days past due: at least substandard
        t["collateral"].loc[0, "prior_claims"] = "99000000"   # above the appraisal value
    tape = _check(_write(tmp_path, change))
    assert tape.ok
    codes = {(i.code, i.row) for i in tape.issues if i.severity == "warning"}
    assert ("CLASS_BELOW_DPD_FLOOR", 2) in codes
    assert ("PRIOR_CLAIMS_EXCEED_VALUE", 2) in codes
    assert ("STALE_APPRAISAL", 3) in codes


def test_metadata_in_the_yaml_file_may_use_chinese_keys(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (path / "tape.yaml").write_text(yaml.safe_dump({"资产包编号": "P-ZH", "基准日": "2024-06-30"}, allow_unicode=True),
                                    encoding="utf-8")
    tape = _check(path)
    assert tape.meta is not None and tape.meta.portfolio_id == "P-ZH"


def test_a_flat_workbook_with_chinese_headers_is_split_into_tables(tmp_path: Path) -> None:
    from nplhub.datahub.mapping import flat_columns
    from nplhub.datahub.schema import TABLES
    from nplhub.datahub.writers import flatten

    flat = flatten(sample_tables())
    labels = {name: TABLES[table].spec(column).label_zh for name, (table, column) in flat_columns().items()}
    labels.update({"collateral_region": "抵押物所在地区", "collateral_address": "抵押物地址", "status": "押品状态"})
    path = tmp_path / "清单.xlsx"
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        pd.DataFrame({"key": list(SAMPLE_META), "value": list(SAMPLE_META.values())}).to_excel(
            writer, sheet_name="_meta", index=False)
        flat.rename(columns=labels).to_excel(writer, sheet_name="贷款清单", index=False)
    tape = _check(path)
    assert tape.container == "flat-xlsx"
    assert tape.ok, errors_of(tape.issues)
    assert tape.counts["loans"] == 4 and tape.counts["counterparties"] == 3 and tape.counts["loan_collateral"] == 3


def test_rows_of_a_parquet_tape_are_record_numbers_and_of_a_workbook_sheet_rows(tmp_path: Path) -> None:
    tables = sample_tables()
    tables["loans"].loc[2, "product"] = "yacht"
    for fmt, row in (("parquet", 3), ("xlsx", 4)):
        tape = _check(write_tables(tables, SAMPLE_META, tmp_path / fmt, fmt))  # type: ignore[arg-type]
        assert [(i.code, i.row) for i in errors_of(tape.issues)] == [("UNKNOWN_CODE", row)], fmt


def test_history_of_a_loan_that_left_the_book_is_kept_with_a_warning(tmp_path: Path) -> None:
    tape = _check(_write(tmp_path, _set("disposals", 0, "loan_id", "L-GONE")))
    assert tape.ok
    assert ("UNKNOWN_LOAN", "disposals", 2) in {(i.code, i.table, i.row) for i in tape.issues}


def test_a_sole_proprietor_sme_may_carry_a_resident_identity_number(tmp_path: Path) -> None:
    from nplhub.datahub.sample import resident_id

    tape = _check(_write(tmp_path, _set("counterparties", 1, "id_number", resident_id("33010219800101123"))))
    assert tape.ok, errors_of(tape.issues)


def test_a_flat_list_may_prefix_borrower_and_collateral_columns(tmp_path: Path) -> None:
    path = write_tables(sample_tables(), SAMPLE_META, tmp_path / "flat", "flat")
    frame = pd.read_csv(path, dtype=str).rename(columns={
        "name": "counterparty_name", "lien_rank": "collateral_lien_rank", "appraisal_value": "collateral_appraisal_value"})
    frame.to_csv(path, index=False)
    tape = _check(path)
    assert tape.ok, errors_of(tape.issues)
    assert tape.tables["collateral"].column("appraisal_value").to_pylist() == [18000000.0, 3100000.0]
    assert "UNKNOWN_COLUMN" not in {i.code for i in tape.issues}


def test_common_english_variants_of_metadata_keys_and_codes_are_understood(tmp_path: Path) -> None:
    path = _write(tmp_path, _set("counterparties", 2, "counterparty_type", "Person"))
    (path / "tape.yaml").write_text("portfolio: P-EN\ncut-off date: 2024-06-30\n", encoding="utf-8")
    tape = _check(path)
    assert tape.ok, errors_of(tape.issues)
    assert tape.meta is not None and (tape.meta.portfolio_id, str(tape.meta.cutoff_date)) == ("P-EN", "2024-06-30")
    assert tape.tables["counterparties"].column("counterparty_type").to_pylist()[2] == "individual"
