"""Settlement: award → contract (within N days) → payment (within M days) → delivery (交割).

The winner's deposit counts towards the price (it is applied at payment); a winner who misses
a deadline defaults (悔拍): the deposit is forfeited and the lot is relisted, the defaulter
barred from the re-auction (法释〔2016〕18号 第24条). Delivery moves the loans' ownership to the
buyer (the service records it in the data hub's ownership register). Times are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from nplhub.domain.errors import DomainError, InvalidTransition


class SettlementStatus(StrEnum):
    AWARDED = "awarded"        # 成交确认
    CONTRACTED = "contracted"  # 签约
    PAID = "paid"              # 付款
    DELIVERED = "delivered"    # 交割
    DEFAULTED = "defaulted"    # 悔拍 / 违约


@dataclass(frozen=True, slots=True)
class SettlementTerms:
    contract_within: timedelta = timedelta(days=5)    # Onbid: contract within 5 business days
    payment_within: timedelta = timedelta(days=30)    # after signing; Onbid 60 days, courts set their own
    source: str = "listing terms (configurable)"


@dataclass(frozen=True)
class Settlement:
    listing_id: str
    buyer_id: str
    price: Decimal
    deposit: Decimal
    awarded_at: datetime
    terms: SettlementTerms = SettlementTerms()
    status: SettlementStatus = SettlementStatus.AWARDED
    contracted_at: datetime | None = None
    paid_at: datetime | None = None
    paid: Decimal = Decimal(0)
    delivered_at: datetime | None = None
    defaulted_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.price <= 0 or self.deposit < 0 or self.deposit > self.price:
            raise DomainError(f"a settlement needs a positive price and a deposit within it "
                              f"(price {self.price}, deposit {self.deposit})")

    @property
    def contract_due(self) -> datetime:
        return self.awarded_at + self.terms.contract_within

    @property
    def payment_due(self) -> datetime | None:
        return None if self.contracted_at is None else self.contracted_at + self.terms.payment_within

    @property
    def balance_due(self) -> Decimal:
        """The price less the applied deposit less what has been paid."""
        return self.price - self.deposit - self.paid

    def _need(self, status: SettlementStatus, action: str) -> None:
        if self.status is not status:
            raise InvalidTransition(f"cannot {action}: settlement of {self.listing_id} is {self.status.value}, "
                                    f"not {status.value}")

    def sign(self, at: datetime) -> Settlement:
        self._need(SettlementStatus.AWARDED, "sign the contract")
        if at > self.contract_due:
            raise InvalidTransition(f"the contract was due by {self.contract_due.isoformat()}; the buyer is in default")
        return replace(self, status=SettlementStatus.CONTRACTED, contracted_at=at)

    def pay(self, amount: Decimal, at: datetime) -> Settlement:
        self._need(SettlementStatus.CONTRACTED, "record a payment")
        due = self.payment_due
        assert due is not None
        if at > due:
            raise InvalidTransition(f"payment was due by {due.isoformat()}; the buyer is in default")
        if amount <= 0 or amount > self.balance_due:
            raise DomainError(f"payment {amount} must be positive and at most the balance due {self.balance_due}")
        paid = self.paid + amount
        status = SettlementStatus.PAID if paid == self.price - self.deposit else SettlementStatus.CONTRACTED
        return replace(self, paid=paid, status=status, paid_at=at if status is SettlementStatus.PAID else None)

    def deliver(self, at: datetime) -> Settlement:
        self._need(SettlementStatus.PAID, "deliver")
        return replace(self, status=SettlementStatus.DELIVERED, delivered_at=at)

    def overdue(self, now: datetime) -> bool:
        if self.status is SettlementStatus.AWARDED:
            return now > self.contract_due
        if self.status is SettlementStatus.CONTRACTED:
            due = self.payment_due
            return due is not None and now > due
        return False

    def default(self, now: datetime) -> Settlement:
        """The buyer missed a deadline: the settlement fails; the caller forfeits and relists."""
        if not self.overdue(now):
            raise InvalidTransition(f"settlement of {self.listing_id} is not overdue at {now.isoformat()}")
        return replace(self, status=SettlementStatus.DEFAULTED, defaulted_at=now)
