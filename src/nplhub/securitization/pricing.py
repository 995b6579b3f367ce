"""Pricing of a tranche's cash flows: yield, WAL, Macaulay and modified duration, convexity, IRR.

Conventions (domain reference §5.3): times in years Act/365F from the settlement date, annual
compounding: PV(y) = Σ CFₜ (1 + y)^(−t). The yield solves PV(y) = price paid; WAL weighs principal
repayments by their time; Macaulay duration = Σ t·CFₜ(1+y)^(−t) / PV; modified = Macaulay/(1+y);
convexity = Σ t(t+1)·CFₜ(1+y)^(−t−2) / PV. The subordinated holder's IRR comes from pyxirr.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np

from nplhub.domain.errors import DomainError


def year_fractions(dates: Sequence[date], settlement: date) -> np.ndarray:
    return np.array([(d - settlement).days / 365.0 for d in dates], dtype=np.float64)


def present_value(amounts: np.ndarray, times: np.ndarray, y: float) -> float:
    return float(np.sum(amounts * (1.0 + y) ** (-times)))


def solve_yield(price: float, amounts: Sequence[float] | Any, times: Sequence[float] | Any, tol: float = 1e-13) -> float | None:
    """The annual yield y with Σ aₜ(1+y)^(−t) = price; None when the flows cannot pay a yield
    above −100% (nothing comes back). Newton's method safeguarded by bisection."""
    a = np.asarray(amounts, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    keep = a != 0
    a, t = a[keep], t[keep]
    if price <= 0:
        raise DomainError(f"price must be positive, got {price}")
    if a.size == 0 or a.sum() <= 0:
        return None

    def f(y: float) -> float:
        return float(np.sum(a * (1.0 + y) ** (-t))) - price

    lo, hi = -0.999999, 1.0
    while f(hi) > 0:
        hi = hi * 2 + 1
        if hi > 1e6:
            return None
    if f(lo) < 0:
        return None
    y = 0.05 if lo < 0.05 < hi else (lo + hi) / 2
    for _ in range(200):
        fy = f(y)
        if fy > 0:
            lo = y
        else:
            hi = y
        d = float(np.sum(-t * a * (1.0 + y) ** (-t - 1.0)))
        step = fy / d if d != 0 else 0.0
        nxt = y - step
        if not (lo < nxt < hi) or d == 0:
            nxt = (lo + hi) / 2
        if abs(nxt - y) < tol:
            return nxt
        y = nxt
    return y


@dataclass(frozen=True)
class TranchePricing:
    name: str
    price: float  # percent of par paid at settlement
    yield_: float | None
    wal: float | None
    macaulay_duration: float | None
    modified_duration: float | None
    convexity: float | None
    irr: float | None
    principal_paid: float
    interest_paid: float
    residual_paid: float
    loss: float
    interest_shortfall: float

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["yield"] = d.pop("yield_")
        return d


def wal(principal: Sequence[float] | Any, times: Sequence[float] | Any) -> float | None:
    p = np.asarray(principal, dtype=np.float64)
    if p.sum() <= 0:
        return None
    return float(np.sum(p * np.asarray(times, dtype=np.float64)) / p.sum())


def durations(amounts: Sequence[float] | Any, times: Sequence[float] | Any, y: float) -> tuple[float, float, float]:
    """(Macaulay, modified, convexity) at annual yield y."""
    a = np.asarray(amounts, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    disc = (1.0 + y) ** (-t)
    pv = float(np.sum(a * disc))
    mac = float(np.sum(t * a * disc)) / pv
    conv = float(np.sum(t * (t + 1.0) * a * disc)) / pv / (1.0 + y) ** 2
    return mac, mac / (1.0 + y), conv


def xirr(dates: Sequence[date], amounts: Sequence[float]) -> float | None:
    """IRR of dated flows (first one negative) by pyxirr, Act/365F."""
    import pyxirr

    if sum(a for a in amounts if a > 0) <= 0:
        return None
    result = pyxirr.xirr(list(dates), list(amounts))
    return None if result is None or (isinstance(result, float) and math.isnan(result)) else float(result)


def price_tranche(name: str, face: float, price_pct: float, settlement: date, dates: Sequence[date],
                  interest: Sequence[float], principal: Sequence[float], residual: Sequence[float],
                  loss: float = 0.0, interest_shortfall: float = 0.0) -> TranchePricing:
    """Price one tranche's received flows (yuan) bought at `price_pct` of `face` on `settlement`."""
    times = year_fractions(dates, settlement)
    flows = np.asarray(interest, float) + np.asarray(principal, float) + np.asarray(residual, float)
    paid = face * price_pct / 100.0
    y = solve_yield(paid, flows, times) if face > 0 else None
    mac = mod = conv = None
    if y is not None:
        mac, mod, conv = durations(flows, times, y)
    irr = xirr([settlement, *dates], [-paid, *flows.tolist()]) if face > 0 else None
    return TranchePricing(
        name=name, price=price_pct, yield_=y, wal=wal(principal, times), macaulay_duration=mac,
        modified_duration=mod, convexity=conv, irr=irr, principal_paid=float(np.sum(principal)),
        interest_paid=float(np.sum(interest)), residual_paid=float(np.sum(residual)), loss=loss,
        interest_shortfall=interest_shortfall,
    )
