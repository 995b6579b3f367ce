"""Putting the concepts together: from a seed to every table of the tape."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from nplhub.datahub.generator.borrowers import counterparties_frame, draw_borrowers
from nplhub.datahub.generator.calibration import CLASSES, PRE_WINDOW_DISPOSAL_SHARE
from nplhub.datahub.generator.collateral import build_collateral, guarantees_frame
from nplhub.datahub.generator.disposals import balance_at, balance_path, disposals_frame, simulate_disposals
from nplhub.datahub.generator.enforcement import enforcement_frame
from nplhub.datahub.generator.forbearance import forbearance_events
from nplhub.datahub.generator.frames import lookup, make_frame, sequence_ids
from nplhub.datahub.generator.history import simulate
from nplhub.datahub.generator.loans import draw_loans, spread_principals
from nplhub.datahub.generator.prices import PriceIndex
from nplhub.datahub.generator.regions import CITIES
from nplhub.datahub.generator.tables import loan_states_frame, loans_frame, repayments_frame
from nplhub.datahub.generator.truth import Tape, Truth

STREAMS = ("borrowers", "loans", "history", "prices", "collateral", "guarantees", "disposals",
           "enforcement", "forbearance", "tables", "parties")
TABLE_ORDER = ("counterparties", "loans", "collateral", "loan_collateral", "guarantees", "enforcement",
               "forbearance", "repayments", "loan_states", "disposals", "price_index")


def _ids(prefix: str, n: int) -> np.ndarray:
    return sequence_ids(prefix, n)


def build_tape(loans: int, seed: int, cutoff: date, history: bool = True) -> Tape:
    if loans < 1:
        raise ValueError(f"the number of loans must be at least 1, got {loans}")
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(STREAMS, children)}
    cut = np.datetime64(cutoff.isoformat(), "D")

    cp_seg, cp_of_loan = draw_borrowers(rng["borrowers"], loans)
    book = draw_loans(rng["loans"], cp_of_loan, cp_seg[cp_of_loan], cut, PRE_WINDOW_DISPOSAL_SHARE)
    hist = simulate(rng["history"], book, cut)
    npl_now = hist.on_book[:, -1] & (hist.reported_class[:, -1] >= 2)
    spread_principals(rng["loans"], book, npl_now)
    balances = balance_path(book, hist) if history else None

    # counterparty attributes drawn after the history (NPL tilt of industry and region)
    n_cp = len(cp_seg)
    T = hist.months
    ever_bad = (hist.reported_class >= 2).any(axis=1) | (hist.true_class >= 2).any(axis=1) | book.pre_window
    bad = np.zeros(n_cp, dtype=bool)
    np.logical_or.at(bad, cp_of_loan, ever_bad)
    worst = np.zeros(n_cp, dtype=np.int8)
    final_cls = np.where(hist.on_book[:, T - 1], hist.reported_class[:, T - 1], 0).astype(np.int8)
    final_cls = np.where(book.pre_window & ~hist.on_book[:, T - 1], 4, final_cls).astype(np.int8)
    np.maximum.at(worst, cp_of_loan, final_cls)
    exposure = np.bincount(cp_of_loan, weights=book.principal, minlength=n_cp).astype(np.float64)
    counterparties = counterparties_frame(rng["parties"], cp_seg, bad, worst, exposure, cut)
    cp_ids = counterparties["counterparty_id"].to_numpy()
    city_names = dict((c[0], c[1]) for c in CITIES)
    cp_region = counterparties["region"].to_numpy().astype(str)
    cp_city = lookup(city_names, cp_region).astype(str)
    loan_ids = _ids("LN", loans)

    prices = PriceIndex(rng["prices"], cut)
    coll = build_collateral(rng["collateral"], book, cp_region, prices, cut)
    out = simulate_disposals(rng["disposals"], book, hist, coll, cut)
    events = forbearance_events(rng["forbearance"], book, hist, out, cut)

    # enforcement: judicial disposals, plus a third of unsecured corporate/SME collections sued
    unsecured_suit = ((out.route == "collection") & ~book.secured[out.loans] & (book.segment[out.loans] < 2)
                      & (rng["enforcement"].random(len(out.loans)) < 0.35))
    coll_ids = coll.frame["collateral_id"].to_numpy()
    enforcement, case_of = enforcement_frame(rng["enforcement"], out, loan_ids, coll_ids, coll.first_of_loan,
                                             cp_city[book.cp_index[out.loans]], unsecured_suit, cut)

    legal = _legal_status(rng["tables"], book, hist, out, enforcement, case_of, counterparties)
    cut_balance = balances[:, -1] if balances is not None else balance_at(
        book, hist, np.arange(loans), np.full(loans, hist.months - 1))
    loans_df = loans_frame(rng["tables"], book, hist, cut_balance, out, events, loan_ids, cp_ids,
                           cp_region, legal, cut)
    collateral_df = coll.frame.copy()
    _collateral_status(collateral_df, coll, out, enforcement, case_of, book)
    links = coll.links
    loan_collateral = make_frame({
        "loan_id": loan_ids[links["loan"].to_numpy()],
        "collateral_id": coll_ids[links["collateral"].to_numpy()],
        "allocated_amount": links["allocated_amount"].to_numpy(),
    })
    forbearance = events.assign(loan_id=loan_ids[events["loan"].to_numpy()]).drop(columns="loan")
    forbearance = forbearance[["loan_id", "event_date", "measure", "new_maturity_date", "amount"]]
    tables: dict[str, pd.DataFrame] = {
        "counterparties": counterparties,
        "loans": loans_df,
        "collateral": collateral_df,
        "loan_collateral": loan_collateral,
        "guarantees": guarantees_frame(rng["guarantees"], book, loan_ids, counterparties),
        "enforcement": enforcement,
        "forbearance": forbearance.reset_index(drop=True),
    }
    if balances is not None:
        tables["repayments"] = repayments_frame(rng["tables"], book, hist, balances, out, loan_ids)
        tables["loan_states"] = loan_states_frame(book, hist, balances, loan_ids)
    tables["disposals"] = disposals_frame(out, loan_ids, cut, rng["disposals"])
    tables["price_index"] = prices.frame()
    for frame in tables.values():
        for col in frame.columns:
            if str(frame[col].dtype).startswith("datetime64"):
                frame[col] = frame[col].astype("datetime64[s]")

    truth = _truth(book, hist, out, loans_df, loan_ids)
    meta = {
        "portfolio_id": f"DEMO-{seed}",
        "portfolio_name": f"演示城商行贷款组合 / Demo regional-bank book (seed {seed})",
        "cutoff_date": cutoff,
        "reporting_date": cutoff,
        "currency": "CNY",
        "seller": "演示城市商业银行 / Demo City Commercial Bank",
    }
    return Tape(meta=meta, tables={name: tables[name] for name in TABLE_ORDER if name in tables}, truth=truth)


def _legal_status(rng: np.random.Generator, book, hist, out, enforcement: pd.DataFrame, case_of: np.ndarray,
                  counterparties: pd.DataFrame) -> np.ndarray:
    n = len(book)
    T = hist.months
    live = hist.on_book[:, T - 1]
    cls = np.where(live, hist.reported_class[:, T - 1], 0)
    dpd = np.where(live, hist.reported_dpd[:, T - 1], 0)
    u = rng.random(n)
    legal = np.full(n, "none", dtype=object)
    legal[(cls == 1) & (dpd > 30) & (u < 0.3)] = "demand_letter"
    npl = cls >= 2
    legal[npl & (u < 0.6)] = "demand_letter"
    legal[npl & (u >= 0.6) & (u < 0.75)] = "litigation"
    in_disposal = np.zeros(n, dtype=bool)
    in_disposal[out.loans[~out.resolved]] = True
    legal[in_disposal] = np.where(u[in_disposal] < 0.5, "demand_letter", "litigation")
    stage_map = {"filed": "litigation", "judgment": "judgment"}
    stages = enforcement["stage"].to_numpy()
    case_loans = out.loans[case_of]
    open_case = ~out.resolved[case_of]
    legal[case_loans[open_case]] = [stage_map.get(s, "enforcement") for s in stages[open_case]]
    insolvent = counterparties["insolvency_status"].to_numpy()[book.cp_index]
    legal[npl & np.isin(insolvent, ("bankruptcy", "liquidated"))] = "bankruptcy_claim"
    legal[out.loans[out.resolved]] = "closed"
    return legal


def _collateral_status(frame: pd.DataFrame, coll, out, enforcement: pd.DataFrame, case_of: np.ndarray,
                       book) -> None:
    status = frame["status"].to_numpy().copy()
    first = coll.first_of_loan
    done = out.loans[out.resolved]
    released = first[done]
    status[released[released >= 0]] = "released"
    stage = enforcement["stage"].to_numpy()
    c = first[out.loans[case_of]]
    ok = c >= 0
    mapping = {"filed": "seized", "judgment": "seized", "enforcement": "seized", "appraisal": "seized",
               "auction_1": "in_auction", "auction_2": "in_auction", "sell_off": "in_auction",
               "in_kind": "sold", "closed": "sold", "terminated": "seized"}
    status[c[ok]] = [mapping[s] for s in stage[ok]]
    frame["status"] = status
    has = enforcement["appraisal_value"].notna().to_numpy() & ok
    target = c[has]
    source = frame["appraisal_source"].to_numpy().copy()
    value = frame["appraisal_value"].to_numpy().copy()
    when = frame["appraisal_date"].to_numpy().copy()
    dates = enforcement["judgment_date"].to_numpy()[has]
    source[target] = "court"
    value[target] = enforcement["appraisal_value"].to_numpy()[has]
    when[target] = np.where(np.isnat(dates), enforcement["filed_date"].to_numpy()[has], dates)
    frame["appraisal_source"] = source
    frame["appraisal_value"] = value
    frame["appraisal_date"] = when


def _truth(book, hist, out, loans_df: pd.DataFrame, loan_ids: np.ndarray) -> Truth:
    T = hist.months
    classes = np.array(CLASSES)
    hid = np.flatnonzero(hist.conceal_start >= 0)
    live = hist.on_book[:, T - 1]
    hidden = make_frame({
        "loan_id": loan_ids[hid],
        "measure": np.where(hist.conceal_measure[hid] == 0, "extension", "refinance_new_for_old"),
        "concealment_date": hist.month_ends[hist.conceal_start[hid]].astype("datetime64[s]"),
        "concealed_at_cutoff": hist.concealed[hid, T - 1],
        "true_class_at_cutoff": np.where(live[hid], classes[np.clip(hist.true_class[hid, T - 1], 0, 4)], None),
        "reported_class_at_cutoff": np.where(live[hid], classes[np.clip(hist.reported_class[hid, T - 1], 0, 4)], None),
    })
    rows, cols = np.nonzero(hist.concealed)
    true_states = make_frame({
        "loan_id": loan_ids[rows],
        "as_of_date": hist.month_ends[cols].astype("datetime64[s]"),
        "class": classes[hist.true_class[rows, cols]],
        "days_past_due": hist.true_dpd[rows, cols].astype(np.int64),
    })
    outcomes = make_frame({
        "loan_id": loan_ids[out.loans], "route": out.route, "secured": book.secured[out.loans],
        "start_date": out.start.astype("datetime64[s]"), "end_date": out.end.astype("datetime64[s]"),
        "resolved": out.resolved, "exposure_at_start": out.exposure, "gross_recovery": out.recovery,
        "costs": out.costs, "auction_outcome": out.auction_outcome, "reference_price": out.reference_price,
    })
    bal = loans_df["outstanding_principal"].to_numpy()
    on_bs = ~loans_df["written_off"].to_numpy()
    rep = np.isin(loans_df["reported_class"].to_numpy(), ("substandard", "doubtful", "loss"))
    true_cls = np.where(live, hist.true_class[:, T - 1], 0)
    total = float(bal[on_bs].sum()) or 1.0
    return Truth(
        hidden_npl=hidden, true_states=true_states, disposal_outcomes=outcomes,
        npl_ratio_reported=float(bal[on_bs & rep].sum()) / total,
        npl_ratio_true=float(bal[on_bs & (true_cls >= 2)].sum()) / total,
    )
