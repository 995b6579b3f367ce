"""Audit ledger tables: entries (the leaves), interior nodes, the head, signed checkpoints.

All of them are append-only except `ledger_head`, the single row (id 1) that holds the current
tree size and frontier (every sequencing locks it: a row lock on PostgreSQL, the write lock on
SQLite), and `ledger_queue`, where committed events wait, briefly, for their leaf index.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
)

from nplhub.storage.tables.base import metadata

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("frontier", LargeBinary, nullable=False),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    # on SQLite an INTEGER PRIMARY KEY is the rowid itself: one B-tree per insert instead of two
    Column("leaf_index", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False),
    Column("event_type", String(120), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("entry", LargeBinary, nullable=False),  # RFC 8785 bytes: the leaf's data
    Column("leaf_hash", LargeBinary(32), nullable=False),
)

ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("node_index", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,  # clustered on (level, node_index)
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("checkpoint_id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("origin", String(200), nullable=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("key_hash", String(8), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False),
)

# Events committed by units of work and not yet given a leaf index: each unit of work inserts here
# without any lock (so concurrent writers do not queue behind one another's commits); whoever holds the
# head lock next moves them, in queue order, into the tree (see nplhub.storage.ledger).
ledger_queue = Table(
    "ledger_queue",
    metadata,
    Column("queue_id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("event_type", String(120), nullable=False),
    Column("recorded_at", String(32), nullable=False),  # the entry's timestamp text, as it will be signed
    Column("record", LargeBinary, nullable=False),  # RFC 8785 bytes of the event record
)
