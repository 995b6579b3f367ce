"""Writing the independent book (`spec_tape.build_book`) into every container the contract allows.

Each writer returns a `Written`: the path to give the importer, and what it must store, table by
table (the rows as meant, with the columns the file left out as empty and the contract's default
currency filled in), and where each row sits as the user sees it (file line, sheet row, record).
The variety is deliberate and all of it is allowed by the contract:

- CSV folder: UTF-8 with BOM, UTF-8 without BOM and GB18030 files; CRLF and LF line ends; English
  headers in some files and Chinese in others; codes in English, in Chinese, or both in one
  column; every date format (ISO, YYYY/MM/DD, YYYYMMDD, Excel serial) in every date column; rates
  as 0.0435 and as "4.35%"; money as 1500.5 and 1500.50; optional columns left out; a column that
  is no column of the contract (which the importer must report, not silently drop or reject).
- XLSX workbook: Chinese headers and code terms, a `_meta` sheet, date cells, serial numbers and
  date text, numbers as number cells and as text, an optional table whose sheet has no rows.
- Parquet folder: native Arrow types (date32, decimal128, float64, int64, bool, dictionary) and an
  optional table left out altogether.
- Flat loan list (CSV and XLSX): one row per loan with the borrower's and the collateral's
  columns folded in.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from support.spec_tape import CHINESE_HEADERS, CHINESE_TERMS, SPEC, TABLES, Book, code_list

EXCEL_EPOCH = date(1899, 12, 30)
DATE_STYLES = ("iso", "slash", "compact", "serial")
KEYS = {"counterparties": ("counterparty_id",), "loans": ("loan_id",), "collateral": ("collateral_id",),
        "loan_collateral": ("loan_id", "collateral_id"), "guarantees": ("guarantee_id",), "enforcement": ("case_id",),
        "forbearance": (), "repayments": ("loan_id", "month"), "loan_states": ("loan_id", "as_of_date"),
        "disposals": (), "price_index": ("region", "property_type", "month")}


@dataclass
class Written:
    path: Path
    expected: dict[str, list[dict[str, Any]]]  # per table, the rows the importer must store
    rows: dict[str, list[int]] = field(default_factory=dict)  # per table, each row's place as the user sees it
    unknown_columns: list[tuple[str, str]] = field(default_factory=list)  # (table, header) not in the contract

    def counts(self) -> dict[str, int]:
        return {name: len(self.expected.get(name, [])) for name in TABLES}


def columns(table: str) -> list[str]:
    return [name for name, _, _ in SPEC[table]]


def kinds(table: str) -> dict[str, str]:
    return {name: kind for name, kind, _ in SPEC[table]}


def stored(book_rows: list[dict[str, Any]], table: str, omitted: set[str] = frozenset()) -> list[dict[str, Any]]:
    """What the importer should keep of these rows: omitted columns empty, the default currency filled in."""
    out = []
    for row in book_rows:
        keep = {c: (None if c in omitted else row[c]) for c in columns(table)}
        if table == "loans" and keep["currency"] is None:
            keep["currency"] = "CNY"  # the contract: currency (default CNY)
        out.append(keep)
    return out


# --- cells as text ------------------------------------------------------------------------------


def date_text(value: date, style: str) -> str:
    if style == "slash":
        return f"{value:%Y/%m/%d}"
    if style == "compact":
        return f"{value:%Y%m%d}"
    if style == "serial":
        return str((value - EXCEL_EPOCH).days)
    return value.isoformat()


def rate_text(value: Decimal, percent: bool) -> str:
    return f"{(value * 100).normalize():f}%" if percent else f"{value:f}"


def money_text(value: Decimal, short: bool) -> str:
    return f"{value.normalize():f}" if short else f"{value:f}"


def code_text(column: str, value: str, chinese: bool) -> str:
    return CHINESE_TERMS[code_list(column)][value] if chinese else value


def cell_text(table: str, column: str, value: Any, i: int, *, chinese_codes: str = "no",
              chinese_bools: bool = False) -> str:
    """One cell as a bank's export writes it; `i` (the row index) varies the format row by row."""
    if value is None:
        return ""
    kind = kinds(table)[column]
    offset = columns(table).index(column)
    if kind == "date":
        return date_text(value, DATE_STYLES[(i + offset) % len(DATE_STYLES)])
    if kind == "rate":
        return rate_text(value, percent=i % 2 == 1)
    if kind == "money":
        return money_text(value, short=i % 2 == 1)
    if kind == "bool":
        return ("是" if value else "否") if chinese_bools else ("true" if value else "false")
    if kind == "code":
        chinese = chinese_codes == "all" or (chinese_codes == "odd" and i % 2 == 1)
        return code_text(column, value, chinese)
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


# --- CSV folder ---------------------------------------------------------------------------------

# table: (encoding, line end, Chinese headers, Chinese codes, columns left out, extra columns)
CSV_LAYOUT: dict[str, tuple[str, str, bool, str, set[str], dict[str, str]]] = {
    "counterparties": ("utf-8-sig", "\r\n", False, "no", {"employees"}, {"relationship_manager": "RM-07"}),
    "loans": ("gb18030", "\r\n", True, "odd", {"penalty_interest", "branch_id", "repayment_method"}, {}),
    "collateral": ("utf-8", "\n", False, "odd", set(), {}),
    "loan_collateral": ("utf-8-sig", "\n", True, "no", set(), {}),
    "guarantees": ("gb18030", "\n", True, "odd", set(), {}),
    "enforcement": ("utf-8", "\r\n", False, "odd", set(), {"备注": "已申请强制执行"}),
    "forbearance": ("gb18030", "\n", True, "all", set(), {}),
    "repayments": ("utf-8", "\n", False, "no", set(), {}),
    "loan_states": ("utf-8-sig", "\n", True, "all", set(), {}),
    "disposals": ("utf-8", "\n", False, "odd", set(), {}),
    "price_index": ("utf-8", "\n", False, "no", set(), {}),
}


def record_lines(rows: list[list[str]]) -> list[int]:
    """The file line on which each record starts (the header is line 1; a cell may hold line breaks)."""
    lines, line = [], 2
    for row in rows:
        lines.append(line)
        line += 1 + sum(cell.count("\n") for cell in row)
    return lines


def write_csv(path: Path, headers: list[str], rows: list[list[str]], encoding: str, newline: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def write_meta_yaml(path: Path, meta: dict[str, str], *, by_hand: bool = False) -> None:
    """tape.yaml as a program dumps it, or as a person types it (a comment, dates unquoted: YAML dates)."""
    if by_hand:
        lines = ["# 数据带元数据 / tape metadata"] + [f"{key}: {value}" for key, value in meta.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_csv_folder(book: Book, folder: Path, tables: list[str] | None = None) -> Written:
    folder.mkdir(parents=True, exist_ok=True)
    written = Written(path=folder, expected={})
    for table in tables or TABLES:
        encoding, newline, chinese, codes, omitted, extra = CSV_LAYOUT[table]
        names = [c for c in columns(table) if c not in omitted]
        headers = [CHINESE_HEADERS[table][c] if chinese else c for c in names]
        # the extra column sits in the middle, where a bank's export would put it
        at = min(3, len(headers))
        headers[at:at] = list(extra)
        body = []
        for i, row in enumerate(book.tables[table]):
            cells = [cell_text(table, c, row[c], i, chinese_codes=codes, chinese_bools=chinese) for c in names]
            cells[at:at] = list(extra.values())
            body.append(cells)
        write_csv(folder / f"{table}.csv", headers, body, encoding, newline)
        written.expected[table] = stored(book.tables[table], table, omitted)
        written.rows[table] = record_lines(body)
        written.unknown_columns += [(table, name) for name in extra]
    write_meta_yaml(folder / "tape.yaml", book.meta, by_hand=True)
    return written


# --- XLSX workbook ------------------------------------------------------------------------------


def excel_cell(table: str, column: str, value: Any, i: int, *, chinese: bool) -> Any:
    """A cell as a spreadsheet holds it: dates as date cells, serial numbers or text; amounts as numbers."""
    if value is None:
        return None
    kind = kinds(table)[column]
    if kind == "date":
        style = (i + columns(table).index(column)) % 5
        return value if style in (0, 4) else (value - EXCEL_EPOCH).days if style == 3 else \
            date_text(value, DATE_STYLES[style])
    if kind == "money":
        return float(value) if i % 3 else money_text(value, short=False)
    if kind == "rate":
        return rate_text(value, percent=True) if i % 2 else float(value)
    if kind == "number":
        return float(value)
    if kind == "int":
        return int(value)
    if kind == "region":
        return int(value) if i % 2 else value
    if kind == "bool":
        return ("是" if value else "否") if chinese and i % 2 else bool(value)
    if kind == "code":
        return code_text(column, value, chinese)
    return value


def write_xlsx(book: Book, path: Path, *, chinese: bool = True, empty: tuple[str, ...] = ("guarantees",)) -> Written:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    meta = workbook.create_sheet("_meta")
    for key, value in book.meta.items():  # dates as date cells, as a person types them into Excel
        meta.append([key, date.fromisoformat(value) if key.endswith("_date") else value])
    written = Written(path=path, expected={})
    for table in TABLES:
        sheet = workbook.create_sheet(table)
        sheet.append([CHINESE_HEADERS[table][c] if chinese else c for c in columns(table)])
        rows = [] if table in empty else book.tables[table]
        places = []
        for i, row in enumerate(rows):
            if table == "collateral" and i and i % 40 == 0:
                sheet.append([None])  # a blank row left between blocks: skipped, the rows below keep their numbers
            sheet.append([excel_cell(table, c, row[c], i, chinese=chinese) for c in columns(table)])
            places.append(sheet.max_row)
        written.expected[table] = stored(rows, table)
        written.rows[table] = places
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return written


# --- Parquet folder -----------------------------------------------------------------------------

MONEY_TYPE = pa.decimal128(18, 2)


def arrow_column(table: str, column: str, values: list[Any], variant: int) -> pa.Array:
    """A column as a program writes Parquet: dates as date32, timestamps or text; money as decimal128
    or float64; whole numbers with gaps as float64 (pandas' way); text as string or large_string."""
    kind = kinds(table)[column]
    if kind == "date":
        if variant % 3 == 2:
            return pa.array([None if v is None else datetime(v.year, v.month, v.day) for v in values],
                            pa.timestamp("us"))
        return pa.array(values, pa.date32()) if variant % 3 == 0 else \
            pa.array([None if v is None else v.isoformat() for v in values], pa.string())
    if kind == "money":
        if variant % 3 == 0:
            return pa.array([None if v is None else float(v) for v in values], pa.float64())
        return pa.array(values, MONEY_TYPE)
    if kind in ("rate", "number"):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if kind == "int":
        if variant % 2 and None in values:
            return pa.array([None if v is None else float(v) for v in values], pa.float64())
        return pa.array(values, pa.int64())
    if kind == "region" and variant % 2:
        return pa.array([None if v is None else int(v) for v in values], pa.int32())
    if kind == "bool":
        return pa.array(values, pa.bool_())
    if kind == "code":
        return pa.array(values, pa.string()).dictionary_encode()
    return pa.array(values, pa.large_string() if variant % 4 == 1 else pa.string())


def write_parquet_folder(book: Book, folder: Path, *, left_out: tuple[str, ...] = ("price_index",)) -> Written:
    folder.mkdir(parents=True, exist_ok=True)
    written = Written(path=folder, expected={})
    for n, table in enumerate(TABLES):
        if table in left_out:
            written.expected[table] = []
            continue
        rows = book.tables[table]
        data = pa.table({c: arrow_column(table, c, [r[c] for r in rows], n + j) for j, c in enumerate(columns(table))})
        pq.write_table(data, folder / f"{table}.parquet")
        written.expected[table] = stored(rows, table)
        written.rows[table] = [i + 1 for i in range(len(rows))]  # no header line: the first record is 1
    write_meta_yaml(folder / "tape.yaml", book.meta)
    return written


# --- flat loan list -----------------------------------------------------------------------------

BORROWER = [c for c in columns("counterparties") if c != "counterparty_id"]
COLLATERAL = columns("collateral")


def flat_rows(book: Book) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """One row per loan, with its borrower and its (first) collateral; and the tables it stands for."""
    borrowers = {r["counterparty_id"]: r for r in book.tables["counterparties"]}
    collateral = {r["collateral_id"]: r for r in book.tables["collateral"]}
    first_link: dict[str, dict[str, Any]] = {}
    for link in book.tables["loan_collateral"]:
        first_link.setdefault(link["loan_id"], link)
    place = {r["counterparty_id"]: i for i, r in enumerate(book.tables["counterparties"])}
    place.update({r["collateral_id"]: i for i, r in enumerate(book.tables["collateral"])})
    rows, used_borrowers, used_collateral, links = [], {}, {}, []
    for loan in book.tables["loans"]:
        row = dict(loan)
        owner = borrowers[loan["counterparty_id"]]
        # a borrower or collateral repeated on several rows is written the same way each time, as
        # an export from one system writes it: the format varies with the entity, not the row
        row["#borrower"] = place[owner["counterparty_id"]]
        row["#collateral"] = place[link["collateral_id"]] if (link := first_link.get(loan["loan_id"])) else 0
        row.update({f"borrower:{c}": owner[c] for c in BORROWER})
        used_borrowers.setdefault(owner["counterparty_id"], owner)
        link = first_link.get(loan["loan_id"])
        item = collateral[link["collateral_id"]] if link else None
        row.update({f"collateral:{c}": (item[c] if item else None) for c in COLLATERAL})
        row["allocated_amount"] = link["allocated_amount"] if link else None
        if item is not None:
            used_collateral.setdefault(item["collateral_id"], item)
            links.append(link)
        rows.append(row)
    tables = {"counterparties": list(used_borrowers.values()), "loans": book.tables["loans"],
              "collateral": list(used_collateral.values()), "loan_collateral": links}
    return rows, tables


def flat_headers(chinese: bool) -> list[tuple[str, str]]:
    """(key in a flat row, header). Borrower and collateral both have a region and an address: the
    English list leaves the collateral's out (the contract names no folded header for them); the
    Chinese one tells them apart as a bank does (行政区划代码/联系地址 against 押品所在地区/押品地址)."""
    names: list[tuple[str, str]] = []
    for c in columns("loans"):
        names.append((c, CHINESE_HEADERS["loans"][c] if chinese else c))
    for c in BORROWER:
        names.append((f"borrower:{c}", CHINESE_HEADERS["counterparties"][c] if chinese else c))
    for c in COLLATERAL:
        if not chinese and c in ("region", "address"):
            continue
        names.append((f"collateral:{c}", CHINESE_HEADERS["collateral"][c] if chinese else c))
    names.append(("allocated_amount", CHINESE_HEADERS["loan_collateral"]["allocated_amount"] if chinese
                  else "allocated_amount"))
    return names


def _flat_expected(book: Book, chinese: bool) -> dict[str, list[dict[str, Any]]]:
    _, tables = flat_rows(book)
    omitted = set() if chinese else {"region", "address"}
    expected = {name: stored(rows, name, omitted if name == "collateral" else set()) for name, rows in tables.items()}
    for name in TABLES:
        expected.setdefault(name, [])
    return expected


def _flat_cell(key: str, row: dict[str, Any], i: int, chinese: bool) -> str:
    value = row[key]
    i = row["#borrower"] if key.startswith("borrower:") else row["#collateral"] if key.startswith("collateral:") else i
    table, column = ("counterparties", key.split(":")[1]) if key.startswith("borrower:") else \
        ("collateral", key.split(":")[1]) if key.startswith("collateral:") else \
        ("loan_collateral", key) if key == "allocated_amount" else ("loans", key)
    return cell_text(table, column, value, i, chinese_codes="odd" if chinese else "no", chinese_bools=chinese)


def write_flat_csv(book: Book, folder: Path) -> Written:
    folder.mkdir(parents=True, exist_ok=True)
    rows, _ = flat_rows(book)
    names = flat_headers(chinese=False)
    write_csv(folder / "loan_list.csv", [h for _, h in names],
              [[_flat_cell(k, row, i, False) for k, _ in names] for i, row in enumerate(rows)], "utf-8-sig", "\r\n")
    write_meta_yaml(folder / "tape.yaml", book.meta)
    body = [[_flat_cell(k, row, i, False) for k, _ in names] for i, row in enumerate(rows)]
    return Written(path=folder / "loan_list.csv", expected=_flat_expected(book, chinese=False),
                   rows={"flat": record_lines(body)})


def write_flat_xlsx(book: Book, path: Path) -> Written:
    rows, _ = flat_rows(book)
    names = flat_headers(chinese=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "贷款清单"
    sheet.append([h for _, h in names])
    for i, row in enumerate(rows):
        sheet.append([_flat_cell(k, row, i, True) or None for k, _ in names])
    meta = workbook.create_sheet("_meta")
    for key, value in book.meta.items():
        meta.append([key, value])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return Written(path=path, expected=_flat_expected(book, chinese=True),
                   rows={"flat": [i + 2 for i in range(len(rows))]})
