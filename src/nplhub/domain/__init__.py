"""The pure domain model of nplhub: standard library only."""

from nplhub.domain.classification import NON_PERFORMING, ORDERED_CLASSES, RiskClass
from nplhub.domain.collateral import Collateral, Guarantee, LoanCollateral, PriceIndexPoint
from nplhub.domain.counterparty import Counterparty
from nplhub.domain.disposal import DisposalCase
from nplhub.domain.enforcement import EnforcementCase
from nplhub.domain.errors import Conflict, DomainError, InvalidTransition, NotFound
from nplhub.domain.events import DomainEvent, GenericEvent, TapeImported
from nplhub.domain.loan import ForbearanceEvent, Loan, LoanState, Repayment
from nplhub.domain.money import Money, round_cents, to_decimal
from nplhub.domain.portfolio import Portfolio, Snapshot

__all__ = [
    "NON_PERFORMING", "ORDERED_CLASSES", "Collateral", "Conflict", "Counterparty", "DisposalCase",
    "DomainError", "DomainEvent", "EnforcementCase", "ForbearanceEvent", "GenericEvent", "Guarantee",
    "InvalidTransition", "Loan", "LoanCollateral", "LoanState", "Money", "NotFound", "Portfolio",
    "PriceIndexPoint", "Repayment", "RiskClass", "Snapshot", "TapeImported", "round_cents", "to_decimal",
]
