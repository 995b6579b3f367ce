"""Borrowers and guarantors (EBA template 1)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from nplhub.domain.codes import CounterpartyType, InsolvencyStatus


@dataclass(frozen=True, slots=True)
class Counterparty:
    counterparty_id: str
    counterparty_type: CounterpartyType
    region: str
    name: str | None = None
    id_number: str | None = None
    industry: str | None = None
    annual_revenue: Decimal | None = None
    total_assets: Decimal | None = None
    total_liabilities: Decimal | None = None
    employees: int | None = None
    internal_rating: str | None = None
    insolvency_status: InsolvencyStatus = InsolvencyStatus.NONE
    phone: str | None = None
    address: str | None = None

    @property
    def is_retail(self) -> bool:
        return self.counterparty_type is CounterpartyType.INDIVIDUAL

    @property
    def province_code(self) -> str:
        """The two-digit province prefix of the GB/T 2260 region code."""
        return self.region[:2]
