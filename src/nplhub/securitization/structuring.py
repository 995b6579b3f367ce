"""Structure a two-tranche Chinese NPL deal from a pool's projected recoveries.

The recipe follows the 2016-2025 interbank deals (domain reference §5.1): a pass-through senior
tranche with a fixed coupon sized as the largest one repaid in full under a stress, capped at a
share of the expected recovery (the deals sit at 46-78% of the lower agency estimate); an unrated
subordinated tranche at `subordination` of the issuance, sold above par; a liquidity reserve of
1.5x next period's fees and senior interest; a servicer paid a base fee, costs under a cap and an
excess incentive fee.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from nplhub.domain.errors import DomainError
from nplhub.securitization.deal import Deal, add_months
from nplhub.securitization.projection import LoanRecoveries, Stress, period_inputs, stressed
from nplhub.securitization.sizing import size_tranche


@dataclass(frozen=True)
class StructuringTerms:
    name: str = "nplhub NPL ABS"
    cutoff_date: date = date(2026, 1, 1)
    frequency_months: int = 3
    senior_coupon: Decimal = Decimal("0.0240")
    sub_price: Decimal = Decimal("105")
    max_senior_share: Decimal = Decimal("0.65")  # of the expected recovery
    subordination: Decimal = Decimal("0.25")  # sub / issuance
    sizing_stress: Stress = Stress(haircut=0.30, delay_months=6)
    max_periods: int = 40


def _waterfall() -> list[dict[str, str]]:
    return [
        {"type": "pay_fee", "fee": "tax"}, {"type": "pay_fee", "fee": "trustee"},
        {"type": "pay_fee", "fee": "custodian"}, {"type": "reimburse_costs", "part": "capped"},
        {"type": "pay_servicer_fee"}, {"type": "pay_interest", "tranche": "senior"},
        {"type": "top_up_reserve"}, {"type": "reimburse_costs", "part": "excess"},
        {"type": "pay_principal", "tranche": "senior"}, {"type": "pay_principal", "tranche": "sub"},
        {"type": "pay_interest", "tranche": "sub"}, {"type": "pay_incentive_fee"},
        {"type": "pay_residual", "tranche": "sub"},
    ]


def structure_two_tranche(rec: LoanRecoveries, terms: StructuringTerms | None = None) -> Deal:
    t = terms or StructuringTerms()
    if len(rec) == 0 or rec.expected_recovery <= 0:
        raise DomainError("the pool has no expected recovery to securitise")
    closing = t.cutoff_date + timedelta(days=75)
    first = add_months(t.cutoff_date, t.frequency_months + 3)
    # legal final: room for late recoveries (timing shocks stretch the slowest ones)
    horizon = 1.5 * float(rec.months.max()) + float(t.sizing_stress.delay_months) + 12
    periods = max(4, min(t.max_periods, math.ceil(horizon / t.frequency_months)))
    expected = Decimal(str(round(rec.expected_recovery, 2)))
    data = {
        "name": t.name, "closing_date": closing.isoformat(), "first_payment_date": first.isoformat(),
        "frequency_months": t.frequency_months, "periods": periods,
        "pool": {"cutoff_date": t.cutoff_date.isoformat()},
        "tranches": [
            {"name": "senior", "seniority": "senior", "balance": "1", "coupon": str(t.senior_coupon), "rating": "AAAsf"},
            {"name": "sub", "seniority": "subordinated", "balance": "0", "issue_price": str(t.sub_price)},
        ],
        "fees": [{"name": "tax", "kind": "tax", "basis": "notes_balance", "rate": "0.0015"},
                 {"name": "trustee", "kind": "trustee", "basis": "notes_balance", "rate": "0.0005"},
                 {"name": "custodian", "kind": "custodian", "basis": "notes_balance", "rate": "0.0001"}],
        "servicer": {"base_rate": "0.04", "cost_cap_rate": "0.08", "incentive_rate": "0.20"},
        "reserve": {"initial_balance": "0", "target_multiple": "1.5",
                    "covered_fees": ["tax", "trustee", "custodian"], "covered_tranches": ["senior"]},
        "clean_up_call": {"threshold": "0.05"},
        "waterfall": _waterfall(),
    }
    deal = Deal.model_validate(data)
    stressed_inputs = period_inputs(deal, stressed(rec, t.sizing_stress), rec)
    found = size_tranche(deal, stressed_inputs).balance
    cap = (expected * t.max_senior_share).quantize(Decimal(1), rounding=ROUND_DOWN)
    senior = (min(found, cap) / 10000).quantize(Decimal(1), rounding=ROUND_DOWN) * 10000
    if senior <= 0:
        raise DomainError("no senior tranche survives the sizing stress: the pool recovers too little, too late")
    sub = (senior * t.subordination / (1 - t.subordination) / 10000).quantize(Decimal(1), rounding=ROUND_DOWN) * 10000
    days = (first - closing).days
    reserve = (Decimal("1.5") * (senior * t.senior_coupon + (senior + sub) * Decimal("0.0021")) * days / 365)
    deal = deal.with_tranche_balance("senior", senior).with_tranche_balance("sub", sub)
    assert deal.reserve is not None
    return deal.model_copy(update={"reserve": deal.reserve.model_copy(
        update={"initial_balance": reserve.quantize(Decimal("0.01"), rounding=ROUND_DOWN)})})
