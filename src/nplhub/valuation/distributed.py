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

from nplhub.valuation import ROUTE_VALUE_COLUMNS, ROUTES
from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.engine import RouteCalibration, bulk_package_count, empty_route_frame, value_routes
from nplhub.valuation.montecarlo import BLOCK, simulate_quantile_arrays
from nplhub.valuation.pipeline import place_quantiles, plan_monte_carlo


def _slice_calibration(calibration: Mapping[str, RouteCalibration] | None, start: int,
                       stop: int) -> dict[str, RouteCalibration] | None:
    if not calibration:
        return None
    return {r: RouteCalibration(c.recovery_rate[start:stop], c.months[start:stop], c.weight)
            for r, c in calibration.items()}


def _lean(loans: pd.DataFrame) -> pd.DataFrame:
    """What goes to a worker: no loan ids (results come back by position), and the text columns
    as categoricals, whose pickles are small integer codes instead of a Python object per cell."""
    out = loans.drop(columns=["loan_id"])
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].astype("category")
    return out


def _restore(lean: pd.DataFrame) -> pd.DataFrame:
    """The worker's loan frame as the engine knows it: text back to object, positions as loan ids."""
    out = lean.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
    out.insert(0, "loan_id", np.arange(len(out)))
    return out


def _routes_part(lean: pd.DataFrame, a: AssumptionSet, **kwargs: Any) -> dict[str, Any]:
    """Route values of one part, column by column (loan-major, `ROUTES` order): the reason text as
    codes into its categories, every other column as its numpy array."""
    frame = value_routes(_restore(lean), a, **kwargs)
    columns: dict[str, Any] = {}
    for column in ROUTE_VALUE_COLUMNS:
        if column in ("loan_id", "route"):
            continue
        if column == "reason":
            reason = pd.Categorical(frame[column])
            columns[column] = (reason.codes, np.asarray(reason.categories, dtype=object))
        else:
            columns[column] = frame[column].to_numpy()
    return columns


def _quantiles_part(lean: pd.DataFrame, a: AssumptionSet, **kwargs: Any) -> np.ndarray:
    return simulate_quantile_arrays(_restore(lean), a, **kwargs)


def _assemble(parts: list[dict[str, Any]], loan_ids: np.ndarray) -> pd.DataFrame:
    """The route-value frame from the workers' columns, in the order of `ROUTE_VALUE_COLUMNS`."""
    k = len(ROUTES)
    data: dict[str, Any] = {"loan_id": np.repeat(loan_ids, k),
                            "route": np.tile(np.array(ROUTES, dtype=object), len(loan_ids))}
    for column in ROUTE_VALUE_COLUMNS[2:]:  # after loan_id, route
        if column == "reason":
            texts = []
            for part in parts:
                codes, categories = part[column]
                picked = categories[codes] if len(categories) else np.empty(len(codes), dtype=object)
                picked[codes < 0] = None  # -1: no reason (an eligible route)
                texts.append(picked)
            data[column] = np.concatenate(texts)
        else:
            data[column] = np.concatenate([part[column] for part in parts])
    return pd.DataFrame(data)


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
    lean = _lean(loans)
    # the data goes to the workers once, as futures, not inside the task graph
    pieces = scatter([lean.iloc[lo:hi] for lo, hi in spans])
    route_futures = [
        client.submit(_routes_part, piece, a_future, discount_rate=discount_rate,
                      package_count=package_count, calibration=_slice_calibration(calibration, lo, hi),
                      with_irr=with_irr, pure=False, allow_other_workers=True, **place(i))
        for i, (piece, (lo, hi)) in enumerate(zip(pieces, spans))
    ]
    mc_futures = []
    if plan.positions.size:
        simulated = lean.iloc[plan.positions]
        n_blocks = plan.blocks()
        cuts = np.unique(np.linspace(0, n_blocks, min(parts, n_blocks) + 1).astype(int))
        groups = list(zip(cuts[:-1], cuts[1:]))
        sim_pieces = scatter([simulated.iloc[b0 * BLOCK:b1 * BLOCK] for b0, b1 in groups])
        for i, (piece, (b0, _)) in enumerate(zip(sim_pieces, groups)):
            mc_futures.append(client.submit(
                _quantiles_part, piece, a_future, seed=plan.seed, paths=plan.paths,
                discount_rate=discount_rate, first_block=int(b0), package_count=package_count, threads=1,
                pure=False, allow_other_workers=True, **place(i)))
    frame = _assemble(client.gather(route_futures), loans["loan_id"].astype("object").to_numpy())
    if mc_futures:
        frame = place_quantiles(frame, plan.positions, np.concatenate(client.gather(mc_futures), axis=1))
    return frame  # _assemble built the columns in ROUTE_VALUE_COLUMNS order
