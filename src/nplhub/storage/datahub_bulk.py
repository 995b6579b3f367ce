"""Bulk load of validated Arrow tables into SQLite through a staging file.

Python's sqlite3 `executemany` binds every value from Python objects; for a million-loan tape that
binding is most of the import. Here each Arrow table is written in C by the ADBC SQLite driver into
a throwaway staging file (no indexes, one transaction), which the unit of work's own connection then
ATTACHes and copies with one `INSERT ... SELECT`, inside the import's transaction: the
main database still changes all at once or not at all. The staging database is detached and
deleted when the connection goes back to the pool (SQLite cannot DETACH inside the transaction
that read from it).

The tables are cut into up to eight pieces, one staging file each (SQLite attaches at most ten
databases), so that staging piece k+1 on a worker thread overlaps copying piece k; on a
1,000,000-loan tape this hides all but the first piece's staging behind the copy. While it copies,
the importing connection's page cache is raised to 256 MiB (restored when the connection goes
back to the pool), so the key B-trees stay in memory.
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
_CACHE_KEY = "nplhub_cache_size"
_REGISTERED: set[int] = set()


def available() -> bool:
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


def _detach_on_checkin(dbapi_connection: Any, record: Any) -> None:
    cache_size = record.info.pop(_CACHE_KEY, None)
    if cache_size is not None:
        with contextlib.suppress(Exception):
            dbapi_connection.execute(f"PRAGMA cache_size={int(cache_size)}")
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


MAX_STAGED_FILES = 8  # each staged piece is its own attached file; SQLite attaches at most 10
BULK_CACHE_KIB = 262_144  # page cache of the importing connection: the key B-trees stay in memory


def _ingest(path: Path, name: str, data: pa.Table) -> None:
    import adbc_driver_sqlite.dbapi as adbc

    columns = [pc.cast(c, pa.string()) if pa.types.is_date32(c.type) else c for c in data.columns]
    with adbc.connect(str(path)) as staging:
        with staging.cursor() as cursor:
            cursor.adbc_ingest(name, pa.table(columns, names=data.column_names), mode="create")
        staging.commit()


def _pieces(tables: dict[str, pa.Table]) -> list[tuple[str, int, pa.Table]]:
    """Cut the tables into at most MAX_STAGED_FILES pieces, in table order, each table into a share
    of the pieces proportional to its rows (at least one): staging piece k+1 then overlaps copying
    piece k, and only the first piece's staging is not hidden behind a copy."""
    shares = dict.fromkeys(tables, 1)
    for _ in range(MAX_STAGED_FILES - len(tables)):  # each spare file to the table with the biggest pieces
        name = max(tables, key=lambda n: tables[n].num_rows / shares[n])
        shares[name] += 1
    pieces: list[tuple[str, int, pa.Table]] = []
    for name, data in tables.items():
        size = -(-data.num_rows // shares[name]) or 1
        for offset in range(0, max(data.num_rows, 1), size):
            pieces.append((name, offset, data.slice(offset, size)))
    return pieces


def copy_tables(conn: Connection, snapshot_id: str, tables: dict[str, pa.Table], row_id_tables: tuple[str, ...]) -> None:
    """Stage each table with ADBC into throwaway files and copy them into the main database on `conn`.

    A worker thread stages piece k+1 while this thread copies piece k (ADBC and sqlite3 both
    release the GIL while SQLite works), so the two halves of the load overlap on two cores.
    """
    if len(tables) > MAX_STAGED_FILES:
        raise ValueError(f"at most {MAX_STAGED_FILES} tables can be staged at once")
    _register(conn)
    folder = Path(tempfile.mkdtemp(prefix="nplhub-stage-"))
    staged: list[tuple[str, str]] = conn.info.setdefault(_INFO_KEY, [])  # type: ignore[assignment]
    if _CACHE_KEY not in conn.info:
        conn.info[_CACHE_KEY] = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    pieces = _pieces(tables)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nplhub-stage") as pool:
        futures = [pool.submit(_ingest, folder / f"{i}.sqlite", name, data)
                   for i, (name, _offset, data) in enumerate(pieces)]
        try:
            for i, (name, offset, data) in enumerate(pieces):
                futures[i].result()
                alias = f"nplhub_stage_{uuid.uuid4().hex[:12]}"
                conn.exec_driver_sql(f"ATTACH DATABASE '{(folder / f'{i}.sqlite').as_posix()}' AS {alias}")
                staged.append((alias, ""))
                columns = ", ".join(f'"{n}"' for n in data.column_names)
                with_row_id = name in row_id_tables
                target = "snapshot_id, row_id, " + columns if with_row_id else "snapshot_id, " + columns
                source = f"?, rowid + {offset}, " + columns if with_row_id else "?, " + columns
                conn.exec_driver_sql(
                    f'INSERT INTO main."{name}" ({target}) SELECT {source} FROM {alias}."{name}" ORDER BY rowid',
                    (snapshot_id,))
        finally:
            for future in futures:
                future.cancel()
            staged.append(("", str(folder)))
