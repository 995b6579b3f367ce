"""Monte Carlo: explicit seeds, block-wise reproducibility, agreement with the expected values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nplhub.valuation import ROUTES
from nplhub.valuation.assumptions import AssumptionSet, load_assumptions
from nplhub.valuation.engine import value_routes
from nplhub.valuation.montecarlo import BLOCK, path_npvs, select_for_simulation, simulate_quantiles
from nplhub.valuation.pipeline import value_portfolio
from nplhub.valuation.portfolio import build_loan_frame
from nplhub.valuation.synthetic import synthetic_tape


@pytest.fixture(scope="module")
def loans() -> pd.DataFrame:
    return build_loan_frame(synthetic_tape(700, 11), "2025-06-30", load_assumptions())


def test_the_same_seed_gives_the_same_quantiles_and_another_seed_does_not(loans: pd.DataFrame,
                                                                          assumptions: AssumptionSet) -> None:
    part = loans.iloc[:40]
    first = simulate_quantiles(part, assumptions, seed=5, paths=300)
    again = simulate_quantiles(part, assumptions, seed=5, paths=300)
    other = simulate_quantiles(part, assumptions, seed=6, paths=300)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["p50"].fillna(0), other["p50"].fillna(0))


def test_a_loan_gets_the_same_numbers_however_the_blocks_are_distributed(loans: pd.DataFrame,
                                                                         assumptions: AssumptionSet) -> None:
    part = loans.iloc[: 2 * BLOCK + 10]
    whole = simulate_quantiles(part, assumptions, seed=9, paths=64)
    split = pd.concat([
        simulate_quantiles(part.iloc[:BLOCK], assumptions, seed=9, paths=64, first_block=0),
        simulate_quantiles(part.iloc[BLOCK:], assumptions, seed=9, paths=64, first_block=1),
    ])
    key = ["loan_id", "route"]
    pd.testing.assert_frame_equal(whole.sort_values(key).reset_index(drop=True),
                                  split.sort_values(key).reset_index(drop=True))


def test_quantiles_are_ordered_and_missing_for_ineligible_routes(loans: pd.DataFrame,
                                                                 assumptions: AssumptionSet) -> None:
    frame = value_portfolio(loans, assumptions, seed=3, paths=200, top_share=0.1)
    simulated = frame[frame["p50"].notna()]
    assert simulated["loan_id"].nunique() == int(np.ceil(0.1 * len(loans)))
    assert (simulated["p10"] <= simulated["p50"]).all() and (simulated["p50"] <= simulated["p90"]).all()
    assert frame.loc[~frame["eligible"], "p50"].isna().all()
    top = set(loans.loc[select_for_simulation(loans, 0.1), "loan_id"])
    assert set(simulated["loan_id"]) <= top


def test_without_noise_the_simulated_mean_matches_the_expected_npv_for_linear_routes(
        loans: pd.DataFrame, assumptions: AssumptionSet) -> None:
    quiet = assumptions.with_values({"montecarlo.price_volatility": 0.0, "montecarlo.duration_volatility": 0.0,
                                     "montecarlo.transfer_price_volatility": 0.0})
    part = loans.iloc[:60]
    paths = 4000
    sims = path_npvs(part, quiet, seed=1, paths=paths)
    expected = value_routes(part, quiet, package_count=100)
    for route in ("collection", "bulk_transfer", "single_transfer", "debt_to_equity", "write_off"):
        det = expected[expected["route"] == route]["npv"].to_numpy()
        ok = ~np.isnan(det)
        mean = sims[route].mean(axis=1)[ok]
        se = sims[route].std(axis=1)[ok] / np.sqrt(paths)
        assert np.all(np.abs(mean - det[ok]) <= 4.5 * se + 1e-6 * np.abs(det[ok]) + 1e-6), route


def test_restructuring_simulation_agrees_with_its_expected_value_within_sampling_error(
        loans: pd.DataFrame, assumptions: AssumptionSet) -> None:
    quiet = assumptions.with_values({"montecarlo.price_volatility": 0.0, "montecarlo.duration_volatility": 0.0})
    part = loans.iloc[:40]
    sims = path_npvs(part, quiet, seed=2, paths=6000)["restructuring"]
    det = value_routes(part, quiet, package_count=100)
    det = det[det["route"] == "restructuring"]["npv"].to_numpy()
    ok = ~np.isnan(det)
    rel = np.abs(sims.mean(axis=1)[ok] - det[ok]) / det[ok]
    assert rel.max() < 0.02  # the expected value aggregates payments by quarter


def test_every_route_is_simulated(loans: pd.DataFrame, assumptions: AssumptionSet) -> None:
    sims = path_npvs(loans.iloc[:5], assumptions, seed=0, paths=10)
    assert set(sims) == set(ROUTES)
    assert all(v.shape == (5, 10) for v in sims.values())
