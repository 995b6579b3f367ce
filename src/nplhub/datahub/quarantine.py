"""A partial import: the rows with errors, and the rows that depend on them, set aside.

Only on the user's explicit request (`nplhub tape import PATH --partial`). An error confined to
one row (`ROW_CODES`: a bad cell, a duplicate key, a dangling reference, dates out of order or
after the cut-off, a bad check digit) sets its row aside, and so does every row that refers to
a row set aside, following the schema's references parents first: a loan whose counterparty was
rejected, the collateral links, guarantees, enforcement cases and history of a loan set aside,
and so on. A key given more than once sets aside every row of it (which one is right cannot be
told). Every other error (container, encoding, a truncated line, metadata, a missing table or
column, a flat list that contradicts itself) still rejects the tape whole; so does a partial
import that would leave a required table empty (`NOTHING_TO_IMPORT`).

The rows set aside are written to a quarantine CSV file (UTF-8 with BOM, so that Excel shows
Chinese text): one line per row with its table, file row, codes and reasons, then its cells as
read under the tape's own headers. The snapshot stores one `PARTIAL_IMPORT` warning (counts and
the file's path) and one `QUARANTINED_ROW` warning per row set aside (capped per table).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nplhub.datahub.issues import MAX_PER_GROUP, TapeIssue, error, warning
from nplhub.datahub.rules import key_codes
from nplhub.datahub.schema import REQUIRED_TABLES, TABLE_ORDER, TABLES, Reference
from nplhub.datahub.validate import ValidatedTape

# Errors that concern one row only: with --partial they set their row aside.
ROW_CODES = frozenset({
    "REQUIRED_VALUE", "INVALID_NUMBER", "MONEY_PRECISION", "INVALID_INTEGER", "INVALID_RATE", "INVALID_DATE",
    "INVALID_MONTH", "INVALID_BOOLEAN", "UNKNOWN_CODE", "INVALID_REGION", "INVALID_CURRENCY",
    "INVALID_ID_NUMBER", "BAD_CHECK_DIGIT", "VALUE_TOO_LONG", "NEGATIVE_AMOUNT", "OUT_OF_RANGE",
    "DUPLICATE_KEY", "DANGLING_REFERENCE", "DATE_ORDER", "DATE_AFTER_CUTOFF",
})
# Findings about one row: not stored for a row that is not imported.
ROW_FINDINGS = frozenset({
    "CLASS_BELOW_DPD_FLOOR", "RESTRUCTURED_NORMAL", "OUTSTANDING_ABOVE_ORIGINAL", "STALE_APPRAISAL",
    "PRIOR_CLAIMS_EXCEED_VALUE", "UNKNOWN_LOAN",
})
FIXED_COLUMNS = ("table", "row", "codes", "reasons")
_NOUNS = {"counterparties": "counterparty", "loans": "loan", "collateral": "collateral"}


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    column: str | None
    message: str


@dataclass
class QuarantinedRow:
    table: str
    row: int
    key_name: str  # the columns of the row's key, "loan_id / month" (tables without a key: loan_id)
    key: str  # their values, "L001 / 2024-05"
    reasons: list[Reason]
    values: dict[str, str | None]  # the tape's header -> the cell as read

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(r.code for r in self.reasons))


@dataclass
class Quarantine:
    """The rows set aside, in table order then file order, and their number per table."""

    rows: list[QuarantinedRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_ORDER, 0))

    @property
    def total(self) -> int:
        return len(self.rows)


def file_level_errors(issues: Iterable[TapeIssue]) -> list[TapeIssue]:
    """The errors a partial import cannot set aside: they reject the tape whole."""
    return [i for i in issues if i.is_error and i.code not in ROW_CODES]


def set_aside(tape: ValidatedTape) -> tuple[ValidatedTape, Quarantine]:
    """`tape` without its rows with row-level errors and the rows that depend on them, and those
    rows. The tape must have been validated with `keep_text=True` and be free of file-level errors.
    The tape returned holds the remaining warnings (and `NOTHING_TO_IMPORT` if a required table
    would be left empty)."""
    reasons: dict[str, dict[int, list[Reason]]] = {name: {} for name in tape.tables}
    for group in tape.flagged:
        if group.code not in ROW_CODES or group.table not in tape.tables:
            continue
        shown = [None] * group.positions.size if group.values is None else \
            pc.take(group.values, pa.array(group.positions)).to_pylist()
        for i, value in zip(group.positions.tolist(), shown):
            text = None if value is None else str(value)
            reasons[group.table].setdefault(i, []).append(Reason(group.code, group.column, group.message(i, text)))
        if group.code == "DUPLICATE_KEY":
            _every_row_of_the_key(tape, group.table, group.positions, reasons[group.table])
    for name in TABLE_ORDER:
        if name in tape.tables:
            for ref in TABLES[name].references:
                if reasons.get(ref.table):
                    _cascade(tape, name, ref, reasons)
    quarantine = Quarantine()
    kept = replace(tape, tables=dict(tape.tables), rows=dict(tape.rows), flagged=[], text={})
    dropped_rows: set[tuple[str, int]] = set()
    for name in TABLE_ORDER:
        if not reasons.get(name):
            continue
        positions = np.asarray(sorted(reasons[name]), dtype=np.int64)
        keep = np.ones(tape.tables[name].num_rows, dtype=bool)
        keep[positions] = False
        kept.tables[name] = tape.tables[name].filter(pa.array(keep))
        kept.rows[name] = tape.rows[name][keep]
        quarantine.counts[name] = int(positions.size)
        for row in _quarantined_rows(tape, name, positions, reasons[name]):
            quarantine.rows.append(row)
            dropped_rows.add((name, row.row))
    kept.issues = [i for i in tape.issues if not i.is_error
                   and not (i.code in ROW_FINDINGS and (i.table or "", i.row or 0) in dropped_rows)]
    # an error naming a row that was not set aside (one the validator reported outside its groups)
    # keeps rejecting the tape: never import a row known to be bad
    kept.issues += [i for i in tape.issues if i.is_error and i.row is not None
                    and (i.table or "", i.row) not in dropped_rows]
    for name in REQUIRED_TABLES:
        if name in kept.tables and kept.tables[name].num_rows == 0 and tape.tables[name].num_rows > 0:
            kept.issues.append(error("NOTHING_TO_IMPORT", f"every row of the {name} table was rejected or depends on "
                                     "a rejected row: a partial import would leave it empty", table=name))
    return kept, quarantine


def _key_text(table: pa.Table, key: tuple[str, ...], i: int) -> str:
    return " / ".join("" if (v := table.column(k)[i].as_py()) is None else str(v) for k in key)


def _every_row_of_the_key(tape: ValidatedTape, name: str, duplicates: np.ndarray,
                          reasons: dict[int, list[Reason]]) -> None:
    """A key given more than once: the first row of it goes too, since which row is right cannot be told."""
    key = TABLES[name].key
    table = tape.tables[name]
    codes = key_codes([table.column(k) for k in key])
    rows = tape.rows[name]
    for i in np.flatnonzero(np.isin(codes, codes[duplicates])).tolist():
        if i in reasons and any(r.code == "DUPLICATE_KEY" for r in reasons[i]):
            continue
        again = ", ".join(str(rows[j]) for j in np.flatnonzero(codes == codes[i]).tolist() if j != i)
        reasons.setdefault(i, []).append(Reason(
            "DUPLICATE_KEY", key[-1], f"{' / '.join(key)} {_key_text(table, key, i)} is given again on row {again}: "
            "which row is right cannot be told, so none of them is imported"))


def _cascade(tape: ValidatedTape, name: str, ref: Reference, reasons: dict[str, dict[int, list[Reason]]]) -> None:
    """Set aside the rows of `name` whose `ref.column` names a row of `ref.table` set aside."""
    parent = tape.tables[ref.table].column(ref.target).combine_chunks()
    gone = np.zeros(len(parent), dtype=bool)
    gone[np.asarray(list(reasons[ref.table]), dtype=np.int64)] = True
    still_there = pc.filter(parent, pa.array(~gone))
    lost = pc.filter(parent, pa.array(gone))
    lost = pc.filter(lost, pc.invert(pc.is_in(lost, value_set=still_there)))
    child = tape.tables[name].column(ref.column).combine_chunks()
    hit = np.flatnonzero(np.asarray(pc.fill_null(pc.is_in(child, value_set=lost), False)
                                    .to_numpy(zero_copy_only=False), dtype=bool))
    if hit.size == 0:
        return
    role = ref.column.removesuffix(ref.target).rstrip("_").replace("_", " ")
    noun = f"{role} {_NOUNS.get(ref.table, ref.table)}".strip()
    for i, value in zip(hit.tolist(), pc.take(child, pa.array(hit)).to_pylist()):
        reasons[name].setdefault(i, []).append(Reason(
            "PARENT_REJECTED", ref.column, f"dropped because {noun} {value} was rejected"))


def _quarantined_rows(tape: ValidatedTape, name: str, positions: np.ndarray,
                      reasons: dict[int, list[Reason]]) -> list[QuarantinedRow]:
    raw = tape.text.get(name)
    headers = [h if h.strip() else f"(column {j + 1})" for j, h in enumerate(raw.headers)] if raw else []
    cells = raw.data.take(pa.array(positions)).to_pylist() if raw is not None else [{} for _ in positions]
    table = tape.tables[name]
    key = TABLES[name].key or ("loan_id",)
    rows = tape.rows[name]
    return [QuarantinedRow(table=name, row=int(rows[i]), key_name=" / ".join(key), key=_key_text(table, key, i),
                           reasons=reasons[i], values={h: record.get(f"c{j}") for j, h in enumerate(headers)})
            for i, record in zip(positions.tolist(), cells)]


def write_quarantine(quarantine: Quarantine, path: str | Path) -> Path:
    """Write the rows set aside as CSV (UTF-8 with BOM): table, row, codes, reasons, then the cells
    as read under the tape's headers (one column per distinct header, empty where a table has none)."""
    path = Path(path)
    headers: dict[str, None] = {}
    for row in quarantine.rows:
        headers.update(dict.fromkeys(h for h in row.values if h not in FIXED_COLUMNS))
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*FIXED_COLUMNS, *headers])
        for row in quarantine.rows:
            writer.writerow([row.table, row.row, " ".join(row.codes), "; ".join(r.message for r in row.reasons),
                             *("" if (v := row.values.get(h)) is None else v for h in headers)])
    return path


def quarantine_issues(quarantine: Quarantine, imported: dict[str, int], path: str) -> list[TapeIssue]:
    """What the snapshot keeps of a partial import: one summary and one line per row set aside."""
    if not quarantine.rows:
        return []
    per_table = ", ".join(f"{name} {n}" for name, n in quarantine.counts.items() if n)
    total = quarantine.total + sum(imported.values())
    issues = [warning("PARTIAL_IMPORT", f"partial import asked for: {quarantine.total:,} of {total:,} row(s) were "
                      f"set aside ({per_table}) and are not in this snapshot; they are in the quarantine file {path}",
                      value=path)]
    shown: dict[str, int] = {}
    for row in quarantine.rows:
        shown[row.table] = shown.get(row.table, 0) + 1
        if shown[row.table] > MAX_PER_GROUP:
            continue
        issues.append(warning("QUARANTINED_ROW", f"{row.table} row {row.row} ({row.key_name} {row.key}) was not imported: "
                              + "; ".join(f"{r.code}: {r.message}" for r in row.reasons),
                              table=row.table, row=row.row, column=row.reasons[0].column, value=row.key))
    for name, n in shown.items():
        if n > MAX_PER_GROUP:
            issues.append(warning("QUARANTINED_ROW", f"... and {n - MAX_PER_GROUP} more row(s) of {name} set aside "
                                  f"(QUARANTINED_ROW); every one is in {path}", table=name))
    return issues
