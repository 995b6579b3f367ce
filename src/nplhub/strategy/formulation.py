"""The plan as a mixed-integer programme: variables, rows and their business names.

x[k] = 1 when option k (a loan and a route) is chosen; y[g] = 1 when bulk package group g is
sold. Maximise Σ npv[k]·x[k] subject to

- one route per loan:                     Σ_{k of loan i} x[k] = 1
- legal-cost budget:                      Σ legal_cost[k]·x[k] ≤ budget
- officers' capacity, per branch b:       Σ_{k in b} workload[k]·x[k] ≤ officers_b · cases_per_officer
- NPL ratio at the deadline ≤ t:          (NPL − R) / (Total − R) ≤ t with R = Σ removable[k]·x[k],
                                          i.e. −(1 − t)·R ≤ t·Total − NPL
- charge beyond provisions this year:     Σ loss_charge[k]·x[k] ≤ limit
- package minimum m_g per group:          Σ_{k in g} x[k] ≥ m_g·y[g] and x[k] ≤ y[g]

Money rows and the objective are scaled to 万元 (1e4 yuan) for the solver's numerics; the
row records keep the scale so that dual values come back per yuan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from nplhub.strategy.constraints import PlanConstraints
from nplhub.strategy.options import OptionSet

SCALE = 1e4


@dataclass
class Row:
    """One inequality row `a·v ≤ ub` (after fixed loans are taken out of its right-hand side)."""

    kind: str  # legal_budget | branch_capacity | npl_target | loss_limit | package_min | package_link
    name: str  # business name (the branch, the package group, ...)
    limit: float  # the limit in business units (yuan, case-load units, ratio)
    scale: float  # row units per business unit of the coefficient (money rows: 1/SCALE)


@dataclass
class Problem:
    c: np.ndarray  # objective to minimise (−npv scaled), over [x free options..., y groups...]
    a_ub: sp.csr_matrix
    b_ub: np.ndarray
    a_eq: sp.csr_matrix
    b_eq: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    rows: list[Row]
    free: np.ndarray  # option row numbers (into OptionSet.options) of the x variables
    groups: list[str]  # package group of each y variable
    fixed: np.ndarray  # option row numbers chosen for loans that had one option left
    fixed_npv: float
    stats: dict[str, int] = field(default_factory=dict)
    lp_duals: np.ndarray | None = None  # set when the LP relaxation was solved (relax-and-fix)

    @property
    def n_x(self) -> int:
        return len(self.free)


def prune_dominated(opts: pd.DataFrame, c: PlanConstraints) -> np.ndarray:
    """Keep options not dominated by another option of the same loan on value and every active resource.

    Option a is dropped when some option b of the same loan earns at least as much and uses no
    more of any constrained resource (and helps the NPL target at least as much), strictly better
    somewhere or equal everywhere with b earlier in route order. Bulk options under package rules
    are never dropped nor used to drop (their feasibility depends on other loans).
    """
    n_loans = int(opts["loan_idx"].max()) + 1 if len(opts) else 0
    n_routes = int(opts["route_idx"].max()) + 1 if len(opts) else 0
    li = opts["loan_idx"].to_numpy()
    ri = opts["route_idx"].to_numpy()
    present = np.zeros((n_loans, n_routes), dtype=bool)
    present[li, ri] = True
    protected = np.zeros((n_loans, n_routes), dtype=bool)
    if c.package_min_accounts:
        protected[li, ri] = (opts["route"] == "bulk_transfer").to_numpy()
    higher = [("npv", True)]
    if c.npl_target is not None:
        higher.append(("removable", True))
    if c.legal_budget is not None:
        higher.append(("legal_cost", False))
    if c.has_capacity:
        higher.append(("workload", False))
    if c.loss_limit is not None:
        higher.append(("loss_charge", False))
    dense = {}
    for col, _ in higher:
        m = np.zeros((n_loans, n_routes))
        m[li, ri] = opts[col].to_numpy(dtype=float)
        dense[col] = m
    dropped = np.zeros((n_loans, n_routes), dtype=bool)
    for a in range(n_routes):
        for b in range(n_routes):
            if a == b:
                continue
            ok = present[:, a] & present[:, b] & ~protected[:, a] & ~protected[:, b] & ~dropped[:, b]
            if not ok.any():
                continue
            geq = np.ones(n_loans, dtype=bool)
            strict = np.zeros(n_loans, dtype=bool)
            for col, more_is_better in higher:
                va, vb = dense[col][:, a], dense[col][:, b]
                if more_is_better:
                    geq &= vb >= va
                    strict |= vb > va
                else:
                    geq &= vb <= va
                    strict |= vb < va
            dominated = ok & geq & (strict | (b < a))
            dropped[:, a] |= dominated
    return np.asarray(~dropped[li, ri])


def formulate(option_set: OptionSet, c: PlanConstraints, keep: np.ndarray) -> Problem:
    opts = option_set.options
    rows_kept = np.flatnonzero(keep)
    li = opts["loan_idx"].to_numpy()[rows_kept]
    counts = np.bincount(li, minlength=int(opts["loan_idx"].max()) + 1 if len(opts) else 0)
    single = counts[li] == 1
    fixed = rows_kept[single]
    free = rows_kept[~single]
    npv = opts["npv"].to_numpy(dtype=float)
    n_x = len(free)

    # package groups among free and fixed bulk options
    groups: list[str] = []
    group_of_free = np.full(n_x, -1)
    fixed_in_group: dict[str, int] = {}
    min_of_group: dict[str, int] = {}
    if c.package_min_accounts:
        grp = opts["package_group"].to_numpy()
        chan = opts["channel"].to_numpy()
        for k in fixed:
            if grp[k]:
                fixed_in_group[grp[k]] = fixed_in_group.get(grp[k], 0) + 1
                min_of_group.setdefault(grp[k], option_set.min_accounts.get(str(chan[k]), 1))
        bulk_free = np.flatnonzero(grp[free] != "")
        codes, uniques = pd.factorize(pd.Series(grp[free][bulk_free]))
        groups = [str(u) for u in uniques]
        group_of_free[bulk_free] = codes
        for g_i, g in enumerate(groups):
            first = free[bulk_free[codes == g_i][0]]
            min_of_group.setdefault(g, option_set.min_accounts.get(str(chan[first]), 1))
    n_y = len(groups)
    n_var = n_x + n_y

    cobj = np.concatenate([-npv[free] / SCALE, np.zeros(n_y)])
    lb = np.zeros(n_var)
    ub = np.ones(n_var)

    # one route per loan
    loan_local, loan_codes = np.unique(li[~single], return_inverse=True)
    a_eq = sp.csr_matrix((np.ones(n_x), (loan_codes, np.arange(n_x))), shape=(len(loan_local), n_var))
    b_eq = np.ones(len(loan_local))

    data_rows: list[sp.csr_matrix] = []
    b: list[float] = []
    rows: list[Row] = []

    def add_row(coef: np.ndarray, rhs: float, row: Row) -> None:
        vec = np.zeros(n_var)
        vec[:n_x] = coef
        data_rows.append(sp.csr_matrix(vec))
        b.append(rhs)
        rows.append(row)

    if c.legal_budget is not None:
        legal = opts["legal_cost"].to_numpy(dtype=float)
        add_row(legal[free] / SCALE, (c.legal_budget - legal[fixed].sum()) / SCALE,
                Row("legal_budget", "legal-cost budget", c.legal_budget, 1 / SCALE))
    if c.has_capacity:
        work = opts["workload"].to_numpy(dtype=float)
        branch = opts["branch_id"].to_numpy()
        for br in sorted(set(branch[rows_kept])):
            officers = c.officers_at(str(br))
            if officers is None:
                continue
            cap = officers * c.cases_per_officer
            in_b = branch[free] == br
            add_row(np.where(in_b, work[free], 0.0), cap - work[fixed][branch[fixed] == br].sum(),
                    Row("branch_capacity", str(br), cap, 1.0))
    if c.npl_target is not None:
        t = c.npl_target
        rem = opts["removable"].to_numpy(dtype=float)
        rhs = t * option_set.total_loans - option_set.npl_balance + (1 - t) * rem[fixed].sum()
        add_row(-(1 - t) * rem[free] / SCALE, rhs / SCALE, Row("npl_target", "NPL ratio at the deadline", t, 1 / SCALE))
    if c.loss_limit is not None:
        charge = opts["loss_charge"].to_numpy(dtype=float)
        add_row(charge[free] / SCALE, (c.loss_limit - charge[fixed].sum()) / SCALE,
                Row("loss_limit", "charge beyond provisions this year", c.loss_limit, 1 / SCALE))

    blocks = [sp.vstack(data_rows, format="csr")] if data_rows else []
    if n_y:
        member = np.flatnonzero(group_of_free >= 0)
        g_idx = group_of_free[member]
        # minimum: −Σ x_k + m_g·y_g ≤ fixed_g
        mins = np.array([min_of_group[g] for g in groups], dtype=float)
        a_min = sp.csr_matrix(
            (np.concatenate([-np.ones(len(member)), mins]),
             (np.concatenate([g_idx, np.arange(n_y)]), np.concatenate([member, n_x + np.arange(n_y)]))),
            shape=(n_y, n_var))
        blocks.append(a_min)
        for g_i, g in enumerate(groups):
            b.append(float(fixed_in_group.get(g, 0)))
            rows.append(Row("package_min", g, float(min_of_group[g]), 1.0))
            if fixed_in_group.get(g, 0) > 0:
                lb[n_x + g_i] = 1.0
        # link: x_k − y_g ≤ 0
        a_link = sp.csr_matrix(
            (np.concatenate([np.ones(len(member)), -np.ones(len(member))]),
             (np.concatenate([np.arange(len(member))] * 2), np.concatenate([member, n_x + g_idx]))),
            shape=(len(member), n_var))
        blocks.append(a_link)
        b.extend([0.0] * len(member))
        rows.extend(Row("package_link", groups[g], 0.0, 1.0) for g in g_idx)
    for g, f in fixed_in_group.items():
        if g not in groups and f < min_of_group[g]:
            # loans whose only option is bulk, in a group too small to sell: no feasible plan.
            data_rows_extra = sp.csr_matrix((1, n_var))
            blocks.append(data_rows_extra)
            b.append(-1.0)
            rows.append(Row("package_min", g, float(min_of_group[g]), 1.0))
    a_ub = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, n_var))
    stats = {"options": int(len(opts)), "options_kept": int(len(rows_kept)), "fixed_loans": int(len(fixed)),
             "free_loans": int(len(loan_local)), "x_variables": int(n_x), "package_variables": int(n_y),
             "rows": int(a_ub.shape[0] + a_eq.shape[0])}
    return Problem(c=cobj, a_ub=a_ub, b_ub=np.asarray(b, dtype=float), a_eq=a_eq, b_eq=b_eq, lb=lb, ub=ub,
                   rows=rows, free=free, groups=groups, fixed=fixed, fixed_npv=float(npv[fixed].sum()), stats=stats)
