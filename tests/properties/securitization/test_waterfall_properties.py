"""Hypothesis: random deals and collections agree with the Fraction oracle to the fen; cash is
conserved on every date; a junior tranche is never repaid while a senior one is owed."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nplhub.securitization.deal import Deal
from nplhub.securitization.waterfall import PeriodInputs, outflow_line_names, simulate

_path = Path(__file__).resolve().parents[2] / "golden" / "securitization" / "fraction_oracle.py"
_spec = importlib.util.spec_from_file_location("fraction_oracle", _path)
oracle = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fraction_oracle", oracle)
_spec.loader.exec_module(oracle)

amount = st.integers(min_value=0, max_value=5_000_000_00).map(lambda c: Decimal(c) / 100)
rate = st.integers(min_value=0, max_value=120_000).map(lambda p: Decimal(p) / 1_000_000)
small = st.integers(min_value=0, max_value=50_000_00).map(lambda c: Decimal(c) / 100)
quarter = st.integers(min_value=0, max_value=250_000).map(lambda p: Decimal(p) / 1_000_000)
share = st.integers(min_value=0, max_value=1_000_000).map(lambda p: Decimal(p) / 1_000_000)


@st.composite
def deals(draw, shuffled: bool = False):
    n_tr = draw(st.integers(1, 3))
    kinds = ["senior", "mezzanine", "subordinated"][-n_tr:] if n_tr < 3 else ["senior", "mezzanine", "subordinated"]
    tranches = [{"name": f"t{i}", "seniority": kinds[i], "balance": str(draw(amount)), "coupon": str(draw(rate))}
                for i in range(n_tr)]
    fees = []
    for j in range(draw(st.integers(0, 3))):
        basis = draw(st.sampled_from(["notes_balance", "tranche_balance", "collections", "fixed"]))
        fee = {"name": f"f{j}", "basis": basis, "rate": str(draw(rate)), "amount": str(draw(small))}
        if basis == "tranche_balance":
            fee["tranche"] = draw(st.sampled_from([t["name"] for t in tranches]))
        fees.append(fee)
    names = [t["name"] for t in tranches]

    def waterfall(deferral: bool):
        steps = [{"type": "pay_fee", "fee": f["name"]} for f in fees]
        steps.append({"type": "reimburse_costs", "part": "capped"})
        steps.append({"type": "pay_servicer_fee", "share": str(draw(share)) if deferral else "1"})
        steps += [{"type": "pay_interest", "tranche": names[0]}, {"type": "top_up_reserve"}]
        for n in names[1:]:
            steps.append({"type": "pay_interest", "tranche": n})
        steps.append({"type": "reimburse_costs", "part": "excess"})
        steps += [{"type": "pay_principal", "tranche": n} for n in names]
        if deferral:
            steps.append({"type": "pay_deferred_servicer_fee"})
        steps.append({"type": "pay_incentive_fee"})
        if draw(st.booleans()):
            steps.append({"type": "pay_residual", "tranche": names[-1]})
        return draw(st.permutations(steps)) if shuffled else steps

    periods = draw(st.integers(1, 10))
    closing = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 700)))
    data = {
        "name": "random", "closing_date": closing.isoformat(),
        "first_payment_date": (closing + timedelta(days=draw(st.integers(1, 200)))).isoformat(),
        "frequency_months": draw(st.sampled_from([1, 3, 6])), "periods": periods,
        "rounding": draw(st.sampled_from(["half_even", "floor"])),
        "pool": {"cutoff_date": closing.isoformat()},
        "tranches": tranches, "fees": fees,
        "servicer": {"base_rate": str(draw(rate)), "cost_cap_rate": str(draw(share)), "incentive_rate": str(draw(share))},
        "waterfall": waterfall(False),
    }
    if draw(st.booleans()):
        data["reserve"] = {"initial_balance": str(draw(small)), "target_multiple": str(draw(share) * 2),
                           "covered_fees": [f["name"] for f in fees][:1], "covered_tranches": names[:1]}
    if draw(st.booleans()):
        data["clean_up_call"] = {"threshold": str(draw(quarter)), "price_share": str(draw(share))}
    if draw(st.booleans()):
        data["triggers"] = [{"name": "ccr", "kind": "cumulative_collection_ratio",
                             "threshold": str(draw(share)), "curable": draw(st.booleans())},
                            {"name": "npv", "kind": "npv_profitability_ratio", "threshold": str(draw(share))}]
        data["waterfall_on_trigger"] = waterfall(True)
        data["business_plan"] = [str(draw(amount)) for _ in range(periods)]
    deal = Deal.model_validate(data)
    cents = st.integers(0, 3_000_000_00)
    inputs = PeriodInputs(
        collections=np.array([draw(cents) for _ in range(periods)], dtype=np.int64),
        costs=np.array([draw(cents) // 10 for _ in range(periods)], dtype=np.int64),
        closed_collections=np.array([draw(cents) for _ in range(periods)], dtype=np.int64),
        closed_bp_npv=np.array([draw(cents) for _ in range(periods)], dtype=np.int64),
    )
    return deal, inputs


def _yuan(a: np.ndarray) -> list[str]:
    return [str(Decimal(int(v)) / 100) for v in a]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_random_deals_agree_with_the_fraction_oracle_to_the_fen(case) -> None:
    deal, inputs = case
    lines, _ = simulate(deal, inputs)
    expected = oracle.oracle_waterfall(deal, _yuan(inputs.collections), _yuan(inputs.costs),
                                       _yuan(inputs.closed_collections), _yuan(inputs.closed_bp_npv))
    for name, values in expected.items():
        flag = name.endswith((":breached", "called", "triggered"))
        want = [int(v if flag else v * 100) for v in values]
        got = [int(v) for v in lines.get(name, np.zeros((deal.periods, 1), np.int64))[:, 0]]
        assert got == want, name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals(shuffled=True))
def test_any_order_of_steps_agrees_with_the_fraction_oracle_to_the_fen(case) -> None:
    deal, inputs = case
    lines, _ = simulate(deal, inputs)
    expected = oracle.oracle_waterfall(deal, _yuan(inputs.collections), _yuan(inputs.costs),
                                       _yuan(inputs.closed_collections), _yuan(inputs.closed_bp_npv))
    for name, values in expected.items():
        flag = name.endswith((":breached", "called", "triggered"))
        want = [int(v if flag else v * 100) for v in values]
        got = [int(v) for v in lines.get(name, np.zeros((deal.periods, 1), np.int64))[:, 0]]
        assert got == want, name


@settings(max_examples=60, deadline=None)
@given(deals(shuffled=True))
def test_cash_in_equals_cash_out_on_every_payment_date(case) -> None:
    deal, inputs = case
    lines, _ = simulate(deal, inputs)
    outflow = sum(lines.get(n, 0) for n in outflow_line_names(deal))
    np.testing.assert_array_equal(lines["inflow_total"], outflow)
    inflow = (lines["collections"] + lines["reserve_release"] + lines["brought_forward"] + lines["call_proceeds"])
    np.testing.assert_array_equal(lines["inflow_total"], inflow)


@settings(max_examples=60, deadline=None)
@given(deals())
def test_no_junior_principal_is_paid_while_a_senior_tranche_is_owed(case) -> None:
    deal, inputs = case
    lines, _ = simulate(deal, inputs)
    names = [t.name for t in deal.tranches]
    for k in range(deal.periods):
        for senior, junior in zip(names, names[1:]):
            if lines[f"tranche:{junior}:principal_paid"][k, 0] > 0:
                assert lines[f"tranche:{senior}:balance"][k, 0] == 0
            if lines[f"tranche:{senior}:balance"][k, 0] > 0:
                assert lines.get(f"tranche:{names[-1]}:residual_paid", np.zeros((deal.periods, 1)))[k, 0] == 0


@settings(max_examples=30, deadline=None)
@given(deals(), st.lists(st.integers(0, 3_000_000_00), min_size=3, max_size=3), st.integers(0, 2**31))
def test_running_many_paths_at_once_gives_each_path_its_own_waterfall(case, scales, seed) -> None:
    deal, inputs = case
    rng = np.random.default_rng(seed)
    paths = 4
    coll = np.stack([inputs.collections, *[rng.integers(0, s + 1, deal.periods) for s in scales]])
    costs = np.stack([inputs.costs] * paths)
    closed = np.stack([inputs.closed_collections] * paths)
    npv = np.stack([inputs.closed_bp_npv] * paths)
    together, _ = simulate(deal, PeriodInputs(coll, costs, closed, npv))
    for p in range(paths):
        alone, _ = simulate(deal, PeriodInputs(coll[p], costs[p], closed[p], npv[p]))
        for name, values in alone.items():
            np.testing.assert_array_equal(together[name][:, p], values[:, 0], err_msg=name)
