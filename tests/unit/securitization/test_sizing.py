"""Sizing: the largest senior repaid in full under a stress, within one yuan of brute force."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from nplhub.securitization.deal import Deal
from nplhub.securitization.sizing import repaid_in_full, size_tranche
from nplhub.securitization.waterfall import PeriodInputs


def small_deal(coupon: str = "0.05") -> Deal:
    return Deal.model_validate({
        "name": "small", "closing_date": "2026-01-01", "first_payment_date": "2026-04-01",
        "frequency_months": 3, "periods": 6, "pool": {"cutoff_date": "2026-01-01"},
        "tranches": [{"name": "senior", "seniority": "senior", "balance": "1000", "coupon": coupon},
                     {"name": "sub", "seniority": "subordinated", "balance": "500"}],
        "fees": [{"name": "trustee", "basis": "notes_balance", "rate": "0.01"},
                 {"name": "agent", "basis": "fixed", "amount": "3.50"}],
        "servicer": {"base_rate": "0.05"},
        "waterfall": [{"type": "pay_fee", "fee": "trustee"}, {"type": "pay_fee", "fee": "agent"},
                      {"type": "pay_servicer_fee"}, {"type": "pay_interest", "tranche": "senior"},
                      {"type": "pay_principal", "tranche": "senior"}, {"type": "pay_principal", "tranche": "sub"},
                      {"type": "pay_residual", "tranche": "sub"}],
    })


@pytest.mark.parametrize("collections", [[300, 0, 250, 400, 0, 180], [50, 60, 70, 80, 90, 1500]])
def test_the_largest_repaid_senior_is_within_one_yuan_of_brute_force(collections) -> None:
    deal = small_deal()
    inputs = PeriodInputs(collections=np.array(collections, dtype=np.int64) * 100)
    found = size_tranche(deal, inputs)
    brute = max(s for s in range(0, sum(collections) + 2)
                if repaid_in_full(deal.with_tranche_balance("senior", Decimal(s)), inputs, "senior"))
    assert abs(int(found.balance) - brute) <= 1
    assert repaid_in_full(deal.with_tranche_balance("senior", found.balance), inputs, "senior")
    assert not repaid_in_full(deal.with_tranche_balance("senior", found.balance + 2), inputs, "senior")
    assert found.evaluations < 40


def test_a_harsher_stress_never_allows_a_larger_senior() -> None:
    deal = small_deal()
    base = np.array([300, 200, 250, 400, 100, 180], dtype=np.int64) * 100
    sizes = [size_tranche(deal, PeriodInputs(collections=base * (10 - h) // 10)).balance for h in range(0, 8, 2)]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] > sizes[-1]


def test_a_pool_that_collects_nothing_supports_no_senior_tranche() -> None:
    assert size_tranche(small_deal(), PeriodInputs(collections=np.zeros(6, dtype=np.int64))).balance == 0
