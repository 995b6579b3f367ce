"""Disposal cases: route, exposure, recovery, costs and duration, resolved or still open.

Recoveries on every route except the judicial ones are Beta draws around the route's mean
(`ROUTES`, secured or not). Judicial auction and 以物抵债 recoveries come out of the auction
ladder instead (70% of the reference price, then 80% of that, then 变卖 or 以物抵债 at the second
start), applied to the court's reference price of the first collateral, net of prior claims.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.datahub.generator.calibration import (
    AUCTION_OUTCOMES,
    AUCTION_PREMIUM_MEAN,
    AUCTION_PREMIUM_P,
    AUCTION_START_1,
    AUCTION_START_2,
    BUYER_TYPES,
    ROUTES,
)
from nplhub.datahub.generator.collateral import CollateralSet
from nplhub.datahub.generator.frames import make_frame, where_or_none
from nplhub.datahub.generator.history import History
from nplhub.datahub.generator.loans import LoanBook, remaining_share

# Court reference price relative to the collateral's market value moved with the index: NPL
# collateral is worse than the book's (occupied, specialised, over-appraised); assumption.
COURT_VALUE_MEAN = 0.62
COURT_VALUE_CONCENTRATION = 12.0
JUDICIAL = ("judicial_auction", "in_kind")


@dataclass
class DisposalOutcome:
    loans: npt.NDArray[np.int64]  # loan index per case
    route: npt.NDArray[np.str_]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]  # eventual end (may lie after the cut-off)
    resolved: npt.NDArray[np.bool_]
    exposure: npt.NDArray[np.float64]
    recovery: npt.NDArray[np.float64]  # eventual gross recovery
    costs: npt.NDArray[np.float64]  # eventual costs
    start_dpd: npt.NDArray[np.int64]
    start_balance: npt.NDArray[np.float64]
    auction_outcome: npt.NDArray[np.str_]  # '' for non-judicial cases
    reference_price: npt.NDArray[np.float64]
    sale_price: npt.NDArray[np.float64]
    buyer_type: npt.NDArray[np.object_]


def balance_path(book: LoanBook, hist: History) -> npt.NDArray[np.float64]:
    """Outstanding principal at every month-end of the window, (n, T)."""
    k = hist.paid_before[:, None] + np.cumsum(hist.paid, axis=1)
    share = remaining_share(book.method[:, None], book.rate[:, None], book.term[:, None], k)
    return book.principal[:, None] * share


def balance_at(book: LoanBook, hist: History, loans: npt.NDArray[np.int64],
               month: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Outstanding principal of `loans` at window month index `month` (-1 = before the window)."""
    upto = np.arange(hist.months)[None, :] <= month[:, None]
    done = (hist.paid[loans] & upto).sum(axis=1)
    k = hist.paid_before[loans] + done
    return book.principal[loans] * remaining_share(book.method[loans], book.rate[loans], book.term[loans], k)


def simulate_disposals(rng: np.random.Generator, book: LoanBook, hist: History, coll: CollateralSet,
                       cutoff: np.datetime64) -> DisposalOutcome:
    loans = np.flatnonzero(~np.isnat(hist.disposal_start))
    start = hist.disposal_start[loans]
    end = hist.disposal_end[loans]
    cutoff_d = cutoff.astype("datetime64[D]")
    resolved = end <= cutoff_d
    route = book.route[loans]
    month = np.searchsorted(hist.month_ends, start) - 1  # last month-end before the start
    bal = balance_at(book, hist, loans, month)
    dpd = np.where(month >= 0, hist.reported_dpd[loans, np.maximum(month, 0)], 0).astype(np.int64)
    dpd = np.where(month < 0, rng.integers(120, 900, len(loans)), np.maximum(dpd, 30))
    accrued = bal * book.rate[loans] * np.minimum(dpd, 720) / 360 * 1.5  # interest plus 50% penalty
    exposure = np.round(bal + accrued, 2)
    secured = book.secured[loans]

    mean = np.array([ROUTES[r].recovery_secured if s else ROUTES[r].recovery_unsecured
                     for r, s in zip(route, secured)])
    conc = np.array([ROUTES[r].concentration for r in route])
    rate = rng.beta(mean * conc, (1 - mean) * conc)
    cost_rate = np.array([ROUTES[r].cost_rate for r in route]) * rng.lognormal(-0.045, 0.3, len(loans))

    # the auction ladder for judicial routes
    judicial = np.isin(route, JUDICIAL)
    first = coll.first_of_loan[loans]
    has_coll = first >= 0
    market = np.where(has_coll, coll.market_value[np.maximum(first, 0)], 0.0)
    prior = np.where(has_coll, coll.frame["prior_claims"].to_numpy()[np.maximum(first, 0)], 0.0)
    court = rng.beta(COURT_VALUE_MEAN * COURT_VALUE_CONCENTRATION,
                     (1 - COURT_VALUE_MEAN) * COURT_VALUE_CONCENTRATION, len(loans))
    reference = np.where(judicial & has_coll, np.round(market * court, -2), 0.0)
    names = np.array([o for o, _ in AUCTION_OUTCOMES])
    probs = np.array([p for _, p in AUCTION_OUTCOMES])
    outcome = names[rng.choice(len(names), size=len(loans), p=probs / probs.sum())]
    outcome = np.where(route == "in_kind", "in_kind", outcome)
    outcome = np.where(judicial, outcome, "")
    premium = np.where(rng.random(len(loans)) < AUCTION_PREMIUM_P, rng.exponential(AUCTION_PREMIUM_MEAN, len(loans)), 0.0)
    start1 = AUCTION_START_1 * reference
    start2 = AUCTION_START_2 * start1
    sale = np.select(
        [outcome == "auction_1", outcome == "auction_2", outcome == "sell_off", outcome == "in_kind"],
        [start1 * (1 + premium), start2 * (1 + premium), start2, start2],
        default=0.0,
    )
    sale = np.round(sale, 2)
    proceeds = np.maximum(sale - prior, 0.0) + np.where(outcome == "terminated", rng.uniform(0, 0.08, len(loans)) * exposure, 0.0)
    rate = np.where(judicial, np.minimum(proceeds / np.maximum(exposure, 1.0), 1.0), rate)
    recovery = np.round(rate * exposure, 2)
    costs = np.round(cost_rate * exposure, 2)

    buyer = np.full(len(loans), None, dtype=object)
    for r, options in BUYER_TYPES.items():
        m = route == r
        if r == "judicial_auction":
            m &= np.isin(outcome, ("auction_1", "auction_2", "sell_off"))
        kinds = np.array([k for k, _ in options])
        w = np.array([p for _, p in options])
        buyer[m] = kinds[rng.choice(len(kinds), size=int(m.sum()), p=w / w.sum())]
    return DisposalOutcome(
        loans=loans, route=route, start=start, end=end, resolved=resolved, exposure=exposure,
        recovery=recovery, costs=costs, start_dpd=dpd, start_balance=bal, auction_outcome=outcome,
        reference_price=reference, sale_price=sale, buyer_type=buyer,
    )


def disposals_frame(out: DisposalOutcome, loan_ids: npt.NDArray[np.str_], cutoff: np.datetime64,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Resolved cases carry their totals; open ones what came in so far (collections and restructuring
    pay as they go, sale-type routes only at the end)."""
    cutoff_d = cutoff.astype("datetime64[D]")
    elapsed = np.clip((cutoff_d - out.start).astype(np.int64) / np.maximum((out.end - out.start).astype(np.int64), 1), 0, 1)
    paying = np.isin(out.route, ("collection", "restructuring", "write_off"))
    so_far = np.where(paying, elapsed * rng.uniform(0.3, 1.0, len(elapsed)), 0.0)
    recovery = np.where(out.resolved, out.recovery, np.round(out.recovery * so_far, 2))
    costs = np.where(out.resolved, out.costs, np.round(out.costs * elapsed, 2))
    frame = make_frame({
        "loan_id": loan_ids[out.loans],
        "route": out.route,
        "start_date": out.start,
        "end_date": np.where(out.resolved, out.end, np.datetime64("NaT")),
        "exposure_at_start": out.exposure,
        "gross_recovery": recovery,
        "costs": costs,
        "buyer_type": where_or_none(out.resolved | (out.route == "securitization"), out.buyer_type),
    })
    return frame.sort_values(["start_date", "loan_id"], kind="stable").reset_index(drop=True)
