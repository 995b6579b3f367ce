"""Monte Carlo of route NPVs: P10, P50, P90 per loan and route, with an explicit seed.

Sources of uncertainty per path (assumption section `montecarlo`):

* collateral value: M = exp(σ·(√w·Z_market + √(1−w)·Z_loan) − σ²/2), one market factor per path
  shared by every loan (so portfolio sums keep their correlation);
* court and workout durations: exp(σ_d·Z − σ_d²/2);
* transfer prices: exp(σ_t·Z − σ_t²/2) around the market discount curve;
* events: settlement or not, the auction round that sells (or in-kind, or nothing), the month of
  re-default of a restructured loan (exponential at the route's hazard).

Reproducibility: the market factors come from `SeedSequence(seed, spawn_key=(0,))`; loans are cut
into fixed blocks of `BLOCK` loans (by their order among the simulated loans) and block b draws
from `SeedSequence(seed, spawn_key=(1, b))`. The numbers of a loan therefore depend only on the
seed and its block, never on how the work is split across processes or Dask workers.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.valuation import ROUTES
from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.curves import discount_factors, transfer_price_ratio
from nplhub.valuation.routes import (
    ROUTE_FUNCTIONS,
    _map,
    auction_rounds,
    net_sale_proceeds,
    redefault_hazard,
    restructuring_schedule,
)

Array = npt.NDArray[np.float64]
BLOCK = 256
QUANTILES = (0.10, 0.50, 0.90)


def select_for_simulation(loans: pd.DataFrame, share: float) -> npt.NDArray[np.bool_]:
    """The top `share` of loans by claim (at least one loan when share > 0)."""
    n = len(loans)
    if n == 0 or share <= 0:
        return np.zeros(n, dtype=bool)
    k = max(1, int(np.ceil(share * n)))
    order = np.argsort(-loans["claim"].to_numpy("float64"), kind="stable")
    flag = np.zeros(n, dtype=bool)
    flag[order[:k]] = True
    return flag


def market_factors(seed: int, paths: int) -> Array:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,))).standard_normal(paths)


def _lognormal(z: Array, sigma: float) -> Array:
    return np.exp(sigma * z - 0.5 * sigma * sigma)


def simulate_block(loans: pd.DataFrame, a: AssumptionSet, rng: np.random.Generator, z_market: Array,
                   rate: float) -> dict[str, Array]:
    """Path NPVs (n, paths) of every route for one block of loans (ineligibility is ignored here)."""
    n, paths = len(loans), z_market.size
    sig = float(a.value("montecarlo.price_volatility"))
    w = float(a.value("montecarlo.market_factor_weight"))
    z_loan = rng.standard_normal((n, paths))
    coll_mult = _lognormal(np.sqrt(w) * z_market[None, :] + np.sqrt(1.0 - w) * z_loan, sig)
    dur = _lognormal(rng.standard_normal((n, paths)), float(a.value("montecarlo.duration_volatility")))
    price_mult = _lognormal(rng.standard_normal((n, paths)), float(a.value("montecarlo.transfer_price_volatility")))
    u_event = rng.random((n, paths))
    u_kind = rng.random((n, paths))

    c = loans["claim"].to_numpy("float64")[:, None]
    s = loans["collateral_net"].to_numpy("float64")[:, None] * coll_mult
    s = np.minimum(s, c)
    g = loans["guarantee_expected"].to_numpy("float64")[:, None]
    u = _map(loans["counterparty_type"], dict(a.value("unsecured.recovery_rate")), 0.05)[:, None]
    enforce = np.minimum(c, s + g + u * np.maximum(c - s - g, 0.0))
    out: dict[str, Array] = {}

    # collection
    p = _map(loans["counterparty_type"], dict(a.value("collection.settlement_probability")), 0.3)[:, None]
    settle = u_event < p
    t_s = float(a.value("collection.months_to_settlement")) * dur
    t_r = float(a.value("collection.residual_months")) * dur
    cash = np.where(settle, float(a.value("collection.settlement_share")) * enforce,
                    float(a.value("collection.residual_recovery_rate")) * c)
    when = np.where(settle, t_s, t_r)
    out["collection"] = cash * (1.0 - float(a.value("collection.cost_rate"))) * discount_factors(when, rate)

    # restructuring: payments until the re-default month, then enforcement on the balance
    claim_r = c * (1.0 - float(a.value("restructuring.principal_haircut")))
    n_months = int(a.value("restructuring.term_months"))
    instalment, balance = restructuring_schedule(n_months, float(a.value("restructuring.new_rate")))
    hazard = redefault_hazard(loans, a)[:, None]
    tau = -np.log1p(-u_kind) / np.where(hazard > 0, hazard, 1e-12)  # months to re-default
    paid_months = np.clip(np.floor(tau), 0, n_months).astype(int)
    df = discount_factors(np.arange(0, n_months + 1), rate)
    cum_pv = np.concatenate([[0.0], np.cumsum(instalment * df[1:])])
    pv = claim_r * cum_pv[paid_months]
    defaulted = tau < n_months
    bal = balance[np.clip(paid_months, 0, n_months - 1)]
    rec_rate = np.where(c > 0, enforce / np.where(c > 0, c, 1.0), 0.0)
    lag = np.where(loans["collateral_net"].to_numpy("float64") > 0,
                   np.nan_to_num(loans["months_to_sale"].to_numpy("float64"), nan=12.0),
                   float(a.value("collection.residual_months")))[:, None] * dur
    pv = pv + np.where(defaulted, claim_r * bal * rec_rate * discount_factors(paid_months + 1 + lag, rate), 0.0)
    out["restructuring"] = pv - claim_r * float(a.value("restructuring.cost_rate"))

    # transfers
    coverage = np.where(c > 0, (s + g) / np.where(c > 0, c, 1.0), 0.0)
    years = (loans["days_past_due"].to_numpy("float64") / 365.0)[:, None]
    for route, kind in (("bulk_transfer", "bulk"), ("single_transfer", "single")):
        price = c * transfer_price_ratio(coverage, np.broadcast_to(years, coverage.shape), a, kind) * price_mult
        t = float(dict(a.value("transfer.months_to_close"))[kind])
        out[route] = price * (1.0 - float(dict(a.value("transfer.cost_rate"))[kind])) * discount_factors(t, rate)

    # judicial auction, round by round
    r = auction_rounds(loans, a)
    prem = [float(x) for x in a.value("judicial_auction.price_premium")]
    start1 = r["start1"][:, None] * coll_mult
    start2 = r["start2"][:, None] * coll_mult
    p1, p2, p3 = (r["p"][:, i][:, None] for i in range(3))
    c1, c2 = p1, p1 + (1 - p1) * p2
    c3 = c2 + (1 - p1) * (1 - p2) * p3
    in_kind = (u_event >= c3) & (u_kind < float(a.value("judicial_auction.in_kind_probability")))
    price = np.select([u_event < c1, u_event < c2, u_event < c3],
                      [start1 * (1 + prem[0]), start2 * (1 + prem[1]), start2 * (1 + prem[2])],
                      default=np.where(in_kind, start2 * (1 - float(a.value("judicial_auction.in_kind_haircut"))), 0.0))
    court = (r["t1"][:, None] - 1.0) * dur
    ones = np.ones((n, 1))
    offset = np.select([u_event < c1, u_event < c2, u_event < c3],
                       [ones, (r["t2"] - r["t1"] + 1.0)[:, None] * ones, (r["t3"] - r["t1"] + 1.0)[:, None] * ones],
                       default=(r["t4"] - r["t1"] + 1.0)[:, None] * ones)
    t_sale = court + offset
    proceeds = net_sale_proceeds(price, loans, a)
    gx = np.minimum(g, np.maximum(c - proceeds, 0.0))
    residual = u * np.maximum(c - proceeds - gx, 0.0)
    not_filed = loans["legal_status"].astype("object").isin(["none", "demand_letter"]).to_numpy()[:, None]
    litigation = np.where(not_filed, c * float(a.value("court.litigation_cost_rate")), 0.0)
    t_end = court + (r["t3"] - r["t1"] + 1.0)[:, None]
    out["judicial_auction"] = (proceeds * discount_factors(t_sale, rate) + gx * discount_factors(court + 1.0, rate)
                               + residual * discount_factors(t_end, rate) - litigation)

    # debt to equity: the equity moves with the market factor
    value = c * float(a.value("debt_to_equity.conversion_value_ratio")) * _lognormal(
        np.broadcast_to(z_market[None, :], (n, paths)), sig)
    t_exit = float(a.value("debt_to_equity.exit_months")) * dur
    out["debt_to_equity"] = value * discount_factors(t_exit, rate) - c * float(a.value("debt_to_equity.cost_rate"))

    # write-off: kept-alive collection, uncertain timing
    cash_w = c * float(a.value("write_off.recovery_rate")) * (1.0 - float(a.value("write_off.cost_rate")))
    out["write_off"] = cash_w * discount_factors(float(a.value("write_off.months_to_recovery")) * dur, rate)
    return out


def simulate_quantiles(loans: pd.DataFrame, a: AssumptionSet, *, seed: int, paths: int | None = None,
                       discount_rate: float | None = None, first_block: int = 0,
                       package_count: int | None = None) -> pd.DataFrame:
    """P10/P50/P90 of the NPV per (loan, route) for the loans given (all of them are simulated).

    `first_block` is the block number of the first row: the caller cuts the simulated loans into
    whole blocks of `BLOCK` rows. Ineligible routes get NaN.
    """
    paths = int(a.value("montecarlo.paths")) if paths is None else int(paths)
    rate = a.discount_rate if discount_rate is None else float(discount_rate)
    z_market = market_factors(seed, paths)
    frames = []
    for i, start in enumerate(range(0, len(loans), BLOCK)):
        block = loans.iloc[start:start + BLOCK]
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, first_block + i)))
        npvs = simulate_block(block, a, rng, z_market, rate)
        qs = {route: np.quantile(npvs[route], QUANTILES, axis=1) for route in ROUTES}
        for route in ROUTES:
            eligible = ROUTE_FUNCTIONS[route](block, a, package_count=package_count).eligible
            q = np.where(eligible[None, :], qs[route], np.nan)
            frames.append(pd.DataFrame({"loan_id": block["loan_id"].astype("object").to_numpy(), "route": route,
                                        "p10": q[0], "p50": q[1], "p90": q[2]}))
    if not frames:
        return pd.DataFrame(columns=["loan_id", "route", "p10", "p50", "p90"])
    return pd.concat(frames, ignore_index=True)


def path_npvs(loans: pd.DataFrame, a: AssumptionSet, *, seed: int, paths: int,
              discount_rate: float | None = None) -> dict[str, Array]:
    """All path NPVs (n, paths) per route, blocks as in `simulate_quantiles` (for tests and explain)."""
    rate = a.discount_rate if discount_rate is None else float(discount_rate)
    z_market = market_factors(seed, paths)
    parts: dict[str, list[Array]] = {route: [] for route in ROUTES}
    for i, start in enumerate(range(0, len(loans), BLOCK)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, i)))
        npvs = simulate_block(loans.iloc[start:start + BLOCK], a, rng, z_market, rate)
        for route in ROUTES:
            parts[route].append(npvs[route])
    return {route: np.vstack(v) if v else np.zeros((0, paths)) for route, v in parts.items()}
