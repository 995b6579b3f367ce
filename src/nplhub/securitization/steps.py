"""The waterfall as an ordered list of typed steps (priority of payments, 支付顺序).

Each step is a small frozen pydantic model with a `type` tag, so a waterfall reads the same in
YAML, JSON and Python, and a typo is a validation error rather than a silently skipped payment.
The engine (`waterfall.py`) gives each step its exact meaning; `docs/securitization.md` states it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PayFee(_Step):
    """Pay one named fee (tax, trustee, custodian, ...): this date's accrual plus anything unpaid."""

    type: Literal["pay_fee"] = "pay_fee"
    fee: str


class PayServicerFee(_Step):
    """Pay the servicer's base fee; `share` of this date's fee is paid here, the rest is deferred."""

    type: Literal["pay_servicer_fee"] = "pay_servicer_fee"
    share: Decimal = Field(default=Decimal(1), ge=0, le=1)


class PayDeferredServicerFee(_Step):
    """Pay the deferred part of the servicer's base fee (placed junior in a triggered waterfall)."""

    type: Literal["pay_deferred_servicer_fee"] = "pay_deferred_servicer_fee"


class ReimburseCosts(_Step):
    """Reimburse disposal costs the servicer advanced: the part within the cap, or the excess."""

    type: Literal["reimburse_costs"] = "reimburse_costs"
    part: Literal["capped", "excess"] = "capped"


class TopUpReserve(_Step):
    """Set cash aside in the liquidity reserve account, up to its target."""

    type: Literal["top_up_reserve"] = "top_up_reserve"


class PayInterest(_Step):
    """Pay a tranche's interest (or the subordinated tranche's fixed return): accrual plus arrears."""

    type: Literal["pay_interest"] = "pay_interest"
    tranche: str


class PayPrincipal(_Step):
    """Repay a tranche's principal with everything available (pass-through), up to its balance."""

    type: Literal["pay_principal"] = "pay_principal"
    tranche: str


class PayIncentiveFee(_Step):
    """Pay the servicer's excess incentive fee (超额奖励服务费): a share of what is still available."""

    type: Literal["pay_incentive_fee"] = "pay_incentive_fee"


class PayResidual(_Step):
    """Pay everything still available to a tranche's holder (the subordinated excess return)."""

    type: Literal["pay_residual"] = "pay_residual"
    tranche: str


Step = Annotated[
    PayFee | PayServicerFee | PayDeferredServicerFee | ReimburseCosts | TopUpReserve | PayInterest
    | PayPrincipal | PayIncentiveFee | PayResidual,
    Field(discriminator="type"),
]
