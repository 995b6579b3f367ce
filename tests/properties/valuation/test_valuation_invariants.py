"""Invariants of the valuation engine under random inputs (Hypothesis, modest example counts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from nplhub.valuation import ROUTES
from nplhub.valuation.assumptions import load_assumptions
from nplhub.valuation.collateral import allocate_collateral, revalue_collateral
from nplhub.valuation.engine import best_routes, value_routes
from nplhub.valuation.synthetic import example_loans

A = load_assumptions()
money = st.floats(min_value=0.0, max_value=5e7, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.tuples(money, st.floats(0, 2e7)), min_size=1, max_size=5),
       claims=st.lists(st.floats(1.0, 5e7), min_size=1, max_size=6),
       links=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4)), min_size=1, max_size=12))
def test_collateral_shares_never_exceed_the_item(values, claims, links) -> None:
    collateral = pd.DataFrame({
        "collateral_id": [f"K{i}" for i in range(len(values))], "collateral_type": "commercial", "region": "310115",
        "appraisal_value": [v for v, _ in values], "appraisal_date": pd.Timestamp("2025-01-01"),
        "prior_claims": [p for _, p in values], "status": "held"})
    revalued = revalue_collateral(collateral, None, pd.Timestamp("2025-06-30"), A)
    pairs = {(f"L{i % len(claims)}", f"K{k % len(values)}") for i, k in links}
    link_frame = pd.DataFrame(sorted(pairs), columns=["loan_id", "collateral_id"])
    claim_series = pd.Series({f"L{i}": c for i, c in enumerate(claims)})
    alloc = allocate_collateral(link_frame, revalued, claim_series)
    per_item = alloc.groupby("collateral_id")["net_value"].sum()
    item_value = revalued.set_index("collateral_id")["net_value"]
    assert (per_item <= item_value.reindex(per_item.index) * (1 + 1e-9) + 1e-6).all()
    assert (alloc["net_value"] >= 0).all()


loan_rows = st.fixed_dictionaries({
    "claim": st.floats(1e3, 1e8),
    "collateral_reference": st.floats(0, 1e8),
    "days_past_due": st.floats(0, 3000),
    "counterparty_type": st.sampled_from(["corporate", "sme", "individual"]),
    "legal_status": st.sampled_from(["none", "litigation", "judgment", "enforcement", "closed"]),
    "insolvency_status": st.sampled_from(["none", "restructuring", "bankruptcy", "liquidated"]),
    "reported_class": st.sampled_from(["substandard", "doubtful", "loss"]),
    "collateral_type": st.sampled_from(["residential", "industrial", "equipment", "none"]),
    "guarantee_expected": st.floats(0, 1e7),
})


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(loan_rows, min_size=1, max_size=8), rate=st.floats(0.0, 0.3))
def test_best_route_is_eligible_and_dominates_every_eligible_route(rows, rate) -> None:
    loans = example_loans(*rows)
    loans["collateral_net"] = np.minimum(loans["collateral_reference"] * 0.5, loans["claim"])
    frame = value_routes(loans, A, discount_rate=rate)
    assert len(frame) == len(loans) * len(ROUTES)
    best = best_routes(frame).set_index("loan_id")
    for loan_id, group in frame.groupby("loan_id"):
        ok = group[group["eligible"]]
        if ok.empty:
            assert best.loc[loan_id, "best_route"] is None
            continue
        assert best.loc[loan_id, "best_route"] in set(ok["route"])
        assert best.loc[loan_id, "best_npv"] >= ok["npv"].max() - 1e-6
        assert (ok["npv"] <= ok["gross_recovery"] + 1e-6).all()  # discounting never adds value
        assert (ok["costs"] >= 0).all()


@settings(max_examples=20, deadline=None)
@given(rows=st.lists(loan_rows, min_size=1, max_size=5), low=st.floats(0.0, 0.1), extra=st.floats(0.001, 0.2))
def test_a_higher_discount_rate_never_raises_a_value(rows, low, extra) -> None:
    loans = example_loans(*rows)
    loans["collateral_net"] = np.minimum(loans["collateral_reference"] * 0.5, loans["claim"])
    a = value_routes(loans, A, discount_rate=low, with_irr=False)
    b = value_routes(loans, A, discount_rate=low + extra, with_irr=False)
    ok = a["eligible"].to_numpy()
    net_positive = (a["gross_recovery"] >= a["costs"]).to_numpy() & ok
    # costs are paid at month 0 or alongside their inflow, so a positive-net route loses value
    assert (b["npv"].to_numpy()[net_positive] <= a["npv"].to_numpy()[net_positive] + 1e-6).all()
