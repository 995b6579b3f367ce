"""The portfolio optimiser: one route per loan, maximising NPV under the bank's constraints.

Solved with scipy's `milp` on HiGHS after two exact reductions (dominated options dropped, loans
with one option left fixed). The solver's relative gap is reported against the whole plan's
NPV. The greedy baseline runs beside it; the better feasible plan is returned, so the plan is
never worse than the baseline. Shadow prices of binding constraints come from the LP relaxation
with the package decisions fixed at the plan's, and are put in business words.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from nplhub.domain.errors import DomainError
from nplhub.strategy.constraints import PlanConstraints
from nplhub.strategy.evaluation import evaluate, is_feasible, npl_ratio_after
from nplhub.strategy.formulation import SCALE, Problem, formulate, prune_dominated
from nplhub.strategy.greedy import greedy_plan
from nplhub.strategy.lagrange import lagrangian_solve, loan_of_columns
from nplhub.strategy.options import OptionSet

ASSIGNMENT_COLUMNS = ("loan_id", "route", "npv", "claim", "balance", "branch_id", "province", "collateral_class",
                      "size_band", "channel", "package_group",
                      "gross_recovery", "costs", "months_to_recovery", "legal_cost", "workload", "removable",
                      "loss_charge", "p10", "p50", "p90")


class PlanInfeasible(DomainError):
    """No plan meets every constraint given."""


@dataclass
class PlanResult:
    assignments: pd.DataFrame
    objective_npv: float
    unconstrained_npv: float
    gap: float
    dual_bound: float
    status: str
    method: str
    greedy_npv: float | None
    greedy_feasible: bool | None
    binding_constraints: list[dict[str, Any]]
    usage: list[dict[str, Any]]
    npl_ratio_before: float
    npl_ratio_after: float
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, with_assignments: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "objective_npv": round(self.objective_npv, 2),
            "unconstrained_npv": round(self.unconstrained_npv, 2),
            "cost_of_constraints": round(self.unconstrained_npv - self.objective_npv, 2),
            "gap": self.gap if np.isfinite(self.gap) else None,
            "dual_bound": round(self.dual_bound, 2) if np.isfinite(self.dual_bound) else None,
            "status": self.status,
            "method": self.method,
            "greedy_npv": None if self.greedy_npv is None else round(self.greedy_npv, 2),
            "greedy_feasible": self.greedy_feasible,
            "npl_ratio_before": self.npl_ratio_before,
            "npl_ratio_after": self.npl_ratio_after,
            "binding_constraints": self.binding_constraints,
            "constraint_usage": self.usage,
            "route_counts": {str(k): int(v) for k, v in self.assignments["route"].value_counts().items()},
            "seconds": round(self.seconds, 3),
            "stats": self.stats,
        }
        if with_assignments:
            out["assignments"] = [{"loan_id": str(a), "route": str(r)} for a, r in
                                  zip(self.assignments["loan_id"], self.assignments["route"])]
        return out


def optimise(option_set: OptionSet, c: PlanConstraints, *, time_limit: float = 50.0,
             mip_rel_gap: float = 1e-3, baseline: bool = True, shadow_prices: bool = True) -> PlanResult:
    started = time.perf_counter()
    opts = option_set.options
    if len(opts) == 0:
        raise DomainError("no loan has an eligible route: nothing to plan")
    best = opts.groupby("loan_idx", sort=True)["npv"].idxmax().to_numpy()
    unconstrained = float(opts["npv"].to_numpy()[best].sum())
    npl_before = option_set.npl_balance / option_set.total_loans if option_set.total_loans > 0 else 0.0
    if c.is_empty:
        return _result(option_set, c, best, unconstrained, unconstrained, 0.0, unconstrained, "optimal", "argmax",
                       None, None, [], npl_before, started, {"options": len(opts)})

    keep = prune_dominated(opts, c)
    problem = formulate(option_set, c, keep)
    stats: dict[str, Any] = dict(problem.stats)
    chosen, status, bound = _solve(problem, time_limit, mip_rel_gap, stats,
                                   warm=lambda cols: _warm_start(option_set, c, problem, cols))
    npv = opts["npv"].to_numpy(dtype=float)
    method = "milp/highs"
    if chosen is not None and not is_feasible(option_set, c, chosen):
        stats["solver_plan_rejected"] = True
        chosen = None
    greedy_npv = greedy_ok = None
    if baseline or chosen is None:
        g = np.sort(greedy_plan(option_set, c))
        greedy_ok = is_feasible(option_set, c, g)
        greedy_npv = float(npv[g].sum())
        if greedy_ok and (chosen is None or greedy_npv > float(npv[chosen].sum())):
            chosen, method = g, "greedy (better than the solver's incumbent)"
    if chosen is None:
        raise PlanInfeasible(_infeasibility_message(c, status))
    objective = float(npv[chosen].sum())
    if np.isfinite(bound):
        bound = max(bound, objective)
        gap = (bound - objective) / max(abs(objective), 1.0)
    else:  # no bound known (the solver found nothing): say so rather than claim optimality
        gap = float("nan")
    binding = _binding(option_set, c, problem, chosen, stats) if shadow_prices else []
    return _result(option_set, c, chosen, objective, unconstrained, gap, bound, status, method, greedy_npv,
                   greedy_ok, binding, npl_before, started, stats)


LARGE = 20_000  # x variables above which the relax-and-fix path is taken


def _warm_start(option_set: OptionSet, c: PlanConstraints, p: Problem, cols: np.ndarray) -> np.ndarray:
    """The Lagrangian choice (one x column per free loan) repaired by the greedy's later steps."""
    loan_idx = option_set.options["loan_idx"].to_numpy()
    local = loan_of_columns(p)
    global_of_local = np.empty(int(local.max()) + 1 if len(local) else 0, dtype=int)
    global_of_local[local] = loan_idx[p.free]
    start = np.empty(option_set.loan_count, dtype=int)
    start[global_of_local] = p.free[cols]
    start[loan_idx[p.fixed]] = p.fixed
    repaired = greedy_plan(option_set, c, start=start)
    column_of_row = np.full(len(loan_idx), -1)
    column_of_row[p.free] = np.arange(p.n_x)
    new = column_of_row[repaired[global_of_local]]
    return np.where(new >= 0, new, cols)


def _solve(p: Problem, time_limit: float, gap: float, stats: dict[str, Any],
           warm: Any = None) -> tuple[np.ndarray | None, str, float]:
    if p.c.size == 0:
        ok = bool(np.all(p.b_ub >= -1e-9))
        return (np.sort(p.fixed) if ok else None), ("optimal" if ok else "infeasible"), p.fixed_npv
    if p.n_x > LARGE:
        def restricted(cols: np.ndarray, fixed_x: np.ndarray, seconds: float) -> tuple[np.ndarray | None, str, float]:
            return _milp(p, cols, seconds, gap, stats, fixed_x=fixed_x)

        found, status, bound = lagrangian_solve(p, time_limit, gap, stats, restricted, warm)
        if found is None:
            stats["lagrangian_repair_failed"] = True  # too large for one MILP: the greedy plan stands in
        return found, status, bound
    return _milp(p, np.arange(p.c.size), time_limit, gap, stats)


def _milp(p: Problem, cols: np.ndarray, time_limit: float, gap: float, stats: dict[str, Any],
          fixed_x: np.ndarray | None = None) -> tuple[np.ndarray | None, str, float]:
    """Solve the MILP over columns `cols`; the other x columns are held at `fixed_x` (0/1)."""
    t0 = time.perf_counter()
    a_eq, b_eq, a_ub, b_ub = p.a_eq, p.b_eq, p.a_ub, p.b_ub
    if fixed_x is not None:
        held = np.setdiff1d(np.arange(p.c.size), cols)
        b_eq = b_eq - a_eq[:, held] @ fixed_x[held]
        b_ub = b_ub - a_ub[:, held] @ fixed_x[held]
        a_eq, a_ub = a_eq[:, cols], a_ub[:, cols]
        live_eq = np.asarray(abs(a_eq).sum(axis=1)).ravel() > 0
        a_eq, b_eq = a_eq[live_eq], b_eq[live_eq]
        live_ub = np.asarray(abs(a_ub).sum(axis=1)).ravel() > 0
        if np.any(b_ub[~live_ub] < -1e-9):
            return None, "infeasible", -np.inf
        a_ub, b_ub = a_ub[live_ub], b_ub[live_ub]
    with _quiet_native_stdout():
        res = milp(c=p.c[cols], integrality=np.ones(len(cols)), bounds=Bounds(p.lb[cols], p.ub[cols]),
                   constraints=[LinearConstraint(a_eq, b_eq, b_eq), LinearConstraint(a_ub, -np.inf, b_ub)],
                   options={"time_limit": max(time_limit, 1.0), "mip_rel_gap": gap, "presolve": True})
    stats["solver_seconds"] = round(stats.get("solver_seconds", 0.0) + time.perf_counter() - t0, 3)
    stats["solver_message"] = str(res.message)
    status = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}.get(res.status, "solver_error")
    if res.x is None:
        return None, status, -np.inf
    x = fixed_x.copy() if fixed_x is not None else np.zeros(p.c.size)
    x[cols] = np.round(res.x)
    chosen = np.sort(np.concatenate([p.fixed, p.free[x[: p.n_x] > 0.5]]))
    bound_scaled = getattr(res, "mip_dual_bound", None)
    if fixed_x is not None:  # a bound of the restricted problem only: the caller uses the LP bound
        return chosen, status, -np.inf
    bound = p.fixed_npv - float(bound_scaled) * SCALE if bound_scaled is not None and np.isfinite(bound_scaled) \
        else p.fixed_npv - float(res.fun) * SCALE
    return chosen, status, bound


@contextlib.contextmanager
def _quiet_native_stdout() -> Iterator[None]:
    """HiGHS may print diagnostics from C++ straight to file descriptor 1; keep them off our output."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _binding(option_set: OptionSet, c: PlanConstraints, p: Problem, chosen: np.ndarray,
             stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Binding constraints with their shadow prices from the LP relaxation (package decisions fixed)."""
    out: list[dict[str, Any]] = []
    if p.c.size == 0:
        return out
    in_plan = np.zeros(len(option_set.options), dtype=bool)
    in_plan[chosen] = True
    x = np.concatenate([in_plan[p.free].astype(float), np.zeros(len(p.groups))])
    group_count: dict[str, int] = {}
    groups_chosen = option_set.options["package_group"].to_numpy()[chosen]
    for g in groups_chosen[groups_chosen != ""]:
        group_count[g] = group_count.get(g, 0) + 1
    for gi, g in enumerate(p.groups):
        x[p.n_x + gi] = 1.0 if group_count.get(g, 0) > 0 else 0.0
    if p.lp_duals is not None:  # large problems: the relaxation's duals (package decisions free)
        duals = p.lp_duals
        stats["shadow_prices_from"] = "LP relaxation"
    else:
        lb, ub = p.lb.copy(), p.ub.copy()
        lb[p.n_x:] = ub[p.n_x:] = x[p.n_x:]
        t0 = time.perf_counter()
        lp = linprog(p.c, A_ub=p.a_ub, b_ub=p.b_ub, A_eq=p.a_eq, b_eq=p.b_eq, bounds=np.column_stack([lb, ub]),
                     method="highs")
        stats["lp_seconds"] = round(time.perf_counter() - t0, 3)
        duals = -np.asarray(lp.ineqlin.marginals) if lp.status == 0 else np.zeros(len(p.rows))
        stats["shadow_prices_from"] = "LP with the plan's package decisions fixed"
    slack = p.b_ub - p.a_ub @ x
    removed = float(option_set.options["removable"].to_numpy(dtype=float)[chosen].sum())
    for j, row in enumerate(p.rows):
        if row.kind == "package_link":
            continue
        tight = slack[j] <= 1e-6 * max(1.0, abs(p.b_ub[j])) + 1e-9
        per_unit = float(duals[j]) * SCALE * row.scale  # yuan of NPV per business unit of the limit
        if row.kind == "package_min":
            if group_count.get(row.name, 0) == int(row.limit):
                out.append({"kind": row.kind, "name": row.name, "limit": row.limit, "shadow_price": None,
                            "unit": "accounts",
                            "text": f"{row.name}: 组包户数恰为下限{int(row.limit)}户 / the package has exactly the "
                                    f"minimum of {int(row.limit)} accounts (an integer rule: no marginal price)"})
            continue
        if not (tight or per_unit > 1e-9):
            continue
        out.append(_describe(row.kind, row.name, row.limit, per_unit, c, option_set.total_loans - removed))
    return out


def _describe(kind: str, name: str, limit: float, per_unit: float, c: PlanConstraints,
              base_after: float) -> dict[str, Any]:
    if kind == "legal_budget":
        value, unit = per_unit * 1e4, "per ¥10,000 of legal-cost budget"
        text = f"每增加¥10,000法律费用预算，净现值增加¥{value:,.0f} / each extra ¥10,000 of legal-cost budget adds ¥{value:,.0f} of NPV"
    elif kind == "branch_capacity":
        value, unit = per_unit * c.cases_per_officer, "per workout officer"
        text = f"{name}每增加一名清收人员价值¥{value:,.0f} / one more workout officer in {name} is worth ¥{value:,.0f}"
    elif kind == "npl_target":
        value, unit = per_unit * base_after * 1e-4, "per basis point of the NPL-ratio target"
        text = f"不良率目标每放宽1个基点价值¥{value:,.0f} / relaxing the NPL-ratio target by 1 bp is worth ¥{value:,.0f}"
    else:
        value, unit = per_unit * 1e6, "per ¥1,000,000 of loss limit"
        text = f"当年损失额度每增加¥1,000,000价值¥{value:,.0f} / each extra ¥1m of loss allowed this year is worth ¥{value:,.0f}"
    return {"kind": kind, "name": name, "limit": limit, "shadow_price": round(value, 2), "unit": unit,
            "shadow_price_per_unit_of_limit": per_unit, "text": text}


def _infeasibility_message(c: PlanConstraints, status: str) -> str:
    given = [k for k, v in (("legal budget", c.legal_budget), ("branch capacity", c.has_capacity or None),
                            ("NPL-ratio target", c.npl_target), ("loss limit", c.loss_limit),
                            ("package minimum", c.package_min_accounts or None)) if v is not None]
    return (f"no plan meets all the constraints given ({', '.join(given)}); solver status: {status}. "
            "Loosen one of them (e.g. a higher NPL-ratio target, a later deadline or a larger loss limit).")


def _result(option_set: OptionSet, c: PlanConstraints, chosen: np.ndarray, objective: float, unconstrained: float,
            gap: float, bound: float, status: str, method: str, greedy_npv: float | None, greedy_ok: bool | None,
            binding: list[dict[str, Any]], npl_before: float, started: float, stats: dict[str, Any]) -> PlanResult:
    opts = option_set.options
    assignments = opts.iloc[np.sort(chosen)][list(ASSIGNMENT_COLUMNS)].reset_index(drop=True)
    usage = [u.to_dict() for u in evaluate(option_set, c, chosen)]
    return PlanResult(assignments=assignments, objective_npv=objective, unconstrained_npv=unconstrained, gap=gap,
                      dual_bound=bound, status=status, method=method, greedy_npv=greedy_npv, greedy_feasible=greedy_ok,
                      binding_constraints=binding, usage=usage, npl_ratio_before=npl_before,
                      npl_ratio_after=npl_ratio_after(option_set, chosen), seconds=time.perf_counter() - started,
                      stats=stats)
