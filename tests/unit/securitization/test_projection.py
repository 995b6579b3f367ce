"""Recovery projection: from valuation results, stresses, periods, and the business plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nplhub.domain.errors import DomainError
from nplhub.securitization import projection
from nplhub.securitization.deal import Deal, PortfolioSelection
from nplhub.securitization.waterfall import simulate

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def valuation_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "loan_id": ["L1", "L1", "L2", "L2", "L3"],
        "route": ["litigation", "bulk_transfer", "litigation", "bulk_transfer", "litigation"],
        "eligible": [True, True, False, True, False],
        "npv": [900.0, 800.0, 5000.0, 300.0, 100.0],
        "gross_recovery": [1200.0, 850.0, 6000.0, 320.0, 150.0],
        "costs": [100.0, 10.0, 500.0, 5.0, 20.0],
        "months_to_recovery": [24.0, 3.0, 30.0, 4.0, 20.0],
        "p10": 0.0, "p50": 0.0, "p90": 0.0,
    })


def test_each_loan_takes_its_eligible_route_of_highest_npv() -> None:
    rec = projection.from_valuation(valuation_frame())
    got = dict(zip(rec.loan_id, zip(rec.amount, rec.months)))
    assert got == {"L1": (1200.0, 24.0), "L2": (320.0, 4.0)}  # L2's litigation is not eligible; L3 has none


def test_valuation_results_without_the_needed_columns_are_rejected() -> None:
    with pytest.raises(DomainError, match="months_to_recovery"):
        projection.from_valuation(valuation_frame().drop(columns=["months_to_recovery"]))


def test_a_haircut_cuts_and_a_delay_postpones_every_recovery() -> None:
    rec = projection.from_valuation(valuation_frame())
    s = projection.stressed(rec, projection.Stress(haircut=0.25, delay_months=6))
    np.testing.assert_allclose(s.amount, rec.amount * 0.75)
    np.testing.assert_allclose(s.months, rec.months + 6)
    np.testing.assert_allclose(s.bp_npv, rec.bp_npv)
    with pytest.raises(DomainError):
        projection.Stress(haircut=1.5)


def test_segment_curves_expand_into_loans_that_reproduce_the_curve() -> None:
    deal = Deal.load(EXAMPLES / "cn_npl_two_tranche.yaml")
    rec = projection.from_pool(deal)
    seg = deal.pool.segments[0]
    assert len(rec) == seg.loans
    assert rec.expected_recovery == pytest.approx(float(seg.gross_balance) * float(seg.recovery_rate))
    share_at_3 = np.mean(rec.months == 3)
    assert share_at_3 == pytest.approx(float(seg.timing[0].share), abs=1 / seg.loans)


def test_recoveries_land_in_the_period_ending_on_the_next_payment_date_and_late_ones_are_lost() -> None:
    deal = Deal.load(EXAMPLES / "cn_npl_two_tranche.yaml")
    bounds = projection.period_bounds(deal)
    months = np.array([0.0, bounds[0] / projection.DAYS_PER_MONTH, bounds[0] / projection.DAYS_PER_MONTH + 0.01,
                       bounds[-1] / projection.DAYS_PER_MONTH + 1])
    assert projection.period_of(deal, months).tolist() == [0, 0, 1, deal.periods]


def test_in_the_base_case_collections_equal_the_business_plan_so_the_ccr_is_one_hundred_percent() -> None:
    deal = Deal.load(EXAMPLES / "gacs_three_tranche.yaml")
    rec = projection.from_pool(deal)
    inputs = projection.period_inputs(deal, rec)
    np.testing.assert_array_equal(inputs.collections, inputs.business_plan)
    lines, _ = simulate(deal, inputs)
    assert lines["trigger:ccr:breached"].sum() == 0
    stressed = projection.period_inputs(deal, projection.stressed(rec, projection.Stress(haircut=0.2)), rec)
    lines, _ = simulate(deal, stressed)
    assert lines["trigger:ccr:breached"].all()


def test_a_portfolio_selection_filters_routes_loans_and_keeps_the_best_npvs() -> None:
    frame = valuation_frame()
    only_bulk = projection.from_valuation(frame, routes=["bulk_transfer"])
    assert dict(zip(only_bulk.loan_id, only_bulk.amount)) == {"L1": 850.0, "L2": 320.0}
    top = projection.from_valuation(frame, max_loans=1)
    assert top.loan_id.tolist() == ["L1"]
    assert projection.from_valuation(frame, loan_ids=["L2"]).loan_id.tolist() == ["L2"]
    with pytest.raises(DomainError, match="no eligible route"):
        projection.from_valuation(frame, loan_ids=["L3"])


def test_a_portfolio_pool_must_be_loaded_through_the_services() -> None:
    deal = Deal.load(EXAMPLES / "cn_npl_two_tranche.yaml")
    deal = deal.model_copy(update={"pool": deal.pool.model_copy(update={"portfolio": PortfolioSelection(max_loans=3)})})
    with pytest.raises(DomainError, match="from the portfolio"):
        projection.from_pool(deal)


def test_each_loans_level_volatility_comes_from_its_valuation_quantiles() -> None:
    frame = valuation_frame()
    frame.loc[frame["loan_id"] == "L1", ["p10", "p90"]] = [500.0, 500.0 * np.exp(2 * projection.Z90 * 0.3)]
    rec = projection.from_valuation(frame)
    sigma = dict(zip(rec.loan_id, rec.level_sigma))
    assert sigma["L1"] == pytest.approx(0.3)
    assert np.isnan(sigma["L2"])  # no simulated quantiles for L2: the model's default applies
    assert projection.from_valuation(valuation_frame()).level_sigma is None
    bad = projection.sigma_from_quantiles(np.array([-1.0, 10.0, np.nan]), np.array([5.0, 5.0, 1.0]))
    assert np.isnan(bad).all()
