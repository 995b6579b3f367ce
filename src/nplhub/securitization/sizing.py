"""Tranche sizing: the largest senior tranche repaid in full under a stress scenario.

"Repaid in full" means that at the end of the deal (the last payment date, or the clean-up call)
the tranche has no principal outstanding and no interest in arrears. The search runs the exact
engine on whole-yuan balances by bisection, assuming that a larger tranche is never easier to
repay (the tests check the answer against a brute-force scan).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from nplhub.domain.errors import DomainError
from nplhub.securitization.deal import Deal
from nplhub.securitization.waterfall import PeriodInputs, simulate


@dataclass(frozen=True)
class SizingResult:
    tranche: str
    balance: Decimal  # whole yuan
    evaluations: int


def senior_tranche(deal: Deal) -> str:
    for t in deal.tranches:
        if t.seniority == "senior":
            return t.name
    raise DomainError(f"deal {deal.name!r} has no senior tranche")


def repaid_in_full(deal: Deal, inputs: PeriodInputs, tranche: str) -> bool:
    wanted = {f"tranche:{tranche}:balance", f"tranche:{tranche}:interest_shortfall", "called"}
    lines, _ = simulate(deal, inputs, wanted)
    called = np.nonzero(lines["called"][:, 0])[0]
    end = int(called[0]) if called.size else deal.periods - 1
    return bool(lines[f"tranche:{tranche}:balance"][end, 0] == 0
                and lines[f"tranche:{tranche}:interest_shortfall"][end, 0] == 0)


def size_tranche(deal: Deal, inputs: PeriodInputs, tranche: str | None = None,
                 upper: int | None = None) -> SizingResult:
    """The largest whole-yuan balance of `tranche` (the senior by default) repaid in full."""
    name = tranche or senior_tranche(deal)
    deal.tranche(name)
    if upper is None:
        cash = int(np.asarray(inputs.collections, dtype=np.int64).sum()) // 100
        reserve = int(deal.reserve.initial_balance) if deal.reserve else 0
        upper = cash + reserve + 1
    evaluations = 0

    def ok(yuan: int) -> bool:
        nonlocal evaluations
        evaluations += 1
        return repaid_in_full(deal.with_tranche_balance(name, Decimal(yuan)), inputs, name)

    lo, hi = 0, upper  # a zero balance owes nothing, so ok(lo) holds; find the last ok below hi
    if ok(hi):
        return SizingResult(name, Decimal(hi), evaluations)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return SizingResult(name, Decimal(lo), evaluations)
