"""Month-end history: the five-category Markov chain, days past due, concealment, disposals.

The TRUE class of every loan follows `MIGRATION_MATRIX` month by month. The REPORTED class
(what `loan_states` and `loans.reported_class` show) equals it, except while a concealing
borrower's NPL is hidden by an extension or a 借新还旧 refinancing: then the bank reports
special mention. Disposal cases open with a monthly hazard on the reported class (a stopping
time, so the chain's transitions stay unbiased), and a resolved loan leaves the book.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nplhub.datahub.generator.calibration import (
    CONCEAL_MEASURE_P,
    CONCEAL_PROPENSITY,
    CONCEAL_REVEAL_HAZARD,
    DISPOSAL_HAZARD,
    DPD_CEILING,
    INITIAL_CLASS_MIX,
    MIGRATION_MATRIX,
    MISS_PROBABILITY,
    PRE_WINDOW_CLASS_MIX,
)
from nplhub.datahub.generator.frames import lookup
from nplhub.datahub.generator.loans import SEGMENTS, LoanBook

WINDOW = 36
NO_END = np.datetime64("9999-12-31", "D")


@dataclass
class History:
    month_ends: npt.NDArray[np.datetime64]  # (T,)
    on_book: npt.NDArray[np.bool_]  # (n, T)
    true_class: npt.NDArray[np.int8]  # (n, T), -1 off book
    reported_class: npt.NDArray[np.int8]
    true_dpd: npt.NDArray[np.int16]
    reported_dpd: npt.NDArray[np.int16]
    paid: npt.NDArray[np.bool_]  # instalment paid in the month
    paid_before: npt.NDArray[np.int64]  # instalments paid before the window
    concealed: npt.NDArray[np.bool_]  # (n, T) reported class hides a true NPL
    conceal_start: npt.NDArray[np.int64]  # first concealment month index, -1 if never
    conceal_measure: npt.NDArray[np.int8]  # 0 extension, 1 refinance_new_for_old
    disposal_start: npt.NDArray[np.datetime64]  # NaT if none
    disposal_end: npt.NDArray[np.datetime64]  # NO_END while open or none
    first_npl: npt.NDArray[np.int64]  # first month index reported NPL, -1 if never

    @property
    def months(self) -> int:
        return len(self.month_ends)


def window_month_ends(cutoff: np.datetime64, months: int = WINDOW) -> npt.NDArray[np.datetime64]:
    last = cutoff.astype("datetime64[M]")
    ms = last - np.arange(months - 1, -1, -1).astype("timedelta64[M]")
    ends = (ms + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    ends[-1] = min(ends[-1], cutoff.astype("datetime64[D]"))
    return ends


def _initial_dpd(rng: np.random.Generator, cls: npt.NDArray[np.int8]) -> npt.NDArray[np.int64]:
    n = len(cls)
    dpd = np.zeros(n, dtype=np.int64)
    sm = cls == 1
    dpd[sm] = np.where(rng.random(sm.sum()) < 0.4, 0, rng.integers(1, 91, sm.sum()))
    for c, lo, hi in ((2, 31, 271), (3, 120, 361), (4, 200, 1500)):
        m = cls == c
        dpd[m] = rng.integers(lo, hi, m.sum())
    return dpd


def simulate(rng: np.random.Generator, book: LoanBook, cutoff: np.datetime64) -> History:
    n = len(book)
    ends = window_month_ends(cutoff)
    T = len(ends)
    dim = np.diff(np.concatenate([[ends[0] - np.timedelta64(31, "D")], ends])).astype(np.int64)
    window_start = ends[0]


    seg_names = np.array(SEGMENTS)[book.segment]
    concealer = rng.random(n) < lookup(CONCEAL_PROPENSITY, seg_names, 0.0).astype(float)
    measure = rng.choice(2, size=n, p=np.array(CONCEAL_MEASURE_P)).astype(np.int8)
    conceal_start = np.full(n, -1, dtype=np.int64)

    # Disposals already under way when the window opens (started up to two years before it).
    start = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    end = np.full(n, NO_END, dtype="datetime64[D]")
    pre = book.pre_window
    npre = int(pre.sum())
    start[pre] = window_start - rng.integers(1, 731, npre).astype("timedelta64[D]")
    end[pre] = start[pre] + book.duration_days[pre].astype("timedelta64[D]")
    book.origination[pre] = np.minimum(
        book.origination[pre], start[pre] - rng.integers(180, 2200, npre).astype("timedelta64[D]"))

    existing = book.origination <= window_start
    tc = np.zeros(n, dtype=np.int8)
    rc = np.zeros(n, dtype=np.int8)
    td = np.zeros(n, dtype=np.int64)
    rd = np.zeros(n, dtype=np.int64)
    concealed = np.zeros(n, dtype=bool)
    prev = np.zeros(n, dtype=bool)
    first_npl = np.full(n, -1, dtype=np.int64)

    # Randomised quasi-Monte Carlo for the class draws. The loans are ordered by product once;
    # each month the loan at position p draws frac(p * a + s) with a fresh random step a and shift
    # s (a Weyl sequence). For any one loan the draw is uniform and independent of its past (s is
    # fresh each month), so the chain's law is exact; within a product the draws of a month are
    # evenly spread, so the product's count of new NPLs varies less than with independent draws
    # (the balance-weighted NPL ratio of a small book stays nearer its target). The step changes
    # every month, so loans that moved together once do not keep moving together.
    group = book.product_group
    position = np.empty(n, dtype=np.float64)
    position[np.lexsort((rng.random(n), group))] = np.arange(n, dtype=np.float64)

    def spread(step: float, shift: float) -> npt.NDArray[np.float32]:
        return ((position * step + shift) % 1.0).astype(np.float32)

    init = np.searchsorted(np.cumsum(INITIAL_CLASS_MIX)[:-1], spread(rng.random(), rng.random()), side="right").astype(np.int8)
    init[pre] = rng.choice(5, size=npre, p=PRE_WINDOW_CLASS_MIX).astype(np.int8)
    init_dpd = _initial_dpd(rng, init)
    months_before = np.floor((window_start - book.origination).astype(np.int64) / 30.4375).astype(np.int64)
    paid_before = np.maximum(months_before - np.ceil(init_dpd / 30).astype(np.int64), 0)
    paid_before = np.where(existing, np.minimum(paid_before, np.maximum(book.term - 1, 0)), 0)

    ob = np.zeros((T, n), dtype=bool)
    t_cls = np.zeros((T, n), dtype=np.int8)
    r_cls = np.zeros((T, n), dtype=np.int8)
    t_dpd = np.zeros((T, n), dtype=np.int16)
    r_dpd = np.zeros((T, n), dtype=np.int16)
    pay = np.zeros((T, n), dtype=bool)
    hide = np.zeros((T, n), dtype=bool)
    td = td.astype(np.int32)
    rd = rd.astype(np.int32)
    cum = np.cumsum(MIGRATION_MATRIX, axis=1).astype(np.float32)
    miss_p = MISS_PROBABILITY.astype(np.float32)
    hazard = DISPOSAL_HAZARD.astype(np.float32)
    ceiling = DPD_CEILING.astype(np.int32)
    for t in range(T):
        me = ends[t]
        u = rng.random((5, n), dtype=np.float32)
        u[0] = spread(rng.random(), rng.random())
        alive = (book.origination <= me) & (end > me)
        new = alive & ~prev
        cont = alive & prev
        # entry: loans on the book at the window start carry their class; new loans start normal
        if t == 0:
            first = new & existing
            tc = np.where(first, init, 0).astype(np.int8)
            td = np.where(first, init_dpd, 0).astype(np.int32)
        else:
            tc[new] = 0
            td[new] = 0
        rc[new] = tc[new]
        rd[new] = td[new]
        # one month of the chain (inverse CDF of the row of the current class)
        moved = ((u[0] > cum[tc, 0]).astype(np.int8) + (u[0] > cum[tc, 1]) + (u[0] > cum[tc, 2])
                 + (u[0] > cum[tc, 3])).astype(np.int8)
        tc = np.where(cont, moved, tc)
        performing = tc == 0
        miss = u[1] < miss_p[tc]
        clear = (tc == 1) & ~miss & (u[2] < 0.3)
        td_next = np.minimum(td + miss * np.int32(dim[t]), ceiling[tc])
        td_next[clear | performing] = 0
        tech = performing & (u[2] < 0.01)
        td_next[tech] = (1 + u[2][tech] * 700).astype(np.int32)
        td = np.where(cont, td_next, td)
        # concealment: a concealing borrower's fresh NPL is extended or refinanced and reported SM
        trigger = cont & concealer & ~concealed & (tc >= 2) & (rc <= 1) & (conceal_start < 0)
        concealed |= trigger
        conceal_start[trigger] = t
        release = concealed & ~trigger & ((tc <= 1) | (u[3] < CONCEAL_REVEAL_HAZARD))
        concealed &= ~release
        refi = concealed & (measure == 1)
        rd_refi = np.where(trigger, 0, np.minimum(rd + miss * np.int32(dim[t]), ceiling[1]))
        rc = np.where(alive, np.where(concealed, np.int8(1), tc), rc)
        rd = np.where(alive, np.where(refi, rd_refi, td), rd)
        first_npl[alive & (rc >= 2) & (first_npl < 0)] = t
        # disposal cases open on the reported class, in the following month
        if t < T - 1:
            opens = alive & (rc >= 2) & np.isnat(start) & (u[4] < hazard[rc])
            day = (1 + 27 * u[4][opens] / hazard[rc[opens]]).astype(np.int64)
            start[opens] = np.minimum(me + np.minimum(day, 28).astype("timedelta64[D]"), ends[t + 1])
            end[opens] = start[opens] + book.duration_days[opens].astype("timedelta64[D]")
        ob[t] = alive
        t_cls[t] = tc
        r_cls[t] = rc
        t_dpd[t] = np.minimum(td, 32000)
        r_dpd[t] = np.minimum(rd, 32000)
        pay[t] = alive & (performing | ~miss) & ~(concealed & (measure == 0) & miss)
        hide[t] = alive & concealed
        prev = alive
    on_book = ob.T
    tcls = np.where(on_book, t_cls.T, np.int8(-1))
    rcls = np.where(on_book, r_cls.T, np.int8(-1))
    tdpd = np.where(on_book, t_dpd.T, np.int16(0))
    rdpd = np.where(on_book, r_dpd.T, np.int16(0))
    paid = pay.T
    conc = hide.T
    del t_cls, r_cls, t_dpd, r_dpd
    return History(
        month_ends=ends, on_book=on_book, true_class=tcls, reported_class=rcls, true_dpd=tdpd,
        reported_dpd=rdpd, paid=paid, paid_before=paid_before, concealed=conc,
        conceal_start=conceal_start, conceal_measure=measure, disposal_start=start, disposal_end=end,
        first_npl=first_npl,
    )
