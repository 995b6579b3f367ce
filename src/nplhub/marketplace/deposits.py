"""Deposits (保证金): amounts by rule, the freeze/release/apply/forfeit life cycle, and a ledger.

Rules: online judicial auctions take 5%–20% of the starting price, set by the court
(法释〔2016〕18号 第17条); losers are released within 24 hours of the close (第23、25条); the winner's
deposit is applied to the price; a defaulting winner forfeits it (第24条). Elsewhere the rate is
configurable (诚拍网 5%, Onbid ≥ 10%).

The ledger is double entry over four accounts: money arrives from the investor (`investor`,
the outside world) into `frozen`; it leaves `frozen` to the investor again (release), to the
seller as part of the price (`applied`) or to the forfeit pool (`forfeited`). Every movement
debits one account and credits another by the same amount, so the balances always sum to zero,
and each deposit's frozen balance is its amount while frozen and zero after.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from nplhub.domain.errors import DomainError, InvalidTransition

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class DepositRule:
    """A deposit rate within bounds, as a share of the starting price; each bound cites its source."""

    rate: Decimal = Decimal("0.10")
    min_rate: Decimal = Decimal("0.05")
    max_rate: Decimal = Decimal("0.20")
    release_within: timedelta = timedelta(hours=24)
    source: str = "法释〔2016〕18号 第17条 (5%–20%), 第23、25条 (24 h)"

    def __post_init__(self) -> None:
        if not (Decimal(0) <= self.min_rate <= self.rate <= self.max_rate <= 1):
            raise DomainError(f"deposit rate {self.rate} must lie within [{self.min_rate}, {self.max_rate}] "
                              f"({self.source})")

    def amount(self, starting_price: Decimal) -> Decimal:
        return (starting_price * self.rate).quantize(CENT, rounding=ROUND_HALF_EVEN)

    def check(self, deposit: Decimal, starting_price: Decimal) -> None:
        lo, hi = starting_price * self.min_rate, starting_price * self.max_rate
        if not lo <= deposit <= hi:
            raise DomainError(f"deposit {deposit} outside {self.min_rate:.0%}–{self.max_rate:.0%} of the "
                              f"starting price {starting_price} ({self.source})")


JUDICIAL_DEPOSIT = DepositRule()
COMMERCIAL_DEPOSIT = DepositRule(rate=Decimal("0.05"), min_rate=Decimal(0), max_rate=Decimal(1),
                                 source="listing terms (configurable; 诚拍网 practice 5%)")


class DepositStatus(StrEnum):
    FROZEN = "frozen"
    RELEASED = "released"
    APPLIED = "applied"
    FORFEITED = "forfeited"


class Account(StrEnum):
    INVESTOR = "investor"    # outside the platform: the investor's own account
    FROZEN = "frozen"        # held by the platform (or frozen at the payment partner)
    APPLIED = "applied"      # paid to the seller / court as part of the price
    FORFEITED = "forfeited"  # forfeited on default (第24条)


_TARGET = {DepositStatus.RELEASED: Account.INVESTOR, DepositStatus.APPLIED: Account.APPLIED,
           DepositStatus.FORFEITED: Account.FORFEITED}


@dataclass(frozen=True, slots=True)
class Deposit:
    deposit_id: str
    listing_id: str
    investor_id: str
    amount: Decimal
    frozen_at: datetime
    status: DepositStatus = DepositStatus.FROZEN
    settled_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise DomainError(f"a deposit must be positive, got {self.amount}")

    def _leave(self, status: DepositStatus, at: datetime) -> Deposit:
        if self.status is not DepositStatus.FROZEN:
            raise InvalidTransition(f"deposit {self.deposit_id} is already {self.status.value}; "
                                    f"it cannot become {status.value}")
        if at < self.frozen_at:
            raise DomainError(f"deposit {self.deposit_id} cannot be {status.value} before it was frozen")
        return replace(self, status=status, settled_at=at)

    def release(self, at: datetime) -> Deposit:
        return self._leave(DepositStatus.RELEASED, at)

    def apply(self, at: datetime) -> Deposit:
        return self._leave(DepositStatus.APPLIED, at)

    def forfeit(self, at: datetime) -> Deposit:
        return self._leave(DepositStatus.FORFEITED, at)


@dataclass(frozen=True, slots=True)
class Movement:
    """One double-entry movement: `amount` leaves `credit` and arrives in `debit`."""

    deposit_id: str
    debit: Account
    credit: Account
    amount: Decimal
    at: datetime
    reason: str


def freeze_movement(deposit: Deposit) -> Movement:
    return Movement(deposit.deposit_id, Account.FROZEN, Account.INVESTOR, deposit.amount, deposit.frozen_at, "freeze")


def settle_movement(deposit: Deposit) -> Movement:
    """The movement for a deposit that has just left the frozen state."""
    if deposit.status is DepositStatus.FROZEN or deposit.settled_at is None:
        raise DomainError(f"deposit {deposit.deposit_id} is still frozen")
    return Movement(deposit.deposit_id, _TARGET[deposit.status], Account.FROZEN, deposit.amount,
                    deposit.settled_at, deposit.status.value)


def release_deadline(closed_at: datetime, rule: DepositRule = JUDICIAL_DEPOSIT) -> datetime:
    return closed_at + rule.release_within


def overdue_releases(deposits: list[Deposit], closed_at: datetime, now: datetime,
                     winner_id: str | None, rule: DepositRule = JUDICIAL_DEPOSIT) -> list[Deposit]:
    """Losers' deposits still frozen after the release deadline (a breach of 第23、25条)."""
    if now <= release_deadline(closed_at, rule):
        return []
    return [d for d in deposits if d.status is DepositStatus.FROZEN and d.investor_id != winner_id]


class DepositLedger:
    """Balances of the four accounts from the movements, overall and per deposit."""

    def __init__(self, movements: list[Movement] | None = None) -> None:
        self.movements: list[Movement] = []
        self._balance: dict[Account, Decimal] = defaultdict(Decimal)
        self._frozen: dict[str, Decimal] = defaultdict(Decimal)
        for m in movements or []:
            self.post(m)

    def post(self, movement: Movement) -> None:
        if movement.amount <= 0:
            raise DomainError(f"a deposit movement must be positive, got {movement.amount}")
        if movement.debit == movement.credit:
            raise DomainError("a movement must move money between two different accounts")
        if movement.credit is Account.FROZEN and self._frozen[movement.deposit_id] < movement.amount:
            raise DomainError(f"deposit {movement.deposit_id} has only {self._frozen[movement.deposit_id]} "
                              f"frozen, cannot move {movement.amount}")
        self.movements.append(movement)
        self._balance[movement.debit] += movement.amount
        self._balance[movement.credit] -= movement.amount
        if movement.debit is Account.FROZEN:
            self._frozen[movement.deposit_id] += movement.amount
        if movement.credit is Account.FROZEN:
            self._frozen[movement.deposit_id] -= movement.amount

    def balance(self, account: Account) -> Decimal:
        return self._balance[account]

    def frozen(self, deposit_id: str) -> Decimal:
        return self._frozen[deposit_id]

    def trial_balance(self) -> Decimal:
        """The sum of all account balances: zero in a ledger that balances."""
        return sum(self._balance.values(), Decimal(0))

    def reconcile(self, deposits: list[Deposit]) -> list[str]:
        """Differences between the deposits' states and the ledger (empty when they agree)."""
        problems: list[str] = []
        if self.trial_balance() != 0:
            problems.append(f"the deposit ledger does not balance: {self.trial_balance()}")
        for d in deposits:
            expected = d.amount if d.status is DepositStatus.FROZEN else Decimal(0)
            if self._frozen[d.deposit_id] != expected:
                problems.append(f"deposit {d.deposit_id} ({d.status.value}) shows {self._frozen[d.deposit_id]} "
                                f"frozen in the ledger, expected {expected}")
        return problems
