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


def _step(rng: np.random.Generator, state: npt.NDArray[np.int8], matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
    cum = np.cumsum(matrix, axis=1)
    u = rng.random(len(state))
    nxt = (u[:, None] > cum[state]).sum(axis=1)
    return np.minimum(nxt, matrix.shape[0] - 1).astype(np.int8)


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

    on_book = np.zeros((n, T), dtype=bool)
    tcls = np.full((n, T), -1, dtype=np.int8)
    rcls = np.full((n, T), -1, dtype=np.int8)
    tdpd = np.zeros((n, T), dtype=np.int16)
    rdpd = np.zeros((n, T), dtype=np.int16)
    paid = np.zeros((n, T), dtype=bool)
    conc = np.zeros((n, T), dtype=bool)

    seg_names = np.array(SEGMENTS)[book.segment]
    concealer = rng.random(n) < np.vectorize(CONCEAL_PROPENSITY.get)(seg_names).astype(float)
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

    init = rng.choice(5, size=n, p=INITIAL_CLASS_MIX).astype(np.int8)
    init[pre] = rng.choice(5, size=npre, p=PRE_WINDOW_CLASS_MIX).astype(np.int8)
    init_dpd = _initial_dpd(rng, init)
    months_before = np.floor((window_start - book.origination).astype(np.int64) / 30.4375).astype(np.int64)
    paid_before = np.maximum(months_before - np.ceil(init_dpd / 30).astype(np.int64), 0)
    paid_before = np.where(existing, np.minimum(paid_before, np.maximum(book.term - 1, 0)), 0)

    for t in range(T):
        me = ends[t]
        alive = (book.origination <= me) & (end > me)
        new = alive & ~prev
        cont = alive & prev
        # entry: loans on the book at the window start carry their class; new loans start normal
        first = new & existing & (t == 0)
        tc = np.where(first, init, np.where(new, 0, tc)).astype(np.int8)
        td = np.where(first, init_dpd, np.where(new, 0, td))
        rc = np.where(new, tc, rc).astype(np.int8)
        rd = np.where(new, td, rd)
        # one month of the chain
        moved = _step(rng, tc, MIGRATION_MATRIX)
        tc = np.where(cont, moved, tc).astype(np.int8)
        miss = rng.random(n) < MISS_PROBABILITY[tc]
        clear = (tc == 1) & ~miss & (rng.random(n) < 0.3)
        grown = np.where(miss, td + dim[t], td)
        td_next = np.where(clear, 0, np.minimum(grown, DPD_CEILING[tc]))
        tech = (tc == 0) & (rng.random(n) < 0.01)
        td_next = np.where(tc == 0, np.where(tech, rng.integers(1, 8, n), 0), td_next)
        td = np.where(cont, td_next, td)
        # concealment: a concealing borrower's fresh NPL is extended or refinanced and reported SM
        prev_rc = rc
        trigger = cont & concealer & ~concealed & (tc >= 2) & (prev_rc <= 1) & (conceal_start < 0)
        concealed = concealed | trigger
        conceal_start = np.where(trigger, t, conceal_start)
        release = concealed & ~trigger & ((tc <= 1) | (rng.random(n) < CONCEAL_REVEAL_HAZARD))
        concealed = concealed & ~release
        refi = concealed & (measure == 1)
        rd_refi = np.where(trigger, 0, np.minimum(np.where(miss, rd + dim[t], rd), DPD_CEILING[1]))
        rc = np.where(alive, np.where(concealed, 1, tc), rc).astype(np.int8)
        rd = np.where(alive, np.where(refi, rd_refi, td), rd)
        first_npl = np.where(alive & (rc >= 2) & (first_npl < 0), t, first_npl)
        # disposal cases open on the reported class, in the following month
        if t < T - 1:
            eligible = alive & np.isnat(start) & (rc >= 2)
            opens = eligible & (rng.random(n) < DISPOSAL_HAZARD[rc])
            k = int(opens.sum())
            start[opens] = me + rng.integers(1, 28, k).astype("timedelta64[D]")
            end[opens] = start[opens] + book.duration_days[opens].astype("timedelta64[D]")
        on_book[:, t] = alive
        tcls[:, t] = np.where(alive, tc, -1)
        rcls[:, t] = np.where(alive, rc, -1)
        tdpd[:, t] = np.where(alive, np.minimum(td, 32000), 0)
        rdpd[:, t] = np.where(alive, np.minimum(rd, 32000), 0)
        paid[:, t] = alive & ((tc == 0) | ~miss) & ~(concealed & (measure == 0) & miss)
        conc[:, t] = alive & concealed
        prev = alive
    return History(
        month_ends=ends, on_book=on_book, true_class=tcls, reported_class=rcls, true_dpd=tdpd,
        reported_dpd=rdpd, paid=paid, paid_before=paid_before, concealed=conc,
        conceal_start=conceal_start, conceal_measure=measure, disposal_start=start, disposal_end=end,
        first_npl=first_npl,
    )
