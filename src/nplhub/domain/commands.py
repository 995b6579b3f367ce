"""Commands: requests to change the state of the system, handled by `nplhub.services`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Command:
    """Base of every command."""


@dataclass(frozen=True)
class ImportTape(Command):
    path: str
    portfolio_id: str | None = None
    portfolio_name: str | None = None
    cutoff_date: date | None = None
    reporting_date: date | None = None
    currency: str | None = None
    seller: str | None = None
