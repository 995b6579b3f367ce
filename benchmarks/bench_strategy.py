"""Benchmark: a disposal plan for 100,000 NPLs under every constraint, optimiser against greedy.

Runs on a synthetic portfolio (nplhub.strategy.synthetic, explicit seed) with all constraints on:
legal-cost budget, officers' capacity in every branch, an NPL-ratio target at the deadline, a loss
limit and the package minimum per (channel, province, collateral) group. The limits are set
relative to the unconstrained plan so that each one bites. Prints times, NPVs, the solver's gap
and the optimiser/greedy NPV ratio.

    .venv/bin/python benchmarks/bench_strategy.py            # 100,000 loans
    .venv/bin/python benchmarks/bench_strategy.py --quick    # 5,000 loans
"""

from __future__ import annotations

import argparse
import faulthandler
import time

from nplhub.strategy.constraints import PlanConstraints
from nplhub.strategy.evaluation import is_feasible
from nplhub.strategy.greedy import greedy_plan
from nplhub.strategy.optimizer import optimise
from nplhub.strategy.options import build_options
from nplhub.strategy.synthetic import synthetic_loans, synthetic_route_values
from nplhub.valuation.eligibility import Rulebook


def main() -> None:
    faulthandler.dump_traceback_later(300, exit=False)
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5,000 loans instead of 100,000")
    parser.add_argument("--loans", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time-limit", type=float, default=45.0)
    args = parser.parse_args()
    n = args.loans or (5_000 if args.quick else 100_000)
    rulebook = Rulebook.load()

    t0 = time.perf_counter()
    loans = synthetic_loans(n, seed=args.seed, branches=max(4, n // 2500))
    values = synthetic_route_values(loans, seed=args.seed)
    print(f"portfolio: {n:,} loans, {len(values):,} route values ({time.perf_counter() - t0:.1f} s to generate)")

    base = optimise(build_options(values, loans, rulebook), PlanConstraints())
    a = base.assignments
    # a bank whose book is 40 times its NPLs (NPL ratio 2.5%) that must bring the ratio down by 0.5 pp
    probe = build_options(values, loans, rulebook)
    total = probe.npl_balance / 0.025
    ratio_now = probe.npl_balance / total
    removed = float(a["removable"].sum())
    ratio_base = (probe.npl_balance - removed) / (total - removed)
    target = min(ratio_base, 0.020)
    npl_only = PlanConstraints(npl_target=target, total_loans=total)
    print(f"unconstrained plan in {time.perf_counter() - t0:.1f} s since start", flush=True)
    npl_plan = optimise(build_options(values, loans, rulebook, npl_only), npl_only, shadow_prices=False,
                        baseline=False)
    constraints = PlanConstraints(
        legal_budget=0.9 * float(a["legal_cost"].sum()),
        default_officers=0.9 * float(a.groupby("branch_id")["workload"].sum().mean()) / 40.0,
        npl_target=float(target),
        total_loans=total,
        loss_limit=1.02 * float(npl_plan.assignments["loss_charge"].sum()),
        package_min_accounts=True,
        package_keys=("channel", "province", "collateral_class"),
    )
    print(f"NPL-only plan done ({npl_plan.status}, {npl_plan.stats.get('x_variables')} variables) "
          f"at {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"NPL ratio: today {ratio_now:.2%}, unconstrained plan {ratio_base:.2%}, target {target:.2%}")

    t1 = time.perf_counter()
    options = build_options(values, loans, rulebook, constraints)
    t_build = time.perf_counter() - t1
    t2 = time.perf_counter()
    try:
        plan = optimise(options, constraints, time_limit=args.time_limit, baseline=False)
    except Exception:
        print(f"optimiser failed after {time.perf_counter() - t2:.1f} s", flush=True)
        raise
    t_opt = time.perf_counter() - t2
    t3 = time.perf_counter()
    greedy = greedy_plan(options, constraints)
    t_greedy = time.perf_counter() - t3
    greedy_npv = float(options.options["npv"].to_numpy()[greedy].sum())
    greedy_ok = is_feasible(options, constraints, greedy)

    print(f"options built in {t_build:.1f} s: {plan.stats}")
    print(f"optimiser : {t_opt:6.1f} s  NPV ¥{plan.objective_npv:,.0f}  gap {plan.gap:.2e}  status {plan.status}"
          f"  method {plan.method}")
    print(f"greedy    : {t_greedy:6.1f} s  NPV ¥{greedy_npv:,.0f}  feasible {greedy_ok}")
    print(f"unconstrained NPV ¥{base.objective_npv:,.0f}; cost of constraints "
          f"¥{base.objective_npv - plan.objective_npv:,.0f}")
    print(f"ratio optimiser/greedy NPV: {plan.objective_npv / greedy_npv:.5f}"
          f"   time ratio optimiser/greedy: {t_opt / max(t_greedy, 1e-9):.2f}")
    print(f"plan total (options + optimiser): {t_build + t_opt:.1f} s for {n:,} loans")
    for b in plan.binding_constraints[:8]:
        print("  binding:", b["text"])
    if greedy_ok and plan.objective_npv < greedy_npv - 1e-6 * abs(greedy_npv):
        raise SystemExit("optimiser below greedy: a bug")


if __name__ == "__main__":
    main()
