"""Judicial proceedings and auctions against a loan's debtor or collateral."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from nplhub.domain.codes import EnforcementStage


@dataclass(frozen=True, slots=True)
class EnforcementCase:
    case_id: str
    loan_id: str
    stage: EnforcementStage
    collateral_id: str | None = None
    court: str | None = None
    filed_date: date | None = None
    judgment_date: date | None = None
    appraisal_value: Decimal | None = None
    reference_price: Decimal | None = None
    auction_round: int | None = None
    start_price: Decimal | None = None
    failed_auctions: int = 0
    sale_price: Decimal | None = None
    sale_date: date | None = None
    costs: Decimal | None = None
