"""The waterfall engine: a pure function from a deal and its collections to cash flows.

`simulate(deal, inputs)` runs every payment date for a whole array of scenario paths at once
(shape (paths, periods)), in exact integer cents with the deal's rounding mode, and returns the
recorded lines as (periods, paths) int64 arrays. `run_waterfall` (report.py) wraps it for one
path. The semantics are written out in docs/securitization.md, section "Waterfall semantics";
the test oracle implements that text independently in Fraction arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from nplhub.domain.errors import DomainError
from nplhub.securitization.cents import DAYS_PER_YEAR, PPM, scale, to_cents, to_ppm
from nplhub.securitization.deal import Deal
from nplhub.securitization.steps import (
    PayDeferredServicerFee,
    PayFee,
    PayIncentiveFee,
    PayInterest,
    PayPrincipal,
    PayResidual,
    PayServicerFee,
    ReimburseCosts,
    Step,
    TopUpReserve,
)

YEAR_DEN = DAYS_PER_YEAR * PPM
CUMULATIVE_LIMIT = 4 * 10**12  # cents: keeps cumulative × threshold (ppm) inside int64


@dataclass(frozen=True)
class PeriodInputs:
    """Per-period cash of the pool, in cents, shape (paths, periods) or (periods,).

    `collections`: gross collections of the period; `costs`: disposal costs the servicer advanced;
    `closed_collections` and `closed_bp_npv`: collections on positions closed in the period and
    the business plan's NPV of those positions (for the NPV profitability trigger);
    `business_plan`: the business plan's collections per period, shape (periods,)."""

    collections: np.ndarray
    costs: np.ndarray | None = None
    closed_collections: np.ndarray | None = None
    closed_bp_npv: np.ndarray | None = None
    business_plan: np.ndarray | None = None
    periods_first: bool = False  # the per-path arrays are laid out (periods, paths)


class Lines:
    """The recorded lines: name -> (periods, paths) int64, written in place (`wanted` limits
    what is kept; a line paid by two steps on one date adds up)."""

    def __init__(self, wanted: set[str] | None, periods: int, paths: int) -> None:
        self.wanted = wanted
        self.shape = (periods, paths)
        self.rows: dict[str, np.ndarray] = {}

    def wants(self, name: str) -> bool:
        return self.wanted is None or name in self.wanted

    def put(self, name: str, k: int, value: np.ndarray) -> None:
        if self.wanted is not None and name not in self.wanted:
            return
        arr = self.rows.get(name)
        if arr is None:
            arr = self.rows[name] = np.zeros(self.shape, dtype=np.int64)
        arr[k] += value

    def stacked(self) -> dict[str, np.ndarray]:
        return self.rows


def period_days(deal: Deal) -> list[int]:
    dates = [deal.closing_date, *deal.payment_dates()]
    return [(b - a).days for a, b in zip(dates, dates[1:])]


def _as_paths(a: np.ndarray | None, paths: int, periods: int, what: str) -> np.ndarray:
    if a is None:
        return np.zeros((paths, periods), dtype=np.int64)
    arr = np.asarray(a, dtype=np.int64)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr, (paths, arr.shape[0]))
    if arr.shape != (paths, periods):
        raise DomainError(f"{what} has shape {arr.shape}; the deal needs {(paths, periods)} (paths, periods)")
    if (arr < 0).any():
        raise DomainError(f"{what} has negative amounts")
    return arr


class _State:
    def __init__(self, deal: Deal, paths: int) -> None:
        z = lambda: np.zeros(paths, dtype=np.int64)  # noqa: E731
        self.balance = {t.name: np.full(paths, to_cents(t.balance), dtype=np.int64) for t in deal.tranches}
        self.interest_owed = {t.name: z() for t in deal.tranches}
        self.fee_owed = {f.name: z() for f in deal.fees}
        self.servicer_pending = z()
        self.servicer_unpaid = z()
        self.servicer_deferred = z()
        self.costs_capped = z()
        self.costs_excess = z()
        self.reserve = np.full(paths, to_cents(deal.reserve.initial_balance) if deal.reserve else 0, dtype=np.int64)
        self.target = z()
        self.carried = z()

    def copy(self) -> _State:
        new = object.__new__(_State)
        for key, value in self.__dict__.items():
            new.__dict__[key] = {k: v.copy() for k, v in value.items()} if isinstance(value, dict) else value.copy()
        return new


def _run_steps(deal: Deal, steps: Iterable[Step], s: _State, avail: np.ndarray, active: np.ndarray | None,
               k: int, lines: Lines | None, floor: bool, dry: bool = False) -> np.ndarray:
    """Apply `steps`; returns the cash left. Mutates `s`. `avail` is zero on the paths that follow
    another waterfall on this date, so every payment there is zero by itself; only the servicer
    fee's split into paid and deferred parts needs the `active` mask (None: all paths)."""

    def only(x: np.ndarray) -> np.ndarray:
        return x if active is None else np.where(active, x, 0)

    def take(owed: np.ndarray) -> np.ndarray:
        return np.minimum(avail, owed)

    def put(name: str, value: np.ndarray) -> None:
        if lines is not None:
            lines.put(name, k, value)

    for step in steps:
        if isinstance(step, PayFee):
            pay = take(s.fee_owed[step.fee])
            s.fee_owed[step.fee] -= pay
            put(f"fee:{step.fee}:paid", pay)
        elif isinstance(step, PayServicerFee):
            deferred = only(scale(s.servicer_pending, PPM - to_ppm(step.share), PPM, floor))
            s.servicer_deferred += deferred
            s.servicer_unpaid += only(s.servicer_pending - deferred)
            s.servicer_pending = s.servicer_pending - only(s.servicer_pending)
            pay = take(s.servicer_unpaid)
            s.servicer_unpaid -= pay
            put("servicer_fee:deferred", deferred)
            put("servicer_fee:paid", pay)
        elif isinstance(step, PayDeferredServicerFee):
            pay = take(s.servicer_deferred)
            s.servicer_deferred -= pay
            put("servicer_fee:deferred_paid", pay)
        elif isinstance(step, ReimburseCosts):
            bucket = s.costs_capped if step.part == "capped" else s.costs_excess
            pay = take(bucket)
            bucket -= pay
            put(f"costs:{step.part}_paid", pay)
        elif isinstance(step, TopUpReserve):
            pay = take(np.maximum(s.target - s.reserve, 0))
            s.reserve += pay
            put("reserve:top_up", pay)
        elif isinstance(step, PayInterest):
            pay = take(s.interest_owed[step.tranche])
            s.interest_owed[step.tranche] -= pay
            put(f"tranche:{step.tranche}:interest_paid", pay)
        elif isinstance(step, PayPrincipal):
            pay = take(s.balance[step.tranche])
            s.balance[step.tranche] -= pay
            put(f"tranche:{step.tranche}:principal_paid", pay)
        elif isinstance(step, PayIncentiveFee):
            if dry:
                continue
            pay = scale(avail, to_ppm(deal.servicer.incentive_rate), PPM, floor)
            put("incentive_fee:paid", pay)
        elif isinstance(step, PayResidual):
            if dry:
                continue
            pay = avail
            put(f"tranche:{step.tranche}:residual_paid", pay)
        else:  # pragma: no cover - the Step union is closed
            raise DomainError(f"unknown waterfall step {step!r}")
        avail = avail - pay
    return avail


_PREFIX: dict[int, tuple[Deal, int]] = {}


def _common_prefix(deal: Deal) -> int:
    """How many first steps the two waterfalls share (cached per deal object)."""
    hit = _PREFIX.get(id(deal))
    if hit is not None and hit[0] is deal:
        return hit[1]
    first, second = deal.waterfall, deal.waterfall_on_trigger or []
    n0 = 0
    while n0 < min(len(first), len(second)) and first[n0] == second[n0]:
        n0 += 1
    if len(_PREFIX) > 256:
        _PREFIX.clear()
    _PREFIX[id(deal)] = (deal, n0)
    return n0


def _distribute(deal: Deal, s: _State, avail: np.ndarray, normal: np.ndarray | None, k: int,
                lines: Lines | None, floor: bool, dry: bool = False) -> np.ndarray:
    """Run the waterfall in force on each path: the normal one where `normal`, the triggered one
    elsewhere (their common first steps once for all paths)."""
    if normal is None or deal.waterfall_on_trigger is None:
        return _run_steps(deal, deal.waterfall, s, avail, None, k, lines, floor, dry)
    first, second = deal.waterfall, deal.waterfall_on_trigger
    n0 = _common_prefix(deal)
    avail = _run_steps(deal, first[:n0], s, avail, None, k, lines, floor, dry)
    if normal.all():
        return _run_steps(deal, first[n0:], s, avail, None, k, lines, floor, dry)
    if not normal.any():
        return _run_steps(deal, second[n0:], s, avail, None, k, lines, floor, dry)
    on_first = np.where(normal, avail, 0)
    left = _run_steps(deal, first[n0:], s, on_first, normal, k, lines, floor, dry)
    left = left + _run_steps(deal, second[n0:], s, avail - on_first, ~normal, k, lines, floor, dry)
    return left


def simulate(deal: Deal, inputs: PeriodInputs, wanted: set[str] | None = None) -> tuple[dict[str, np.ndarray], int]:
    """Run the waterfall on every path; returns ({line: (periods, paths) int64}, paths)."""
    T = deal.periods
    coll = np.asarray(inputs.collections, dtype=np.int64)
    P = 1 if coll.ndim == 1 else coll.shape[1 if inputs.periods_first else 0]
    seen: dict[int, np.ndarray] = {}

    def periods_first(a: np.ndarray | None, what: str) -> np.ndarray:
        if a is not None and id(a) in seen:
            return seen[id(a)]
        if a is not None and inputs.periods_first:
            arr = _as_paths(np.asarray(a).T, P, T, what).T
        else:
            arr = np.ascontiguousarray(_as_paths(a, P, T, what).T)
        if a is not None:
            seen[id(a)] = arr
        return arr

    C = periods_first(inputs.collections, "collections")
    K = periods_first(inputs.costs, "costs")
    CC = periods_first(inputs.closed_collections, "closed_collections")
    CN = periods_first(inputs.closed_bp_npv, "closed_bp_npv")
    bp = inputs.business_plan
    if bp is None and deal.business_plan is not None:
        bp = np.array([to_cents(v) for v in deal.business_plan], dtype=np.int64)
    if bp is None:
        if any(t.kind == "cumulative_collection_ratio" for t in deal.triggers):
            raise DomainError("a cumulative collection ratio trigger needs a business plan")
        bp = np.zeros(T, dtype=np.int64)
    bp = np.asarray(bp, dtype=np.int64)
    if bp.shape != (T,):
        raise DomainError(f"the business plan has {bp.shape[0] if bp.ndim else 0} periods, the deal {T}")
    for what, arr in (("collections", C), ("closed-position collections", CC), ("closed-position NPV", CN)):
        if arr.size and int(arr.sum(axis=0).max()) > CUMULATIVE_LIMIT:
            raise DomainError(f"cumulative {what} exceed {CUMULATIVE_LIMIT // 100:,} per path: too large "
                              "for exact trigger arithmetic")
    floor = deal.rounding == "floor"
    days = period_days(deal)
    s = _State(deal, P)
    lines = Lines(wanted, T, P)
    cum_c, cum_cc, cum_cn = np.zeros(P, np.int64), np.zeros(P, np.int64), np.zeros(P, np.int64)
    cum_bp = 0
    breached_before = {t.name: np.zeros(P, dtype=bool) for t in deal.triggers}
    alive = np.ones(P, dtype=bool)
    some_dead = False

    def live(x: np.ndarray) -> np.ndarray:
        return np.where(alive, x, 0) if some_dead else x

    fee_ppm = {f.name: to_ppm(f.rate) for f in deal.fees}
    fee_fixed = {f.name: to_cents(f.amount) for f in deal.fees}
    coupon_ppm = {t.name: to_ppm(t.coupon) for t in deal.tranches}
    base_ppm, cap_ppm = to_ppm(deal.servicer.base_rate), to_ppm(deal.servicer.cost_cap_rate)
    thresholds = {t.name: to_ppm(t.threshold) for t in deal.triggers}
    two_waterfalls = deal.waterfall_on_trigger is not None
    original_notes = sum(to_cents(t.balance) for t in deal.tranches)
    if original_notes > CUMULATIVE_LIMIT:
        raise DomainError(f"the notes exceed {CUMULATIVE_LIMIT // 100:,}: too large for exact arithmetic")
    call_ppm = to_ppm(deal.clean_up_call.threshold) if deal.clean_up_call else None
    cover = deal.reserve
    for k in range(T):
        c = live(C[k])
        cum_c += c
        cum_bp += int(bp[k])
        if deal.triggers:
            cum_cc += live(CC[k])
            cum_cn += live(CN[k])
        any_breach = np.zeros(P, dtype=bool)
        for trig in deal.triggers:
            thr = thresholds[trig.name]
            cond: np.ndarray
            if trig.kind == "cumulative_collection_ratio":
                cond = (cum_c * PPM < thr * cum_bp) if cum_bp > 0 else np.zeros(P, dtype=bool)
            else:
                cond = (cum_cn > 0) & (cum_cc * PPM < thr * cum_cn)
            if not trig.curable:
                cond = cond | breached_before[trig.name]
            breached_before[trig.name] = cond
            any_breach |= cond
            if lines.wants(f"trigger:{trig.name}:breached"):
                lines.put(f"trigger:{trig.name}:breached", k, cond.astype(np.int64))
        # accruals on the balances at the start of the period
        notes = sum(s.balance.values(), np.zeros(P, np.int64))
        for f in deal.fees:
            if f.basis in ("notes_balance", "tranche_balance"):
                on = notes if f.tranche is None else s.balance[f.tranche]
                due = scale(on, fee_ppm[f.name] * days[k], YEAR_DEN, floor)
            elif f.basis == "collections":
                due = scale(c, fee_ppm[f.name], PPM, floor)
            else:
                due = live(np.full(P, fee_fixed[f.name], dtype=np.int64))
            s.fee_owed[f.name] += due
            lines.put(f"fee:{f.name}:due", k, due)
        for t in deal.tranches:
            acc = live(scale(s.balance[t.name], coupon_ppm[t.name] * days[k], YEAR_DEN, floor))
            s.interest_owed[t.name] += acc
            lines.put(f"tranche:{t.name}:interest_due", k, acc)
        base = scale(c, base_ppm, PPM, floor)
        s.servicer_pending += base
        lines.put("servicer_fee:due", k, base)
        kc = live(K[k])
        within = np.minimum(kc, scale(c, cap_ppm, PPM, floor))
        s.costs_capped += within
        s.costs_excess += kc - within
        # clean-up call
        called = np.zeros(P, dtype=bool)
        if call_ppm is not None:
            called = alive & (notes > 0) & (notes * PPM <= call_ppm * original_notes)
        last = k == T - 1
        # reserve target: next period's covered accruals, zero on the last date or when called
        if cover is not None and not last:
            comp = np.zeros(P, np.int64)
            for f in deal.fees:
                if f.name not in cover.covered_fees:
                    continue
                if f.basis in ("notes_balance", "tranche_balance"):
                    on = notes if f.tranche is None else s.balance[f.tranche]
                    comp += scale(on, fee_ppm[f.name] * days[k + 1], YEAR_DEN, floor)
                elif f.basis == "collections":
                    comp += scale(np.full(P, int(bp[k + 1]), np.int64), fee_ppm[f.name], PPM, floor)
                else:
                    comp += fee_fixed[f.name]
            for name in cover.covered_tranches:
                comp += scale(s.balance[name], coupon_ppm[name] * days[k + 1], YEAR_DEN, floor)
            s.target = np.where(called | ~alive, 0, scale(comp, to_ppm(cover.target_multiple), PPM, floor))
        else:
            s.target = np.zeros(P, np.int64)
        lines.put("reserve:target", k, s.target)
        release, brought = s.reserve, s.carried
        s.reserve = np.zeros(P, np.int64)
        s.carried = np.zeros(P, np.int64)
        avail = c + release + brought
        normal = ~any_breach if two_waterfalls else np.ones(P, dtype=bool)
        proceeds = np.zeros(P, np.int64)
        if called.any():
            dry = s.copy()
            big = np.full(P, 10**17, np.int64)
            left = _distribute(deal, dry, big, normal, k, None, floor, dry=True)
            claims = big - left
            price_ppm = to_ppm(deal.clean_up_call.price_share) if deal.clean_up_call else 0
            floor_price = scale(np.array([int(bp[k + 1:].sum())], np.int64), price_ppm, PPM, floor)[0]
            proceeds = np.where(called, np.maximum(np.maximum(claims - avail, 0), floor_price), 0)
            avail = avail + proceeds
        for name, v in (("collections", c), ("costs_advanced", kc), ("reserve_release", release),
                        ("brought_forward", brought), ("call_proceeds", proceeds),
                        ("inflow_total", avail), ("called", called.astype(np.int64)),
                        ("waterfall_triggered", (~normal).astype(np.int64))):
            lines.put(name, k, v)
        avail = _distribute(deal, s, avail, normal if two_waterfalls else None, k, lines, floor)
        s.servicer_unpaid += s.servicer_pending
        s.servicer_pending = np.zeros(P, np.int64)
        s.carried = avail
        lines.put("reserve:balance", k, s.reserve)
        lines.put("carried_forward", k, avail)
        for t in deal.tranches:
            lines.put(f"tranche:{t.name}:balance", k, s.balance[t.name])
            lines.put(f"tranche:{t.name}:interest_shortfall", k, s.interest_owed[t.name])
        for f in deal.fees:
            lines.put(f"fee:{f.name}:unpaid", k, s.fee_owed[f.name])
        if lines.wants("servicer_fee:unpaid"):
            lines.put("servicer_fee:unpaid", k, s.servicer_unpaid + s.servicer_deferred)
        if called.any():
            alive = alive & ~called
            some_dead = True
    return lines.stacked(), P


def outflow_line_names(deal: Deal) -> list[str]:
    """The lines that together make a period's outflow (conservation: their sum = inflow_total)."""
    names = [f"fee:{f.name}:paid" for f in deal.fees]
    names += ["servicer_fee:paid", "servicer_fee:deferred_paid", "costs:capped_paid", "costs:excess_paid",
              "reserve:top_up", "incentive_fee:paid", "carried_forward"]
    for t in deal.tranches:
        names += [f"tranche:{t.name}:interest_paid", f"tranche:{t.name}:principal_paid",
                  f"tranche:{t.name}:residual_paid"]
    return names


def payment_dates(deal: Deal) -> list[date]:
    return deal.payment_dates()
