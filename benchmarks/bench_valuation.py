"""Valuation benchmark: the vectorised engine beside a straightforward per-loan Python loop.

    .venv/bin/python benchmarks/bench_valuation.py            # 1,000,000 loans, 1,000 paths
    .venv/bin/python benchmarks/bench_valuation.py --quick    # 50,000 loans, 1,000 paths

1. A synthetic portfolio (`nplhub.valuation.synthetic.synthetic_tape`) of N loans, turned into the
   loan frame (collateral indexed, haircut, allocated; guarantees) and valued on every route;
   Monte Carlo (1,000 paths) for the top decile of loans by claim.
2. The peer: a per-loan Python loop over plain floats implementing the same formulas (every
   route's eligibility, the rulebook's conditions evaluated loan by loan, and expected cash flows, then the Monte Carlo paths one by one with the
   engine's own random draws, every route), run on a sample; the numbers are compared with the engine's for
   the same loans, and the loop's time per loan is scaled to the portfolio for the ratio.
3. The same valuation on a Dask LocalCluster with two single-threaded worker processes, started as
   `nplhub value --dask local:2` starts them (without Dask's MALLOC_TRIM_THRESHOLD_; with it:
   `--dask-default-env`); the frames must be identical (same seed), and the time is compared with
   the in-process run.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

from nplhub.domain.codes import RETAIL_PRODUCTS
from nplhub.valuation import ROUTES
from nplhub.valuation.assumptions import AssumptionSet, load_assumptions
from nplhub.valuation.engine import bulk_package_count, value_routes
from nplhub.valuation.montecarlo import BLOCK, market_factors, simulate_quantiles
from nplhub.valuation.pipeline import plan_monte_carlo, value_portfolio
from nplhub.valuation.portfolio import build_loan_frame
from nplhub.valuation.routes import restructuring_schedule
from nplhub.valuation.synthetic import synthetic_tape

SEED = 20240601
CUTOFF = "2025-06-30"


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# The peer: one loan at a time, plain Python floats.
# ---------------------------------------------------------------------------------------------
RETAIL = {str(p) for p in RETAIL_PRODUCTS}


def holds(cond: dict, L: dict, params: dict) -> bool:
    """One rule condition for one loan (the grammar of the rulebook), in plain Python."""
    if "all" in cond:
        return all(holds(sub, L, params) for sub in cond["all"])
    if "any" in cond:
        return any(holds(sub, L, params) for sub in cond["any"])
    if "not" in cond:
        return not holds(cond["not"], L, params)
    if "param" in cond:
        return bool(params[cond["param"]]) == bool(cond.get("is", True))
    x = L[cond["field"]]

    def limit(raw: object) -> float:
        return float(params[raw["param"]]) if isinstance(raw, dict) else float(raw)  # type: ignore[arg-type]

    if "in" in cond:
        return x in cond["in"]
    if "not_in" in cond:
        return x not in cond["not_in"]
    if "le" in cond:
        return float(x) <= limit(cond["le"])
    if "ge" in cond:
        return float(x) >= limit(cond["ge"])
    return bool(x) == bool(cond["is"])


class LoopValuer:
    def __init__(self, a: AssumptionSet, rate: float, package_count: dict[str, int]) -> None:
        self.a, self.rate, self.package_count = a, rate, package_count
        self.v = a.value
        self.instalment, self.balance = restructuring_schedule(int(a.value("restructuring.term_months")),
                                                               float(a.value("restructuring.new_rate")))

    def df(self, months: float) -> float:
        return (1.0 + self.rate) ** (-months / 12.0)

    def enforce(self, L: dict, s: float) -> float:
        c, g = L["claim"], L["guarantee_expected"]
        u = self.v("unsecured.recovery_rate").get(L["counterparty_type"], 0.05)
        return min(c, s + g + u * max(c - s - g, 0.0))

    def price_ratio(self, coverage: float, years: float, kind: str) -> float:
        curve = self.v(f"transfer.{kind}_price_curve")
        xs, ys = curve["coverage"], curve["price"]
        x = max(coverage, 0.0)
        if x >= xs[-1]:
            base = ys[-1]
        else:
            i = max(j for j in range(len(xs)) if xs[j] <= x)
            base = ys[i] + (ys[i + 1] - ys[i]) * (x - xs[i]) / (xs[i + 1] - xs[i])
        age = self.v("transfer.age_discount_per_year") * max(years, 0.0)
        return max(base * (1.0 - age), base * 0.2)

    def hazard(self, L: dict) -> float:
        q = self.v("restructuring.annual_redefault_probability").get(L["counterparty_type"], 0.3)
        base = -math.log1p(-min(max(q, 0.0), 0.999999)) / 12.0
        mult = self.v("restructuring.redefault_class_multiplier").get(L["reported_class"], 1.0)
        return base * mult * (1.0 + self.v("restructuring.redefault_age_slope") * max(L["days_past_due"] / 365.0, 0.0))

    def eligibility(self, L: dict) -> dict[str, str | None]:
        """Per route, what closes it, in the engine's order: a zero claim, the first rule of the
        rulebook the loan fails (each condition evaluated for this one loan in plain Python), then
        the route's own limits (nothing to auction, policy limits, the batch channel's minimum)."""
        v, c, ins = self.v, L["claim"], L["insolvency_status"]
        book = self.a.rulebook
        facts = dict(L, is_retail_product=L["product"] in RETAIL, has_collateral=L["collateral_count"] > 0)
        out: dict[str, str | None] = {}
        for route in ROUTES:
            reason = "zero" if c <= 0 else next(
                (rule.id for rule in book.rules
                 if rule.applies_to(route) and not holds(rule.requires, facts, book.parameters)), None)
            if reason is None:
                if route == "collection" and ins == "liquidated":
                    reason = "liquidated"
                elif route == "restructuring" and (L["restructure_count"] >= v("restructuring.max_prior_restructurings")
                                                   or L["days_past_due"] > v("restructuring.max_days_past_due")
                                                   or L["legal_status"] in ("bankruptcy_claim", "closed")
                                                   or L["reported_class"] == "loss"):
                    reason = "no capacity"
                elif route == "bulk_transfer":
                    retail = facts["is_retail_product"] or L["counterparty_type"] == "individual"
                    channel = "pilot_retail_batch" if retail else "amc_batch"
                    if self.package_count[channel] < book.min_accounts(channel):
                        reason = "package"
                elif route == "judicial_auction" and L["collateral_reference"] <= 0:
                    reason = "no collateral"
                elif route == "debt_to_equity" and c < v("debt_to_equity.minimum_claim"):
                    reason = "small"
            out[route] = reason
        return out

    def legs(self, L: dict, route: str) -> list[tuple[float, float, float]]:
        """(inflow, cost, month) legs of one route for one loan."""
        v, c = self.v, L["claim"]
        if route == "collection":
            p = v("collection.settlement_probability").get(L["counterparty_type"], 0.3)
            legs = [(p * v("collection.settlement_share") * self.enforce(L, L["collateral_net"]),
                     v("collection.months_to_settlement")),
                    ((1 - p) * v("collection.residual_recovery_rate") * c, v("collection.residual_months"))]
            return [(x, x * v("collection.cost_rate"), m) for x, m in legs]
        if route == "restructuring":
            claim_r = c * (1 - v("restructuring.principal_haircut"))
            h = self.hazard(L)
            rec = self.enforce(L, L["collateral_net"]) / c if c > 0 else 0.0
            lag = (L["months_to_sale"] if not math.isnan(L["months_to_sale"]) else 12.0) \
                if L["collateral_net"] > 0 else v("collection.residual_months")
            n = len(self.instalment)
            quarters = (n + 2) // 3
            out = []
            pays, defs = [0.0] * quarters, [0.0] * quarters
            for m in range(1, n + 1):
                alive, before = math.exp(-h * m), math.exp(-h * (m - 1))
                pays[(m - 1) // 3] += alive * self.instalment[m - 1]
                defs[(m - 1) // 3] += (before - alive) * self.balance[m - 1]
            for q in range(quarters):
                months = [m for m in range(1, n + 1) if (m - 1) // 3 == q]
                mid = sum(months) / len(months)
                out.append((pays[q] * claim_r, 0.0, mid))
                out.append((defs[q] * claim_r * rec, 0.0, mid + lag))
            out.append((0.0, claim_r * v("restructuring.cost_rate"), 0.0))
            return out
        if route in ("bulk_transfer", "single_transfer"):
            kind = "bulk" if route == "bulk_transfer" else "single"
            coverage = (L["collateral_net"] + L["guarantee_expected"]) / c if c > 0 else 0.0
            price = c * self.price_ratio(coverage, L["days_past_due"] / 365.0, kind)
            return [(price, price * v("transfer.cost_rate")[kind], v("transfer.months_to_close")[kind])]
        if route == "judicial_auction":
            return self.auction_legs(L)
        if route == "debt_to_equity":
            return [(c * v("debt_to_equity.conversion_value_ratio"), 0.0, v("debt_to_equity.exit_months")),
                    (0.0, c * v("debt_to_equity.cost_rate"), 0.0)]
        x = c * v("write_off.recovery_rate")
        return [(x, x * v("write_off.cost_rate"), v("write_off.months_to_recovery"))]

    def net_sale(self, L: dict, price: float) -> float:
        keep = 1 - L["collateral_tax_rate"] - self.v("collateral.enforcement_cost_rate")
        return min(L["claim"], max(0.0, price * keep - L["collateral_prior"]))

    def auction_schedule(self, L: dict) -> tuple[float, float, list[float], list[float]]:
        v = self.v
        start1 = L["collateral_reference"] * v("judicial_auction.first_start_ratio")
        start2 = start1 * (1 - v("judicial_auction.second_cut"))
        probs = v("judicial_auction.sale_probability")
        p = probs.get(L["collateral_type"], probs["other"])
        table = v("court.months_to_first_auction")
        t1 = table.get(L["legal_status"], table["none"]) + 1.0
        t2 = t1 + v("judicial_auction.months_between_rounds")
        t3 = t2 + v("judicial_auction.sell_off_months")
        t4 = t3 + v("judicial_auction.in_kind_months")
        return start1, start2, list(p), [t1, t2, t3, t4]

    def auction_legs(self, L: dict) -> list[tuple[float, float, float]]:
        v, c = self.v, L["claim"]
        start1, start2, (p1, p2, p3), (t1, t2, t3, t4) = self.auction_schedule(L)
        prem = v("judicial_auction.price_premium")
        reach2, reach3 = 1 - p1, (1 - p1) * (1 - p2)
        unsold = reach3 * (1 - p3)
        coll = [p1 * self.net_sale(L, start1 * (1 + prem[0])), reach2 * p2 * self.net_sale(L, start2 * (1 + prem[1])),
                reach3 * p3 * self.net_sale(L, start2 * (1 + prem[2])),
                unsold * v("judicial_auction.in_kind_probability")
                * self.net_sale(L, start2 * (1 - v("judicial_auction.in_kind_haircut")))]
        expected = sum(coll)
        g = min(L["guarantee_expected"], max(c - expected, 0.0))
        u = v("unsecured.recovery_rate").get(L["counterparty_type"], 0.05)
        residual = u * max(c - expected - g, 0.0)
        litigation = c * v("court.litigation_cost_rate") if L["legal_status"] in ("none", "demand_letter") else 0.0
        return [(coll[0], 0.0, t1), (coll[1], 0.0, t2), (coll[2], 0.0, t3), (coll[3], 0.0, t4), (g, 0.0, t1),
                (residual, 0.0, t3), (0.0, litigation, 0.0)]

    def value(self, L: dict) -> dict[str, float]:
        out = {}
        for route, reason in self.eligibility(L).items():
            out[route] = float("nan") if reason else sum((x - k) * self.df(m) for x, k, m in self.legs(L, route))
        return out

    # --- Monte Carlo, one path at a time, with the engine's draws -----------------------------
    def paths(self, L: dict, route: str, draws: dict[str, np.ndarray], zm: np.ndarray) -> list[float]:
        v, c = self.v, L["claim"]
        sig, w = v("montecarlo.price_volatility"), v("montecarlo.market_factor_weight")
        sd, st = v("montecarlo.duration_volatility"), v("montecarlo.transfer_price_volatility")
        out = []
        for j in range(len(zm)):
            cm = math.exp(sig * (math.sqrt(w) * zm[j] + math.sqrt(1 - w) * draws["z"][j]) - 0.5 * sig * sig)
            dur = math.exp(sd * draws["d"][j] - 0.5 * sd * sd)
            pm = math.exp(st * draws["t"][j] - 0.5 * st * st)
            ue, uk = draws["e"][j], draws["k"][j]
            s = min(L["collateral_net"] * cm, c)
            enforce = self.enforce(L, s)
            if route == "collection":
                p = v("collection.settlement_probability").get(L["counterparty_type"], 0.3)
                if ue < p:
                    cash, when = v("collection.settlement_share") * enforce, v("collection.months_to_settlement") * dur
                else:
                    cash, when = v("collection.residual_recovery_rate") * c, v("collection.residual_months") * dur
                out.append(cash * (1 - v("collection.cost_rate")) * self.df(when))
            elif route in ("bulk_transfer", "single_transfer"):
                kind = "bulk" if route == "bulk_transfer" else "single"
                cover = (s + L["guarantee_expected"]) / c if c > 0 else 0.0
                price = c * self.price_ratio(cover, L["days_past_due"] / 365.0, kind) * pm
                out.append(price * (1 - v("transfer.cost_rate")[kind]) * self.df(v("transfer.months_to_close")[kind]))
            elif route == "write_off":
                cash = c * v("write_off.recovery_rate") * (1 - v("write_off.cost_rate"))
                out.append(cash * self.df(v("write_off.months_to_recovery") * dur))
            elif route == "debt_to_equity":
                value = c * v("debt_to_equity.conversion_value_ratio") * math.exp(sig * zm[j] - 0.5 * sig * sig)
                out.append(value * self.df(v("debt_to_equity.exit_months") * dur) - c * v("debt_to_equity.cost_rate"))
            elif route == "restructuring":
                claim_r = c * (1 - v("restructuring.principal_haircut"))
                tau = -math.log1p(-uk) / max(self.hazard(L), 1e-12)
                n = len(self.instalment)
                paid = int(min(max(math.floor(tau), 0), n))
                pv = sum(self.instalment[m - 1] * self.df(m) for m in range(1, paid + 1))
                if paid < n:
                    lag = ((L["months_to_sale"] if not math.isnan(L["months_to_sale"]) else 12.0)
                           if L["collateral_net"] > 0 else v("collection.residual_months")) * dur
                    pv += self.balance[paid] * (enforce / c if c > 0 else 0.0) * self.df(paid + 1 + lag)
                out.append(claim_r * pv - claim_r * v("restructuring.cost_rate"))
            else:  # judicial auction, round by round
                start1, start2, (p1, p2, p3), (t1, t2, t3, t4) = self.auction_schedule(L)
                start1, start2 = start1 * cm, start2 * cm
                prem = v("judicial_auction.price_premium")
                c1 = p1
                c2 = c1 + (1 - p1) * p2
                c3 = c2 + (1 - p1) * (1 - p2) * p3
                court = (t1 - 1.0) * dur
                if ue < c1:
                    price, offset = start1 * (1 + prem[0]), 1.0
                elif ue < c2:
                    price, offset = start2 * (1 + prem[1]), t2 - t1 + 1.0
                elif ue < c3:
                    price, offset = start2 * (1 + prem[2]), t3 - t1 + 1.0
                else:
                    in_kind = uk < v("judicial_auction.in_kind_probability")
                    price = start2 * (1 - v("judicial_auction.in_kind_haircut")) if in_kind else 0.0
                    offset = t4 - t1 + 1.0
                proceeds = self.net_sale(L, price)
                g = min(L["guarantee_expected"], max(c - proceeds, 0.0))
                u = v("unsecured.recovery_rate").get(L["counterparty_type"], 0.05)
                residual = u * max(c - proceeds - g, 0.0)
                litigation = c * v("court.litigation_cost_rate") if L["legal_status"] in ("none", "demand_letter") \
                    else 0.0
                out.append(proceeds * self.df(court + offset) + g * self.df(court + 1.0)
                           + residual * self.df(court + t3 - t1 + 1.0) - litigation)
        return out


def quantiles(values: list[float]) -> list[float]:
    xs = sorted(values)
    out = []
    for q in (0.1, 0.5, 0.9):
        pos = q * (len(xs) - 1)
        lo, hi = math.floor(pos), math.ceil(pos)
        out.append(xs[lo] * (1 - (pos - lo)) + xs[hi] * (pos - lo))
    return out


LOOP_MC_ROUTES = ROUTES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50,000 loans")
    parser.add_argument("--loans", type=int, default=None)
    parser.add_argument("--paths", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=2000, help="loans valued by the Python loop")
    parser.add_argument("--mc-sample", type=int, default=20, help="simulated loans valued by the Python loop")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--dask-default-env", action="store_true",
                        help="start the workers with Dask's MALLOC_TRIM_THRESHOLD_=65536 (for comparison)")
    args = parser.parse_args()
    n = args.loans or (50_000 if args.quick else 1_000_000)
    a = load_assumptions()
    rate = a.discount_rate
    print(f"valuation benchmark: {n:,} loans, {args.paths} paths for the top {a.value('montecarlo.top_share'):.0%}")

    tape, t_gen = timed(synthetic_tape, n, SEED, cutoff=CUTOFF)
    print(f"  synthetic tape generated in {t_gen:.1f} s (not counted)")
    loans, t_build = timed(build_loan_frame, tape, CUTOFF, a)
    del tape
    package_count = bulk_package_count(loans, a)
    frame, t_routes = timed(value_routes, loans, a, package_count=package_count, with_irr=False)
    _, t_routes_irr = timed(value_routes, loans, a, package_count=package_count, with_irr=True)
    plan = plan_monte_carlo(loans, a, seed=SEED, paths=args.paths)
    simulated = loans.iloc[plan.positions]
    mc, t_mc = timed(simulate_quantiles, simulated, a, seed=SEED, paths=args.paths, package_count=package_count)
    total = t_build + t_routes_irr + t_mc
    print(f"  nplhub in process: loan frame {t_build:.1f} s, every route for {n:,} loans {t_routes:.1f} s "
          f"({t_routes_irr:.1f} s with the IRR of every eligible route), Monte Carlo {len(simulated):,} loans x "
          f"{args.paths} paths {t_mc:.1f} s; total with IRR {total:.1f} s")

    # --- the per-loan Python loop on a sample ----------------------------------------------------
    loop = LoopValuer(a, rate, package_count)
    rng = np.random.default_rng(1)
    sample = np.sort(rng.choice(n, size=min(args.sample, n), replace=False))
    records = loans.iloc[sample].to_dict(orient="records")
    start = time.perf_counter()
    loop_values = [loop.value(rec) for rec in records]
    t_loop = time.perf_counter() - start
    per_loan_loop = t_loop / len(records)
    engine_npv = frame.set_index(["loan_id", "route"])["npv"]
    engine_reason = frame.set_index(["loan_id", "route"])["reason"]
    rule_ids = {rule.id for rule in a.rulebook.rules}
    for rec in records:  # the rule that closes a route: the loop's and the engine's are the same rule
        for route, why in loop.eligibility(rec).items():
            if why in rule_ids and f"[{why};" not in str(engine_reason.loc[(rec["loan_id"], route)]):
                raise SystemExit(f"closing rule differs for {rec['loan_id']} {route}: {why}")
    worst = 0.0
    for rec, vals in zip(records, loop_values):
        for route, x in vals.items():
            y = engine_npv.loc[(rec["loan_id"], route)]
            if math.isnan(x) != math.isnan(y):
                raise SystemExit(f"eligibility differs for {rec['loan_id']} {route}")
            if not math.isnan(x):
                worst = max(worst, abs(x - y) / max(abs(y), 1.0))
    print(f"  Python loop, every route: {len(records):,} loans in {t_loop:.2f} s "
          f"({per_loan_loop * 1e3:.3f} ms a loan); max relative difference from the engine {worst:.1e}")

    # Monte Carlo loop: the engine's draws for the first block, paths one by one
    k = min(args.mc_sample, len(simulated), BLOCK)
    block = simulated.iloc[:BLOCK]
    draw_rng = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(1, 0)))
    shape = (len(block), args.paths)
    draws = {"z": draw_rng.standard_normal(shape, dtype=np.float32),
             "d": draw_rng.standard_normal(shape, dtype=np.float32),
             "t": draw_rng.standard_normal(shape, dtype=np.float32),
             "e": draw_rng.random(shape, dtype=np.float32), "k": draw_rng.random(shape, dtype=np.float32)}
    zm = market_factors(SEED, args.paths)
    mc_engine = mc.set_index(["loan_id", "route"])
    start = time.perf_counter()
    worst_mc = 0.0
    recs = block.iloc[:k].to_dict(orient="records")
    eligible = [loop.eligibility(r) for r in recs]
    for i, rec in enumerate(recs):
        for route in LOOP_MC_ROUTES:
            if eligible[i][route]:
                continue
            q = quantiles(loop.paths(rec, route, {key: d[i].astype(float) for key, d in draws.items()}, zm))
            e = mc_engine.loc[(rec["loan_id"], route), ["p10", "p50", "p90"]].to_numpy()
            worst_mc = max(worst_mc, float(np.max(np.abs(np.array(q) - e) / np.maximum(np.abs(e), 1.0))))
    t_mc_loop = time.perf_counter() - start
    per_sim_loop = t_mc_loop / max(k, 1)
    print(f"  Python loop, Monte Carlo: {k} loans x {args.paths} paths in {t_mc_loop:.2f} s "
          f"({per_sim_loop:.3f} s a loan); max relative difference of P10/P50/P90 {worst_mc:.1e}")
    loop_estimate = per_loan_loop * n + per_sim_loop * len(simulated)
    print(f"  per-loan loop for the whole portfolio (estimated from the sample): {loop_estimate:,.0f} s")
    print(f"  ratio loop / engine (same work: no IRR in either): routes {per_loan_loop * n / t_routes:,.0f}x, Monte Carlo "
          f"{per_sim_loop * len(simulated) / t_mc:,.0f}x, all {loop_estimate / (t_routes + t_mc):,.0f}x")

    if args.no_dask:
        return
    from nplhub.services.valuation_cluster import TRIM_VARIABLE, WORKER_CONFIG, dask_client
    from nplhub.valuation.distributed import value_portfolio_dask

    local, t_local = timed(value_portfolio, loans, a, seed=SEED, paths=args.paths)
    if args.dask_default_env:  # Dask's own worker environment, MALLOC_TRIM_THRESHOLD_=65536 included
        WORKER_CONFIG[f"distributed.nanny.pre-spawn-environ.{TRIM_VARIABLE}"] = 65536
    started = time.perf_counter()
    with dask_client("local:2") as client:  # the CLI's `nplhub value --dask local:2`
        t_start = time.perf_counter() - started
        remote, t_dask = timed(value_portfolio_dask, loans, a, client, seed=SEED, paths=args.paths)
    same = local.equals(remote)
    label = "Dask's default worker environment" if args.dask_default_env else f"without {TRIM_VARIABLE}"
    print(f"  in process (routes + Monte Carlo): {t_local:.1f} s; Dask, 2 workers ({label}): {t_dask:.1f} s "
          f"(cluster start {t_start:.1f} s, not counted); ratio Dask / in process {t_dask / t_local:.2f}; "
          f"identical frames: {same}")
    if not same:
        pd.testing.assert_frame_equal(local, remote)

if __name__ == "__main__":
    main()
