"""The greedy baseline: what a careful analyst with a spreadsheet would do.

1. Give every loan its lightest route (least use of the budgets, each counted against its limit).
2. If the NPL ratio at the deadline is above target, switch loans to a route that clears them in
   time, cheapest NPV lost per yuan of NPL cleared first, as long as resources allow; then
   upgrade loans by NPV gained per unit of budget used, never undoing the target.
3. Bulk groups below the package minimum are broken up: their loans take their best other route
   that fits.
4. Any budget still overdrawn is repaired by moving loans to options that use less of it, the
   least NPV lost per unit freed first.

It is a baseline for the optimiser (which must never do worse) and its fallback when the solver
stops without a plan. It may end infeasible; `is_feasible` tells.
"""

from __future__ import annotations

import numpy as np

from nplhub.strategy.constraints import PlanConstraints
from nplhub.strategy.options import OptionSet


def greedy_plan(option_set: OptionSet, c: PlanConstraints, start: np.ndarray | None = None) -> np.ndarray:
    """Row numbers (into option_set.options) of the chosen option of every loan.

    With `start` (one option row per loan, by loan index) the first two steps are skipped: the
    NPL-target swaps, package repair and budget repair run from that assignment instead.
    """
    opts = option_set.options
    li = opts["loan_idx"].to_numpy()
    npv = opts["npv"].to_numpy(dtype=float)
    legal = opts["legal_cost"].to_numpy(dtype=float)
    work = opts["workload"].to_numpy(dtype=float)
    charge = opts["loss_charge"].to_numpy(dtype=float)
    removable = opts["removable"].to_numpy(dtype=float)
    branch = opts["branch_id"].to_numpy()
    n_loans = int(li.max()) + 1 if len(li) else 0
    starts = np.searchsorted(li, np.arange(n_loans + 1))

    legal_left = np.inf if c.legal_budget is None else float(c.legal_budget)
    loss_left = np.inf if c.loss_limit is None else float(c.loss_limit)
    cap_left: dict[str, float] = {}
    for br in set(branch):
        officers = c.officers_at(str(br)) if c.has_capacity else None
        cap_left[str(br)] = np.inf if officers is None else officers * c.cases_per_officer

    def fits(k: int) -> bool:
        return bool(legal[k] <= legal_left + 1e-9 and charge[k] <= loss_left + 1e-9
                    and work[k] <= cap_left[str(branch[k])] + 1e-9)

    def take(k: int, sign: float = 1.0) -> None:
        nonlocal legal_left, loss_left
        legal_left -= sign * legal[k]
        loss_left -= sign * charge[k]
        cap_left[str(branch[k])] -= sign * work[k]

    # weighted resource use of each option: each active limit counts as 1
    weight = np.zeros(len(opts))
    if c.legal_budget is not None:
        weight += legal / max(float(c.legal_budget), 1.0)
    if c.loss_limit is not None:
        weight += charge / max(float(c.loss_limit), 1.0)
    if c.has_capacity:
        caps = np.array([cap_left[str(b)] for b in branch])
        weight += np.where(np.isfinite(caps), work / np.maximum(caps, 1.0), 0.0)
    if c.package_min_accounts:  # bulk groups that can never reach their minimum are no option
        group = opts["package_group"].to_numpy()
        channel = opts["channel"].to_numpy()
        for g in set(group) - {""}:
            members = np.flatnonzero(group == g)
            if len(members) < option_set.min_accounts.get(str(channel[members[0]]), 1):
                weight[members] = np.inf
                npv = np.where(np.isin(np.arange(len(npv)), members), -np.inf, npv)
    def ratio_with(removed: float) -> float:
        return float((option_set.npl_balance - removed) / max(option_set.total_loans - removed, 1e-9))

    def npl_swaps() -> None:
        """Switch loans to routes that clear them by the deadline, least NPV lost per yuan first."""
        if c.npl_target is None:
            return
        t = c.npl_target
        removed = float(removable[chosen].sum())

        # loans not yet clearing their NPL, and their options that would, vectorised
        cur_of = chosen[li]
        mask = (removable[cur_of] <= 0) & (removable > 0)
        ks = np.flatnonzero(mask)
        if len(ks) == 0:
            return
        cost = (npv[cur_of[ks]] - npv[ks]) / removable[ks]
        heavy = np.maximum(weight[ks] - weight[cur_of[ks]], 0.0) / removable[ks]
        # first by NPV lost per yuan cleared; if the budgets run dry first, by budget used per yuan cleared
        order = ks[np.argsort(cost + heavy * np.median(np.abs(cost)) / max(float(np.median(heavy)), 1e-18), kind="stable")]
        for k in order:
            if ratio_with(removed) <= t:
                break
            i = int(li[k])
            cur = int(chosen[i])
            if removable[cur] > 0:
                continue
            take(cur, -1.0)
            if fits(int(k)):
                chosen[i] = k
                take(int(k))
                removed += float(removable[k] - removable[cur])
            else:
                take(cur)

    if start is not None:
        chosen = np.asarray(start, dtype=int).copy()
        for k in chosen:
            take(int(k))
    else:
        # 1. the lightest option of every loan (ties: the more valuable)
        chosen = np.empty(n_loans, dtype=int)
        for i in range(n_loans):
            rows = np.arange(starts[i], starts[i + 1])
            order = np.lexsort((-npv[rows], weight[rows]))
            chosen[i] = rows[order[0]]
            take(int(chosen[i]))
        # the NPL target first, while the budgets are still free
        npl_swaps()
        # 2. upgrades by NPV gained per unit of weighted resource, as long as they fit and keep the target
        removed_now = float(removable[chosen].sum())
        target = np.inf if c.npl_target is None else c.npl_target
        gain = npv - npv[chosen[li]]
        extra = weight - weight[chosen[li]]
        cand = np.flatnonzero(gain > 0)
        density = np.where(extra[cand] > 0, gain[cand] / np.maximum(extra[cand], 1e-18), np.inf)
        for k in cand[np.lexsort((-gain[cand], -density))]:
            i = li[k]
            cur = int(chosen[i])
            if npv[k] <= npv[cur]:
                continue
            after = removed_now - removable[cur] + removable[k]
            if removable[k] < removable[cur] and ratio_with(after) > target:
                continue
            take(cur, -1.0)
            if fits(int(k)):
                chosen[i] = k
                take(int(k))
                removed_now = after
            else:
                take(cur)

    npl_swaps()

    if c.package_min_accounts:
        group = opts["package_group"].to_numpy()
        channel = opts["channel"].to_numpy()
        picked_groups = group[chosen]
        for g in sorted(set(picked_groups) - {""}):
            members = np.flatnonzero(picked_groups == g)
            need = option_set.min_accounts.get(str(channel[chosen[members[0]]]), 1)
            if len(members) >= need:
                continue
            for member in members:
                j = int(member)
                cur = int(chosen[j])
                take(cur, -1.0)
                keep = float(removable[cur])
                others = sorted((k for k in range(starts[j], starts[j + 1]) if group[k] == ""),
                                key=lambda k: (bool(removable[k] < keep), -float(npv[k])))
                pick = next((k for k in others if fits(k)), others[0] if others else cur)
                chosen[j] = pick
                take(pick)

        npl_swaps()  # breaking packages may have undone part of the target

    # 4. repair: while a budget is overdrawn, move loans to options using less of it, cheapest first,
    #    never worsening another budget, the NPL target or a package
    bulk = opts["package_group"].to_numpy() != "" if c.package_min_accounts else np.zeros(len(opts), dtype=bool)
    for resource, left in (("legal", lambda _k: legal_left), ("loss", lambda _k: loss_left),
                           ("work", lambda k: cap_left[str(branch[k])])):
        amount = {"legal": legal, "loss": charge, "work": work}[resource]
        moves = []
        for i in range(n_loans):
            cur = int(chosen[i])
            if left(cur) >= -1e-9 or bulk[cur]:
                continue
            for k in range(starts[i], starts[i + 1]):
                freed = amount[cur] - amount[k]
                if freed > 0 and not bulk[k] and removable[k] >= removable[cur]:
                    moves.append(((npv[cur] - npv[k]) / freed, i, k))
        moves.sort()
        for _, i, k in moves:
            cur = int(chosen[i])
            if left(cur) >= -1e-9 or amount[k] >= amount[cur]:
                continue
            take(cur, -1.0)
            others_ok = (legal[k] <= legal_left + 1e-9 or resource == "legal") and \
                (charge[k] <= loss_left + 1e-9 or resource == "loss") and \
                (work[k] <= cap_left[str(branch[k])] + 1e-9 or resource == "work")
            if others_ok:
                chosen[i] = k
                take(k)
            else:
                take(cur)
    return chosen
