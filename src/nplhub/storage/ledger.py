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

from sqlalchemy import ColumnElement, Connection, and_, insert, or_, select, tuple_, update

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

    def _store(self, frontier: Frontier, rows: list[dict[str, Any]]) -> Frontier:
        new_frontier, nodes = frontier.append(r["leaf_hash"] for r in rows)
        self.conn.execute(insert(ledger_entries), rows)
        if nodes:
            self.conn.execute(insert(ledger_nodes),
                              [{"level": lv, "node_index": ix, "hash": h} for lv, ix, h in nodes])
        self.conn.execute(update(ledger_head).where(ledger_head.c.id == 1)
                          .values(frontier=new_frontier.to_bytes()))
        return new_frontier

    def append(self, records: Sequence[Mapping[str, Any]], recorded_at: datetime | None = None) -> list[int]:
        if not records:
            return []
        moment = recorded_at or datetime.now(UTC)
        stamp = timestamp(moment)
        frontier = self._reserve(len(records))
        rows = []
        for offset, record in enumerate(records):
            index = frontier.size + offset
            data = entry_bytes(index, stamp, record)
            rows.append({"leaf_index": index, "event_type": str(record.get("type", "event"))[:120],
                         "recorded_at": moment, "entry": data, "leaf_hash": leaf_hash(data)})
        self._store(frontier, rows)
        return [frontier.size + offset for offset in range(len(rows))]

    def append_leaves(self, leaves: Iterable[tuple[str, bytes]], recorded_at: datetime | None = None) -> int:
        items = list(leaves)
        if not items:
            return self.head().size
        moment = recorded_at or datetime.now(UTC)
        frontier = self._reserve(len(items))
        rows = [{"leaf_index": frontier.size + i, "event_type": kind, "recorded_at": moment,
                 "entry": data, "leaf_hash": leaf_hash(data)} for i, (kind, data) in enumerate(items)]
        return self._store(frontier, rows).size

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
        wanted = set(ids)
        found: dict[NodeId, bytes] = {}
        leaves = [ix for lv, ix in wanted if lv == 0]
        if leaves:
            for row in self.conn.execute(select(ledger_entries.c.leaf_index, ledger_entries.c.leaf_hash)
                                         .where(ledger_entries.c.leaf_index.in_(leaves))):
                found[(0, int(row.leaf_index))] = bytes(row.leaf_hash)
        inner = [(lv, ix) for lv, ix in wanted if lv > 0]
        if inner:
            clause: ColumnElement[bool]
            if self.conn.dialect.name == "postgresql":
                clause = tuple_(ledger_nodes.c.level, ledger_nodes.c.node_index).in_(inner)
            else:
                clause = or_(*(and_(ledger_nodes.c.level == lv, ledger_nodes.c.node_index == ix)
                               for lv, ix in inner))
            for row in self.conn.execute(select(ledger_nodes).where(clause)):
                found[(int(row.level), int(row.node_index))] = bytes(row.hash)
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
