"""Internal rate of return of leg cash flows: vectorised for portfolios, pyxirr for one loan.

The equation is the one of the NPV: Σ_j CF_j · (1 + irr) ** (−t_j / 12) = 0 with t_j in months.
`vector_irr` solves it for many loans at once by a safeguarded Newton iteration on
x = ln(1 + irr) inside a bracket (bisection whenever Newton would leave it). `pyxirr_irr` solves
the same equation for one loan with pyxirr on a monthly grid; the tests check that both agree.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyxirr

Array = npt.NDArray[np.float64]

_LO, _HI = np.log(1e-4), np.log(101.0)  # irr in [−99.99%, +10,000%] a year


def vector_irr(amounts: Array, months: Array, *, tol: float = 1e-10, max_iter: int = 100) -> Array:
    """Annual IRR per row of (n, k) cash flows at (n, k) months; NaN where there is no sign change."""
    amounts = np.asarray(amounts, dtype="float64")
    years = np.asarray(months, dtype="float64") / 12.0
    n = amounts.shape[0]
    result = np.full(n, np.nan)
    has_neg = (amounts < 0).any(axis=1)
    has_pos = (amounts > 0).any(axis=1)

    def f(x: Array, cf: Array, t: Array) -> tuple[Array, Array]:
        disc = np.exp(-x[:, None] * t)
        return (cf * disc).sum(axis=1), (-cf * t * disc).sum(axis=1)

    active = np.flatnonzero(has_neg & has_pos)
    if active.size == 0:
        return result
    # conventional flows (outlays no later than every inflow): f is decreasing and convex in x,
    # so Newton converges monotonically from its second step on without a bracket
    first_in = np.where(amounts > 0, years, np.inf).min(axis=1)
    last_out = np.where(amounts < 0, years, -np.inf).max(axis=1)
    conventional = has_neg & has_pos & (last_out <= first_in)
    if conventional.any():
        result[conventional] = _newton(amounts[conventional], years[conventional], tol, max_iter)
    active = np.flatnonzero(has_neg & has_pos & ~(conventional & np.isfinite(result)))
    if active.size == 0:
        return result
    cf, t = amounts[active], years[active]
    lo = np.full(active.size, _LO)
    hi = np.full(active.size, _HI)
    f_lo, _ = f(lo, cf, t)
    f_hi, _ = f(hi, cf, t)
    bracketed = np.sign(f_lo) != np.sign(f_hi)
    if not bracketed.all():
        # several sign changes of the flows: take the root nearest to irr = 0 from a coarse scan
        todo = np.flatnonzero(~bracketed)
        grid = np.linspace(_LO, _HI, 41)
        values = np.stack([f(np.full(todo.size, g), cf[todo], t[todo])[0] for g in grid], axis=1)
        change = np.sign(values[:, :-1]) != np.sign(values[:, 1:])
        distance = np.where(change, np.abs(0.5 * (grid[:-1] + grid[1:])), np.inf)
        best = distance.argmin(axis=1)
        found = np.isfinite(distance[np.arange(todo.size), best])
        lo[todo[found]] = grid[best[found]]
        hi[todo[found]] = grid[best[found] + 1]
        f_lo[todo[found]] = values[found, best[found]]
        f_hi[todo[found]] = values[found, best[found] + 1]
        bracketed[todo[found]] = True
    decreasing = f_lo > f_hi
    # first guess: the rate that turns the outlay into the inflows at their mean time
    pos = np.where(cf > 0, cf, 0.0)
    neg = np.where(cf < 0, -cf, 0.0)
    t_in = (pos * t).sum(axis=1) / pos.sum(axis=1)
    t_out = (neg * t).sum(axis=1) / neg.sum(axis=1)
    span = np.where(np.abs(t_in - t_out) > 1e-9, t_in - t_out, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = np.log(pos.sum(axis=1) / neg.sum(axis=1)) / span
    x = np.where((guess > lo) & (guess < hi), guess, 0.5 * (lo + hi))
    x = np.where(bracketed, x, np.nan)
    live = np.flatnonzero(bracketed)
    for _ in range(max_iter):
        if live.size == 0:
            break
        xl, lol, hil = x[live], lo[live], hi[live]
        fx, dfx = f(xl, cf[live], t[live])
        go_right = np.where(decreasing[live], fx > 0, fx < 0)
        lol = np.where(go_right, xl, lol)
        hil = np.where(go_right, hil, xl)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xl - fx / dfx
        inside = np.isfinite(newton) & (newton > lol) & (newton < hil)
        x_new = np.where(inside, newton, 0.5 * (lol + hil))
        x[live], lo[live], hi[live] = x_new, lol, hil
        live = live[np.abs(x_new - xl) >= tol]
    result[active] = np.expm1(x)
    return result


def _newton(cf: Array, t: Array, tol: float, max_iter: int) -> Array:
    pos = np.where(cf > 0, cf, 0.0)
    neg = np.where(cf < 0, -cf, 0.0)
    t_in = (pos * t).sum(axis=1) / pos.sum(axis=1)
    t_out = (neg * t).sum(axis=1) / neg.sum(axis=1)
    span = np.where(t_in - t_out > 1e-9, t_in - t_out, 1.0)
    x = np.clip(np.log(pos.sum(axis=1) / neg.sum(axis=1)) / span, _LO, _HI)
    live = np.arange(cf.shape[0])
    for _ in range(max_iter):
        if live.size == 0:
            break
        xl = x[live]
        disc = np.exp(-xl[:, None] * t[live])
        terms = cf[live] * disc
        fx = terms.sum(axis=1)
        dfx = -(terms * t[live]).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_new = np.clip(xl - fx / dfx, _LO, _HI)
        x[live] = x_new
        live = live[~(np.abs(x_new - xl) < tol)]
    x[live] = np.nan  # not converged: left to the bracketed solver
    return np.expm1(x)


def pyxirr_irr(amounts: npt.ArrayLike, months: npt.ArrayLike) -> float:
    """Annual IRR of one loan's legs with pyxirr on a monthly grid (months rounded to whole months)."""
    amounts = np.asarray(amounts, dtype="float64")
    m = np.rint(np.asarray(months, dtype="float64")).astype(int)
    grid = np.zeros(int(m.max()) + 1 if m.size else 1)
    np.add.at(grid, m, amounts)
    monthly = pyxirr.irr(grid.tolist(), silent=True)
    if monthly is None or not np.isfinite(monthly):
        return float("nan")
    return float((1.0 + monthly) ** 12 - 1.0)
