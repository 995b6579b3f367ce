"""Bulk load of validated Arrow tables into SQLite through a staging file.

Python's sqlite3 `executemany` binds every value from Python objects; for a million-loan tape that
binding is most of the import. Here the Arrow table is written in C by the ADBC SQLite driver into
a throwaway staging file (no indexes, one transaction), which the unit of work's own connection then
ATTACHes and copies with one `INSERT ... SELECT` per table, inside the import's transaction: the
main database still changes all at once or not at all. The staging database is detached and
deleted when the connection goes back to the pool (SQLite cannot DETACH inside the transaction
that read from it).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, event

_INFO_KEY = "nplhub_staging"
_REGISTERED: set[int] = set()


def available() -> bool:
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


def _detach_on_checkin(dbapi_connection: Any, record: Any) -> None:
    staged = record.info.pop(_INFO_KEY, None)
    if not staged:
        return
    for alias, folder in staged:
        # the connection may already be closed; the staging file goes anyway
        with contextlib.suppress(Exception):
            dbapi_connection.execute(f"DETACH DATABASE {alias}")
        shutil.rmtree(folder, ignore_errors=True)


def _register(conn: Connection) -> None:
    pool = conn.engine.pool
    if id(pool) not in _REGISTERED:
        event.listen(pool, "checkin", _detach_on_checkin)
        _REGISTERED.add(id(pool))


def copy_tables(conn: Connection, snapshot_id: str, tables: dict[str, pa.Table], row_id_tables: tuple[str, ...]) -> None:
    """Stage every table of `tables` with ADBC, then copy each into the main database on `conn`."""
    import adbc_driver_sqlite.dbapi as adbc

    _register(conn)
    folder = Path(tempfile.mkdtemp(prefix="nplhub-stage-"))
    path = folder / "stage.sqlite"
    try:
        with adbc.connect(str(path)) as staging:
            with staging.cursor() as cursor:
                for name, data in tables.items():
                    columns = [pc.cast(c, pa.string()) if pa.types.is_date32(c.type) else c for c in data.columns]
                    cursor.adbc_ingest(name, pa.table(columns, names=data.column_names), mode="create")
            staging.commit()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    alias = f"nplhub_stage_{uuid.uuid4().hex[:12]}"
    conn.exec_driver_sql(f"ATTACH DATABASE '{path.as_posix()}' AS {alias}")
    conn.info.setdefault(_INFO_KEY, []).append((alias, folder))
    for name, data in tables.items():
        names = ", ".join(f'"{n}"' for n in data.column_names)
        with_row_id = name in row_id_tables
        target = "snapshot_id, row_id, " + names if with_row_id else "snapshot_id, " + names
        source = "?, rowid, " + names if with_row_id else "?, " + names
        conn.exec_driver_sql(
            f'INSERT INTO main."{name}" ({target}) SELECT {source} FROM {alias}."{name}" ORDER BY rowid',
            (snapshot_id,))
