"""Strict, vectorised validation of a raw tape against the schema (codes: docs/tape-errors.md).

`validate_tape(raw)` parses every column to its type, then checks keys, references between
tables, the order of dates, the cut-off date, identity check digits, and finally the findings
that are warnings, not errors. Each rule works on whole columns; issues are built only for the
offending cells, at most `MAX_PER_GROUP` per (table, column, code) plus one line counting the rest.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nplhub.datahub import parsing
from nplhub.datahub.checkdigits import valid_resident_ids, valid_usccs
from nplhub.datahub.flat import split_flat
from nplhub.datahub.issues import FlaggedRows, IssueLog, TapeIssue, error, errors_of, warning
from nplhub.datahub.mapping import allowed_codes, code_lookup, header_aliases, normalise_header
from nplhub.datahub.readers import FLAT, RawTable, RawTape
from nplhub.datahub.rules import check_cross_table, check_findings
from nplhub.datahub.schema import TABLE_ORDER, TABLES, FieldSpec, TableSpec

ARROW_TYPES: dict[str, pa.DataType] = {
    "money": pa.float64(), "number": pa.float64(), "rate": pa.float64(), "int": pa.int64(),
    "date": pa.date32(), "bool": pa.bool_(),
}

# The contract lets any counterparty's id_number be a unified social credit code or a resident
# identity number. A person's credit code is that of their sole-trader business (个体工商户):
# registration authority 9 (market regulation), kind 2; no resident identity number starts so.
SOLE_TRADER_PREFIX = "92"

PARSE_THREADS = 2  # tables typed at once; Arrow's compute kernels run without the GIL


def arrow_type(spec: FieldSpec) -> pa.DataType:
    return ARROW_TYPES.get(spec.kind, pa.string())


@dataclass(frozen=True)
class TapeMeta:
    portfolio_id: str
    portfolio_name: str
    cutoff_date: date
    reporting_date: date | None = None
    currency: str = "CNY"
    seller: str | None = None


@dataclass
class ValidatedTape:
    source: str
    container: str
    sha256: str
    meta: TapeMeta | None
    tables: dict[str, pa.Table] = field(default_factory=dict)
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    issues: list[TapeIssue] = field(default_factory=list)
    flagged: list[FlaggedRows] = field(default_factory=list)  # every row of each error group, uncapped
    text: dict[str, RawTable] = field(default_factory=dict)  # the cells as read, when asked (keep_text)

    @property
    def ok(self) -> bool:
        return self.meta is not None and not errors_of(self.issues)

    @property
    def counts(self) -> dict[str, int]:
        return {name: (self.tables[name].num_rows if name in self.tables else 0) for name in TABLE_ORDER}


def validate_tape(raw: RawTape, *, keep_text: bool = False) -> ValidatedTape:
    """Type and check every table of `raw`. `keep_text` keeps the cells as read beside the typed
    tables (a partial import writes the original values of the rows it sets aside)."""
    log = IssueLog(raw.issues)
    tables = dict(raw.tables)
    if FLAT in tables:
        split, flat_issues = split_flat(tables.pop(FLAT))
        tables.update(split)
        log.issues.extend(flat_issues)
    meta = validate_meta(raw.meta, log)
    result = ValidatedTape(source=raw.source, container=raw.container, sha256=raw.sha256, meta=meta)
    unreadable = {i.table for i in raw.issues if i.is_error}
    present = [name for name in TABLE_ORDER if tables.get(name) is not None]
    # Tables are typed on two threads (Arrow's kernels release the GIL), each into its own log;
    # the logs are merged in table order, so the issues come out as from one thread.
    logs = {name: IssueLog() for name in present}
    with ThreadPoolExecutor(max_workers=PARSE_THREADS, thread_name_prefix="nplhub-validate") as pool:
        typed_tables = dict(zip(present, pool.map(
            lambda name: validate_table(TABLES[name], tables[name], logs[name]), present)))
    for name in TABLE_ORDER:
        spec = TABLES[name]
        table = tables.get(name)
        if table is None:
            if spec.required and name not in unreadable:
                log.add(error("MISSING_TABLE", f"the tape has no {name} table ({spec.label_zh}); it is required",
                              table=name))
            continue
        log.issues.extend(logs[name].issues)
        log.flagged.extend(logs[name].flagged)
        typed = typed_tables[name]
        if typed is not None:
            result.tables[name] = typed
            result.rows[name] = table.row_numbers()
            if keep_text:
                result.text[name] = table
    cutoff = meta.cutoff_date if meta else None
    checks = {"cross": IssueLog(), "findings": IssueLog(), "ids": IssueLog()}
    with ThreadPoolExecutor(max_workers=PARSE_THREADS, thread_name_prefix="nplhub-validate") as pool:
        done = [pool.submit(check_cross_table, result.tables, result.rows, checks["cross"], cutoff),
                pool.submit(check_findings, result.tables, result.rows, checks["findings"], cutoff),
                pool.submit(_check_id_numbers, result.tables, result.rows, checks["ids"])]
        for future in done:
            future.result()
    for part in checks.values():  # in the order the checks ran in before they ran at once
        log.issues.extend(part.issues)
        log.flagged.extend(part.flagged)
    result.issues = log.issues
    result.flagged = log.flagged
    return result


def portfolio_id_from_name(name: str) -> str:
    """The portfolio name as an id: runs of spaces, @, # and / become one '-'; '' when over 64 characters."""
    pid = re.sub(r"[\s@#/]+", "-", name.strip()).strip("-")
    return pid if len(pid) <= 64 else ""


def validate_meta(values: dict[str, str], log: IssueLog) -> TapeMeta | None:
    where = "tape.yaml / _meta / flags"

    def meta_error(code: str, key: str, message: str) -> None:
        log.add(error(code, message, table="_meta", column=key, value=values.get(key)))

    ok = True
    pid = values.get("portfolio_id", "").strip()
    name = (values.get("portfolio_name") or "").strip()
    if not pid and name:
        # The contract names the portfolio by its name; without a portfolio_id the name identifies
        # it (re-issued tapes of the same name and cut-off become its next versions), said openly.
        pid = portfolio_id_from_name(name)
        if pid:
            log.add(warning("PORTFOLIO_ID_FROM_NAME", f"no portfolio_id given: the portfolio is identified by its "
                            f"name as {pid!r}; give portfolio_id in {where} to choose another", table="_meta",
                            column="portfolio_id", value=pid))
    if not pid:
        meta_error("MISSING_METADATA", "portfolio_id", f"the tape has no portfolio_id (give it in {where})"
                   + (f"; the portfolio_name {name!r} is too long to stand for it" if name else ""))
        ok = False
    elif len(pid) > 64 or any(ch in pid for ch in "@#/ ") :
        meta_error("INVALID_METADATA", "portfolio_id",
                   f"portfolio_id {pid!r} must be at most 64 characters, without @, #, / or spaces")
        ok = False
    dates: dict[str, date | None] = {}
    for key in ("cutoff_date", "reporting_date"):
        text = values.get(key, "").strip()
        if not text:
            dates[key] = None
            continue
        parsed, bad = parsing.parse_date(pa.array([text]))
        if bad[0]:
            meta_error("INVALID_METADATA", key, f"{key} {text!r} is not a date (write YYYY-MM-DD)")
            ok = False
            dates[key] = None
        else:
            dates[key] = parsed[0].as_py()
    cutoff = dates["cutoff_date"]
    if cutoff is None and not values.get("cutoff_date", "").strip():
        meta_error("MISSING_METADATA", "cutoff_date", f"the tape has no cutoff_date (give it in {where})")
        ok = False
    reporting = dates["reporting_date"]
    if cutoff is not None and reporting is not None and reporting < cutoff:
        meta_error("INVALID_METADATA", "reporting_date",
                   f"reporting_date {reporting} is before cutoff_date {cutoff}")
        ok = False
    currency_values, bad_currency = parsing.parse_currency(pa.array([values.get("currency") or "CNY"]))
    if bad_currency[0]:
        meta_error("INVALID_METADATA", "currency", f"currency {values.get('currency')!r} is not an ISO 4217 code")
        ok = False
    if not ok or cutoff is None:
        return None
    return TapeMeta(portfolio_id=pid, portfolio_name=values.get("portfolio_name") or pid, cutoff_date=cutoff,
                    reporting_date=reporting, currency=str(currency_values[0].as_py()),
                    seller=values.get("seller") or None)


def validate_table(spec: TableSpec, raw: RawTable, log: IssueLog) -> pa.Table | None:
    name = spec.name
    aliases = header_aliases(spec)
    position: dict[str, int] = {}
    for i, header in enumerate(raw.headers):
        canonical = aliases.get(normalise_header(header))
        if canonical is None:
            if header.strip():
                log.add(TapeIssue(name, 1, header, header, "UNKNOWN_COLUMN",
                                  f"column {header!r} is not part of the {name} table; it was ignored", "warning"))
        elif canonical in position:
            log.add(error("DUPLICATE_COLUMN", f"columns {raw.headers[position[canonical]]!r} and {header!r} both mean "
                          f"{canonical}", table=name, row=1, column=header, value=header))
        else:
            position[canonical] = i
    missing = [f for f in spec.fields if f.required and f.name not in position]
    for f in missing:
        log.add(error("MISSING_COLUMN", f"the {name} table has no {f.name} column ({f.label_zh}); it is required",
                      table=name, row=1, column=f.name))
    if raw.num_rows == 0 and spec.required:
        log.add(error("EMPTY_TABLE", f"the {name} table has a header but no rows", table=name, row=2))
    rows = raw.row_numbers()
    n = raw.num_rows
    columns: dict[str, pa.Array] = {}
    for spec_field in spec.fields:
        if spec_field.name not in position:
            default = spec_field.default
            columns[spec_field.name] = pa.nulls(n, arrow_type(spec_field)) if default is None else \
                pa.array([default] * n, pa.string())
            continue
        text = parsing.clean_text(raw.data.column(position[spec_field.name]).combine_chunks())
        columns[spec_field.name] = _parse_column(name, spec_field, text, rows, log)
    for group in spec.one_of:
        _check_one_of(name, group, position, columns, rows, log)
    return pa.table(columns)


def _check_one_of(table: str, group: tuple[str, ...], position: dict[str, int], columns: dict[str, pa.Array],
                  rows: np.ndarray, log: IssueLog) -> None:
    """Each row gives at least one column of `group` (a guarantee names its guarantor by id or by name)."""
    either = " or ".join(group)
    if not any(c in position for c in group):
        if len(rows):
            log.add(error("MISSING_COLUMN", f"the {table} table has neither {either}; each row needs one of them",
                          table=table, row=1, column=group[0]))
        return
    empty = np.ones(len(rows), dtype=bool)
    for column in group:
        empty &= np.asarray(pc.is_null(columns[column]).to_numpy(zero_copy_only=False), dtype=bool)
    log.cells(table, rows, empty, group[0], None, "REQUIRED_VALUE",
              lambda _i, _v: f"{either}: both are empty; each row of {table} needs one of them")


def _label(f: FieldSpec) -> str:
    return f"{f.name} ({f.label_zh})"


def _parse_column(table: str, f: FieldSpec, text: pa.Array, rows: np.ndarray, log: IssueLog) -> pa.Array:
    label = _label(f)

    def report(mask: np.ndarray, code: str, what: str, values: pa.Array = text) -> None:
        log.cells(table, rows, mask, f.name, values, code, lambda _i, v: f"{label} {v!r} {what}")

    kind = f.kind
    values: pa.Array
    if kind in ("money", "number"):
        values, bad, imprecise = parsing.parse_decimal(text, 2 if kind == "money" else None)
        report(bad, "INVALID_NUMBER", "is not a number")
        report(imprecise, "MONEY_PRECISION", "has more than two decimals (amounts are in yuan and fen)")
    elif kind == "int":
        values, bad = parsing.parse_int(text)
        report(bad, "INVALID_INTEGER", "is not a whole number")
    elif kind == "rate":
        values, bad = parsing.parse_rate(text)
        report(bad, "INVALID_RATE", "is not a rate (write 0.0435 or 4.35%)")
    elif kind == "date":
        values, bad = parsing.parse_date(text)
        report(bad, "INVALID_DATE", "is not a valid date (write YYYY-MM-DD; YYYY/MM/DD, YYYYMMDD and Excel "
               "serial dates are accepted)")
    elif kind == "month":
        values, bad = parsing.parse_month(text)
        report(bad, "INVALID_MONTH", "is not a month (write YYYY-MM)")
    elif kind == "bool":
        values, bad = parsing.parse_bool(text)
        report(bad, "INVALID_BOOLEAN", "is not yes/no (write true/false, 1/0 or 是/否)")
    elif kind in ("code", "industry"):
        values, bad = parsing.parse_code(text, code_lookup(f))
        report(bad, "UNKNOWN_CODE", f"is not a known code; expected {allowed_codes(f)} or the Chinese term")
    elif kind == "region":
        values, bad = parsing.parse_region(text)
        report(bad, "INVALID_REGION", "is not a GB/T 2260 six-digit administrative code of a province")
    elif kind == "currency":
        values, bad = parsing.parse_currency(text)
        report(bad, "INVALID_CURRENCY", "is not an ISO 4217 currency code")
        values = pc.fill_null(values, f.default or "CNY")
    elif kind == "id_number":
        values, bad = parsing.parse_id_number(text)
        report(bad, "INVALID_ID_NUMBER", "is not an 18-character resident identity number or unified social "
               "credit code")
    else:
        values = text
        if f.max_length is not None:
            report(parsing.too_long(text, f.max_length), "VALUE_TOO_LONG",
                   f"is longer than {f.max_length} characters")
    if f.required:
        report(np.asarray(pc.is_null(text).to_numpy(zero_copy_only=False), dtype=bool), "REQUIRED_VALUE",
               "is empty; the column is required")
    if kind in ("money", "number", "int", "rate"):
        _check_range(table, f, values, text, rows, log)
    return values


def _check_range(table: str, f: FieldSpec, values: pa.Array, text: pa.Array, rows: np.ndarray,
                 log: IssueLog) -> None:
    label = _label(f)
    if f.min_value is not None:
        below = np.asarray(pc.fill_null(pc.less(values, f.min_value), False).to_numpy(zero_copy_only=False), dtype=bool)
        if f.kind in ("money", "number") and f.min_value == 0:
            log.cells(table, rows, below, f.name, text, "NEGATIVE_AMOUNT",
                      lambda _i, v: f"{label} {v} is negative; balances and amounts cannot be below zero")
        else:
            log.cells(table, rows, below, f.name, text, "OUT_OF_RANGE",
                      lambda _i, v: f"{label} {v} is below the minimum {f.min_value:g}")
    if f.max_value is not None:
        above = np.asarray(pc.fill_null(pc.greater(values, f.max_value), False).to_numpy(zero_copy_only=False),
                           dtype=bool)
        hint = " (a percentage must carry its % sign: 4.35% or 0.0435)" if f.kind == "rate" else ""
        log.cells(table, rows, above, f.name, text, "OUT_OF_RANGE",
                  lambda _i, v: f"{label} {v} is above the maximum {f.max_value:g}{hint}")


def _check_id_numbers(tables: dict[str, pa.Table], rows: dict[str, np.ndarray], log: IssueLog) -> None:
    if "counterparties" not in tables:
        return
    table = tables["counterparties"]
    ids = table.column("id_number").combine_chunks()
    kinds = table.column("counterparty_type").combine_chunks()
    present = np.asarray(pc.is_valid(ids).to_numpy(zero_copy_only=False), dtype=bool)
    if not present.any():
        return
    individual = np.asarray(pc.fill_null(pc.equal(kinds, "individual"), False).to_numpy(zero_copy_only=False),
                            dtype=bool)
    bad = np.zeros(len(ids), dtype=bool)
    idx = np.flatnonzero(present & individual)
    if idx.size:  # people: a resident identity number, or the credit code of their sole-trader business (92...)
        values = pc.take(ids, pa.array(idx))
        trader = np.asarray(pc.fill_null(pc.starts_with(values, SOLE_TRADER_PREFIX), False)
                            .to_numpy(zero_copy_only=False), dtype=bool)
        bad[idx] = ~(valid_resident_ids(values) | (trader & valid_usccs(values)))
    idx = np.flatnonzero(present & ~individual)
    if idx.size:  # organisations: a credit code, or the identity number of a sole proprietor
        values = pc.take(ids, pa.array(idx))
        bad[idx] = ~(valid_usccs(values) | valid_resident_ids(values))
    log.cells("counterparties", rows["counterparties"], bad, "id_number", ids, "BAD_CHECK_DIGIT",
              lambda i, v: f"id_number {v} fails its check digit ("
              + ("GB 11643 resident identity number: province prefix, birth date and check character"
                 if individual[i] and not str(v).startswith(SOLE_TRADER_PREFIX) else "GB 32100 unified social credit code")
              + "): a character is mistyped")
