"""Domain events: small frozen records of something that happened.

Every committed event becomes an entry of the audit ledger, so an event carries only what a
regulator, court or investor may read: identifiers, amounts, dates and codes, never personal data
in clear (hash or reference it). `to_record()` gives the JSON-ready mapping the ledger
canonicalises (RFC 8785).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class DomainEvent:
    """Base of every event. Subclasses set `event_type`, a dotted name such as 'tape.imported'."""

    event_type: ClassVar[str] = "event"

    def to_record(self) -> dict[str, Any]:
        body = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {"type": self.event_type, **body}


@dataclass(frozen=True)
class TapeImported(DomainEvent):
    event_type: ClassVar[str] = "tape.imported"
    snapshot_id: str
    portfolio_id: str
    cutoff_date: date
    version: int
    counts: dict[str, int] = field(default_factory=dict)
    content_sha256: str = ""
    warnings: int = 0
    # a partial import: rows set aside per table, and the SHA-256 of the quarantine file, so that
    # the file handed to the data team can be checked against the audit ledger
    quarantined: dict[str, int] = field(default_factory=dict)
    quarantine_sha256: str = ""
    # who asked for the import: "api:<role>[:<subject>]" over the API, "cli:<OS user>" on the command line
    imported_by: str = ""


@dataclass(frozen=True)
class GenericEvent(DomainEvent):
    """An event of a kind named at run time: for engines whose events are data (plans, bids...)."""

    event_type: ClassVar[str] = "generic"
    kind: str
    subject: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {"type": self.kind, "subject": self.subject, "data": _jsonable(self.data)}
