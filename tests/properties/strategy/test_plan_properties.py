"""Invariants of every plan: one eligible route per loan, every constraint met, never below greedy."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nplhub.strategy.constraints import PlanConstraints
from nplhub.strategy.evaluation import is_feasible
from nplhub.strategy.greedy import greedy_plan
from nplhub.strategy.optimizer import PlanInfeasible, optimise
from nplhub.strategy.options import build_options
from nplhub.strategy.synthetic import synthetic_loans, synthetic_route_values
from nplhub.valuation.eligibility import Rulebook

RULES = Rulebook.load()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(5, 60), legal=st.floats(0.3, 1.2), staff=st.floats(0.3, 1.2),
       loss=st.floats(0.3, 1.2), packages=st.booleans())
def test_every_plan_meets_its_constraints_and_beats_the_greedy_baseline(seed: int, n: int, legal: float,
                                                                       staff: float, loss: float,
                                                                       packages: bool) -> None:
    loans = synthetic_loans(n, seed=seed, branches=3)
    values = synthetic_route_values(loans, seed=seed)
    best = build_options(values, loans, RULES).best_routes()
    c = PlanConstraints(legal_budget=legal * float(best["legal_cost"].sum()),
                        default_officers=staff * float(best["workload"].sum()) / 3 / 40,
                        loss_limit=loss * float(best["loss_charge"].sum()), package_min_accounts=packages)
    opts = build_options(values, loans, RULES, c)
    greedy = greedy_plan(opts, c)
    try:
        plan = optimise(opts, c)
    except PlanInfeasible:
        assert not is_feasible(opts, c, greedy)
        return
    chosen = opts.options.reset_index().merge(plan.assignments[["loan_id", "route"]], on=["loan_id", "route"])
    assert len(chosen) == opts.loan_count
    assert is_feasible(opts, c, chosen["index"].to_numpy())
    if is_feasible(opts, c, greedy):
        assert plan.objective_npv >= float(opts.options["npv"].to_numpy()[greedy].sum()) - 1e-6
    assert plan.objective_npv <= plan.unconstrained_npv + 1e-6
    assert plan.gap >= 0
