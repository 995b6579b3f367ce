"""Ports: what the use cases need from the outside world, as abstract classes.

Use cases take an `AbstractUnitOfWork`. They ask it for repositories by their abstract type
(`uow.get(SnapshotRepository)`); `nplhub.storage` supplies the SQL implementations and the unit
tests supply in-memory fakes. Every event a use case records with `uow.record(event)` is handed to
the `AuditSink` inside the same transaction as the change itself, just before the commit: no
change without its ledger entry, no entry without its change.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TypeVar

from nplhub.domain.events import DomainEvent

R = TypeVar("R")


class AuditSink(abc.ABC):
    """Receives the events of a unit of work inside its transaction (the ledger implements it)."""

    @abc.abstractmethod
    def append(self, events: Sequence[DomainEvent]) -> None: ...


class AbstractUnitOfWork(abc.ABC):
    """One business transaction: all of its changes and events commit together, or none do."""

    def __init__(self) -> None:
        self._pending: list[DomainEvent] = []
        self._committed = False
        self.bulk_load = False

    def for_bulk_load(self) -> AbstractUnitOfWork:
        """Mark this unit of work as a bulk load of rows whose references the caller has already
        validated, before entering it: the storage may then skip its own per-row reference checks
        for this one transaction (on SQLite, the foreign-key lookups of every inserted row)."""
        self.bulk_load = True
        return self

    def __enter__(self) -> AbstractUnitOfWork:
        self._pending = []
        self._committed = False
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._committed:
            self.rollback()

    def record(self, event: DomainEvent) -> None:
        self._pending.append(event)

    @property
    def pending_events(self) -> list[DomainEvent]:
        return list(self._pending)

    def commit(self) -> None:
        if self._pending:
            sink = self.audit_sink()
            if sink is not None:
                sink.append(self._pending)
        self._commit()
        self.published: list[DomainEvent] = self._pending
        self._pending = []
        self._committed = True

    def rollback(self) -> None:
        self._pending = []
        self._rollback()

    @abc.abstractmethod
    def get(self, port: type[R]) -> R:
        """The implementation of repository port `port`, bound to this unit of work."""

    @abc.abstractmethod
    def audit_sink(self) -> AuditSink | None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def _rollback(self) -> None: ...


def require(value: Any, what: str) -> Any:
    if value is None:
        from nplhub.domain.errors import NotFound

        raise NotFound(f"{what} not found")
    return value


class SnapshotReader(abc.ABC):
    """Reads an imported snapshot back as analytic frames.

    `frames` returns one pandas DataFrame per requested tape table (names as in the tape
    contract), with canonical English codes, money as float64 (analytics only: the domain keeps
    Decimal), dates as datetime64[ns], and without the `snapshot_id` column.
    """

    @abc.abstractmethod
    def latest_snapshot_id(self, portfolio_id: str | None = None) -> str | None: ...

    @abc.abstractmethod
    def frames(self, snapshot_id: str, tables: Sequence[str]) -> dict[str, Any]: ...
