"""The engine: NPV from legs, the route-value frame, best route, chunking, IRR."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nplhub.valuation import ROUTE_VALUE_COLUMNS, ROUTES
from nplhub.valuation.assumptions import AssumptionSet, load_assumptions
from nplhub.valuation.engine import best_routes, route_legs, value_routes
from nplhub.valuation.irr import pyxirr_irr, vector_irr
from nplhub.valuation.portfolio import build_loan_frame
from nplhub.valuation.synthetic import example_loans as make_loans
from nplhub.valuation.synthetic import synthetic_tape


@pytest.fixture(scope="module")
def portfolio() -> pd.DataFrame:
    return build_loan_frame(synthetic_tape(600, 5), "2025-06-30", load_assumptions())


def test_the_frame_has_one_row_per_loan_and_route_with_the_contract_columns(
        portfolio: pd.DataFrame, assumptions: AssumptionSet) -> None:
    frame = value_routes(portfolio, assumptions)
    assert tuple(frame.columns) == ROUTE_VALUE_COLUMNS
    assert len(frame) == len(portfolio) * len(ROUTES)
    assert frame["route"].iloc[: len(ROUTES)].tolist() == list(ROUTES)
    assert frame.loc[~frame["eligible"], "npv"].isna().all()
    assert frame.loc[~frame["eligible"], "reason"].map(lambda r: isinstance(r, str) and len(r) > 5).all()
    assert frame.loc[frame["eligible"], "reason"].isna().all()


def test_npv_is_the_sum_of_discounted_net_legs_at_the_default_rate(assumptions: AssumptionSet) -> None:
    loans = make_loans({})
    frame = value_routes(loans, assumptions, package_count=5).set_index("route")
    legs = route_legs(loans, assumptions, package_count=5)["judicial_auction"].legs
    r = 0.016 + 0.05
    expected = ((legs.inflow[0] - legs.cost[0]) * (1 + r) ** (-legs.month[0] / 12)).sum()
    assert frame.loc["judicial_auction", "npv"] == pytest.approx(expected)
    lower = value_routes(loans, assumptions, discount_rate=0.02, package_count=5).set_index("route")
    assert lower.loc["judicial_auction", "npv"] > frame.loc["judicial_auction", "npv"]


def test_best_route_is_the_eligible_route_with_the_highest_npv(portfolio: pd.DataFrame,
                                                               assumptions: AssumptionSet) -> None:
    frame = value_routes(portfolio, assumptions)
    best = best_routes(frame).set_index("loan_id")
    eligible = frame[frame["eligible"]]
    top = eligible.loc[eligible.groupby("loan_id")["npv"].idxmax()].set_index("loan_id")
    assert (best.loc[top.index, "best_route"] == top["route"]).all()
    assert best.loc[top.index, "best_npv"].to_numpy() == pytest.approx(top["npv"].to_numpy())


def test_results_do_not_depend_on_the_chunk_size(portfolio: pd.DataFrame, assumptions: AssumptionSet) -> None:
    whole = value_routes(portfolio, assumptions)
    chunked = value_routes(portfolio, assumptions, chunk_size=37)
    pd.testing.assert_frame_equal(whole, chunked)


def test_vectorised_irr_agrees_with_pyxirr_on_conventional_flows() -> None:
    rng = np.random.default_rng(7)
    n = 300
    flows = np.column_stack([-rng.uniform(50, 100, n), rng.uniform(0, 60, n), rng.uniform(0, 90, n)])
    months = np.column_stack([np.zeros(n), rng.integers(1, 30, n), rng.integers(30, 80, n)]).astype(float)
    ours = vector_irr(flows, months)
    theirs = np.array([pyxirr_irr(flows[i], months[i]) for i in range(n)])
    assert np.allclose(ours, theirs, rtol=0, atol=1e-8)


def test_irr_is_the_rate_at_which_the_route_repays_the_book_value(assumptions: AssumptionSet) -> None:
    loans = make_loans({"book_value": 300_000.0})
    frame = value_routes(loans, assumptions, package_count=5).set_index("route")
    irr = frame.loc["judicial_auction", "irr"]
    at_irr = value_routes(loans, assumptions, discount_rate=irr, package_count=5).set_index("route")
    assert at_irr.loc["judicial_auction", "npv"] == pytest.approx(300_000.0, rel=1e-6)


def test_fully_provisioned_loans_have_no_irr(assumptions: AssumptionSet) -> None:
    frame = value_routes(make_loans({"book_value": 0.0}), assumptions, package_count=5)
    assert frame["irr"].isna().all()
