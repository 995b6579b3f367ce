"""The same valuation on a Dask cluster: identical results for the same seed.

The loan frame is cut into partitions; each worker values its loans (`engine.value_routes`) and
simulates whole Monte Carlo blocks (`montecarlo.simulate_quantiles` with the block numbers of the
in-process plan). Everything portfolio-wide (the batch-transfer package count, the choice of
simulated loans, the block numbers) is decided here, before the work is split, so the numbers of
a loan never depend on the number of workers. Works with a `LocalCluster` (tests) or a scheduler
address (production): pass a `distributed.Client`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from nplhub.valuation import ROUTE_VALUE_COLUMNS
from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.engine import RouteCalibration, bulk_package_count, empty_route_frame, value_routes
from nplhub.valuation.montecarlo import BLOCK, simulate_quantiles
from nplhub.valuation.pipeline import merge_quantiles, plan_monte_carlo


def _slice_calibration(calibration: Mapping[str, RouteCalibration] | None, start: int,
                       stop: int) -> dict[str, RouteCalibration] | None:
    if not calibration:
        return None
    return {r: RouteCalibration(c.recovery_rate[start:stop], c.months[start:stop], c.weight)
            for r, c in calibration.items()}


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """What a worker sends back: no loan ids (the client has them), text as categoricals."""
    out = frame.drop(columns=["loan_id"])
    for column in ("route", "reason"):
        if column in out:
            out[column] = out[column].astype("category")
    return out


def _expand(compact: pd.DataFrame, loan_ids: np.ndarray, *, loan_major: bool) -> pd.DataFrame:
    """Put the loan ids back: loan-major frames repeat each id per route, route-major ones tile them."""
    out = compact.copy()
    for column in ("route", "reason"):
        if column in out:
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
    per_id = len(out) // max(len(loan_ids), 1)
    out.insert(0, "loan_id", np.repeat(loan_ids, per_id) if loan_major else np.tile(loan_ids, per_id))
    return out


def _routes_part(loans: pd.DataFrame, a: AssumptionSet, **kwargs: Any) -> pd.DataFrame:
    return _compact(value_routes(loans, a, **kwargs))


def _quantiles_part(loans: pd.DataFrame, a: AssumptionSet, **kwargs: Any) -> pd.DataFrame:
    return _compact(simulate_quantiles(loans, a, **kwargs))


def value_portfolio_dask(loans: pd.DataFrame, a: AssumptionSet, client: Any, *, seed: int,
                         paths: int | None = None, top_share: float | None = None,
                         discount_rate: float | None = None,
                         calibration: Mapping[str, RouteCalibration] | None = None,
                         with_irr: bool = True, partitions: int | None = None) -> pd.DataFrame:
    """`pipeline.value_portfolio` computed on the workers of `client`; same frame, same order."""
    n = len(loans)
    if n == 0:
        return empty_route_frame()
    addresses = sorted(client.scheduler_info().get("workers", {}))
    workers = max(1, len(addresses))
    parts = max(1, partitions or 2 * workers)

    def place(i: int) -> dict[str, Any]:
        """Round-robin placement: scatter puts data anywhere, so pieces and tasks are spread by hand."""
        return {"workers": [addresses[i % len(addresses)]]} if addresses else {}

    def scatter(items: list[pd.DataFrame]) -> list[Any]:
        return [client.scatter(item, **place(i)) for i, item in enumerate(items)]

    package_count = bulk_package_count(loans, a)
    plan = plan_monte_carlo(loans, a, seed=seed, paths=paths, top_share=top_share)
    a_future = client.scatter(a, broadcast=True)

    bounds = np.linspace(0, n, parts + 1).astype(int)
    spans = [(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:]) if hi > lo]
    # the data goes to the workers once, as futures, not inside the task graph
    pieces = scatter([loans.iloc[lo:hi] for lo, hi in spans])
    route_futures = [
        client.submit(_routes_part, piece, a_future, discount_rate=discount_rate,
                      package_count=package_count, calibration=_slice_calibration(calibration, lo, hi),
                      with_irr=with_irr, pure=False, allow_other_workers=True, **place(i))
        for i, (piece, (lo, hi)) in enumerate(zip(pieces, spans))
    ]
    mc_futures = []
    if plan.positions.size:
        simulated = loans.iloc[plan.positions]
        n_blocks = plan.blocks()
        cuts = np.unique(np.linspace(0, n_blocks, min(parts, n_blocks) + 1).astype(int))
        groups = list(zip(cuts[:-1], cuts[1:]))
        sim_pieces = scatter([simulated.iloc[b0 * BLOCK:b1 * BLOCK] for b0, b1 in groups])
        for i, (piece, (b0, _)) in enumerate(zip(sim_pieces, groups)):
            mc_futures.append(client.submit(
                _quantiles_part, piece, a_future, seed=plan.seed, paths=plan.paths,
                discount_rate=discount_rate, first_block=int(b0), package_count=package_count, threads=1,
                pure=False, allow_other_workers=True, **place(i)))
    ids = loans["loan_id"].astype("object").to_numpy()
    frames = [_expand(part, ids[lo:hi], loan_major=True) for part, (lo, hi) in zip(client.gather(route_futures), spans)]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if mc_futures:
        sim_ids = ids[plan.positions]
        sim_parts = [_expand(part, sim_ids[b0 * BLOCK:b1 * BLOCK], loan_major=False)
                 for part, (b0, b1) in zip(client.gather(mc_futures), groups)]
        frame = merge_quantiles(frame, pd.concat(sim_parts, ignore_index=True))
    return frame.loc[:, list(ROUTE_VALUE_COLUMNS)]
