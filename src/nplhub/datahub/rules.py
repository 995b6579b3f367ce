"""Rules across columns and tables: keys, references, date order, the cut-off, and findings.

Errors: DUPLICATE_KEY, DANGLING_REFERENCE, DATE_ORDER, DATE_AFTER_CUTOFF.
Warnings (findings stored with the snapshot, see docs/tape-errors.md): CLASS_BELOW_DPD_FLOOR
(the 2023 rules' days-past-due floors: > 7 days at least special mention, > 90 substandard,
> 270 doubtful, > 360 loss), RESTRUCTURED_NORMAL (a restructured loan is at least special
mention, Art 21), STALE_APPRAISAL (older than one year at the cut-off), PRIOR_CLAIMS_EXCEED_VALUE,
OUTSTANDING_ABOVE_ORIGINAL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nplhub.datahub.issues import IssueLog
from nplhub.datahub.schema import TABLES, DateOrder, Reference
from nplhub.domain.classification import ORDERED_CLASSES

DPD_FLOORS: tuple[tuple[int, str], ...] = (
    (360, "loss"), (270, "doubtful"), (90, "substandard"), (7, "special_mention"),
)


def _np(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def key_codes(columns: list[pa.Array]) -> np.ndarray:
    """One int64 per row identifying its key value (nulls get -1 in each part)."""
    code = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for column in columns:
        encoded = pc.dictionary_encode(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
        part = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        code = code * (len(encoded.dictionary) + 1) + (part + 1)
    return code


def check_cross_table(tables: dict[str, pa.Table], rows: dict[str, np.ndarray], log: IssueLog,
                      cutoff: date | None) -> None:
    for name, table in tables.items():
        spec = TABLES[name]
        if spec.key:
            _check_keys(name, table, rows[name], spec.key, log)
        for ref in spec.references:
            child = table.column(ref.column).combine_chunks()
            if child.null_count == len(child):
                continue
            parent = tables[ref.table].column(ref.target).combine_chunks() if ref.table in tables \
                else pa.array([], pa.string())
            dangling = _np(pc.and_(pc.is_valid(child), pc.invert(pc.is_in(child, value_set=parent))))
            if ref.history:
                log.cells(name, rows[name], dangling, ref.column, child, "UNKNOWN_LOAN",
                          lambda _i, v: f"loan_id {v} is not in the loans table (a loan that has left the book?); "
                          "its history is kept", "warning")
            else:
                log.cells(name, rows[name], dangling, ref.column, child, "DANGLING_REFERENCE",
                          _dangling_message(ref))
        for order in spec.date_orders:
            earlier = table.column(order.earlier)
            later = table.column(order.later)
            wrong = _np(pc.greater(earlier, later))
            log.cells(name, rows[name], wrong, order.later, later.combine_chunks(), "DATE_ORDER",
                      _order_message(order, earlier))
        if cutoff is not None:
            _check_cutoff(name, table, rows[name], cutoff, log)


def _dangling_message(ref: Reference) -> Callable[[int, str | None], str]:
    return lambda _i, v: f"{ref.column} {v} does not exist in {ref.table}.{ref.target}"


def _order_message(order: DateOrder, earlier: pa.ChunkedArray) -> Callable[[int, str | None], str]:
    return lambda i, v: f"{order.later} {v} is before {order.earlier} {earlier[i].as_py()}"


def _cutoff_message(column: str, cutoff: date) -> Callable[[int, str | None], str]:
    return lambda _i, v: f"{column} {v} is after the cut-off date {cutoff}"


def _check_keys(name: str, table: pa.Table, rows: np.ndarray, key: tuple[str, ...], log: IssueLog) -> None:
    if len(key) == 1 and len(pc.unique(table.column(key[0]))) == table.num_rows:
        return  # every key distinct: the common case, decided by one hash pass
    codes = key_codes([table.column(k) for k in key])
    if codes.size == 0:
        return
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    first_of_row = first[inverse]
    duplicate = np.arange(codes.size) != first_of_row
    if len(key) == 1:
        shown = table.column(key[0]).combine_chunks()
    else:
        shown = pc.binary_join_element_wise(*[pc.cast(table.column(k), pa.string()) for k in key], " / ")
        shown = shown.combine_chunks() if isinstance(shown, pa.ChunkedArray) else shown
    log.cells(name, rows, duplicate, key[-1], shown, "DUPLICATE_KEY",
              lambda i, v: f"{' / '.join(key)} {v} is given twice: it already appears on row {rows[first_of_row[i]]}")


def _check_cutoff(name: str, table: pa.Table, rows: np.ndarray, cutoff: date, log: IssueLog) -> None:
    for spec in TABLES[name].fields:
        if not spec.not_after_cutoff:
            continue
        column = table.column(spec.name)
        if spec.kind == "month":
            after = _np(pc.greater(column, cutoff.strftime("%Y-%m")))
        else:
            after = _np(pc.greater(column, pa.scalar(cutoff, pa.date32())))
        log.cells(name, rows, after, spec.name, column.combine_chunks(), "DATE_AFTER_CUTOFF",
                  _cutoff_message(spec.name, cutoff))


def check_findings(tables: dict[str, pa.Table], rows: dict[str, np.ndarray], log: IssueLog,
                   cutoff: date | None) -> None:
    if "loans" in tables:
        loans = tables["loans"]
        r = rows["loans"]
        dpd = loans.column("days_past_due")
        reported = loans.column("reported_class")
        rank = pc.index_in(reported, value_set=pa.array([c.value for c in ORDERED_CLASSES]))
        floor = pa.array(np.zeros(loans.num_rows, dtype=np.int64))
        for days, cls in reversed(DPD_FLOORS):
            level = [c.value for c in ORDERED_CLASSES].index(cls)
            floor = pc.if_else(pc.fill_null(pc.greater(dpd, days), False), level, floor)
        below = _np(pc.less(pc.cast(rank, pa.int64()), floor))
        names = [c.value for c in ORDERED_CLASSES]
        floor_np = np.asarray(floor.to_numpy(zero_copy_only=False))
        log.cells("loans", r, below, "reported_class", reported.combine_chunks(), "CLASS_BELOW_DPD_FLOOR",
                  lambda i, v: f"reported class {v} is better than the floor {names[floor_np[i]]} that "
                  f"{dpd[i].as_py()} days past due imposes (2023 risk classification rules)", "warning")
        restructured_normal = _np(pc.and_(pc.fill_null(loans.column("restructured"), False),
                                          pc.equal(reported, "normal")))
        log.cells("loans", r, restructured_normal, "reported_class", reported.combine_chunks(),
                  "RESTRUCTURED_NORMAL", lambda _i, v: "a restructured loan is classified normal; the 2023 rules "
                  "put restructured assets at least in special mention", "warning")
        above = _np(pc.greater(loans.column("outstanding_principal"), loans.column("original_principal")))
        log.cells("loans", r, above, "outstanding_principal", loans.column("outstanding_principal").combine_chunks(),
                  "OUTSTANDING_ABOVE_ORIGINAL", lambda _i, v: f"outstanding principal {v} exceeds the original "
                  "principal (capitalised interest?)", "warning")
    if "collateral" in tables:
        coll = tables["collateral"]
        r = rows["collateral"]
        if cutoff is not None:
            limit = pa.scalar(cutoff - timedelta(days=365), pa.date32())
            stale = _np(pc.less(coll.column("appraisal_date"), limit))
            log.cells("collateral", r, stale, "appraisal_date", coll.column("appraisal_date").combine_chunks(),
                      "STALE_APPRAISAL", lambda _i, v: f"the appraisal of {v} is more than a year older than the "
                      f"cut-off {cutoff}", "warning")
        excess = _np(pc.greater(coll.column("prior_claims"), coll.column("appraisal_value")))
        log.cells("collateral", r, excess, "prior_claims", coll.column("prior_claims").combine_chunks(),
                  "PRIOR_CLAIMS_EXCEED_VALUE", lambda _i, v: f"claims ranking ahead ({v}) exceed the appraisal "
                  "value: nothing is left for this lien", "warning")
