"""Ports of the audit ledger: the stored log, as the use cases see it."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nplhub.ledger.log import Frontier, NodeId


@dataclass(frozen=True)
class StoredEntry:
    leaf_index: int
    event_type: str
    recorded_at: datetime
    entry: bytes  # RFC 8785 bytes, the leaf's data
    leaf_hash: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    checkpoint_id: int
    origin: str
    tree_size: int
    root_hash: bytes
    key_hash: str
    signed_at: datetime
    note: str


class LedgerRepository(abc.ABC):
    """The append-only log in the database: entries, interior nodes, the head, checkpoints."""

    @abc.abstractmethod
    def append(self, records: Sequence[Mapping[str, Any]], recorded_at: datetime | None = None) -> int:
        """Append event records (each with a "type") as entries now; returns the new tree size.
        Serialises with every other append (the head row is locked until the transaction ends)."""

    @abc.abstractmethod
    def append_leaves(self, leaves: Iterable[tuple[str, bytes]], recorded_at: datetime | None = None) -> int:
        """Append already-canonical entries (event type, bytes) in bulk; each must name its own leaf
        index as `nplhub.ledger.canonical.entry_bytes` does. Returns the new tree size."""

    @abc.abstractmethod
    def enqueue(self, records: Sequence[Mapping[str, Any]], recorded_at: datetime | None = None) -> None:
        """Queue event records for sequencing, without locking the head."""

    @abc.abstractmethod
    def sequence(self, *, wait: bool = True) -> int:
        """Give every committed queued record its leaf index; returns how many. With `wait` false,
        does nothing (returns 0) if another transaction holds the head."""

    @abc.abstractmethod
    def queued(self) -> int:
        """How many records wait in the queue."""

    @abc.abstractmethod
    def head(self, *, lock: bool = False) -> Frontier: ...

    @abc.abstractmethod
    def nodes(self, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """Stored hashes of complete subtrees; level 0 are the leaf hashes."""

    @abc.abstractmethod
    def entry(self, leaf_index: int) -> StoredEntry | None: ...

    @abc.abstractmethod
    def iter_entries(self) -> Iterator[StoredEntry]:
        """Every entry, in leaf-index order, streamed."""

    @abc.abstractmethod
    def iter_nodes(self) -> Iterator[tuple[int, int, bytes]]:
        """Every stored interior node (level, index, hash), by level then index, streamed."""

    @abc.abstractmethod
    def latest_checkpoint(self, origin: str | None = None) -> StoredCheckpoint | None: ...

    @abc.abstractmethod
    def checkpoints(self) -> list[StoredCheckpoint]: ...

    @abc.abstractmethod
    def checkpoint_at(self, tree_size: int, origin: str) -> StoredCheckpoint | None:
        """The latest checkpoint signed at exactly `tree_size`."""

    @abc.abstractmethod
    def add_checkpoint(self, origin: str, tree_size: int, root_hash: bytes, key_hash: str,
                       signed_at: datetime, note: str) -> int: ...
