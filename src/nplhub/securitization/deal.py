"""A securitization deal as typed data: pool, dates, accounts, fees, tranches, triggers, waterfall.

`Deal` round-trips through JSON and YAML (`Deal.from_yaml(deal.to_yaml()) == deal`). Amounts are
Decimal yuan with at most two decimals; rates are Decimal with at most six decimals (the
precision of Hastructure's `IRate`), so that the engine can work in exact integer cents.
"""

from __future__ import annotations

import calendar
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nplhub.domain.errors import DomainError
from nplhub.securitization.steps import (
    PayFee,
    PayIncentiveFee,
    PayInterest,
    PayPrincipal,
    PayResidual,
    ReimburseCosts,
    Step,
)

RATE_PLACES = 6
AMOUNT_PLACES = 2


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _check_rate(value: Decimal, what: str) -> Decimal:
    if _places(value) > RATE_PLACES:
        raise ValueError(f"{what} {value} has more than {RATE_PLACES} decimals")
    return value


def _check_amount(value: Decimal, what: str) -> Decimal:
    if _places(value) > AMOUNT_PLACES:
        raise ValueError(f"{what} {value} has more than {AMOUNT_PLACES} decimals (yuan and fen)")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Tranche(_Model):
    """A class of notes. `coupon` is the annual fixed rate (the fixed return for a subordinated
    tranche), accrued Act/365F on the balance at the start of each period; `issue_price` is in
    percent of par (subordinated NPL tranches are often sold at 103-110)."""

    name: str = Field(min_length=1)
    seniority: Literal["senior", "mezzanine", "subordinated"]
    balance: Decimal = Field(ge=0)
    coupon: Decimal = Field(default=Decimal(0), ge=0, le=1)
    issue_price: Decimal = Field(default=Decimal(100), gt=0)
    rating: str | None = None

    @field_validator("balance")
    @classmethod
    def _balance(cls, v: Decimal) -> Decimal:
        return _check_amount(v, "tranche balance")

    @field_validator("coupon")
    @classmethod
    def _coupon(cls, v: Decimal) -> Decimal:
        return _check_rate(v, "coupon")


class Fee(_Model):
    """A senior expense. `notes_balance`: annual `rate` Act/365F on all notes outstanding at the
    start of the period; `tranche_balance`: the same on one `tranche` (a guarantee fee such as
    GACS's on the senior notes); `collections`: `rate` times the period's collections; `fixed`:
    `amount` each payment date."""

    name: str = Field(min_length=1)
    kind: Literal["tax", "trustee", "custodian", "guarantee", "other"] = "other"
    basis: Literal["notes_balance", "tranche_balance", "collections", "fixed"] = "notes_balance"
    tranche: str | None = None
    rate: Decimal = Field(default=Decimal(0), ge=0, le=1)
    amount: Decimal = Field(default=Decimal(0), ge=0)

    @field_validator("rate")
    @classmethod
    def _rate(cls, v: Decimal) -> Decimal:
        return _check_rate(v, "fee rate")

    @field_validator("amount")
    @classmethod
    def _amount(cls, v: Decimal) -> Decimal:
        return _check_amount(v, "fixed fee")


class ServicerFee(_Model):
    """The servicer: a base fee on collections, advanced disposal costs reimbursed senior up to
    `cost_cap_rate` of the period's collections (the excess junior), and an incentive fee on what
    remains after the subordinated principal and its fixed return."""

    base_rate: Decimal = Field(default=Decimal(0), ge=0, le=1)
    cost_cap_rate: Decimal = Field(default=Decimal(1), ge=0, le=1)
    incentive_rate: Decimal = Field(default=Decimal(0), ge=0, le=1)

    @field_validator("base_rate", "cost_cap_rate", "incentive_rate")
    @classmethod
    def _rates(cls, v: Decimal) -> Decimal:
        return _check_rate(v, "servicer rate")


class LiquidityReserve(_Model):
    """The liquidity reserve account (流动性储备账户), funded at closing with `initial_balance`.
    Its target on a date is `target_multiple` times next period's accrual of the covered fees and
    of the covered tranches' interest; zero on the last date."""

    initial_balance: Decimal = Field(default=Decimal(0), ge=0)
    target_multiple: Decimal = Field(default=Decimal("1.5"), ge=0)
    covered_fees: list[str] = Field(default_factory=list)
    covered_tranches: list[str] = Field(default_factory=list)

    @field_validator("initial_balance")
    @classmethod
    def _initial(cls, v: Decimal) -> Decimal:
        return _check_amount(v, "reserve initial balance")

    @field_validator("target_multiple")
    @classmethod
    def _multiple(cls, v: Decimal) -> Decimal:
        return _check_rate(v, "reserve target multiple")


class Trigger(_Model):
    """A performance trigger tested on each payment date before distribution. Breached when the
    ratio is below `threshold`; a curable trigger is tested afresh on every date (GACS 2.0), a
    non-curable one stays breached."""

    name: str = Field(min_length=1)
    kind: Literal["cumulative_collection_ratio", "npv_profitability_ratio"]
    threshold: Decimal = Field(default=Decimal("0.9"), ge=0, le=2)
    curable: bool = True

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, v: Decimal) -> Decimal:
        return _check_rate(v, "trigger threshold")


class CleanUpCall(_Model):
    """The originator's clean-up call (清仓回购): exercised on the first date on which the notes
    outstanding are at most `threshold` of the original notes; the originator pays what is needed
    to settle every claim of the waterfall in force, but at least `price_share` of the business
    plan's remaining collections (the surplus flows down the waterfall), and the deal ends."""

    threshold: Decimal = Field(default=Decimal("0.1"), ge=0, le=1)
    price_share: Decimal = Field(default=Decimal(0), ge=0, le=2)

    @field_validator("threshold", "price_share")
    @classmethod
    def _threshold(cls, v: Decimal) -> Decimal:
        return _check_rate(v, "clean-up call threshold or price share")


class TimingPoint(_Model):
    month: int = Field(ge=0, le=600)
    share: Decimal = Field(ge=0, le=1)


class Segment(_Model):
    """A segment curve of the pool: `loans` equal loans whose recovery (`recovery_rate` of
    `gross_balance`, costs `cost_rate` of the recovery) arrives on the timing curve."""

    name: str
    loans: int = Field(ge=1)
    gross_balance: Decimal = Field(gt=0)
    recovery_rate: Decimal = Field(ge=0, le=2)
    cost_rate: Decimal = Field(default=Decimal(0), ge=0, le=1)
    timing: list[TimingPoint] = Field(min_length=1)

    @model_validator(mode="after")
    def _shares(self) -> Segment:
        total = sum((p.share for p in self.timing), Decimal(0))
        if abs(total - 1) > Decimal("0.000001"):
            raise ValueError(f"segment {self.name!r}: timing shares add up to {total}, not 1")
        return self


class PortfolioSelection(_Model):
    """Loans taken from the platform's portfolio: the latest valuation run of `snapshot_id` (the
    latest snapshot when omitted), each loan on its eligible route of highest NPV, restricted to
    `routes` and `loan_ids` when given, the `max_loans` of highest NPV when given."""

    snapshot_id: str | None = None
    routes: list[str] | None = None
    max_loans: int | None = Field(default=None, ge=1)


class PoolSpec(_Model):
    """Where the pool comes from: loans in a file (columns loan_id, gross_recovery, costs,
    months_to_recovery, optionally level_sigma), segment curves, or a selection from the
    portfolio (`portfolio`)."""

    cutoff_date: date
    portfolio: PortfolioSelection | None = None
    loans_file: str | None = None
    segments: list[Segment] = Field(default_factory=list)
    loan_ids: list[str] | None = None
    gross_balance: Decimal | None = None
    bp_discount_rate: Decimal = Field(default=Decimal("0.035"), ge=0)


class Deal(_Model):
    name: str = Field(min_length=1)
    currency: str = "CNY"
    closing_date: date
    first_payment_date: date
    frequency_months: Literal[1, 3, 6, 12] = 3
    periods: int = Field(ge=1, le=600)
    rounding: Literal["half_even", "floor"] = "half_even"
    pool: PoolSpec
    tranches: list[Tranche] = Field(min_length=1)
    fees: list[Fee] = Field(default_factory=list)
    servicer: ServicerFee = Field(default_factory=ServicerFee)
    reserve: LiquidityReserve | None = None
    triggers: list[Trigger] = Field(default_factory=list)
    clean_up_call: CleanUpCall | None = None
    business_plan: list[Decimal] | None = None
    waterfall: list[Step] = Field(min_length=1)
    waterfall_on_trigger: list[Step] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Deal:
        if self.first_payment_date <= self.closing_date:
            raise ValueError("first_payment_date must be after closing_date")
        tranche_names = [t.name for t in self.tranches]
        fee_names = [f.name for f in self.fees]
        for names, what in ((tranche_names, "tranche"), (fee_names, "fee")):
            if len(set(names)) != len(names):
                raise ValueError(f"{what} names must be unique, got {names}")
        for f in self.fees:
            if (f.basis == "tranche_balance") != (f.tranche is not None):
                raise ValueError(f"fee {f.name!r}: a tranche is named exactly when the basis is tranche_balance")
            if f.tranche is not None and f.tranche not in tranche_names:
                raise ValueError(f"fee {f.name!r} is charged on unknown tranche {f.tranche!r}")
        for label, steps in (("waterfall", self.waterfall), ("waterfall_on_trigger", self.waterfall_on_trigger)):
            for i, step in enumerate(steps or []):
                if isinstance(step, PayFee) and step.fee not in fee_names:
                    raise ValueError(f"{label}[{i}] pays unknown fee {step.fee!r}; fees are {fee_names}")
                if isinstance(step, PayInterest | PayPrincipal | PayResidual) and step.tranche not in tranche_names:
                    raise ValueError(f"{label}[{i}] names unknown tranche {step.tranche!r}; tranches are {tranche_names}")
                if isinstance(step, ReimburseCosts | PayIncentiveFee) and self.servicer is None:
                    raise ValueError(f"{label}[{i}] needs a servicer section")
        if self.reserve is not None:
            for fee_name in self.reserve.covered_fees:
                if fee_name not in fee_names:
                    raise ValueError(f"reserve covers unknown fee {fee_name!r}")
            for t in self.reserve.covered_tranches:
                if t not in tranche_names:
                    raise ValueError(f"reserve covers unknown tranche {t!r}")
        if self.triggers and self.waterfall_on_trigger is None:
            raise ValueError("triggers need a waterfall_on_trigger to switch to")
        if self.business_plan is not None:
            if len(self.business_plan) != self.periods:
                raise ValueError(f"business_plan has {len(self.business_plan)} periods, the deal {self.periods}")
            for v in self.business_plan:
                _check_amount(v, "business plan collection")
        return self

    # -- dates ------------------------------------------------------------------------------------
    def payment_dates(self) -> list[date]:
        return [add_months(self.first_payment_date, k * self.frequency_months) for k in range(self.periods)]

    def tranche(self, name: str) -> Tranche:
        for t in self.tranches:
            if t.name == name:
                return t
        raise DomainError(f"deal {self.name!r} has no tranche {name!r}")

    def with_tranche_balance(self, name: str, balance: Decimal) -> Deal:
        tranches = [t.model_copy(update={"balance": balance}) if t.name == name else t for t in self.tranches]
        self.tranche(name)
        return self.model_copy(update={"tranches": tranches})

    # -- serialisation ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Any, source: str = "deal") -> Deal:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise DomainError(f"{source} is not a valid deal: {problems}") from exc

    @classmethod
    def from_json(cls, text: str, source: str = "deal") -> Deal:
        return cls.from_dict(json.loads(text), source)

    @classmethod
    def from_yaml(cls, text: str, source: str = "deal") -> Deal:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DomainError(f"{source} is not valid YAML: {exc}") from exc
        return cls.from_dict(data, source)

    @classmethod
    def load(cls, path: str | Path) -> Deal:
        p = Path(path)
        if not p.is_file():
            raise DomainError(f"deal file {p} does not exist")
        text = p.read_text(encoding="utf-8")
        if p.suffix.lower() == ".json":
            return cls.from_json(text, str(p))
        return cls.from_yaml(text, str(p))


def add_months(d: date, months: int) -> date:
    """The same day `months` later, clipped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))
