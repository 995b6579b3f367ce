"""The file line on which each record of a CSV file starts: the row number the user sees.

A record may span several physical lines (a quoted cell with a line break, such as an address
"Room 1⏎Building 2"), and blank lines hold no record; Arrow counts records, not lines. A data
row is therefore reported at the file line where its record starts (the header is line 1).

Cheap by construction: a file without a quote character cannot hold a multi-line record, so its
record numbers are its line numbers; a file with quotes is checked by counting its line breaks
against its records, and only when they disagree is every record's first line computed, by one
pass of the standard csv module (the slow path, paid only by files that need it).
"""

from __future__ import annotations

import csv
import io

import numpy as np


def has_quotes(data: bytes) -> bool:
    """Whether a quote character occurs at all (one memchr over the bytes)."""
    return data.find(b'"') >= 0


def physical_lines(data: bytes) -> int:
    """The number of lines an editor shows (a last line without a line break counts)."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def record_start_lines(data: bytes) -> np.ndarray | None:
    """The file line (from 1) on which each record starts, header and blank lines included.

    `data` is UTF-8 without BOM. None when the csv module cannot read the file (a field beyond
    its size limit, a quote left open): the caller then keeps Arrow's record numbers.
    """
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""))
    starts: list[int] = []
    line = 1
    try:
        for _record in reader:
            starts.append(line)
            line = reader.line_num + 1
    except csv.Error:
        return None
    return np.asarray(starts, dtype=np.int64)


def record_starts(data: bytes, quoted: bool, records: int) -> np.ndarray | None:
    """The first line of each of Arrow's `records` (header and blank lines included), or None
    when record k simply starts on line k: always so without a quote character in the file."""
    if not quoted or physical_lines(data) == records:
        return None
    starts = record_start_lines(data)
    if starts is None or len(starts) != records:
        return None  # the two parsers disagree: keep the record numbers rather than guess
    return starts


def line_of(number: int, starts: np.ndarray | None) -> int:
    """The file line where Arrow's record `number` (header = 1) starts."""
    if starts is not None and 0 < number <= len(starts):
        return int(starts[number - 1])
    return number


def data_row_lines(rows: int, skipped: list[int], starts: np.ndarray | None) -> np.ndarray | None:
    """The file line of each of the `rows` data records that Arrow kept, or None when that is
    simply 2, 3, 4, ... (the common case: no record skipped, none over several lines).

    `skipped` holds Arrow's record numbers (header = 1) of the records it did not keep (a wrong
    number of fields). Arrow reads with ignore_empty_lines=False, so a blank line is a record too
    and record numbers are line numbers unless a quoted cell holds a line break (`starts`).
    """
    if not skipped and starts is None:
        return None
    numbers = np.arange(2, rows + len(skipped) + 2, dtype=np.int64)
    if skipped:
        numbers = numbers[~np.isin(numbers, np.asarray(skipped, dtype=np.int64))]
    return numbers if starts is None else starts[numbers - 1]
