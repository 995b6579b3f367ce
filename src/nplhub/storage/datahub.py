"""SQL storage of the data hub: snapshots, bulk insert of tape tables, and the SnapshotReader.

The bulk insert goes under SQLAlchemy to the driver, inside the unit of work's transaction:
SQLite gets `executemany` over batches of tuples, PostgreSQL gets COPY (psycopg 3). Either way
the import is one transaction: a failure anywhere leaves the database as it was.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Float, String, cast, func, insert, select

from nplhub.datahub.issues import TapeIssue
from nplhub.datahub.schema import TABLES
from nplhub.domain.portfolio import Portfolio, Snapshot
from nplhub.services.datahub_ports import SnapshotRepository
from nplhub.services.ports import SnapshotReader
from nplhub.storage import datahub_bulk
from nplhub.storage.tables import datahub as t
from nplhub.storage.unit_of_work import register_repository

BATCH_ROWS = 50_000
STAGING_MIN_ROWS = 20_000  # SQLite tables of at least this many rows go through datahub_bulk's staging file
_ROW_ID_TABLES = ("forbearance", "disposals")


def _quote(name: str) -> str:
    return f'"{name}"'


def _python_columns(batch: pa.RecordBatch, sqlite: bool) -> list[list[Any]]:
    """Columns as Python lists, built in C through numpy (Arrow's to_pylist boxes every value).

    SQLite stores a NaN as NULL and an integral REAL in an INTEGER column as an integer, so on
    SQLite numeric columns go as float lists; PostgreSQL's COPY gets None and ints.
    """
    columns: list[list[Any]] = []
    for column in batch.columns:
        kind = column.type
        if pa.types.is_date32(kind):
            column = pc.cast(column, pa.string())
            kind = column.type
        if pa.types.is_floating(kind) or (pa.types.is_integer(kind) and sqlite):
            if sqlite:
                columns.append(column.to_numpy(zero_copy_only=False).tolist())
            else:
                columns.append(column.to_pylist())
        elif pa.types.is_integer(kind):
            columns.append(column.to_pylist())
        else:
            columns.append(column.to_numpy(zero_copy_only=False).tolist())
    return columns


def _csv_chunks(snapshot_id: str, data: pa.Table, with_row_id: bool) -> Iterator[bytes]:
    import pyarrow.csv as pcsv

    start = 1
    for batch in data.to_batches(max_chunksize=BATCH_ROWS):
        n = batch.num_rows
        lead = [pa.array([snapshot_id] * n, pa.string())]
        if with_row_id:
            lead.append(pa.array(range(start, start + n), pa.int64()))
        start += n
        table = pa.Table.from_arrays(lead + list(batch.columns), names=[f"c{i}" for i in range(len(lead) + batch.num_columns)])
        sink = pa.BufferOutputStream()
        pcsv.write_csv(table, sink, write_options=pcsv.WriteOptions(include_header=False, quoting_style="needed"))
        yield sink.getvalue().to_pybytes()


@register_repository(SnapshotRepository)
class SqlSnapshotRepository(SnapshotRepository):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @property
    def _sqlite(self) -> bool:
        return self.conn.dialect.name == "sqlite"

    def next_version(self, portfolio_id: str, cutoff: Any) -> int:
        current = self.conn.execute(
            select(func.max(t.snapshots.c.version)).where(
                t.snapshots.c.portfolio_id == portfolio_id, t.snapshots.c.cutoff_date == cutoff)
        ).scalar()
        return int(current or 0) + 1

    def find_by_content(self, portfolio_id: str, content_sha256: str) -> str | None:
        return self.conn.execute(
            select(t.snapshots.c.snapshot_id).where(
                t.snapshots.c.portfolio_id == portfolio_id, t.snapshots.c.content_sha256 == content_sha256)
            .order_by(t.snapshots.c.version.desc()).limit(1)
        ).scalar()

    def save_portfolio(self, portfolio: Portfolio) -> None:
        values = {"name": portfolio.name, "seller": portfolio.seller, "currency": portfolio.currency}
        exists = self.conn.execute(select(t.portfolios.c.portfolio_id).where(
            t.portfolios.c.portfolio_id == portfolio.portfolio_id)).first()
        if exists:
            self.conn.execute(t.portfolios.update().where(
                t.portfolios.c.portfolio_id == portfolio.portfolio_id).values(**values))
        else:
            self.conn.execute(insert(t.portfolios).values(portfolio_id=portfolio.portfolio_id, **values))

    def add_snapshot(self, snapshot: Snapshot, content_sha256: str) -> None:
        self.conn.execute(insert(t.snapshots).values(
            snapshot_id=snapshot.snapshot_id, portfolio_id=snapshot.portfolio_id,
            cutoff_date=snapshot.cutoff_date, version=snapshot.version, reporting_date=snapshot.reporting_date,
            source=snapshot.source, content_sha256=content_sha256,
            imported_at=snapshot.imported_at or datetime.now(UTC), counts=dict(snapshot.counts)))

    def add_tables(self, snapshot_id: str, tables: Mapping[str, Any]) -> dict[str, int]:
        big = sorted((name for name, data in tables.items() if data.num_rows >= STAGING_MIN_ROWS),
                     key=lambda name: -tables[name].num_rows)[:datahub_bulk.MAX_STAGED_FILES]
        staged = {name: data for name, data in tables.items() if name in big} \
            if self._sqlite and datahub_bulk.available() else {}
        if staged:
            datahub_bulk.copy_tables(self.conn, snapshot_id, staged, _ROW_ID_TABLES)
        for name, data in tables.items():
            if name not in staged:
                self.add_rows(snapshot_id, name, data)
        return {name: int(data.num_rows) for name, data in tables.items()}

    def add_rows(self, snapshot_id: str, table: str, data: Any) -> int:
        if data.num_rows == 0:
            return 0
        names = list(data.column_names)
        with_row_id = table in _ROW_ID_TABLES
        columns = ["snapshot_id"] + (["row_id"] if with_row_id else []) + names
        column_sql = ", ".join(_quote(c) for c in columns)
        driver = self.conn.connection.driver_connection
        if self._sqlite:
            # a large page cache keeps the primary-key B-trees in memory during the bulk insert
            driver.execute("PRAGMA cache_size=-262144")  # type: ignore[union-attr]
            driver.execute("PRAGMA temp_store=MEMORY")  # type: ignore[union-attr]
            sql = f"INSERT INTO {_quote(table)} ({column_sql}) VALUES ({', '.join('?' * len(columns))})"
            cursor = driver.cursor()  # type: ignore[union-attr]
            try:
                for rows in self._batches(snapshot_id, data, with_row_id):
                    cursor.executemany(sql, rows)
            finally:
                cursor.close()
        else:
            # COPY in CSV format, the CSV written by Arrow in C: an empty unquoted field is NULL
            # (validated text is never empty), dates ISO, flags true/false, numbers as decimals.
            with driver.cursor() as cursor:  # type: ignore[union-attr]
                with cursor.copy(f"COPY {_quote(table)} ({column_sql}) FROM STDIN WITH (FORMAT csv)") as copy:
                    for chunk in _csv_chunks(snapshot_id, data, with_row_id):
                        copy.write(chunk)
        return int(data.num_rows)

    def _batches(self, snapshot_id: str, data: pa.Table, with_row_id: bool) -> Iterator[Iterator[tuple[Any, ...]]]:
        start = 1
        for batch in data.to_batches(max_chunksize=BATCH_ROWS):
            columns = _python_columns(batch, self._sqlite)
            n = batch.num_rows
            lead: list[Any] = [itertools.repeat(snapshot_id, n)]
            if with_row_id:
                lead.append(range(start, start + n))
            start += n
            yield zip(*lead, *columns)

    def add_issues(self, snapshot_id: str, issues: Sequence[TapeIssue]) -> None:
        if not issues:
            return
        self.conn.execute(insert(t.import_issues), [
            {"snapshot_id": snapshot_id, "severity": i.severity, "code": i.code, "table_name": i.table,
             "row_number": i.row, "column_name": i.column, "value": i.value, "message": i.message}
            for i in issues])

    def get(self, snapshot_id: str) -> Snapshot | None:
        row = self.conn.execute(select(t.snapshots).where(t.snapshots.c.snapshot_id == snapshot_id)).mappings().first()
        return _snapshot(row) if row else None

    def portfolio(self, portfolio_id: str) -> Portfolio | None:
        row = self.conn.execute(select(t.portfolios).where(
            t.portfolios.c.portfolio_id == portfolio_id)).mappings().first()
        if row is None:
            return None
        return Portfolio(portfolio_id=row["portfolio_id"], name=row["name"], seller=row["seller"],
                         currency=row["currency"])

    def list_snapshots(self, portfolio_id: str | None = None) -> list[Snapshot]:
        query = select(t.snapshots).order_by(t.snapshots.c.portfolio_id, t.snapshots.c.cutoff_date,
                                             t.snapshots.c.version)
        if portfolio_id:
            query = query.where(t.snapshots.c.portfolio_id == portfolio_id)
        return [_snapshot(row) for row in self.conn.execute(query).mappings()]

    def issues(self, snapshot_id: str) -> list[TapeIssue]:
        rows = self.conn.execute(select(t.import_issues).where(t.import_issues.c.snapshot_id == snapshot_id)
                                 .order_by(t.import_issues.c.id)).mappings()
        return [TapeIssue(r["table_name"], r["row_number"], r["column_name"], r["value"], r["code"], r["message"],
                          r["severity"]) for r in rows]

    def loan_breakdown(self, snapshot_id: str, by: str) -> list[tuple[str | None, int, Any]]:
        loans, cps = t.loans, t.counterparties
        key: Any
        if by in ("reported_class", "product", "currency"):
            key = loans.c[by]
            source: Any = loans
        elif by in ("region", "industry"):
            key = func.substr(cps.c.region, 1, 2) if by == "region" else cps.c.industry
            source = loans.outerjoin(cps, (cps.c.snapshot_id == loans.c.snapshot_id)
                                     & (cps.c.counterparty_id == loans.c.counterparty_id))
        else:
            raise ValueError(f"cannot break loans down by {by!r}")
        query = (select(key.label("k"), func.count().label("n"), func.sum(loans.c.outstanding_principal).label("b"))
                 .select_from(source).where(loans.c.snapshot_id == snapshot_id).group_by(key).order_by(key))
        return [(row.k, int(row.n), Decimal(str(row.b or 0))) for row in self.conn.execute(query)]


def _snapshot(row: Any) -> Snapshot:
    imported = row["imported_at"]
    return Snapshot(snapshot_id=row["snapshot_id"], portfolio_id=row["portfolio_id"], cutoff_date=row["cutoff_date"],
                    version=row["version"], reporting_date=row["reporting_date"], source=row["source"],
                    imported_at=imported, counts=dict(row["counts"] or {}))


@register_repository(SnapshotReader)
class SqlSnapshotReader(SnapshotReader):
    """Frames per tape table: canonical codes, money as float64, dates as datetime64[ns], nullable
    integers as Int64, flags as boolean; ordered by the table's key (or input order)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def latest_snapshot_id(self, portfolio_id: str | None = None) -> str | None:
        query = select(t.snapshots.c.snapshot_id).order_by(
            t.snapshots.c.imported_at.desc(), t.snapshots.c.cutoff_date.desc(), t.snapshots.c.version.desc()).limit(1)
        if portfolio_id:
            query = query.where(t.snapshots.c.portfolio_id == portfolio_id)
        return self.conn.execute(query).scalar()

    def frames(self, snapshot_id: str, tables: Sequence[str]) -> dict[str, Any]:
        return {name: self.frame(snapshot_id, name) for name in tables}

    def frame(self, snapshot_id: str, name: str) -> pd.DataFrame:
        """One tape table of a snapshot. Numbers and dates are cast in SQL (to double precision and
        ISO text) and converted column-wise, so no Decimal or date object is built per value: the
        frames are for analytics, the domain keeps Decimal."""
        spec = TABLES[name]
        table = t.TAPE_TABLES[name]
        order = [table.c.row_id] if name in _ROW_ID_TABLES else [table.c[k] for k in spec.key]
        columns = [_raw_column(table.c[f.name], f.kind) for f in spec.fields]
        query = select(*columns).where(table.c.snapshot_id == snapshot_id).order_by(*order)
        rows = self.conn.execute(query).all()
        raw: list[Any] = list(zip(*rows)) if rows else [[] for _ in spec.fields]
        data: dict[str, Any] = {}
        for f, values in zip(spec.fields, raw):
            data[f.name] = _typed_series(f.kind, values)
        return pd.DataFrame(data)


def _raw_column(column: Any, kind: str) -> Any:
    if kind in ("money", "number", "rate"):
        return cast(column, Float).label(column.name)
    if kind == "date":
        return cast(column, String).label(column.name)
    return column


def _typed_series(kind: str, values: Sequence[Any]) -> pd.Series:
    if kind in ("money", "number", "rate"):
        return pd.Series(pd.array(values, dtype="Float64")).astype("float64")
    if kind == "date":
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), format="%Y-%m-%d"), dtype="datetime64[ns]")
    if kind == "int":
        return pd.Series(values, dtype="Int64")
    if kind == "bool":
        return pd.Series([None if v is None else bool(v) for v in values], dtype="boolean")
    return pd.Series(values, dtype=object)
