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

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.valuation import ROUTES
from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.curves import discount_factors, transfer_price_ratio
from nplhub.valuation.routes import (
    ROUTE_FUNCTIONS,
    PackageCount,
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


F = np.float32  # path arithmetic in single precision: quantiles of estimates, not ledger amounts


def _lognormal(z: npt.NDArray[np.float32], sigma: float) -> npt.NDArray[np.float32]:
    return np.exp(F(sigma) * z - F(0.5 * sigma * sigma))


def _df(months: npt.ArrayLike, rate: float) -> npt.NDArray[np.float32]:
    """(1 + r) ** (−m / 12) in single precision, as an exponential."""
    return np.exp(np.asarray(months, dtype=F) * F(-np.log1p(rate) / 12.0))


def _col(loans: pd.DataFrame, name: str) -> npt.NDArray[np.float32]:
    return loans[name].to_numpy("float64").astype(F)[:, None]


def simulate_block(loans: pd.DataFrame, a: AssumptionSet, rng: np.random.Generator, z_market: Array,
                   rate: float, routes: tuple[str, ...] = ROUTES) -> dict[str, npt.NDArray[np.float32]]:
    """Path NPVs (n, paths) of the requested routes for one block of loans (eligibility ignored).

    The draws are always made in the same order, whichever routes are requested.
    """
    n, paths = len(loans), z_market.size
    sig = float(a.value("montecarlo.price_volatility"))
    w = float(a.value("montecarlo.market_factor_weight"))
    zm = z_market.astype(F)[None, :]
    z_loan = rng.standard_normal((n, paths), dtype=F)
    coll_mult = _lognormal(F(np.sqrt(w)) * zm + F(np.sqrt(1.0 - w)) * z_loan, sig)
    dur = _lognormal(rng.standard_normal((n, paths), dtype=F), float(a.value("montecarlo.duration_volatility")))
    price_mult = _lognormal(rng.standard_normal((n, paths), dtype=F),
                            float(a.value("montecarlo.transfer_price_volatility")))
    u_event = rng.random((n, paths), dtype=F)
    u_kind = rng.random((n, paths), dtype=F)

    c = _col(loans, "claim")
    s = np.minimum(_col(loans, "collateral_net") * coll_mult, c)
    g = _col(loans, "guarantee_expected")
    u = _map(loans["counterparty_type"], dict(a.value("unsecured.recovery_rate")), 0.05).astype(F)[:, None]
    enforce = np.minimum(c, s + g + u * np.maximum(c - s - g, F(0)))
    out: dict[str, npt.NDArray[np.float32]] = {}

    if "collection" in routes:
        p = _map(loans["counterparty_type"], dict(a.value("collection.settlement_probability")), 0.3).astype(F)[:, None]
        settle = u_event < p
        cash = np.where(settle, F(a.value("collection.settlement_share")) * enforce,
                        F(a.value("collection.residual_recovery_rate")) * c)
        when = np.where(settle, F(a.value("collection.months_to_settlement")),
                        F(a.value("collection.residual_months"))) * dur
        out["collection"] = cash * F(1.0 - float(a.value("collection.cost_rate"))) * _df(when, rate)

    if "restructuring" in routes:
        # payments until the re-default month, then enforcement on the balance left
        claim_r = c * F(1.0 - float(a.value("restructuring.principal_haircut")))
        n_months = int(a.value("restructuring.term_months"))
        instalment, balance = restructuring_schedule(n_months, float(a.value("restructuring.new_rate")))
        hazard = redefault_hazard(loans, a).astype(F)[:, None]
        tau = -np.log1p(-u_kind) / np.maximum(hazard, F(1e-12))  # months to re-default
        paid_months = np.clip(np.floor(tau), 0, n_months).astype(np.int32)
        df = discount_factors(np.arange(0, n_months + 1), rate)
        cum_pv = np.concatenate([[0.0], np.cumsum(instalment * df[1:])]).astype(F)
        bal = balance.astype(F)[np.minimum(paid_months, n_months - 1)]
        rec_rate = np.where(c > 0, enforce / np.where(c > 0, c, F(1)), F(0))
        lag = np.where(loans["collateral_net"].to_numpy("float64") > 0,
                       np.nan_to_num(loans["months_to_sale"].to_numpy("float64"), nan=12.0),
                       float(a.value("collection.residual_months"))).astype(F)[:, None] * dur
        recovery = np.where(paid_months < n_months, bal * rec_rate * _df(paid_months + F(1) + lag, rate), F(0))
        out["restructuring"] = claim_r * (cum_pv[paid_months] + recovery) \
            - claim_r * F(a.value("restructuring.cost_rate"))

    transfers = [(r, k) for r, k in (("bulk_transfer", "bulk"), ("single_transfer", "single")) if r in routes]
    if transfers:
        coverage = np.where(c > 0, (s + g) / np.where(c > 0, c, F(1)), F(0))
        years = (loans["days_past_due"].to_numpy("float64") / 365.0)[:, None]
        for route, kind in transfers:
            ratio = transfer_price_ratio(coverage, np.broadcast_to(years, coverage.shape), a, kind).astype(F)
            t = float(dict(a.value("transfer.months_to_close"))[kind])
            keep = (1.0 - float(dict(a.value("transfer.cost_rate"))[kind])) * float(discount_factors(t, rate))
            out[route] = c * ratio * price_mult * F(keep)

    if "judicial_auction" in routes:
        r = auction_rounds(loans, a)
        prem = [float(x) for x in a.value("judicial_auction.price_premium")]
        start1 = r["start1"].astype(F)[:, None] * coll_mult
        start2 = r["start2"].astype(F)[:, None] * coll_mult
        p1, p2, p3 = (r["p"][:, i].astype(F)[:, None] for i in range(3))
        c1 = p1
        c2 = c1 + (1 - p1) * p2
        c3 = c2 + (1 - p1) * (1 - p2) * p3
        in_kind = (u_event >= c3) & (u_kind < F(a.value("judicial_auction.in_kind_probability")))
        round1, round2, round3 = u_event < c1, u_event < c2, u_event < c3
        kind_price = np.where(in_kind, start2 * F(1 - float(a.value("judicial_auction.in_kind_haircut"))), F(0))
        price = np.where(round1, start1 * F(1 + prem[0]),
                         np.where(round2, start2 * F(1 + prem[1]), np.where(round3, start2 * F(1 + prem[2]), kind_price)))
        court = (r["t1"] - 1.0).astype(F)[:, None] * dur
        step = [(r[k] - r["t1"] + 1.0).astype(F)[:, None] for k in ("t2", "t3", "t4")]
        offset = np.where(round1, F(1), np.where(round2, step[0], np.where(round3, step[1], step[2])))
        proceeds = net_sale_proceeds(price, loans, a).astype(F)
        gx = np.minimum(g, np.maximum(c - proceeds, F(0)))
        residual = u * np.maximum(c - proceeds - gx, F(0))
        not_filed = loans["legal_status"].astype("object").isin(["none", "demand_letter"]).to_numpy()[:, None]
        litigation = np.where(not_filed, c * F(a.value("court.litigation_cost_rate")), F(0))
        out["judicial_auction"] = (proceeds * _df(court + offset, rate) + gx * _df(court + F(1), rate)
                                   + residual * _df(court + step[1], rate) - litigation)

    if "debt_to_equity" in routes:
        value = c * F(a.value("debt_to_equity.conversion_value_ratio")) * _lognormal(
            np.broadcast_to(zm, (n, paths)), sig)
        t_exit = F(a.value("debt_to_equity.exit_months")) * dur
        out["debt_to_equity"] = value * _df(t_exit, rate) - c * F(a.value("debt_to_equity.cost_rate"))

    if "write_off" in routes:
        cash_w = c * F(float(a.value("write_off.recovery_rate")) * (1.0 - float(a.value("write_off.cost_rate"))))
        out["write_off"] = cash_w * _df(F(a.value("write_off.months_to_recovery")) * dur, rate)
    return out


def _quantiles(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Linear-interpolation quantiles (numpy's default method) along axis 1, by one partition."""
    paths = values.shape[1]
    pos = np.array(QUANTILES) * (paths - 1)
    lo, hi = np.floor(pos).astype(int), np.ceil(pos).astype(int)
    part = np.partition(values, np.unique(np.concatenate([lo, hi])), axis=1)
    frac = (pos - lo)[:, None]
    return (part[:, lo].T.astype("float64") * (1 - frac) + part[:, hi].T.astype("float64") * frac)


def simulate_quantiles(loans: pd.DataFrame, a: AssumptionSet, *, seed: int, paths: int | None = None,
                       discount_rate: float | None = None, first_block: int = 0,
                       package_count: PackageCount | None = None, threads: int | None = None) -> pd.DataFrame:
    """P10/P50/P90 of the NPV per (loan, route) for the loans given (all of them are simulated),
    as a route-major frame (loan_id, route, p10, p50, p90); see `simulate_quantile_arrays`."""
    q = simulate_quantile_arrays(loans, a, seed=seed, paths=paths, discount_rate=discount_rate,
                                 first_block=first_block, package_count=package_count, threads=threads)
    ids = loans["loan_id"].astype("object").to_numpy()
    frames = [pd.DataFrame({"loan_id": ids, "route": route, "p10": q[0, :, j], "p50": q[1, :, j],
                            "p90": q[2, :, j]}) for j, route in enumerate(ROUTES)]
    return pd.concat(frames, ignore_index=True)


def simulate_quantile_arrays(loans: pd.DataFrame, a: AssumptionSet, *, seed: int, paths: int | None = None,
                             discount_rate: float | None = None, first_block: int = 0,
                             package_count: PackageCount | None = None, threads: int | None = None) -> Array:
    """P10/P50/P90 of the NPV as an array (3, loans, routes), routes in `ROUTES` order.

    Blocks run on `threads` threads (default: one per CPU); the numbers do not depend on it.

    `first_block` is the block number of the first row: the caller cuts the simulated loans into
    whole blocks of `BLOCK` rows. Ineligible routes get NaN.
    """
    paths = int(a.value("montecarlo.paths")) if paths is None else int(paths)
    rate = a.discount_rate if discount_rate is None else float(discount_rate)
    z_market = market_factors(seed, paths)
    legal = a.rulebook.check(loans)
    eligible_all = {route: ROUTE_FUNCTIONS[route](loans, a, legal=legal, package_count=package_count).eligible
                    for route in ROUTES}
    n = len(loans)
    q = np.full((3, n, len(ROUTES)), np.nan)

    def run_block(i: int) -> None:
        start, stop = i * BLOCK, min((i + 1) * BLOCK, n)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, first_block + i)))
        wanted = tuple(r for r in ROUTES if eligible_all[r][start:stop].any())
        npvs = simulate_block(loans.iloc[start:stop], a, rng, z_market, rate, wanted)
        for route in wanted:
            rows = np.flatnonzero(eligible_all[route][start:stop])
            q[:, start + rows, ROUTES.index(route)] = _quantiles(npvs[route][rows])

    blocks = range((n + BLOCK - 1) // BLOCK)
    workers = max(1, min(threads if threads is not None else (os.cpu_count() or 1), len(blocks)))
    if workers == 1:
        for i in blocks:
            run_block(i)
    else:  # numpy releases the GIL: blocks run on every core; each block writes its own rows
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run_block, blocks))
    return q


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
            parts[route].append(npvs[route].astype("float64"))
    return {route: np.vstack(v) if v else np.zeros((0, paths)) for route, v in parts.items()}
