"""The whole valuation of a loan frame in process: route values, then Monte Carlo quantiles.

`value_portfolio` is the pure engine function behind the services' `latest_route_values`: it
returns the route-value frame (`ROUTE_VALUE_COLUMNS`, one row per loan and route, loan-major
in the order of `loans` and `ROUTES`). `distributed.value_portfolio_dask` computes the same frame
on a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nplhub.valuation import ROUTE_VALUE_COLUMNS, ROUTES
from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.engine import RouteCalibration, bulk_package_count, value_routes
from nplhub.valuation.montecarlo import BLOCK, select_for_simulation, simulate_quantile_arrays


@dataclass(frozen=True)
class MonteCarloPlan:
    """Which loans get simulated and how: positions in the loan frame, seed and paths."""

    positions: np.ndarray  # row positions of the simulated loans, in frame order
    seed: int
    paths: int

    def blocks(self) -> int:
        return int(np.ceil(self.positions.size / BLOCK))


def plan_monte_carlo(loans: pd.DataFrame, a: AssumptionSet, *, seed: int, paths: int | None = None,
                     top_share: float | None = None) -> MonteCarloPlan:
    share = float(a.value("montecarlo.top_share")) if top_share is None else float(top_share)
    n_paths = int(a.value("montecarlo.paths")) if paths is None else int(paths)
    flags = select_for_simulation(loans, share) if n_paths > 0 else np.zeros(len(loans), dtype=bool)
    return MonteCarloPlan(np.flatnonzero(flags), int(seed), n_paths)


def place_quantiles(frame: pd.DataFrame, positions: np.ndarray, quantiles: np.ndarray) -> pd.DataFrame:
    """Write the simulated P10/P50/P90 (`quantiles`: 3 x simulated loans x routes) into the
    route-value frame, which is loan-major in `ROUTES` order: loan position p, route j is row
    p * len(ROUTES) + j. Positional, so no join on loan ids."""
    if positions.size == 0:
        return frame
    k = len(ROUTES)
    if len(frame) % k or quantiles.shape[1:] != (positions.size, k):
        raise ValueError("the route-value frame and the quantiles do not line up")
    rows = (positions[:, None] * k + np.arange(k)).ravel()
    for i, column in enumerate(("p10", "p50", "p90")):
        values = frame[column].to_numpy("float64", copy=True)
        values[rows] = quantiles[i].ravel()
        frame[column] = values
    return frame


def value_portfolio(loans: pd.DataFrame, a: AssumptionSet, *, seed: int, paths: int | None = None,
                    top_share: float | None = None, discount_rate: float | None = None,
                    calibration: Mapping[str, RouteCalibration] | None = None, with_irr: bool = True) -> pd.DataFrame:
    """Route values for every loan and route, with P10/P50/P90 for the top loans by claim."""
    package_count = bulk_package_count(loans, a)
    frame = value_routes(loans, a, discount_rate=discount_rate, package_count=package_count,
                         calibration=calibration, with_irr=with_irr)
    plan = plan_monte_carlo(loans, a, seed=seed, paths=paths, top_share=top_share)
    if plan.positions.size:
        quantiles = simulate_quantile_arrays(loans.iloc[plan.positions], a, seed=plan.seed, paths=plan.paths,
                                             discount_rate=discount_rate, package_count=package_count)
        frame = place_quantiles(frame, plan.positions, quantiles)
    return frame.loc[:, list(ROUTE_VALUE_COLUMNS)]
