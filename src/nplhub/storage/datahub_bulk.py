"""Bulk load of validated Arrow tables into SQLite through a staging file.

Python's sqlite3 `executemany` binds every value from Python objects; for a million-loan tape that
binding is most of the import. Here each Arrow table is written in C by the ADBC SQLite driver into
a throwaway staging file (no indexes, one transaction), which the unit of work's own connection then
ATTACHes and copies with one `INSERT ... SELECT`, inside the import's transaction: the
main database still changes all at once or not at all. The staging database is detached and
deleted when the connection goes back to the pool (SQLite cannot DETACH inside the transaction
that read from it).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
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
        if alias:  # the connection may already be closed; the staging files go anyway
            with contextlib.suppress(Exception):
                dbapi_connection.execute(f"DETACH DATABASE {alias}")
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def _register(conn: Connection) -> None:
    pool = conn.engine.pool
    if id(pool) not in _REGISTERED:
        event.listen(pool, "checkin", _detach_on_checkin)
        _REGISTERED.add(id(pool))


MAX_STAGED_TABLES = 8  # each staged table is its own attached file; SQLite attaches at most 10


def _ingest(path: Path, name: str, data: pa.Table) -> None:
    import adbc_driver_sqlite.dbapi as adbc

    columns = [pc.cast(c, pa.string()) if pa.types.is_date32(c.type) else c for c in data.columns]
    with adbc.connect(str(path)) as staging:
        with staging.cursor() as cursor:
            cursor.adbc_ingest(name, pa.table(columns, names=data.column_names), mode="create")
        staging.commit()


def copy_tables(conn: Connection, snapshot_id: str, tables: dict[str, pa.Table], row_id_tables: tuple[str, ...]) -> None:
    """Stage each table with ADBC into its own file and copy it into the main database on `conn`.

    A worker thread stages table k+1 while this thread copies table k (ADBC and sqlite3 both
    release the GIL while SQLite works), so the two halves of the load overlap on two cores.
    """
    if len(tables) > MAX_STAGED_TABLES:
        raise ValueError(f"at most {MAX_STAGED_TABLES} tables can be staged at once")
    _register(conn)
    folder = Path(tempfile.mkdtemp(prefix="nplhub-stage-"))
    staged: list[tuple[str, str]] = conn.info.setdefault(_INFO_KEY, [])  # type: ignore[assignment]
    names = list(tables)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nplhub-stage") as pool:
        futures = {name: pool.submit(_ingest, folder / f"{i}.sqlite", name, tables[name])
                   for i, name in enumerate(names)}
        try:
            for i, name in enumerate(names):
                futures[name].result()
                alias = f"nplhub_stage_{uuid.uuid4().hex[:12]}"
                conn.exec_driver_sql(f"ATTACH DATABASE '{(folder / f'{i}.sqlite').as_posix()}' AS {alias}")
                staged.append((alias, ""))
                data = tables[name]
                columns = ", ".join(f'"{n}"' for n in data.column_names)
                with_row_id = name in row_id_tables
                target = "snapshot_id, row_id, " + columns if with_row_id else "snapshot_id, " + columns
                source = "?, rowid, " + columns if with_row_id else "?, " + columns
                conn.exec_driver_sql(
                    f'INSERT INTO main."{name}" ({target}) SELECT {source} FROM {alias}."{name}" ORDER BY rowid',
                    (snapshot_id,))
        finally:
            for future in futures.values():
                future.cancel()
            staged.append(("", str(folder)))
