"""data hub: on SQLite, store the snapshot tables clustered on their primary key (WITHOUT ROWID)

Every snapshot table has a composite primary key beginning with `snapshot_id`. As an ordinary
SQLite table each row is written twice, once in the rowid B-tree and once in the primary-key
index; WITHOUT ROWID keeps one B-tree ordered by the key. On a 1,000,000-loan tape this removes
about a quarter of the database file and of the work of the bulk insert, and reads of one
snapshot become a range scan of one B-tree. PostgreSQL stores tables as heaps with separate
indexes anyway; there this revision changes nothing.

The rebuild follows SQLite's documented procedure for schema changes that ALTER TABLE cannot
make (https://www.sqlite.org/lang_altertable.html#otheralter): create the new table under a
temporary name, copy the rows, drop the old table, rename, recreate its indexes. The data is
kept; the migration runs inside Alembic's transaction.

Revision ID: 0002_datahub_clustered
Revises: 0001_datahub
"""

from alembic import op

revision = "0002_datahub_clustered"
down_revision = "0001_datahub"
branch_labels = None
depends_on = None

TABLES = ("counterparties", "loans", "collateral", "loan_collateral", "guarantees", "enforcement",
          "forbearance", "repayments", "loan_states", "disposals", "price_index")


def _rebuild(table: str, without_rowid: bool) -> None:
    conn = op.get_bind()
    create = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", (table,)).scalar()
    if create is None:
        return
    indexes = [sql for (sql,) in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,))]
    body = create[create.index("("):].rstrip()
    if body.upper().endswith("WITHOUT ROWID"):
        if without_rowid:
            return
        body = body[: -len("WITHOUT ROWID")].rstrip()
    elif not without_rowid:
        return
    temporary = f"_nplhub_rebuild_{table}"
    conn.exec_driver_sql(f'CREATE TABLE "{temporary}" {body}' + (" WITHOUT ROWID" if without_rowid else ""))
    conn.exec_driver_sql(f'INSERT INTO "{temporary}" SELECT * FROM "{table}"')
    conn.exec_driver_sql(f'DROP TABLE "{table}"')
    conn.exec_driver_sql(f'ALTER TABLE "{temporary}" RENAME TO "{table}"')
    for sql in indexes:
        conn.exec_driver_sql(sql)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _rebuild(table, without_rowid=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _rebuild(table, without_rowid=False)
