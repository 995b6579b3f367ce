"""A disposal case: how a non-performing loan was (or is being) resolved, and what it recovered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from nplhub.domain.codes import DisposalRoute


@dataclass(frozen=True, slots=True)
class DisposalCase:
    loan_id: str
    route: DisposalRoute
    start_date: date
    exposure_at_start: Decimal
    end_date: date | None = None
    gross_recovery: Decimal | None = None
    costs: Decimal | None = None
    buyer_type: str | None = None

    @property
    def is_open(self) -> bool:
        return self.end_date is None

    @property
    def net_recovery_rate(self) -> Decimal | None:
        """(gross recovery − costs) / exposure at start, undiscounted; None while open."""
        if self.is_open or self.gross_recovery is None or self.exposure_at_start <= 0:
            return None
        return (self.gross_recovery - (self.costs or Decimal(0))) / self.exposure_at_start

    @property
    def duration_days(self) -> int | None:
        return None if self.end_date is None else (self.end_date - self.start_date).days
