"""The loan book's static terms: who borrows what, when, for how long, at which rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nplhub.datahub.generator.calibration import PRODUCTS, ROUTE_CHOICE, ROUTE_ORDER, ROUTES, ProductSpec

SEGMENTS: tuple[str, ...] = ("corporate", "sme", "individual")
AVG_MONTH_DAYS = 30.4375


@dataclass
class LoanBook:
    """One entry per loan, all numpy arrays of equal length."""

    cp_index: npt.NDArray[np.int64]
    segment: npt.NDArray[np.int8]  # index into SEGMENTS
    product: npt.NDArray[np.str_]
    product_group: npt.NDArray[np.int16]  # segment * 16 + product index: one value per (segment, product)
    principal: npt.NDArray[np.float64]
    term: npt.NDArray[np.int64]  # months
    rate: npt.NDArray[np.float64]
    method: npt.NDArray[np.str_]
    secured: npt.NDArray[np.bool_]
    collateral_type: npt.NDArray[np.str_]  # first collateral's type ('' if unsecured)
    origination: npt.NDArray[np.datetime64]
    maturity: npt.NDArray[np.datetime64]
    extension_count: npt.NDArray[np.int64]
    route: npt.NDArray[np.str_]  # the route a disposal would take
    duration_days: npt.NDArray[np.int64]  # and how long it would last
    pre_window: npt.NDArray[np.bool_]  # disposal already under way before the history window

    def __len__(self) -> int:
        return len(self.principal)


def _choose(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> npt.NDArray[np.str_]:
    if not options or n == 0:
        return np.full(n, "", dtype="U16")
    names = np.array([o for o, _ in options], dtype="U16")
    p = np.array([w for _, w in options], dtype=float)
    return names[rng.choice(len(names), size=n, p=p / p.sum())]


def draw_loans(rng: np.random.Generator, cp_index: npt.NDArray[np.int64], segment: npt.NDArray[np.int8],
               cutoff: np.datetime64, pre_window_share: float) -> LoanBook:
    """Static loan terms; segment per loan comes from its counterparty."""
    n = len(cp_index)
    product = np.empty(n, dtype="U20")
    product_group = np.zeros(n, dtype=np.int16)
    principal = np.empty(n)
    term = np.empty(n, dtype=np.int64)
    rate = np.empty(n)
    method = np.empty(n, dtype="U20")
    secured = np.zeros(n, dtype=bool)
    ctype = np.full(n, "", dtype="U16")
    for s, seg_name in enumerate(SEGMENTS):
        rows = np.flatnonzero(segment == s)
        specs: tuple[ProductSpec, ...] = PRODUCTS[seg_name]
        shares = np.array([sp.share for sp in specs])
        pick = rng.choice(len(specs), size=len(rows), p=shares / shares.sum())
        for j, sp in enumerate(specs):
            r = rows[pick == j]
            m = len(r)
            product[r] = sp.product
            product_group[r] = s * 16 + j
            principal[r] = np.round(sp.median_principal * np.exp(sp.sigma * rng.standard_normal(m)), -2)
            term[r] = np.array(sp.term_months)[rng.integers(0, len(sp.term_months), m)]
            rate[r] = np.round(rng.uniform(*sp.rate_range, m), 4)
            method[r] = _choose(rng, sp.methods, m)
            sec = rng.random(m) < sp.secured_p
            secured[r] = sec
            ctype[r] = np.where(sec, _choose(rng, sp.collateral_types, m), "")
    principal = np.maximum(principal, 1000.0)

    # Age at the cut-off: uniform over the term (capped at ten years); working-capital loans may
    # be older than their term, having been extended (展期/续贷) in 12-month steps.
    cap = np.minimum(term, 120)
    renewable = product == "working_capital"
    span = np.where(renewable, np.maximum(cap, 48), cap)
    age_months = rng.random(n) * span
    ext = np.where(renewable & (age_months > term), np.ceil((age_months - term) / 12).astype(np.int64), 0)
    cutoff_d = cutoff.astype("datetime64[D]")
    origination = cutoff_d - np.round(age_months * AVG_MONTH_DAYS).astype("timedelta64[D]")

    route_idx = np.zeros(n, dtype=np.int64)
    for s, seg_name in enumerate(SEGMENTS):
        for sec_flag in (True, False):
            r = np.flatnonzero((segment == s) & (secured == sec_flag))
            p = np.array(ROUTE_CHOICE[(seg_name, sec_flag)])
            route_idx[r] = rng.choice(len(ROUTE_ORDER), size=len(r), p=p / p.sum())
    route = np.array(ROUTE_ORDER, dtype="U20")[route_idx]
    med = np.array([ROUTES[r].median_days for r in ROUTE_ORDER])[route_idx]
    sig = np.array([ROUTES[r].duration_sigma for r in ROUTE_ORDER])[route_idx]
    duration = np.maximum(np.round(med * np.exp(sig * rng.standard_normal(n))), 20).astype(np.int64)

    pre_window = rng.random(n) < pre_window_share
    return LoanBook(
        cp_index=cp_index, segment=segment, product=product, product_group=product_group, principal=principal, term=term, rate=rate,
        method=method, secured=secured, collateral_type=ctype, origination=origination,
        maturity=add_months(origination, term + 12 * ext), extension_count=ext, route=route, duration_days=duration, pre_window=pre_window,
    )


def add_months(dates: npt.NDArray[np.datetime64], months: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    """Calendar month arithmetic, the day clipped to the target month's length."""
    d = dates.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64) - 1
    return target.astype("datetime64[D]") + np.minimum(day, last).astype("timedelta64[D]")


ANNUITY, LINEAR, BULLET = 0, 1, 2


def method_codes(method: npt.NDArray[np.str_]) -> npt.NDArray[np.int8]:
    """Amortisation family of each repayment method: annuity, linear, or everything at maturity."""
    return np.where(method == "equal_instalment", ANNUITY,
                    np.where(method == "equal_principal", LINEAR, BULLET)).astype(np.int8)


def remaining_share(method: npt.NDArray[np.str_] | npt.NDArray[np.int8], rate: npt.NDArray[np.float64],
                    term: npt.NDArray[np.int64], paid: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Share of the original principal still outstanding after `paid` scheduled instalments."""
    code = method_codes(method) if method.dtype.kind == "U" else method  # type: ignore[arg-type]
    k = np.minimum(paid, term).astype(float)
    n = term.astype(float)
    r = rate / 12.0
    growth_n = (1 + r) ** n
    annuity = np.where(r > 0, (growth_n - (1 + r) ** k) / np.maximum(growth_n - 1, 1e-12), 1 - k / n)
    linear = 1 - k / n
    bullet = np.where(k < n, 1.0, 0.0)
    return np.where(code == ANNUITY, annuity, np.where(code == LINEAR, linear, bullet))


def spread_principals(rng: np.random.Generator, book: LoanBook, flag: npt.NDArray[np.bool_]) -> None:
    """Re-deal each product's principals so the flagged loans get an evenly spaced sample of them.

    Principals do not enter the migration chain, so they can be dealt after it. Giving the NPL
    loans a systematic sample of the sorted amounts (instead of a simple random one) keeps the
    marginal law of the principal (the amounts are only re-dealt) and makes the balance-weighted
    NPL ratio close to the count ratio even in small books, where a few large corporate loans
    would otherwise decide it: the NPL loans get the mid-quantiles of each product's amounts, the
    largest of them moved so that their mean equals the product's mean.
    """
    for g in np.unique(book.product_group):
        rows = np.flatnonzero(book.product_group == g)
        m = len(rows)
        bad = rows[flag[rows]]
        k = len(bad)
        if k == 0 or k == m:
            continue
        amounts = np.sort(book.principal[rows])
        pos = np.minimum(np.floor((np.arange(k) + 0.5) * m / k).astype(np.int64), m - 1)
        # move the largest pick so that the picks' total matches k times the group mean
        deficit = k * amounts.mean() - amounts[pos].sum()
        lo = pos[-2] + 1 if k > 1 else 0
        best = int(np.clip(np.searchsorted(amounts, amounts[pos[-1]] + deficit), lo, m - 1))
        if best > lo and abs(amounts[best - 1] - amounts[pos[-1]] - deficit) < abs(amounts[best] - amounts[pos[-1]] - deficit):
            best -= 1
        pos[-1] = best
        taken = np.zeros(m, dtype=bool)
        taken[pos] = True
        good = rows[~flag[rows]]
        book.principal[rng.permutation(bad)] = amounts[pos]
        book.principal[rng.permutation(good)] = amounts[~taken]
