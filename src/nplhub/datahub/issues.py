"""What a tape's reader and validator report: one `TapeIssue` per problem found.

An issue names where the problem is as the user sees it (table, row as the file line or sheet
row, column), the offending value, a stable code (see docs/tape-errors.md) and a plain sentence.
Errors reject the whole import; warnings are findings stored with the snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Severity = Literal["error", "warning"]

ISSUE_KEYS = ("table", "row", "column", "value", "code", "message", "severity")
MAX_PER_GROUP = 200


@dataclass(frozen=True, slots=True)
class TapeIssue:
    table: str | None
    row: int | None
    column: str | None
    value: str | None
    code: str
    message: str
    severity: Severity = "error"

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in ISSUE_KEYS}

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def error(code: str, message: str, *, table: str | None = None, row: int | None = None,
          column: str | None = None, value: object = None) -> TapeIssue:
    return TapeIssue(table, row, column, _text(value), code, message, "error")


def warning(code: str, message: str, *, table: str | None = None, row: int | None = None,
            column: str | None = None, value: object = None) -> TapeIssue:
    return TapeIssue(table, row, column, _text(value), code, message, "warning")


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."


def errors_of(issues: Iterable[TapeIssue]) -> list[TapeIssue]:
    return [i for i in issues if i.is_error]


def warnings_of(issues: Iterable[TapeIssue]) -> list[TapeIssue]:
    return [i for i in issues if not i.is_error]


class TapeRejected(Exception):
    """The tape has errors: nothing was written. `issues` lists every error and warning found."""

    def __init__(self, issues: list[TapeIssue]) -> None:
        self.issues = issues
        errors = errors_of(issues)
        first = errors[0].message if errors else "no detail"
        super().__init__(f"tape rejected with {len(errors)} error(s); first: {first}")


@dataclass(frozen=True, slots=True)
class FlaggedRows:
    """Every row of one error group, uncapped: what a partial import sets aside (quarantine.py).

    `positions` index the rows of `table` as read; `message(i, value)` says why for position i.
    """

    table: str
    positions: np.ndarray
    column: str
    values: pa.Array | None
    code: str
    message: Callable[[int, str | None], str]


class IssueLog:
    """Collects issues, building them only for flagged cells and capping each group.

    Error groups are also kept whole in `flagged` (positions, not issue objects: nothing is built
    for them unless a partial import asks).
    """

    def __init__(self, issues: list[TapeIssue] | None = None) -> None:
        self.issues: list[TapeIssue] = list(issues or [])
        self.flagged: list[FlaggedRows] = []

    def add(self, issue: TapeIssue) -> None:
        self.issues.append(issue)

    def cells(self, table: str, rows: np.ndarray, mask: np.ndarray, column: str, values: pa.Array | None,
              code: str, message: Callable[[int, str | None], str], severity: Severity = "error") -> int:
        flagged = np.flatnonzero(mask)
        if flagged.size == 0:
            return 0
        if severity == "error":
            self.flagged.append(FlaggedRows(table, flagged, column, values, code, message))
        shown = flagged[:MAX_PER_GROUP]
        texts: list[str | None] = [None] * shown.size
        if values is not None:
            picked = pc.take(values, pa.array(shown))
            texts = [None if v is None else str(v) for v in picked.to_pylist()]
        for i, text in zip(shown.tolist(), texts):
            self.issues.append(TapeIssue(table, int(rows[i]), column, text, code, message(i, text), severity))
        if flagged.size > shown.size:
            rest = int(flagged.size - shown.size)
            self.issues.append(TapeIssue(table, None, column, None, code,
                                         f"... and {rest} more row(s) of {table} with the same problem ({code})",
                                         severity))
        return int(flagged.size)
