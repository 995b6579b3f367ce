"""Forbearance events: honest extensions and restructurings, and the ones that hide NPLs."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.datahub.generator.disposals import DisposalOutcome, balance_at
from nplhub.datahub.generator.frames import make_frame
from nplhub.datahub.generator.history import History
from nplhub.datahub.generator.loans import LoanBook, add_months

RESTRUCTURING_MEASURES = (("schedule_relief", 0.4), ("rate_cut", 0.2), ("capitalisation", 0.15),
                          ("principal_reduction", 0.15), ("grace_period", 0.1))
CONCEAL_NAMES = np.array(["extension", "refinance_new_for_old"])


def forbearance_events(rng: np.random.Generator, book: LoanBook, hist: History, out: DisposalOutcome,
                       cutoff: np.datetime64) -> pd.DataFrame:
    """All events as a frame with an integer `loan` column (mapped to ids by the caller)."""
    cutoff_d = cutoff.astype("datetime64[D]")
    parts: list[pd.DataFrame] = []

    # 1. extensions of renewable working-capital loans in 12-month steps (at the old maturity)
    ext_loans = np.repeat(np.arange(len(book)), book.extension_count)
    step = np.concatenate([np.arange(1, c + 1) for c in book.extension_count[book.extension_count > 0]]) \
        if ext_loans.size else np.zeros(0, dtype=np.int64)
    date = add_months(book.origination[ext_loans], book.term[ext_loans] + 12 * (step - 1))
    keep = date <= cutoff_d
    parts.append(make_frame({
        "loan": ext_loans[keep], "event_date": date[keep], "measure": "extension",
        "new_maturity_date": add_months(date[keep], np.full(int(keep.sum()), 12)),
        "amount": book.principal[ext_loans[keep]],
    }))

    # 2. concealment: extended or refinanced (借新还旧) in the month the true class turned NPL
    hid = np.flatnonzero(hist.conceal_start >= 0)
    month = hist.conceal_start[hid]
    date = hist.month_ends[month] - rng.integers(0, 20, len(hid)).astype("timedelta64[D]")
    parts.append(make_frame({
        "loan": hid, "event_date": date, "measure": CONCEAL_NAMES[hist.conceal_measure[hid]],
        "new_maturity_date": add_months(date, np.full(len(hid), 12)),
        "amount": np.round(balance_at(book, hist, hid, month), 2),
    }))

    # 3. restructurings of NPLs on the restructuring route
    r = out.route == "restructuring"
    loans = out.loans[r]
    names = np.array([m for m, _ in RESTRUCTURING_MEASURES])
    w = np.array([p for _, p in RESTRUCTURING_MEASURES])
    measure = names[rng.choice(len(names), size=len(loans), p=w)]
    parts.append(make_frame({
        "loan": loans, "event_date": out.start[r], "measure": measure,
        "new_maturity_date": add_months(out.start[r], np.full(len(loans), 24)),
        "amount": np.round(out.start_balance[r], 2),
    }))

    # 4. pandemic-era grace periods for retail borrowers (2022), honest and reported as such
    retail = np.flatnonzero((book.segment == 2) & (book.origination < np.datetime64("2022-03-01")))
    g = retail[rng.random(len(retail)) < 0.03]
    gdate = np.datetime64("2022-04-01") + rng.integers(0, 240, len(g)).astype("timedelta64[D]")
    keep = gdate <= cutoff_d
    parts.append(make_frame({
        "loan": g[keep], "event_date": gdate[keep], "measure": "grace_period",
        "new_maturity_date": add_months(book.maturity[g[keep]], np.full(int(keep.sum()), 6)),
        "amount": np.round(book.principal[g[keep]] * 0.02, 2),
    }))

    # 5. collateral releases and rate cuts on performing loans (rare)
    sec = np.flatnonzero(book.secured)
    rel = sec[rng.random(len(sec)) < 0.01]
    rdate = cutoff_d - rng.integers(10, 1000, len(rel)).astype("timedelta64[D]")
    keep = rdate > book.origination[rel]
    parts.append(make_frame({
        "loan": rel[keep], "event_date": rdate[keep], "measure": "collateral_release",
        "new_maturity_date": np.full(int(keep.sum()), np.datetime64("NaT"), dtype="datetime64[D]"), "amount": np.round(book.principal[rel[keep]] * 0.2, 2),
    }))
    events = pd.concat(parts, ignore_index=True)
    events["event_date"] = events["event_date"].astype("datetime64[s]")
    events["new_maturity_date"] = events["new_maturity_date"].astype("datetime64[s]")
    return events.sort_values(["loan", "event_date"], kind="stable").reset_index(drop=True)


def latest(events: pd.DataFrame, measures: tuple[str, ...], n: int) -> npt.NDArray[np.datetime64]:
    """Per loan, the date of the latest event among `measures` (NaT if none)."""
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    e = events[events["measure"].isin(measures)]
    if len(e):
        last = e.groupby("loan")["event_date"].max()
        out[last.index.to_numpy()] = last.to_numpy()
    return out
