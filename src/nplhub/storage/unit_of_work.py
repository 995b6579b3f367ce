"""The SQLAlchemy unit of work: one connection, one transaction, repositories bound to it.

Areas register their repository implementations with `register_repository(Port)`; the audit
ledger registers its sink with `register_audit_sink`. A unit of work opened with
`immediate=True` takes SQLite's write lock at BEGIN (for read-then-write operations such as bids).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from nplhub.services.ports import AbstractUnitOfWork, AuditSink

R = TypeVar("R")

_REPOSITORIES: dict[type, Callable[[Connection], Any]] = {}
_AUDIT_SINK: list[Callable[[Connection], AuditSink]] = []


def register_repository(port: type) -> Callable[[Callable[[Connection], Any]], Callable[[Connection], Any]]:
    def decorator(factory: Callable[[Connection], Any]) -> Callable[[Connection], Any]:
        _REPOSITORIES[port] = factory
        return factory

    return decorator


def register_audit_sink(factory: Callable[[Connection], AuditSink]) -> Callable[[Connection], AuditSink]:
    _AUDIT_SINK[:] = [factory]
    return factory


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    def __init__(self, engine: Engine, *, immediate: bool = False, audit: bool = True) -> None:
        super().__init__()
        self.engine = engine
        self.immediate = immediate
        self.audit = audit
        self.connection: Connection | None = None
        self._repos: dict[type, Any] = {}

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        super().__enter__()
        self.connection = self.engine.connect()
        if self.immediate or self.bulk_load:
            self.connection.info["immediate"] = True
        if self.bulk_load and self.engine.dialect.name == "sqlite":
            # the pragma is a no-op inside a transaction: it goes to the driver before BEGIN
            self.connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            self.connection.info["foreign_keys_off"] = True
        self.connection.begin()
        self._repos = {}
        return self

    def __exit__(self, *args: Any) -> None:
        try:
            super().__exit__(*args)
        finally:
            if self.connection is not None:
                self.connection.info.pop("immediate", None)
                if self.connection.info.pop("foreign_keys_off", False):
                    self.connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
                self.bulk_load = False
                self.connection.close()
                self.connection = None

    @property
    def conn(self) -> Connection:
        if self.connection is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self.connection

    def get(self, port: type[R]) -> R:
        if port not in self._repos:
            try:
                factory = _REPOSITORIES[port]
            except KeyError:
                raise LookupError(f"no storage implementation registered for {port.__name__}") from None
            self._repos[port] = factory(self.conn)
        return self._repos[port]  # type: ignore[no-any-return]

    def audit_sink(self) -> AuditSink | None:
        if not self.audit or not _AUDIT_SINK:
            return None
        return _AUDIT_SINK[0](self.conn)

    def _commit(self) -> None:
        self.conn.commit()

    def _rollback(self) -> None:
        if self.connection is not None:
            self.connection.rollback()
