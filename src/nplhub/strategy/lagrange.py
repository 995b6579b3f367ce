"""Large portfolios: a Lagrangian bound and a small repair MILP instead of one huge programme.

Pricing the coupling constraints (legal budget, branch capacities, NPL target, loss limit) with
multipliers λ ≥ 0 splits the plan into one choice per loan: each loan takes the option with the
highest npv − λ·use. The dual function g(λ) = Σ_i max_k (npv_k − λ·a_k) + λ·b bounds the best plan
from above for every λ ≥ 0 (package rules are left out of the bound, which only loosens it). We
minimise g by a cutting-plane method with a box trust region (a bundle method), then fix every
loan whose choice at the best λ is clear and let HiGHS settle the loans near indifference (and
the package decisions) exactly. The gap is measured against min g, so it is honest.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from nplhub.strategy.formulation import SCALE, Problem

COUPLING = ("legal_budget", "branch_capacity", "npl_target", "loss_limit")


def loan_of_columns(p: Problem) -> np.ndarray:
    """The loan (row of the one-route-per-loan block) of every x column: each column has one entry."""
    coo = p.a_eq[:, : p.n_x].tocoo()
    out = np.empty(p.n_x, dtype=int)
    out[coo.col] = coo.row
    return out


class DualFunction:
    """g(λ), its subgradient and the loans' choices, vectorised over all options."""

    def __init__(self, p: Problem) -> None:
        self.rows = np.array([j for j, r in enumerate(p.rows) if r.kind in COUPLING], dtype=int)
        self.value = -p.c[: p.n_x]
        self.use = p.a_ub[self.rows][:, : p.n_x].T.tocsr() if len(self.rows) else sp.csr_matrix((p.n_x, 0))
        self.b = p.b_ub[self.rows]
        loan_of = loan_of_columns(p)
        self.order = np.argsort(loan_of, kind="stable")
        self.loan_sorted = loan_of[self.order]
        self.starts = np.flatnonzero(np.r_[True, np.diff(self.loan_sorted) != 0])
        self.n_loans = len(self.starts)

    def evaluate(self, lam: np.ndarray, margins: bool = False) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """g(λ), a subgradient, the chosen column per loan and each loan's margin to its runner-up."""
        adjusted = (self.value - self.use @ lam)[self.order]
        best = np.maximum.reduceat(adjusted, self.starts)
        rep = np.repeat(best, np.diff(np.r_[self.starts, len(adjusted)]))
        is_best = adjusted >= rep
        first = np.flatnonzero(is_best)
        _, pos = np.unique(self.loan_sorted[first], return_index=True)
        chosen_sorted = first[pos]
        margin = np.zeros(0)
        if margins:
            masked = adjusted.copy()
            masked[chosen_sorted] = -np.inf
            second = np.maximum.reduceat(masked, self.starts)
            margin = np.where(np.isfinite(second), best - second, np.inf)
        chosen = self.order[chosen_sorted]
        usage = np.asarray(self.use[chosen].sum(axis=0)).ravel() if len(self.rows) else np.zeros(0)
        return float(best.sum() + lam @ self.b), self.b - usage, chosen, margin


def minimise_dual(f: DualFunction, *, max_iter: int = 300, tol: float = 1e-7,
                  seconds: float = 20.0) -> tuple[np.ndarray, float, dict[str, Any]]:
    """A box-trust-region cutting-plane method on g; returns the best λ, g there and a trace."""
    r = len(f.rows)
    lam = np.zeros(r)
    g, s, _, _ = f.evaluate(lam)
    if r == 0:
        return lam, g, {"iterations": 0}
    scale = np.abs(f.value).mean() + 1e-12
    col_mean = np.asarray(abs(f.use).mean(axis=0)).ravel() + 1e-12
    box = np.maximum(scale / col_mean, 1e-6)
    cuts_g, cuts_s, cuts_l = [g], [s], [lam.copy()]
    center, g_center = lam.copy(), g
    started = time.perf_counter()
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - reported below
        # master: min θ  s.t.  θ ≥ g_j + s_j·(λ − λ_j),  max(0, c − Δ) ≤ λ ≤ c + Δ
        s_mat = np.asarray(cuts_s)
        rhs = np.array([gj - sj @ lj for gj, sj, lj in zip(cuts_g, cuts_s, cuts_l)])
        a_ub = np.hstack([-np.ones((len(cuts_g), 1)), s_mat])
        bounds = [(None, None)] + list(zip(np.maximum(center - box, 0.0), center + box))
        res = linprog(np.r_[1.0, np.zeros(r)], A_ub=a_ub, b_ub=-rhs, bounds=bounds, method="highs")
        if res.status != 0:
            break
        model, trial = float(res.x[0]), res.x[1:]
        predicted = g_center - model
        if predicted <= tol * max(abs(g_center), 1.0):
            break
        g_trial, s_trial, _, _ = f.evaluate(trial)
        cuts_g.append(g_trial)
        cuts_s.append(s_trial)
        cuts_l.append(trial.copy())
        if g_center - g_trial >= 0.1 * predicted:  # serious step
            at_edge = np.isclose(np.abs(trial - center), box, rtol=1e-6)
            center, g_center = trial, g_trial
            box = np.where(at_edge, box * 2.0, box)
        else:  # null step: trust the model less
            box = box * 0.7
        if time.perf_counter() - started > seconds:
            break
    return center, g_center, {"iterations": it, "dual_seconds": round(time.perf_counter() - started, 3)}


def lagrangian_solve(p: Problem, time_limit: float, gap: float, stats: dict[str, Any],
                     solve_restricted: Any, warm_start: Any = None) -> tuple[np.ndarray | None, str, float]:
    """Bound by min g; fix clear choices; repair the rest with `solve_restricted(cols, fixed_x)`."""
    started = time.perf_counter()
    f = DualFunction(p)
    lam, bound_scaled, trace = minimise_dual(f, seconds=max(5.0, 0.4 * time_limit))
    stats.update({f"lagrange_{k}": v for k, v in trace.items()})
    _, _, chosen, margin = f.evaluate(lam, margins=True)
    if warm_start is not None:  # make the λ-choice feasible first (greedy repair), so the repair MILP has a start
        chosen = warm_start(chosen)
    p.lp_duals = np.zeros(len(p.rows))
    p.lp_duals[f.rows] = lam
    bound = p.fixed_npv + bound_scaled * SCALE
    base = np.zeros(p.c.size)
    base[chosen] = 1.0
    # package groups: sold (y = 1) when the λ-choice puts any loan in them; groups left below their
    # minimum keep all their candidate loans open for the repair
    group_cols = np.arange(p.n_x, p.c.size)
    min_rows = [j for j, r in enumerate(p.rows) if r.kind == "package_min"][: len(group_cols)]
    undersized_x: list[np.ndarray] = []
    for gi, j in enumerate(min_rows):
        members = p.a_ub[j, : p.n_x].nonzero()[1]
        count = base[members].sum() + p.b_ub[j]  # b_ub holds the loans fixed in the group
        base[p.n_x + gi] = 1.0 if count > 0 else 0.0
        if 0 < count < p.rows[j].limit:
            undersized_x.append(members)
    loan_of = f.loan_sorted[np.argsort(f.order)]
    pinned = np.unique(loan_of[np.concatenate(undersized_x)]) if undersized_x else np.zeros(0, dtype=int)
    stats["lagrange_undersized_groups"] = len(undersized_x)
    # rows the λ-choice overfills: the loans that use them, nearest to indifference first, stay open too
    usage = np.asarray(f.use[chosen].sum(axis=0)).ravel() if len(f.rows) else np.zeros(0)
    over = np.flatnonzero(usage > f.b - 1e-9 * np.maximum(np.abs(f.b), 1.0))
    stats["lagrange_rows_at_or_over_limit"] = int(len(over))
    col_loan = loan_of  # loan of every x column
    relievers: list[np.ndarray] = []  # per overfilled row: loans with an option that uses less of it
    for r in over:
        coef = f.use[:, r].toarray().ravel()
        less = coef < coef[chosen[col_loan]] - 1e-12
        relievers.append(np.unique(col_loan[less]))
    by_margin = np.argsort(margin, kind="stable")
    size = max(400, 10 * len(f.rows))
    for _attempt in range(3):
        picks = [by_margin[: min(size, f.n_loans)], pinned]
        per_row = max(50, size // max(1, len(over)))
        for loans_r in relievers:
            picks.append(loans_r[np.argsort(margin[loans_r], kind="stable")][:per_row])
        open_loans = np.unique(np.concatenate(picks))
        open_mask = np.isin(loan_of, open_loans)
        cols = np.concatenate([np.flatnonzero(open_mask), group_cols])
        fixed_x = base.copy()
        fixed_x[cols] = 0.0
        stats["lagrange_open_loans"] = int(len(open_loans))
        remaining = time_limit - (time.perf_counter() - started)
        if remaining <= 1.0 and _attempt > 0:
            break
        t0 = time.perf_counter()
        found, status, _ = solve_restricted(cols, fixed_x, max(remaining, 10.0))
        stats.setdefault("lagrange_repairs", []).append(
            {"open_loans": int(len(open_loans)), "status": status, "seconds": round(time.perf_counter() - t0, 2)})
        if found is not None:
            return found, ("lagrangian+repair" if status == "optimal" else status), bound
        size *= 4
    return None, "repair_failed", bound
