"""Loans, their month-end states, concessions (forbearance) and repayment history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from nplhub.domain.classification import RiskClass
from nplhub.domain.codes import ForbearanceMeasure, LegalStatus, Product, RepaymentSource


@dataclass(frozen=True, slots=True)
class Loan:
    """One credit facility at the snapshot's cut-off (EBA template 3)."""

    loan_id: str
    counterparty_id: str
    product: Product
    origination_date: date
    maturity_date: date
    original_principal: Decimal
    outstanding_principal: Decimal
    interest_rate: Decimal
    days_past_due: int
    reported_class: RiskClass
    currency: str = "CNY"
    accrued_interest: Decimal = Decimal(0)
    penalty_interest: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    repayment_method: str | None = None
    provision: Decimal | None = None
    branch_id: str | None = None
    extension_count: int = 0
    last_extension_date: date | None = None
    restructured: bool = False
    restructure_date: date | None = None
    legal_status: LegalStatus = LegalStatus.NONE
    default_date: date | None = None
    written_off: bool = False

    @property
    def gross_claim(self) -> Decimal:
        """Principal plus interest, penalty interest and fees: what the debtor owes (本息费)."""
        return self.outstanding_principal + self.accrued_interest + self.penalty_interest + self.fees

    @property
    def is_non_performing(self) -> bool:
        return self.reported_class.is_non_performing


@dataclass(frozen=True, slots=True)
class LoanState:
    """A loan's classification at one month end: the raw material of migration analysis."""

    loan_id: str
    as_of_date: date
    risk_class: RiskClass
    days_past_due: int
    outstanding_principal: Decimal
    provision: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ForbearanceEvent:
    """One concession granted to a debtor (Art 19 of the 2023 classification rule)."""

    loan_id: str
    event_date: date
    measure: ForbearanceMeasure
    new_maturity_date: date | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Repayment:
    """What was due and what was paid in one month (EBA template 5)."""

    loan_id: str
    month: str  # YYYY-MM
    amount_paid: Decimal
    amount_due: Decimal | None = None
    source: RepaymentSource = RepaymentSource.BORROWER
