"""CSV rows are reported at the file line where their record starts, whatever comes before them.

A quoted cell may hold line breaks (an address "Room 1⏎Building 2"), blank lines hold no record:
the rows after them keep the line an editor shows. Files without such lines keep the fast path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nplhub.datahub import lines
from nplhub.datahub.issues import errors_of
from nplhub.datahub.readers import read_tape
from nplhub.datahub.sample import SAMPLE_META, sample_tables
from nplhub.datahub.validate import validate_tape
from nplhub.datahub.writers import write_tables


def _tape(tmp_path: Path, encoding: str = "utf-8", address: str | None = None, bad_region_row: int | None = None
          ) -> Path:
    tables = sample_tables()
    if address is not None:
        tables["counterparties"].loc[0, "address"] = address
    if bad_region_row is not None:
        tables["counterparties"].loc[bad_region_row, "region"] = "990101"
    return write_tables(tables, SAMPLE_META, tmp_path / "tape", "csv", encoding=encoding)


def _errors(path: Path) -> list[tuple[str, str | None, int | None, str | None]]:
    return [(i.code, i.table, i.row, i.value) for i in errors_of(validate_tape(read_tape(path)).issues)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_bad_value_after_a_multi_line_address_is_reported_at_its_file_line(tmp_path: Path, encoding: str) -> None:
    path = _tape(tmp_path, encoding, address="苏州市工业园区\n星湖街 1 号\n3 幢", bad_region_row=2)
    text = (path / "counterparties.csv").read_bytes().decode(encoding)
    line = next(n for n, content in enumerate(text.splitlines(), start=1) if "990101" in content)
    assert line == 6  # header, C001 over lines 2-4, C002 on 5, C003 on 6
    assert _errors(path) == [("INVALID_REGION", "counterparties", line, "990101")]


def test_a_multi_line_cell_with_windows_line_breaks_and_escaped_quotes_shifts_the_lines_it_spans(
        tmp_path: Path) -> None:
    path = _tape(tmp_path, address='The "Old" Mill\r\nUnit 2\r\nBlock "B"', bad_region_row=1)
    assert _errors(path) == [("INVALID_REGION", "counterparties", 5, "990101")]


def test_a_row_after_blank_lines_keeps_its_file_line(tmp_path: Path) -> None:
    path = _tape(tmp_path, bad_region_row=2)
    data = (path / "counterparties.csv").read_bytes()
    (path / "counterparties.csv").write_bytes(data.replace(b"\nC002", b"\n\n\r\nC002") + b"\n\n")
    tape = validate_tape(read_tape(path))
    assert [(i.code, i.row) for i in errors_of(tape.issues)] == [("INVALID_REGION", 6)]
    assert tape.counts["counterparties"] == 3


def test_a_record_of_separators_only_is_skipped_like_a_blank_line(tmp_path: Path) -> None:
    path = _tape(tmp_path, bad_region_row=2)
    data = (path / "counterparties.csv").read_bytes()
    (path / "counterparties.csv").write_bytes(data.replace(b"\nC003", b"\n" + b"," * 13 + b"\nC003"))
    tape = validate_tape(read_tape(path))
    assert [(i.code, i.row) for i in errors_of(tape.issues)] == [("INVALID_REGION", 5)]
    assert tape.counts["counterparties"] == 3


def test_a_truncated_line_after_a_multi_line_cell_is_reported_at_its_file_line(tmp_path: Path) -> None:
    path = _tape(tmp_path, address="Room 1\nBuilding 2", bad_region_row=2)
    data = (path / "counterparties.csv").read_bytes()
    (path / "counterparties.csv").write_bytes(data.replace(b"\nC002", b"\nC009,cut short\nC002"))
    found = _errors(path)
    assert ("TRUNCATED_ROW", "counterparties", 4, "C009,cut short") in found
    assert ("INVALID_REGION", "counterparties", 6, "990101") in found


def test_a_file_without_quotes_keeps_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def never(_data: bytes) -> np.ndarray:
        raise AssertionError("the record lines were computed for a file that cannot need them")

    monkeypatch.setattr(lines, "record_start_lines", never)
    path = _tape(tmp_path, bad_region_row=2)
    assert b'"' not in (path / "counterparties.csv").read_bytes()
    raw = read_tape(path)
    assert all(table.rows is None for table in raw.tables.values())
    assert _errors(path) == [("INVALID_REGION", "counterparties", 4, "990101")]


def test_a_file_with_quotes_but_no_line_break_in_them_keeps_the_record_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def never(_data: bytes) -> np.ndarray:
        raise AssertionError("the record lines were computed for a file whose lines are its records")

    monkeypatch.setattr(lines, "record_start_lines", never)
    path = _tape(tmp_path, address="苏州, 工业园区", bad_region_row=2)
    assert b'"' in (path / "counterparties.csv").read_bytes()
    assert read_tape(path).tables["counterparties"].rows is None
    assert _errors(path) == [("INVALID_REGION", "counterparties", 4, "990101")]


def test_record_start_lines_count_lines_inside_quoted_cells() -> None:
    data = b'h1,h2\n1,"a\nb"\n\n2,"x""y"\r\n3,"p\r\nq\r\nr"\n4,z'
    assert lines.record_start_lines(data).tolist() == [1, 2, 4, 5, 6, 9]
    assert lines.physical_lines(data) == 9
    assert lines.record_starts(data, True, 6).tolist() == [1, 2, 4, 5, 6, 9]
    assert lines.record_starts(data, False, 6) is None
    assert lines.data_row_lines(3, [3], None).tolist() == [2, 4, 5]
