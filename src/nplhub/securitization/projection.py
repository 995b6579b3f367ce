"""Recovery projection of the pool: amount and timing per loan, stresses, per-period collections.

Each loan recovers `amount` (gross, yuan) `months` after the cut-off date and costs `costs` to
work out; the business plan (BP) is the unstressed projection. A loan's recovery falls in the
collection period that ends on the first payment date on or after it (collections of the
cut-off → closing transition period accumulate into the first period); recoveries after the last
payment date are lost to the deal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from nplhub.domain.errors import DomainError
from nplhub.securitization.deal import Deal, Segment
from nplhub.securitization.waterfall import PeriodInputs

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class LoanRecoveries:
    """Arrays aligned by loan: id, gross recovery, costs, months after the cut-off, BP NPV, and
    optionally each loan's own volatility of the recovery level (NaN: the model's default)."""

    loan_id: np.ndarray
    amount: np.ndarray
    costs: np.ndarray
    months: np.ndarray
    bp_npv: np.ndarray
    level_sigma: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.amount.shape[0])

    @property
    def expected_recovery(self) -> float:
        return float(self.amount.sum())


@dataclass(frozen=True)
class Stress:
    """A deterministic stress: recoveries cut by `haircut` and delayed by `delay_months`."""

    haircut: float = 0.0
    delay_months: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.haircut <= 1.0:
            raise DomainError(f"haircut must be between 0 and 1, got {self.haircut}")
        if self.delay_months < 0:
            raise DomainError(f"delay must not be negative, got {self.delay_months} months")


def _bp_npv(amount: np.ndarray, months: np.ndarray, rate: float) -> np.ndarray:
    return amount / (1.0 + rate) ** (months / 12.0)


def from_arrays(loan_id: Any, amount: Any, costs: Any, months: Any, bp_rate: float = 0.035) -> LoanRecoveries:
    amt = np.asarray(amount, dtype=np.float64)
    cst = np.asarray(costs, dtype=np.float64)
    mon = np.asarray(months, dtype=np.float64)
    ids = np.asarray(loan_id).astype(str)
    if not (amt.shape == cst.shape == mon.shape == ids.shape):
        raise DomainError("loan recoveries: id, amount, costs and months must have the same length")
    for what, arr in (("gross recovery", amt), ("costs", cst), ("months to recovery", mon)):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            raise DomainError(f"loan {ids[np.argmax(bad)]}: {what} must be a finite non-negative number")
    return LoanRecoveries(ids, amt, cst, mon, _bp_npv(amt, mon, bp_rate))


def from_valuation(frame: Any, bp_rate: float = 0.035, routes: list[str] | None = None,
                   loan_ids: list[str] | None = None, max_loans: int | None = None) -> LoanRecoveries:
    """From the valuation's route-value frame (one row per loan and route): for each loan the
    eligible route with the highest NPV (among `routes` when given); its gross recovery, costs and
    months to recovery; only `loan_ids` when given, and the `max_loans` of highest NPV."""
    need = {"loan_id", "route", "eligible", "npv", "gross_recovery", "costs", "months_to_recovery"}
    missing = need - set(frame.columns)
    if missing:
        raise DomainError(f"valuation results lack columns {sorted(missing)}")
    rows = frame[frame["eligible"].astype(bool)]
    rows = rows.dropna(subset=["npv", "gross_recovery", "costs", "months_to_recovery"])
    if routes is not None:
        rows = rows[rows["route"].isin(routes)]
    if loan_ids is not None:
        rows = rows[rows["loan_id"].astype(str).isin(loan_ids)]
    if rows.empty:
        raise DomainError("valuation results have no eligible route for any loan of the selection")
    best = rows.sort_values(["loan_id", "npv"], ascending=[True, False]).drop_duplicates("loan_id")
    if max_loans is not None:
        best = best.sort_values("npv", ascending=False, kind="stable").head(max_loans)
    rec = from_arrays(best["loan_id"].to_numpy(), best["gross_recovery"].to_numpy(dtype=float),
                      best["costs"].to_numpy(dtype=float), best["months_to_recovery"].to_numpy(dtype=float),
                      bp_rate)
    if {"p10", "p90"} <= set(best.columns):
        sigma = sigma_from_quantiles(best["p10"].to_numpy(dtype=float), best["p90"].to_numpy(dtype=float))
        if np.isfinite(sigma).any():
            rec = replace(rec, level_sigma=sigma)
    return rec


Z90 = 1.2815515655446004  # the standard normal's 90% quantile


def sigma_from_quantiles(p10: np.ndarray, p90: np.ndarray) -> np.ndarray:
    """A lognormal's volatility from its 10% and 90% quantiles, ln(p90/p10)/(2·z₀.₉); NaN where
    the quantiles are missing or not both positive (the valuation simulates only some loans)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.isfinite(p10) & np.isfinite(p90) & (p10 > 0) & (p90 >= p10)
        sigma = np.where(ok, np.log(np.where(ok, p90 / np.where(ok, p10, 1.0), 1.0)) / (2 * Z90), np.nan)
    return np.minimum(sigma, 3.0)


def from_segments(segments: list[Segment], bp_rate: float = 0.035) -> LoanRecoveries:
    """Expand segment curves into equal loans: loan j of n recovers at the timing curve's
    (j + 1/2)/n quantile, so that the loans together reproduce the curve."""
    ids, amt, cst, mon = [], [], [], []
    for seg in segments:
        n = seg.loans
        recovery = float(seg.gross_balance) * float(seg.recovery_rate) / n
        cum = np.cumsum([float(p.share) for p in seg.timing])
        months = np.array([p.month for p in seg.timing], dtype=float)
        q = (np.arange(n) + 0.5) / n
        idx = np.minimum(np.searchsorted(cum, q, side="right"), len(months) - 1)
        ids += [f"{seg.name}-{j + 1:05d}" for j in range(n)]
        amt.append(np.full(n, recovery))
        cst.append(np.full(n, recovery * float(seg.cost_rate)))
        mon.append(months[idx])
    return from_arrays(np.array(ids), np.concatenate(amt), np.concatenate(cst), np.concatenate(mon), bp_rate)


def from_pool(deal: Deal, loans_frame: Any | None = None) -> LoanRecoveries:
    """The pool of a deal spec: an explicit frame, the pool's loans file, or its segments."""
    rate = float(deal.pool.bp_discount_rate)
    if loans_frame is None and deal.pool.loans_file:
        import pandas as pd

        path = deal.pool.loans_file
        loans_frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path, dtype={"loan_id": str})
    if loans_frame is None and deal.pool.portfolio is not None:
        raise DomainError(f"deal {deal.name!r} takes its pool from the portfolio: load it through the services")
    if loans_frame is not None:
        need = {"loan_id", "gross_recovery", "costs", "months_to_recovery"}
        missing = need - set(loans_frame.columns)
        if missing:
            raise DomainError(f"pool loans lack columns {sorted(missing)}")
        if deal.pool.loan_ids is not None:
            loans_frame = loans_frame[loans_frame["loan_id"].astype(str).isin(deal.pool.loan_ids)]
        rec = from_arrays(loans_frame["loan_id"].to_numpy(), loans_frame["gross_recovery"].to_numpy(float),
                          loans_frame["costs"].to_numpy(float), loans_frame["months_to_recovery"].to_numpy(float),
                          rate)
        if "level_sigma" in loans_frame.columns:  # optional: each loan's own level volatility
            sigma = loans_frame["level_sigma"].to_numpy(float)
            if np.isfinite(sigma).any():
                rec = replace(rec, level_sigma=sigma)
        return rec
    if deal.pool.segments:
        return from_segments(list(deal.pool.segments), rate)
    raise DomainError(f"deal {deal.name!r}: the pool has neither loans nor segments")


def stressed(rec: LoanRecoveries, stress: Stress) -> LoanRecoveries:
    """Recoveries cut and delayed; costs and the BP NPV stay those of the plan."""
    return replace(rec, amount=rec.amount * (1.0 - stress.haircut), months=rec.months + stress.delay_months)


def period_bounds(deal: Deal) -> np.ndarray:
    """Days from the cut-off date to each payment date (the ends of the collection periods)."""
    cutoff = deal.pool.cutoff_date
    return np.array([(d - cutoff).days for d in deal.payment_dates()], dtype=np.float64)


def period_of(deal: Deal, months: np.ndarray) -> np.ndarray:
    """The collection period (0-based) of each recovery; `deal.periods` means after the last date."""
    return np.searchsorted(period_bounds(deal), np.asarray(months) * DAYS_PER_MONTH, side="left")


def _per_period(index: np.ndarray, values: np.ndarray, periods: int) -> np.ndarray:
    yuan = np.bincount(index, weights=values, minlength=periods + 1)[:periods]
    return np.rint(yuan * 100.0).astype(np.int64)


def period_inputs(deal: Deal, rec: LoanRecoveries, plan: LoanRecoveries | None = None) -> PeriodInputs:
    """Per-period collections, costs and closed-position figures in cents, with the plan (the
    unstressed recoveries, `rec` itself by default) as the business plan."""
    plan = rec if plan is None else plan
    T = deal.periods
    idx = period_of(deal, rec.months)
    collections = _per_period(idx, rec.amount, T)
    bp = _per_period(period_of(deal, plan.months), plan.amount, T)
    business_plan = bp if deal.business_plan is None else None
    return PeriodInputs(collections=collections, costs=_per_period(idx, rec.costs, T),
                        closed_collections=collections, closed_bp_npv=_per_period(idx, rec.bp_npv, T),
                        business_plan=business_plan)
