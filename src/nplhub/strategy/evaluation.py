"""Check a plan against its constraints directly from their definitions (no solver, no matrix).

Used to verify every plan the optimiser or the greedy baseline returns, and to report how much
of each constraint a plan uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nplhub.strategy.constraints import PlanConstraints
from nplhub.strategy.options import OptionSet

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Usage:
    kind: str
    name: str
    used: float
    limit: float
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "used": self.used, "limit": self.limit, "ok": self.ok}


def npl_ratio_after(option_set: OptionSet, chosen: np.ndarray) -> float:
    removed = float(option_set.options["removable"].to_numpy(dtype=float)[chosen].sum())
    denominator = option_set.total_loans - removed
    return (option_set.npl_balance - removed) / denominator if denominator > 0 else 0.0


def evaluate(option_set: OptionSet, c: PlanConstraints, chosen: np.ndarray) -> list[Usage]:
    """Usage of every active constraint by the options `chosen` (row numbers into options)."""
    opts = option_set.options
    out: list[Usage] = []

    def within(used: float, limit: float) -> bool:
        return used <= limit + TOLERANCE * max(1.0, abs(limit))

    if c.legal_budget is not None:
        used = float(opts["legal_cost"].to_numpy(dtype=float)[chosen].sum())
        out.append(Usage("legal_budget", "legal-cost budget", used, c.legal_budget, within(used, c.legal_budget)))
    if c.has_capacity:
        load = pd.Series(opts["workload"].to_numpy(dtype=float)[chosen]).groupby(
            opts["branch_id"].to_numpy()[chosen]).sum()
        for br in sorted(set(opts["branch_id"])):
            officers = c.officers_at(str(br))
            if officers is None:
                continue
            used = float(load.get(br, 0.0))
            cap = officers * c.cases_per_officer
            out.append(Usage("branch_capacity", str(br), used, cap, within(used, cap)))
    if c.npl_target is not None:
        ratio = npl_ratio_after(option_set, chosen)
        out.append(Usage("npl_target", "NPL ratio at the deadline", ratio, c.npl_target,
                         ratio <= c.npl_target + 1e-9))
    if c.loss_limit is not None:
        used = float(opts["loss_charge"].to_numpy(dtype=float)[chosen].sum())
        out.append(Usage("loss_limit", "charge beyond provisions this year", used, c.loss_limit,
                         within(used, c.loss_limit)))
    if c.package_min_accounts:
        picked = pd.DataFrame({"g": opts["package_group"].to_numpy()[chosen], "ch": opts["channel"].to_numpy()[chosen]})
        picked = picked[picked["g"] != ""]
        for g, grp in picked.groupby("g", sort=True):
            count = len(grp)
            need = option_set.min_accounts.get(str(grp["ch"].iloc[0]), 1)
            out.append(Usage("package_min", str(g), float(count), float(need), count >= need))
    return out


def is_feasible(option_set: OptionSet, c: PlanConstraints, chosen: np.ndarray) -> bool:
    loans = option_set.options["loan_idx"].to_numpy()[chosen]
    if len(np.unique(loans)) != len(chosen) or len(chosen) != option_set.loan_count:
        return False
    return all(u.ok for u in evaluate(option_set, c, chosen))
