"""Collateral, its links to loans, guarantees and regional price indices (EBA template 4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from nplhub.domain.codes import AppraisalSource, CollateralStatus, CollateralType, GuaranteeType, Occupancy


@dataclass(frozen=True, slots=True)
class Collateral:
    collateral_id: str
    collateral_type: CollateralType
    appraisal_value: Decimal
    appraisal_date: date
    region: str | None = None
    address: str | None = None
    area_sqm: Decimal | None = None
    appraisal_source: AppraisalSource | None = None
    lien_rank: int = 1
    prior_claims: Decimal = Decimal(0)
    occupancy: Occupancy = Occupancy.UNKNOWN
    status: CollateralStatus = CollateralStatus.HELD

    @property
    def value_after_prior_claims(self) -> Decimal:
        """What is left for this lien after claims ranking ahead, never below zero."""
        return max(self.appraisal_value - self.prior_claims, Decimal(0))


@dataclass(frozen=True, slots=True)
class LoanCollateral:
    """The many-to-many link between loans and collateral."""

    loan_id: str
    collateral_id: str
    allocated_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Guarantee:
    guarantee_id: str
    loan_id: str
    amount: Decimal
    guarantor_counterparty_id: str | None = None
    guarantor_name: str | None = None
    guarantee_type: GuaranteeType | None = None
    guarantor_rating: str | None = None


@dataclass(frozen=True, slots=True)
class PriceIndexPoint:
    """A regional property price index value (base 100) for one month."""

    region: str
    property_type: str
    month: str  # YYYY-MM
    index: Decimal
