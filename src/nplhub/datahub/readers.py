"""Reading a tape from any container of the contract into raw string tables.

Containers: a folder of CSV files (UTF-8 with or without BOM, or GB18030), one XLSX workbook
(one sheet per table, an optional `_meta` sheet), a folder of Parquet files, or a single flat
loan list (CSV or XLSX). Metadata comes from `tape.yaml` (or `<file>.yaml` beside a single
file), the `_meta` sheet, and command-line overrides, in that order of precedence (flags win).

Every cell is read as text: types are the validator's business, so that it can say which row
and column hold a bad value. The reader only reports what stops it from reading: an empty file,
an encoding that is neither UTF-8 nor GB18030, a truncated or malformed file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import yaml

from nplhub.datahub.issues import TapeIssue, error, warning
from nplhub.datahub.lines import data_row_lines, has_quotes, line_of, record_starts
from nplhub.datahub.mapping import normalise_header, table_aliases
from nplhub.datahub.schema import META_ALIASES, META_KEYS

FLAT = "flat"
META_SHEET = "_meta"
_BOM = b"\xef\xbb\xbf"


@dataclass
class RawTable:
    """One table as read: the headers as written and every cell as text (null when empty)."""

    name: str
    source: str
    headers: list[str]
    data: pa.Table
    rows: np.ndarray | None = None  # the user-visible row of each data row; default first_row + i
    first_row: int = 2

    @property
    def num_rows(self) -> int:
        return int(self.data.num_rows)

    def row_numbers(self) -> np.ndarray:
        if self.rows is not None:
            return self.rows
        return np.arange(self.first_row, self.first_row + self.num_rows, dtype=np.int64)


@dataclass
class RawTape:
    source: str
    container: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    sha256: str = ""
    issues: list[TapeIssue] = field(default_factory=list)


def read_tape(path: str | Path, overrides: dict[str, str | None] | None = None) -> RawTape:
    """Read the tape at `path` (folder, workbook or flat file); `overrides` are metadata flags."""
    path = Path(path)
    tape = RawTape(source=str(path), container="unknown")
    if not path.exists():
        tape.issues.append(error("TAPE_NOT_FOUND", f"there is no file or folder at {path}", value=str(path)))
        return tape
    digest = hashlib.sha256()
    if path.is_dir():
        _read_folder(path, tape, digest)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        _read_workbook(path, tape, digest)
    elif path.suffix.lower() in (".csv", ".txt"):
        tape.container = "flat-csv"
        _read_meta_file(path.with_suffix(".yaml"), tape) or _read_meta_file(path.parent / "tape.yaml", tape)
        table = _read_csv(path, FLAT, tape, digest)
        if table is not None:
            tape.tables[FLAT] = table
    elif path.suffix.lower() == ".parquet":
        tape.container = "flat-parquet"
        table = _read_parquet(path, FLAT, tape, digest)
        if table is not None:
            tape.tables[FLAT] = table
    else:
        tape.issues.append(error(
            "UNSUPPORTED_CONTAINER",
            f"{path.name} is not a tape: give a folder of CSV or Parquet files, an .xlsx workbook or a flat .csv",
            value=path.name))
    tape.sha256 = digest.hexdigest()
    for key, value in (overrides or {}).items():
        if value is not None and str(value).strip():
            tape.meta[key] = str(value).strip()
    return tape


def _read_folder(path: Path, tape: RawTape, digest: Any) -> None:
    names = table_aliases()
    _read_meta_file(path / "tape.yaml", tape) or _read_meta_file(path / "tape.yml", tape)
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".parquet"))
    kinds = {p.suffix.lower() for p in files}
    tape.container = "parquet" if kinds == {".parquet"} else "csv"
    known = [p for p in files if names.get(p.stem.lower(), names.get(p.stem)) is not None]
    if not known and len(files) == 1:
        tape.container = "flat-" + files[0].suffix.lower().lstrip(".")
        reader = _read_csv if files[0].suffix.lower() == ".csv" else _read_parquet
        table = reader(files[0], FLAT, tape, digest)
        if table is not None:
            tape.tables[FLAT] = table
        return
    for file in files:
        name = names.get(file.stem.lower(), names.get(file.stem))
        if name is None:
            tape.issues.append(warning("UNKNOWN_TABLE", f"{file.name} is not a table of the tape contract; it was ignored",
                                       table=file.stem, value=file.name))
            continue
        if name in tape.tables:
            tape.issues.append(error("DUPLICATE_TABLE", f"table {name} is given twice ({tape.tables[name].source} and {file.name})",
                                     table=name, value=file.name))
            continue
        reader = _read_csv if file.suffix.lower() == ".csv" else _read_parquet
        table = reader(file, name, tape, digest)
        if table is not None:
            tape.tables[name] = table


# --- metadata -------------------------------------------------------------------------------


def _read_meta_file(path: Path, tape: RawTape) -> bool:
    if not path.is_file():
        return False
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        tape.issues.append(error("INVALID_METADATA", f"{path.name} is not valid YAML: {exc}", table=path.name))
        return True
    if loaded is None:
        return True
    if not isinstance(loaded, dict):
        tape.issues.append(error("INVALID_METADATA", f"{path.name} must be a mapping of key: value lines", table=path.name))
        return True
    _merge_meta(loaded, tape, path.name)
    return True


def _merge_meta(pairs: dict[Any, Any], tape: RawTape, where: str) -> None:
    for raw_key, value in pairs.items():
        normalised = normalise_header(str(raw_key))
        key = META_ALIASES.get(str(raw_key).strip(), META_ALIASES.get(normalised, normalised))
        if key not in META_KEYS:
            tape.issues.append(warning("UNKNOWN_METADATA", f"{where}: metadata key {raw_key!r} is not one of "
                                       f"{', '.join(META_KEYS)}; it was ignored", table=where, column=str(raw_key)))
            continue
        if value is None:
            continue
        tape.meta[key] = value.isoformat() if isinstance(value, date) else str(value).strip()


# --- CSV ------------------------------------------------------------------------------------


def _read_csv(path: Path, name: str, tape: RawTape, digest: Any) -> RawTable | None:
    data = path.read_bytes()
    digest.update(path.name.encode() + b"\0" + hashlib.sha256(data).digest())
    if len(data) < 4096 and not data.strip(_BOM + b" \r\n\t"):
        tape.issues.append(error("EMPTY_FILE", f"{path.name} is empty: it needs at least a header line",
                                 table=name, value=path.name))
        return None
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        if not _is_utf8(data):
            raise _NotUtf8
        return _parse_csv(data, name, path.name, tape)
    except _NotUtf8:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            tape.issues.append(error(
                "ENCODING", f"{path.name} is neither UTF-8 nor GB18030 (undecodable byte at offset {exc.start}); "
                "save it as UTF-8", table=name, value=path.name))
            return None
        return _parse_csv(text.encode("utf-8"), name, path.name, tape)


class _NotUtf8(Exception):
    pass


def _is_utf8(data: bytes) -> bool:
    """Arrow's UTF-8 validation over the whole file, without copying or decoding it."""
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    view = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        view.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _parse_csv(data: bytes, name: str, source: str, tape: RawTape) -> RawTable | None:
    end = data.find(b"\n")
    header_bytes = data if end < 0 else data[:end]
    try:
        header_text = header_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    headers = next(csv.reader([header_text.rstrip("\r")]), [])
    if not any(h.strip() for h in headers):
        tape.issues.append(error("EMPTY_FILE", f"{source} has no header line", table=name, row=1, value=source))
        return None
    columns = [f"c{i}" for i in range(len(headers))]
    invalid: list[tuple[int | None, str]] = []
    quoted = has_quotes(data)  # without a quote no cell can hold a line break: Arrow's fast chunking

    def on_invalid(row: Any) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(skip_rows=1, column_names=columns, use_threads=threads,
                                          block_size=1 << 24),
            parse_options=pcsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=quoted,
                                            ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types={c: pa.string() for c in columns}, null_values=[""],
                strings_can_be_null=True, quoted_strings_can_be_null=True),
        )

    try:
        table = read(True)
        if invalid:  # read again on one thread: only then does Arrow know the line numbers
            invalid.clear()
            table = read(False)
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "invalid UTF8" in message:
            raise _NotUtf8 from None
        tape.issues.append(error("MALFORMED_FILE", f"{source} cannot be parsed as CSV ({message.splitlines()[0]}); "
                                 "is it truncated or is a quote left open?", table=name, value=source))
        return None
    skipped = [int(number or 0) for number, _ in invalid]  # Arrow's record numbers, the header being 1
    starts = record_starts(data, quoted, 1 + table.num_rows + len(skipped))
    for number, text in invalid:
        fields = len(next(csv.reader([text]), []))
        tape.issues.append(error(
            "TRUNCATED_ROW", f"this line has {fields} field(s) where the header has {len(headers)}: "
            "the file is truncated or a separator is missing", table=name, row=line_of(int(number or 0), starts),
            value=text))
    table, rows = _drop_blank_rows(table, data_row_lines(table.num_rows, skipped, starts))
    return RawTable(name=name, source=source, headers=headers, data=table, rows=rows)


def _drop_blank_rows(table: pa.Table, rows: np.ndarray | None) -> tuple[pa.Table, np.ndarray | None]:
    """Drop the records without a single value (blank lines, or only separators), as the XLSX
    reader skips empty rows; the rows after them keep their own file lines."""
    if table.num_columns == 0 or table.column(0).null_count == 0:
        return table, rows  # the common case, decided from the column's metadata
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        blank &= np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False), dtype=bool)
    if not blank.any():
        return table, rows
    lines = np.arange(2, table.num_rows + 2, dtype=np.int64) if rows is None else rows
    return table.filter(pa.array(~blank)), lines[~blank]


# --- Parquet --------------------------------------------------------------------------------


def _read_parquet(path: Path, name: str, tape: RawTape, digest: Any) -> RawTable | None:
    import pyarrow.parquet as pq

    data = path.read_bytes()
    digest.update(path.name.encode() + b"\0" + hashlib.sha256(data).digest())
    if not data:
        tape.issues.append(error("EMPTY_FILE", f"{path.name} is empty", table=name, value=path.name))
        return None
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowInvalid, OSError) as exc:
        tape.issues.append(error("MALFORMED_FILE", f"{path.name} is not a readable Parquet file ({exc})",
                                 table=name, value=path.name))
        return None
    headers = list(table.column_names)
    columns = [_arrow_to_text(table.column(i)) for i in range(table.num_columns)]
    text = pa.table(columns, names=[f"c{i}" for i in range(len(headers))]) if columns else pa.table({})
    return RawTable(name=name, source=path.name, headers=headers, data=text, first_row=1)  # no header line


def _arrow_to_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.cast(pa.string())
    if pa.types.is_timestamp(kind):
        return column.cast(pa.date32()).cast(pa.string())
    if pa.types.is_floating(kind):
        return _without_exponent(pc.round(column, 6).cast(pa.string()))
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false")
    if pa.types.is_dictionary(kind):
        return _arrow_to_text(column.cast(kind.value_type))
    return column.cast(pa.string())


def _without_exponent(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Arrow writes a double of 1e10 or more as '2.00000000005e+10'; the tape's numbers are plain
    decimals (an amount of 20,000,000,000.50 yuan has two decimals, not eleven). The rare cells
    written so are rewritten in plain digits, exactly: the text is the double's shortest form."""
    if not pc.any(pc.match_substring(text, "e")).as_py():
        return text
    values = [v if v is None or "e" not in v else format(Decimal(v), "f") for v in text.to_pylist()]
    return pa.chunked_array([pa.array(values, pa.string())])


# --- XLSX -----------------------------------------------------------------------------------


def _read_workbook(path: Path, tape: RawTape, digest: Any) -> None:
    from openpyxl import load_workbook

    data = path.read_bytes()
    digest.update(path.name.encode() + b"\0" + hashlib.sha256(data).digest())
    tape.container = "xlsx"
    if not data:
        tape.issues.append(error("EMPTY_FILE", f"{path.name} is empty", value=path.name))
        return
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError ... on broken files
        tape.issues.append(error("MALFORMED_FILE", f"{path.name} is not a readable XLSX workbook ({exc})",
                                 value=path.name))
        return
    _read_meta_file(path.with_suffix(".yaml"), tape)
    names = table_aliases()
    sheets = [s for s in book.sheetnames if s != META_SHEET]
    if META_SHEET in book.sheetnames:
        _read_meta_sheet(book[META_SHEET], tape)
    known = [s for s in sheets if names.get(s.strip().lower(), names.get(s.strip())) is not None]
    if not known and len(sheets) == 1:
        tape.container = "flat-xlsx"
        tape.tables[FLAT] = _sheet_table(book[sheets[0]], FLAT)
        return
    for sheet in sheets:
        name = names.get(sheet.strip().lower(), names.get(sheet.strip()))
        if name is None:
            tape.issues.append(warning("UNKNOWN_TABLE", f"sheet {sheet!r} is not a table of the tape contract; "
                                       "it was ignored", table=sheet, value=sheet))
        elif name in tape.tables:
            tape.issues.append(error("DUPLICATE_TABLE", f"table {name} is given by two sheets", table=name, value=sheet))
        else:
            tape.tables[name] = _sheet_table(book[sheet], name)
    book.close()


def _read_meta_sheet(sheet: Any, tape: RawTape) -> None:
    pairs: dict[str, Any] = {}
    for row in sheet.iter_rows(values_only=True):
        if not row or row[0] is None:
            continue
        key = str(row[0]).strip()
        if key.lower() in ("key", "键", "项目"):
            continue
        pairs[key] = row[1] if len(row) > 1 else None
    _merge_meta(pairs, tape, META_SHEET)


def _sheet_table(sheet: Any, name: str) -> RawTable:
    rows = sheet.iter_rows(values_only=True)
    header_row = next(rows, None) or ()
    headers = ["" if h is None else str(h) for h in header_row]
    while headers and not headers[-1].strip():
        headers.pop()
    width = len(headers)
    cells: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    for number, row in enumerate(rows, start=2):
        values = [_cell_text(v) for v in row[:width]]
        if not any(v is not None for v in values):
            continue
        values += [None] * (width - len(values))
        for i, value in enumerate(values):
            cells[i].append(value)
        numbers.append(number)
    data = pa.table([pa.array(col, pa.string()) for col in cells], names=[f"c{i}" for i in range(width)]) \
        if width else pa.table({})
    return RawTable(name=name, source=sheet.title, headers=headers, data=data,
                    rows=np.asarray(numbers, dtype=np.int64))


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(round(value, 6))
    text = str(value)
    return text if text.strip() else None
