"""The audit ledger in SQL: the repository and the audit sink every unit of work appends through.

Giving entries their leaf indices needs one writer at a time: whoever *sequences* locks the single
`ledger_head` row (row lock on PostgreSQL; on SQLite the write lock of the database), reads the tree
size and frontier, canonicalises the entries with their indices, inserts them and the interior nodes
they complete (amortised one per entry: O(1) node writes per append), and writes the new size and
frontier back. Nothing else is ever updated in place; the root is not stored per append, it is the
fold of the frontier (O(log n) hashes) when somebody asks for it.

How a unit of work's events get there, in its own transaction (no change without its entry):

* SQLite: writers are serialised by the database anyway, so the sink sequences directly.
* PostgreSQL: holding the head lock through a commit would serialise every transaction behind the
  previous one's WAL flush (a few ms each), capping all writers at a few hundred commits a second.
  So the sink takes the head only *if it is free* (`FOR UPDATE SKIP LOCKED`): then it sequences
  whatever is queued and appends its own events; if another transaction holds the head, it inserts
  its events into `ledger_queue` instead (no lock, so concurrent commits share their flushes). What a
  busy moment leaves queued is sequenced by the next unit of work that finds the head free, and
  always before a root, proof, checkpoint or verification is produced (`sequence(wait=True)`).

On SQLite, a unit of work that *reads* before it writes should be opened with `immediate=True`, or
a concurrent commit between its first read and the ledger's write makes SQLite refuse the upgrade
to a write lock ("database is locked"): that is SQLite's snapshot rule, not the ledger's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select

from nplhub.domain.events import DomainEvent
from nplhub.ledger.canonical import entry_from_record, record_bytes, timestamp
from nplhub.ledger.log import Frontier, NodeId
from nplhub.ledger.merkle import leaf_hash
from nplhub.services.ledger_ports import LedgerRepository, StoredCheckpoint, StoredEntry
from nplhub.services.ports import AuditSink
from nplhub.storage.tables.ledger import ledger_checkpoints, ledger_entries, ledger_nodes
from nplhub.storage.unit_of_work import register_audit_sink, register_repository

_STREAM_BATCH = 5000
_SEQUENCE_BATCH = 50_000


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@register_repository(LedgerRepository)
class SqlLedgerRepository(LedgerRepository):
    """Hot paths speak SQL to the driver's cursor directly, inside the unit of work's transaction: they run
    in every unit of work, and SQLAlchemy's per-statement machinery would cost more than the work itself."""

    def __init__(self, connection: Connection) -> None:
        self.conn = connection
        self.postgres = connection.dialect.name == "postgresql"
        self._mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        dialect = connection.dialect
        self._datetime = ledger_entries.c.recorded_at.type.dialect_impl(dialect).bind_processor(dialect)
        self._cursor: Any = None

    def _cursor_in_transaction(self) -> Any:
        if not self.conn.in_transaction():  # the raw cursor does not trigger SQLAlchemy's autobegin
            self.conn.begin()
        if self._cursor is None:
            self._cursor = self.conn.connection.cursor()
        return self._cursor

    def _run(self, statement: str, params: Any = None) -> Any:
        """Execute on the driver's cursor of this connection, inside its (the unit of work's) transaction."""
        self._cursor_in_transaction()
        if params is None:
            self._cursor.execute(statement)
        else:
            self._cursor.execute(statement, params)
        return self._cursor

    def _run_many(self, statement: str, rows: Sequence[Any]) -> None:
        if len(rows) == 1:
            self._run(statement, rows[0])
        elif rows:
            self._cursor_in_transaction().executemany(statement, rows)

    def _sql(self, statement: str) -> str:
        return statement if self._mark == "?" else statement.replace("?", self._mark)

    # -- sequencing ------------------------------------------------------------------------
    def _lock_head(self, *, wait: bool) -> Frontier | None:
        """Lock the head row; None if `wait` is false and another transaction holds it (PostgreSQL)."""
        if self.postgres:
            statement = "SELECT tree_size, frontier FROM ledger_head WHERE id = 1 FOR UPDATE"
            row = self._run(statement + ("" if wait else " SKIP LOCKED")).fetchone()
        else:  # a write takes SQLite's database write lock (a writing transaction holds it already)
            row = self._run("UPDATE ledger_head SET tree_size = tree_size WHERE id = 1 "
                            "RETURNING tree_size, frontier").fetchone()
        if row is None:
            if not wait:
                return None
            raise RuntimeError("the ledger head row is missing: run the migrations (nplhub db upgrade)")
        return Frontier.from_bytes(int(row[0]), bytes(row[1]))

    def _stamp_value(self, stamp: str, cache: dict[str, Any]) -> Any:
        value = cache.get(stamp)
        if value is None:
            moment = datetime.fromisoformat(stamp)  # "...Z" is UTC
            value = cache[stamp] = self._datetime(moment) if self._datetime else moment
        return value

    def _store(self, frontier: Frontier, leaves: list[tuple[str, str, bytes, bytes]]) -> Frontier:
        """Insert entries (event type, timestamp text, bytes, leaf hash) from leaf index `frontier.size`
        on, the interior nodes they complete, and the new head."""
        new_frontier, nodes = frontier.append(leaf[3] for leaf in leaves)
        base, stamps = frontier.size, dict[str, Any]()
        rows = [(base + i, kind, self._stamp_value(stamp, stamps), data, digest)
                for i, (kind, stamp, data, digest) in enumerate(leaves)]
        insert_entry = self._sql("INSERT INTO ledger_entries (leaf_index, event_type, recorded_at, entry, "
                                 "leaf_hash) VALUES (?, ?, ?, ?, ?)")
        insert_node = self._sql("INSERT INTO ledger_nodes (level, node_index, hash) VALUES (?, ?, ?)")
        self._run_many(insert_entry, rows)
        self._run_many(insert_node, nodes)
        self._run(self._sql("UPDATE ledger_head SET tree_size = ?, frontier = ? WHERE id = 1"),
                  (new_frontier.size, new_frontier.to_bytes()))
        return new_frontier

    def _entries_for(self, frontier: Frontier, records: Sequence[Mapping[str, Any]],
                     stamp: str) -> list[tuple[str, str, bytes, bytes]]:
        leaves = []
        for offset, record in enumerate(records):
            data = entry_from_record(frontier.size + offset, stamp, record_bytes(record))
            leaves.append((str(record.get("type", "event"))[:120], stamp, data, leaf_hash(data)))
        return leaves

    def enqueue(self, records: Sequence[Mapping[str, Any]], recorded_at: datetime | None = None) -> None:
        if not records:
            return
        stamp = timestamp(recorded_at)
        rows = [(str(r.get("type", "event"))[:120], stamp, record_bytes(r)) for r in records]
        statement = self._sql("INSERT INTO ledger_queue (event_type, recorded_at, record) VALUES (?, ?, ?)")
        self._run_many(statement, rows)

    def sequence(self, *, wait: bool = True) -> int:
        if self._run("SELECT 1 FROM ledger_queue LIMIT 1").fetchone() is None:
            return 0  # nothing queued: readers need not take the head (nor SQLite's write lock)
        frontier = self._lock_head(wait=wait)
        if frontier is None:
            return 0
        return self._drain(frontier)[1]

    def _drain(self, frontier: Frontier) -> tuple[Frontier, int]:
        """With the head locked: move every visible queued record into the tree, in queue order."""
        done = 0
        while True:
            rows = self._run("SELECT queue_id, event_type, recorded_at, record FROM ledger_queue "
                             f"ORDER BY queue_id LIMIT {_SEQUENCE_BATCH}").fetchall()
            if not rows:
                return frontier, done
            leaves = []
            for offset, (_, kind, stamp, record) in enumerate(rows):
                data = entry_from_record(frontier.size + offset, stamp, bytes(record))
                leaves.append((kind, stamp, data, leaf_hash(data)))
            frontier = self._store(frontier, leaves)
            ids = [int(r[0]) for r in rows]
            if self.postgres:  # exactly the rows read: others may have committed lower ids meanwhile
                self._run("DELETE FROM ledger_queue WHERE queue_id = ANY(%s)", (ids,))
            else:  # SQLite: we hold the write lock, nobody can have committed in between
                self._run("DELETE FROM ledger_queue WHERE queue_id BETWEEN ? AND ?", (ids[0], ids[-1]))
            done += len(rows)
            if len(rows) < _SEQUENCE_BATCH:
                return frontier, done

    def append_or_enqueue(self, records: Sequence[Mapping[str, Any]]) -> bool:
        """Append now if the head is free (after whatever is queued), else queue; True if appended."""
        frontier = self._lock_head(wait=False)
        if frontier is None:
            self.enqueue(records)
            return False
        frontier, _ = self._drain(frontier)
        self._store(frontier, self._entries_for(frontier, records, timestamp()))
        return True

    def queued(self) -> int:
        return int(self._run("SELECT COUNT(*) FROM ledger_queue").fetchone()[0])

    def append(self, records: Sequence[Mapping[str, Any]], recorded_at: datetime | None = None) -> int:
        if not records:
            return self.head().size
        frontier = self._lock_head(wait=True)
        assert frontier is not None
        leaves = self._entries_for(frontier, records, timestamp(recorded_at))
        return self._store(frontier, leaves).size

    def append_leaves(self, leaves: Iterable[tuple[str, bytes]], recorded_at: datetime | None = None) -> int:
        stamp = timestamp(recorded_at)
        items = [(kind, stamp, data, leaf_hash(data)) for kind, data in leaves]
        frontier = self._lock_head(wait=True)
        assert frontier is not None
        return self._store(frontier, items).size if items else frontier.size

    # -- reading ---------------------------------------------------------------------------
    def head(self, *, lock: bool = False) -> Frontier:
        if lock:
            frontier = self._lock_head(wait=True)
            assert frontier is not None
            return frontier
        row = self._run("SELECT tree_size, frontier FROM ledger_head WHERE id = 1").fetchone()
        if row is None:
            raise RuntimeError("the ledger head row is missing: run the migrations (nplhub db upgrade)")
        return Frontier.from_bytes(int(row[0]), bytes(row[1]))

    def nodes(self, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """One round trip for the O(log n) hashes of a proof (leaf hashes from the entries, the rest from
        the node table), as plain SQL so that no statement is compiled per proof."""
        wanted = set(ids)
        if not wanted:
            return {}
        leaves = [ix for lv, ix in wanted if lv == 0]
        inner = [(lv, ix) for lv, ix in wanted if lv > 0]
        mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        parts: list[str] = []
        params: list[int] = []
        if leaves:
            parts.append("SELECT 0, leaf_index, leaf_hash FROM ledger_entries "
                         f"WHERE leaf_index IN ({', '.join([mark] * len(leaves))})")
            params.extend(leaves)
        if inner:
            pairs = " OR ".join([f"(level = {mark} AND node_index = {mark})"] * len(inner))
            parts.append(f"SELECT level, node_index, hash FROM ledger_nodes WHERE {pairs}")
            params.extend(v for pair in inner for v in pair)
        rows = self._run(" UNION ALL ".join(parts), tuple(params)).fetchall()
        found = {(int(lv), int(ix)): bytes(h) for lv, ix, h in rows}
        missing = wanted - found.keys()
        if missing:
            raise LookupError(f"ledger nodes missing from the database: {sorted(missing)[:5]}")
        return found

    @staticmethod
    def _entry(row: Any) -> StoredEntry:
        return StoredEntry(int(row.leaf_index), row.event_type, _aware(row.recorded_at), bytes(row.entry),
                           bytes(row.leaf_hash))

    def entry(self, leaf_index: int) -> StoredEntry | None:
        row = self.conn.execute(select(ledger_entries).where(ledger_entries.c.leaf_index == leaf_index)).first()
        return None if row is None else self._entry(row)

    def iter_entries(self) -> Iterator[StoredEntry]:
        after = -1
        while True:
            rows = self.conn.execute(select(ledger_entries).where(ledger_entries.c.leaf_index > after)
                                     .order_by(ledger_entries.c.leaf_index).limit(_STREAM_BATCH)).all()
            for row in rows:
                yield self._entry(row)
            if len(rows) < _STREAM_BATCH:
                return
            after = int(rows[-1].leaf_index)

    def iter_nodes(self) -> Iterator[tuple[int, int, bytes]]:
        after = (0, -1)
        while True:
            rows = self.conn.execute(
                select(ledger_nodes)
                .where(or_(ledger_nodes.c.level > after[0],
                           and_(ledger_nodes.c.level == after[0], ledger_nodes.c.node_index > after[1])))
                .order_by(ledger_nodes.c.level, ledger_nodes.c.node_index).limit(_STREAM_BATCH)).all()
            for row in rows:
                yield int(row.level), int(row.node_index), bytes(row.hash)
            if len(rows) < _STREAM_BATCH:
                return
            after = (int(rows[-1].level), int(rows[-1].node_index))

    # -- checkpoints -----------------------------------------------------------------------
    @staticmethod
    def _checkpoint(row: Any) -> StoredCheckpoint:
        return StoredCheckpoint(int(row.checkpoint_id), row.origin, int(row.tree_size), bytes(row.root_hash),
                                row.key_hash, _aware(row.signed_at), row.note)

    def latest_checkpoint(self, origin: str | None = None) -> StoredCheckpoint | None:
        query = select(ledger_checkpoints)
        if origin is not None:
            query = query.where(ledger_checkpoints.c.origin == origin)
        row = self.conn.execute(query.order_by(ledger_checkpoints.c.tree_size.desc(),
                                               ledger_checkpoints.c.checkpoint_id.desc()).limit(1)).first()
        return None if row is None else self._checkpoint(row)

    def checkpoint_at(self, tree_size: int, origin: str) -> StoredCheckpoint | None:
        row = self.conn.execute(select(ledger_checkpoints)
                                .where(ledger_checkpoints.c.tree_size == tree_size, ledger_checkpoints.c.origin == origin)
                                .order_by(ledger_checkpoints.c.checkpoint_id.desc()).limit(1)).first()
        return None if row is None else self._checkpoint(row)

    def checkpoints(self) -> list[StoredCheckpoint]:
        rows = self.conn.execute(select(ledger_checkpoints).order_by(ledger_checkpoints.c.checkpoint_id))
        return [self._checkpoint(r) for r in rows]

    def add_checkpoint(self, origin: str, tree_size: int, root_hash: bytes, key_hash: str,
                       signed_at: datetime, note: str) -> int:
        result = self.conn.execute(insert(ledger_checkpoints).values(
            origin=origin, tree_size=tree_size, root_hash=root_hash, key_hash=key_hash,
            signed_at=signed_at, note=note).returning(ledger_checkpoints.c.checkpoint_id))
        return int(result.scalar_one())


class LedgerAuditSink(AuditSink):
    """Appends a unit of work's events to the ledger inside its transaction."""

    def __init__(self, connection: Connection) -> None:
        self.repository = SqlLedgerRepository(connection)

    def append(self, events: Sequence[DomainEvent]) -> None:
        records = [event.to_record() for event in events]
        if self.repository.postgres:
            self.repository.append_or_enqueue(records)
        else:
            self.repository.append(records)


@register_audit_sink
def ledger_audit_sink(connection: Connection) -> AuditSink:
    return LedgerAuditSink(connection)
