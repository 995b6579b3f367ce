"""Waterfall rules on small hand-made deals, with the figures worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from nplhub.securitization.cents import scale
from nplhub.securitization.deal import Deal
from nplhub.securitization.report import run_waterfall
from nplhub.securitization.waterfall import PeriodInputs, simulate


def deal(**update) -> Deal:
    data = {
        "name": "hand", "closing_date": "2026-01-01", "first_payment_date": "2027-01-01",
        "frequency_months": 12, "periods": 3, "pool": {"cutoff_date": "2026-01-01"},
        "tranches": [{"name": "A", "seniority": "senior", "balance": "1000", "coupon": "0.10"},
                     {"name": "B", "seniority": "mezzanine", "balance": "500", "coupon": "0.20"}],
        "fees": [{"name": "trustee", "basis": "notes_balance", "rate": "0.01"}],
        "servicer": {"base_rate": "0.10", "cost_cap_rate": "0.05"},
        "waterfall": [{"type": "pay_fee", "fee": "trustee"}, {"type": "reimburse_costs", "part": "capped"},
                      {"type": "pay_servicer_fee"}, {"type": "pay_interest", "tranche": "A"},
                      {"type": "reimburse_costs", "part": "excess"}, {"type": "pay_principal", "tranche": "A"},
                      {"type": "pay_interest", "tranche": "B"}, {"type": "pay_principal", "tranche": "B"}],
    }
    data.update(update)
    return Deal.model_validate(data)


def cents(*yuan: float) -> np.ndarray:
    return np.array([round(y * 100) for y in yuan], dtype=np.int64)


def test_a_year_of_fees_interest_and_principal_worked_by_hand() -> None:
    # 2026 has 365 days: trustee 1% of 1,500 = 15; servicer 10% of 600 = 60; A interest 100;
    # costs 40 of which 30 within the cap (5% of 600), 10 excess; A principal 600-15-30-60-100-10 = 385
    r = run_waterfall(deal(), PeriodInputs(collections=cents(600, 0, 0), costs=cents(40, 0, 0)))
    assert r.line("fee:trustee:paid")[0] == 1500
    assert r.line("costs:capped_paid")[0] == 3000
    assert r.line("servicer_fee:paid")[0] == 6000
    assert r.line("tranche:A:interest_paid")[0] == 10000
    assert r.line("costs:excess_paid")[0] == 1000
    assert r.line("tranche:A:principal_paid")[0] == 38500
    assert r.line("tranche:B:interest_paid")[0] == 0
    assert r.line("tranche:B:interest_shortfall")[0] == 10000  # 20% of 500, in arrears


def test_interest_in_arrears_is_paid_before_the_next_principal_but_earns_no_interest() -> None:
    r = run_waterfall(deal(), PeriodInputs(collections=cents(600, 2000, 0), costs=cents(40, 0, 0)))
    # year 2 (365 days): B owes 100 of arrears + 20% of 500 = 200 in all
    assert r.line("tranche:B:interest_paid")[1] == 20000
    assert r.line("tranche:B:interest_shortfall")[1] == 0


def test_the_cost_cap_moves_costs_above_it_below_senior_interest() -> None:
    r = run_waterfall(deal(), PeriodInputs(collections=cents(100, 0, 0), costs=cents(50, 0, 0)))
    # cap 5 paid first; trustee 15; servicer 10; A interest 70 of 100 (only 70 left); excess 45 unpaid
    assert r.line("costs:capped_paid")[0] == 500
    assert r.line("tranche:A:interest_paid")[0] == 7000
    assert r.line("costs:excess_paid")[0] == 0


def test_the_liquidity_reserve_pays_senior_interest_when_nothing_is_collected() -> None:
    d = deal(reserve={"initial_balance": "200", "target_multiple": "1.5", "covered_fees": ["trustee"],
                      "covered_tranches": ["A"]},
             waterfall=[{"type": "pay_fee", "fee": "trustee"}, {"type": "pay_interest", "tranche": "A"},
                        {"type": "top_up_reserve"}, {"type": "pay_principal", "tranche": "A"},
                        {"type": "pay_interest", "tranche": "B"}, {"type": "pay_principal", "tranche": "B"}])
    r = run_waterfall(d, PeriodInputs(collections=cents(0, 0, 0)))
    assert r.line("reserve_release")[0] == 20000
    assert r.line("tranche:A:interest_paid")[0] == 10000
    assert r.line("fee:trustee:paid")[0] == 1500
    assert r.line("reserve:top_up")[0] == 20000 - 11500  # all that is left, below the target of 172.50
    assert r.line("reserve:target")[0] == 17250  # 1.5 x (15 + 100) for next year's 365 days
    assert r.line("reserve:target")[-1] == 0  # released on the last date


def test_a_curable_trigger_is_tested_afresh_on_each_date_and_a_sticky_one_stays_breached() -> None:
    def with_trigger(curable: bool) -> Deal:
        d = deal()
        return d.model_copy(update={
            "triggers": [d.model_validate({**d.to_dict(), "triggers": [
                {"name": "ccr", "kind": "cumulative_collection_ratio", "threshold": "0.9", "curable": curable}],
                "waterfall_on_trigger": d.to_dict()["waterfall"]}).triggers[0]],
            "waterfall_on_trigger": d.waterfall, "business_plan": [Decimal(100), Decimal(100), Decimal(100)]})

    inputs = PeriodInputs(collections=cents(50, 200, 60))  # CCR 50%, 125%, 103%
    cured, _ = simulate(with_trigger(True), inputs)
    sticky, _ = simulate(with_trigger(False), inputs)
    assert cured["trigger:ccr:breached"][:, 0].tolist() == [1, 0, 0]
    assert sticky["trigger:ccr:breached"][:, 0].tolist() == [1, 1, 1]


def test_a_junior_fee_deferred_under_the_triggered_waterfall_is_paid_after_principal() -> None:
    d = deal()
    triggered = [{"type": "pay_fee", "fee": "trustee"}, {"type": "pay_servicer_fee", "share": "0.8"},
                 {"type": "pay_interest", "tranche": "A"}, {"type": "pay_principal", "tranche": "A"},
                 {"type": "pay_interest", "tranche": "B"}, {"type": "pay_principal", "tranche": "B"},
                 {"type": "pay_deferred_servicer_fee"}]
    d = Deal.model_validate({**d.to_dict(), "triggers": [{"name": "ccr", "kind": "cumulative_collection_ratio"}],
                             "waterfall_on_trigger": triggered, "business_plan": ["5000", "0", "0"]})
    r = run_waterfall(d, PeriodInputs(collections=cents(1000, 0, 0)))
    assert r.line("waterfall_triggered")[0] == 1
    assert r.line("servicer_fee:paid")[0] == 8000  # 80% of 10% of 1,000
    assert r.line("servicer_fee:deferred")[0] == 2000
    assert r.line("servicer_fee:deferred_paid")[0] == 0  # nothing left after A's principal


def test_exact_scaling_rounds_half_to_even_or_floors_even_on_ties() -> None:
    a = np.array([1, 3, 5, 7, 10**12 + 1, 0], dtype=np.int64)
    assert scale(a, 1, 2, floor=False).tolist() == [0, 2, 2, 4, 500000000000, 0]
    assert scale(a, 1, 2, floor=True).tolist() == [0, 1, 2, 3, 500000000000, 0]
    big = np.array([10**14 + 7], dtype=np.int64)
    assert scale(big, 3, 7, floor=True).tolist() == [(10**14 + 7) * 3 // 7]


def test_a_clean_up_call_settles_every_claim_and_pays_at_least_its_share_of_the_remaining_plan() -> None:
    d = deal(clean_up_call={"threshold": "0.6", "price_share": "0.9"}, business_plan=["900", "800", "600"],
             waterfall=[*deal().to_dict()["waterfall"], {"type": "pay_residual", "tranche": "B"}])
    r = run_waterfall(d, PeriodInputs(collections=cents(900, 800, 600)))
    # date 1: notes 1,500 > 900, no call; A repaid 900 - 15 - 90 - 100 = 695; date 2: notes 805 <= 900
    called = [int(v) for v in r.line("called")]
    assert called == [0, 1] and len(r.dates) == 2  # the deal ends on the call date
    assert r.line("call_proceeds")[1] == 54000  # 90% of the 600 still planned, above the 323.55 needed
    assert r.tranche("A").balance_end == 0 and r.tranche("B").balance_end == 0
    assert r.line("tranche:B:residual_paid")[1] > 0  # the surplus over the claims reaches the residual


def test_amounts_beyond_exact_integer_arithmetic_are_refused_not_wrapped_around() -> None:
    import pytest

    from nplhub.domain.errors import DomainError

    with pytest.raises(DomainError, match="too large"):
        simulate(deal(), PeriodInputs(collections=np.array([3 * 10**12, 2 * 10**12, 0], dtype=np.int64)))
    with pytest.raises(DomainError, match="business plan has 2 periods"):
        simulate(deal(), PeriodInputs(collections=cents(1, 2, 3), business_plan=cents(1, 2)))
