"""Money as an exact Decimal amount with a currency.

Amounts on a bank's tape are yuan with at most two decimals. Inside the domain money is never a
float: arithmetic stays exact, and rounding is an explicit, named step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation

from nplhub.domain.errors import DomainError

CENT = Decimal("0.01")
DEFAULT_CURRENCY = "CNY"


def to_decimal(value: object) -> Decimal:
    """Convert a number or numeric string to Decimal without passing through binary float error."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise DomainError(f"a boolean is not an amount of money: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip().replace(",", ""))
        except InvalidOperation as exc:
            raise DomainError(f"not an amount of money: {value!r}") from exc
    raise DomainError(f"not an amount of money: {value!r}")


def round_cents(amount: Decimal, mode: str = "half_even") -> Decimal:
    """Round to the cent, half-even (banker's rounding) by default or floor ("floor")."""
    rounding = ROUND_HALF_EVEN if mode == "half_even" else ROUND_DOWN
    if mode not in ("half_even", "floor"):
        raise DomainError(f"unknown rounding mode {mode!r}; use 'half_even' or 'floor'")
    return amount.quantize(CENT, rounding=rounding)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Adding two currencies is an error, never a silent conversion."""

    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        if not self.amount.is_finite():
            raise DomainError(f"money must be finite, got {self.amount}")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise DomainError(f"currency must be an ISO 4217 code such as CNY, got {self.currency!r}")

    @classmethod
    def of(cls, value: object, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(to_decimal(value), currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise DomainError(f"cannot combine money with {type(other).__name__}")
        if other.currency != self.currency:
            raise DomainError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, Money):
            raise DomainError("money times money has no meaning")
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def rounded(self, mode: str = "half_even") -> Money:
        return Money(round_cents(self.amount, mode), self.currency)

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.2f}"
