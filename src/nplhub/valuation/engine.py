"""The valuation engine: every route for every loan, as one route-value frame.

    npv                = Σ_j (inflow_j − cost_j) · (1 + r) ** (−month_j / 12)
    gross_recovery     = Σ_j inflow_j,  costs = Σ_j cost_j   (undiscounted)
    months_to_recovery = Σ_j inflow_j · month_j / Σ_j inflow_j
    irr                = annual rate at which the net flows repay the net book value paid at month 0

Everything is vectorised over loans; loans are processed in chunks to bound memory. Learnt
recovery models enter through `calibration`: per route, model-predicted recovery rates and
months per loan with a credibility weight z, blended as (1 − z)·assumptions + z·model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.valuation import ROUTE_VALUE_COLUMNS, ROUTES
from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.curves import discount_factors
from nplhub.valuation.irr import vector_irr
from nplhub.valuation.routes import ROUTE_FUNCTIONS, Legs, PackageCount, RouteResult, batch_accounts

Array = npt.NDArray[np.float64]
CHUNK = 100_000


@dataclass(frozen=True)
class RouteCalibration:
    """Learnt per-loan recovery rate (share of the claim) and months for one route, weight z."""

    recovery_rate: Array
    months: Array
    weight: float


def bulk_package_count(loans: pd.DataFrame, a: AssumptionSet) -> dict[str, int]:
    """Per batch channel, the loans that may go into a batch transfer before the channel's minimum
    number of accounts is applied (portfolio-wide: compute it on the whole loan frame)."""
    return batch_accounts(loans, a)


def _calibrate(legs: Legs, claim: Array, cal: RouteCalibration | None) -> Legs:
    if cal is None or cal.weight <= 0.0:
        return legs
    gross = legs.inflow.sum(axis=1)
    target = claim * np.clip(cal.recovery_rate, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(gross > 0, target / gross, 1.0)
        months = (legs.inflow * legs.month).sum(axis=1) / gross
        m_factor = np.where((gross > 0) & (months > 0), cal.months / months, 1.0)
    z = float(np.clip(cal.weight, 0.0, 1.0))
    f = (1.0 - z) + z * factor
    mf = (1.0 - z) + z * np.nan_to_num(m_factor, nan=1.0, posinf=1.0)
    return Legs(legs.inflow * f[:, None], legs.cost * f[:, None], legs.month * mf[:, None])


def route_legs(loans: pd.DataFrame, a: AssumptionSet, *, package_count: PackageCount | None = None,
               calibration: Mapping[str, RouteCalibration] | None = None) -> dict[str, RouteResult]:
    """Eligibility and (calibrated) legs of every route for the loans of `loans`."""
    claim = loans["claim"].to_numpy("float64")
    legal = a.rulebook.check(loans)  # every rule once, every field read once, for all routes
    out: dict[str, RouteResult] = {}
    for route in ROUTES:
        res = ROUTE_FUNCTIONS[route](loans, a, legal=legal, package_count=package_count)
        cal = (calibration or {}).get(route)
        if cal is not None:
            res = RouteResult(route, res.eligible, res.reason, _calibrate(res.legs, claim, cal))
        out[route] = res
    return out


def _value_chunk(loans: pd.DataFrame, a: AssumptionSet, rate: float, package_count: PackageCount | None,
                 calibration: Mapping[str, RouteCalibration] | None, with_irr: bool) -> pd.DataFrame:
    n = len(loans)
    claim = loans["claim"].to_numpy("float64")
    book = loans["book_value"].to_numpy("float64")
    results = route_legs(loans, a, package_count=package_count, calibration=calibration)
    k = len(ROUTES)
    cols: dict[str, np.ndarray] = {
        name: np.full((n, k), np.nan) for name in ("npv", "gross_recovery", "costs", "months_to_recovery", "irr")
    }
    eligible = np.zeros((n, k), dtype=bool)
    reason = np.full((n, k), None, dtype=object)
    for j, route in enumerate(ROUTES):
        res = results[route]
        legs = res.legs
        net = legs.inflow - legs.cost
        ok = res.eligible
        eligible[:, j] = ok
        reason[:, j] = res.reason
        gross = legs.inflow.sum(axis=1)
        cols["npv"][:, j] = np.where(ok, (net * discount_factors(legs.month, rate)).sum(axis=1), np.nan)
        cols["gross_recovery"][:, j] = np.where(ok, gross, np.nan)
        cols["costs"][:, j] = np.where(ok, legs.cost.sum(axis=1), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            months = (legs.inflow * legs.month).sum(axis=1) / gross
        cols["months_to_recovery"][:, j] = np.where(ok & (gross > 0), months, np.nan)
        if with_irr:
            rows = np.flatnonzero(ok & (book > 0))
            if rows.size:
                flows = np.hstack([-book[rows, None], net[rows]])
                when = np.hstack([np.zeros((rows.size, 1)), legs.month[rows]])
                cols["irr"][rows, j] = vector_irr(flows, when)
    frame = pd.DataFrame({
        "loan_id": np.repeat(loans["loan_id"].astype("object").to_numpy(), k),
        "route": np.tile(np.array(ROUTES, dtype=object), n),
        "eligible": eligible.ravel(),
        "reason": reason.ravel(),
        "claim": np.repeat(claim, k),
        **{name: values.ravel() for name, values in cols.items()},
        "p10": np.nan, "p50": np.nan, "p90": np.nan,
    })
    return frame.loc[:, list(ROUTE_VALUE_COLUMNS)]


def value_routes(loans: pd.DataFrame, a: AssumptionSet, *, discount_rate: float | None = None,
                 package_count: PackageCount | None = None,
                 calibration: Mapping[str, RouteCalibration] | None = None,
                 with_irr: bool = True, chunk_size: int = CHUNK) -> pd.DataFrame:
    """The route-value frame (without Monte Carlo quantiles) for the loan frame `loans`.

    `package_count` is the portfolio-wide number of batch-transferable loans per batch channel
    (`bulk_package_count`, computed here when None); pass it when valuing a part of a portfolio so
    that the package minimum sees the whole. Eligibility follows `a.rulebook`.
    Calibration arrays must be aligned with `loans`.
    """
    rate = a.discount_rate if discount_rate is None else float(discount_rate)
    if package_count is None:
        package_count = bulk_package_count(loans, a)
    if len(loans) == 0:
        return empty_route_frame()
    parts = []
    for start in range(0, len(loans), chunk_size):
        part = loans.iloc[start:start + chunk_size]
        cal = None
        if calibration:
            cal = {route: RouteCalibration(c.recovery_rate[start:start + chunk_size],
                                           c.months[start:start + chunk_size], c.weight)
                   for route, c in calibration.items()}
        parts.append(_value_chunk(part, a, rate, package_count, cal, with_irr))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def empty_route_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in ROUTE_VALUE_COLUMNS}).astype(
        {"loan_id": "object", "route": "object", "eligible": "bool", "reason": "object"})


def best_routes(frame: pd.DataFrame) -> pd.DataFrame:
    """Per loan: the eligible route of highest NPV (ties: the earlier route in ROUTES), its NPV, the claim.

    Loans with no eligible route get best_route None and NPV NaN.
    """
    order = {r: i for i, r in enumerate(ROUTES)}
    loans = frame.drop_duplicates("loan_id")[["loan_id", "claim"]].reset_index(drop=True)
    ok = frame[frame["eligible"] & frame["npv"].notna()]
    ok = ok.assign(_o=ok["route"].map(order)).sort_values(["loan_id", "npv", "_o"],
                                                         ascending=[True, False, True], kind="stable")
    top = ok.drop_duplicates("loan_id").set_index("loan_id")
    loans["best_route"] = loans["loan_id"].map(top["route"]).astype("object")
    loans["best_npv"] = loans["loan_id"].map(top["npv"]).astype("float64")
    loans["best_route"] = loans["best_route"].where(loans["best_route"].notna(), None)
    return loans
