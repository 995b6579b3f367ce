"""The audit ledger in SQL: the repository and the audit sink every unit of work appends through.

An append, inside the caller's transaction:
1. `UPDATE ledger_head SET tree_size = tree_size + k ... RETURNING` locks the head row (row lock on
   PostgreSQL; on SQLite the statement takes the database write lock), so concurrent appends queue
   here and each sees the size and frontier its predecessor committed;
2. the entries are canonicalised with their leaf indices and inserted (one executemany);
3. the interior nodes they complete are inserted (amortised one per entry);
4. the new frontier is written back to the head.
Nothing is updated in place but the head; the root is never stored per append, it is the fold of
the frontier (O(log n) hashes) when somebody asks for it.

On SQLite, a unit of work that *reads* before it writes should be opened with `immediate=True`, or
a concurrent commit between its first read and the ledger's write makes SQLite refuse the upgrade
to a write lock ("database is locked"): that is SQLite's snapshot rule, not the ledger's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from nplhub.domain.events import DomainEvent
from nplhub.ledger.canonical import entry_bytes, timestamp
from nplhub.ledger.log import Frontier, NodeId
from nplhub.ledger.merkle import leaf_hash
from nplhub.services.ledger_ports import LedgerRepository, StoredCheckpoint, StoredEntry
from nplhub.services.ports import AuditSink
from nplhub.storage.tables.ledger import ledger_checkpoints, ledger_entries, ledger_head, ledger_nodes
from nplhub.storage.unit_of_work import register_audit_sink, register_repository

_STREAM_BATCH = 5000


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@register_repository(LedgerRepository)
class SqlLedgerRepository(LedgerRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    # -- appending -------------------------------------------------------------------------
    def _reserve(self, count: int) -> Frontier:
        """Lock the head and move its size on by `count`; returns the frontier before the move."""
        row = self.conn.execute(
            update(ledger_head)
            .where(ledger_head.c.id == 1)
            .values(tree_size=ledger_head.c.tree_size + count)
            .returning(ledger_head.c.tree_size, ledger_head.c.frontier)
        ).one_or_none()
        if row is None:
            raise RuntimeError("the ledger head row is missing: run the migrations (nplhub db upgrade)")
        return Frontier.from_bytes(int(row.tree_size) - count, bytes(row.frontier))

    def _placeholders(self, count: int) -> str:
        mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        return ", ".join([mark] * count)

    def _store(self, frontier: Frontier, leaves: list[tuple[str, bytes, bytes]], moment: datetime) -> Frontier:
        """Insert entries (event type, bytes, leaf hash) from leaf index `frontier.size` on, their nodes and
        the new frontier. Bulk inserts go to the driver's executemany as tuples: this is the hot path of
        every unit of work and of bulk imports, and SQLAlchemy's per-row processing would triple its cost."""
        new_frontier, nodes = frontier.append(h for _, _, h in leaves)
        dialect = self.conn.dialect
        process = ledger_entries.c.recorded_at.type.dialect_impl(dialect).bind_processor(dialect)
        stamp = process(moment) if process else moment
        base = frontier.size
        self.conn.exec_driver_sql(
            "INSERT INTO ledger_entries (leaf_index, event_type, recorded_at, entry, leaf_hash) "
            f"VALUES ({self._placeholders(5)})",
            [(base + i, kind, stamp, data, digest) for i, (kind, data, digest) in enumerate(leaves)])
        if nodes:
            self.conn.exec_driver_sql(
                f"INSERT INTO ledger_nodes (level, node_index, hash) VALUES ({self._placeholders(3)})", nodes)
        self.conn.execute(update(ledger_head).where(ledger_head.c.id == 1)
                          .values(frontier=new_frontier.to_bytes()))
        return new_frontier

    def append(self, records: Sequence[Mapping[str, Any]], recorded_at: datetime | None = None) -> list[int]:
        if not records:
            return []
        moment = recorded_at or datetime.now(UTC)
        stamp = timestamp(moment)
        frontier = self._reserve(len(records))
        leaves = []
        for offset, record in enumerate(records):
            data = entry_bytes(frontier.size + offset, stamp, record)
            leaves.append((str(record.get("type", "event"))[:120], data, leaf_hash(data)))
        self._store(frontier, leaves, moment)
        return [frontier.size + offset for offset in range(len(records))]

    def append_leaves(self, leaves: Iterable[tuple[str, bytes]], recorded_at: datetime | None = None) -> int:
        items = [(kind, data, leaf_hash(data)) for kind, data in leaves]
        if not items:
            return self.head().size
        frontier = self._reserve(len(items))
        return self._store(frontier, items, recorded_at or datetime.now(UTC)).size

    # -- reading ---------------------------------------------------------------------------
    def head(self, *, lock: bool = False) -> Frontier:
        if lock:
            return self._reserve(0)
        row = self.conn.execute(select(ledger_head.c.tree_size, ledger_head.c.frontier)
                                .where(ledger_head.c.id == 1)).one_or_none()
        if row is None:
            raise RuntimeError("the ledger head row is missing: run the migrations (nplhub db upgrade)")
        return Frontier.from_bytes(int(row.tree_size), bytes(row.frontier))

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
        rows = self.conn.exec_driver_sql(" UNION ALL ".join(parts), tuple(params)).all()
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
        self.repository.append([event.to_record() for event in events])


@register_audit_sink
def ledger_audit_sink(connection: Connection) -> AuditSink:
    return LedgerAuditSink(connection)
