"""A portfolio and its snapshots.

A snapshot is everything a tape said about a portfolio at one cut-off date. A re-issued tape for
the same cut-off is a new *version* of that snapshot, never a silent duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Portfolio:
    portfolio_id: str
    name: str
    seller: str | None = None
    currency: str = "CNY"


@dataclass(frozen=True, slots=True)
class Snapshot:
    snapshot_id: str
    portfolio_id: str
    cutoff_date: date
    version: int
    reporting_date: date | None = None
    source: str | None = None
    imported_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.version < 1:
            raise ValueError(f"a snapshot version starts at 1, got {self.version}")

    @staticmethod
    def make_id(portfolio_id: str, cutoff: date, version: int) -> str:
        return f"{portfolio_id}@{cutoff.isoformat()}#v{version}"
