"""The loans table at the cut-off and the monthly tables (loan_states, repayments)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from nplhub.datahub.generator.calibration import CLASSES, PROVISION_RATE
from nplhub.datahub.generator.disposals import DisposalOutcome
from nplhub.datahub.generator.frames import make_frame
from nplhub.datahub.generator.history import History
from nplhub.datahub.generator.loans import LoanBook, method_codes, remaining_share

CLASS_NAMES = np.array(CLASSES)
ROUTE_SOURCE = {"collection": "borrower", "restructuring": "borrower", "judicial_auction": "court",
                "in_kind": "court", "bulk_transfer": "other", "single_transfer": "other",
                "securitization": "other", "debt_to_equity": "other", "write_off": "borrower"}


def loans_frame(rng: np.random.Generator, book: LoanBook, hist: History, balance: npt.NDArray[np.float64],
                out: DisposalOutcome, events: pd.DataFrame, loan_ids: npt.NDArray[np.str_],
                cp_ids: npt.NDArray[np.str_], cp_city: npt.NDArray[np.str_], legal: npt.NDArray[np.object_],
                cutoff: np.datetime64) -> pd.DataFrame:
    n = len(book)
    T = hist.months
    live = hist.on_book[:, T - 1]
    ever = hist.on_book.any(axis=1)
    last_t = np.where(ever, T - 1 - np.argmax(hist.on_book[:, ::-1], axis=1), 0)
    cls = np.where(ever, hist.reported_class[np.arange(n), last_t], -1)
    # loans resolved before the window opened: the class they were disposed of in
    pre_only = ~ever
    cls = np.where(pre_only, rng.choice([2, 3, 4], size=n, p=[0.3, 0.35, 0.35]), cls).astype(np.int64)
    outstanding = np.where(live, np.round(balance, 2), 0.0)
    dpd = np.where(live, hist.reported_dpd[:, T - 1], 0).astype(np.int64)
    days_interest = np.where(dpd > 0, np.minimum(dpd, 720), rng.integers(0, 31, n))
    accrued = np.round(outstanding * book.rate * days_interest / 360, 2)
    penalty = np.round(np.where(dpd > 0, accrued * 0.5, 0.0), 2)
    fees = np.round(np.where((book.product == "credit_card") & live, rng.uniform(0, 200, n), 0.0), 2)
    provision = np.round(outstanding * PROVISION_RATE[np.clip(cls, 0, 4)] * rng.uniform(0.9, 1.1, n), 2)

    ext_events = events[events["measure"] == "extension"]
    ext_count = np.bincount(ext_events["loan"].to_numpy(), minlength=n)
    last_ext = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    if len(ext_events):
        g = ext_events.groupby("loan")["event_date"].max()
        last_ext[g.index.to_numpy()] = g.to_numpy()
    maturity = book.maturity.astype("datetime64[s]")
    new_mat = events.groupby("loan")["new_maturity_date"].max()
    if len(new_mat):
        idx = new_mat.index.to_numpy()
        maturity[idx] = np.where(np.isnat(new_mat.to_numpy()), maturity[idx], np.maximum(maturity[idx], new_mat.to_numpy()))
    restructured = np.zeros(n, dtype=bool)
    restructure_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    r = out.route == "restructuring"
    restructured[out.loans[r]] = True
    restructure_date[out.loans[r]] = out.start[r]

    # default date: the first month-end reported NPL, or before the window for older defaults
    first = hist.first_npl
    default = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    in_window = first > 0
    default[in_window] = hist.month_ends[first[in_window]] - rng.integers(0, 25, int(in_window.sum())).astype("timedelta64[D]")
    at_start = first == 0
    back = np.maximum(hist.reported_dpd[at_start, 0].astype(np.int64) - 90, 15)
    default[at_start] = hist.month_ends[0] - back.astype("timedelta64[D]")
    disp_start = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    disp_start[out.loans] = out.start
    missing = np.isnat(default) & ~np.isnat(disp_start)
    default[missing] = disp_start[missing] - rng.integers(30, 365, int(missing.sum())).astype("timedelta64[D]")
    default = np.where(np.isnat(default), default, np.maximum(default, book.origination + np.timedelta64(30, "D")))
    default = np.where(np.isnat(disp_start) | np.isnat(default), default, np.minimum(default, disp_start))

    written_off = np.zeros(n, dtype=bool)
    written_off[out.loans[out.route == "write_off"]] = True
    branch = np.char.add(np.char.add("BR", cp_city[book.cp_index]),
                         np.char.zfill(rng.integers(1, 6, n).astype(str), 2))
    return make_frame({
        "loan_id": loan_ids,
        "counterparty_id": cp_ids[book.cp_index],
        "product": book.product,
        "currency": "CNY",
        "origination_date": book.origination.astype("datetime64[s]"),
        "maturity_date": maturity,
        "original_principal": np.round(book.principal, 2),
        "outstanding_principal": outstanding,
        "accrued_interest": accrued,
        "penalty_interest": penalty,
        "fees": fees,
        "interest_rate": book.rate,
        "repayment_method": book.method,
        "days_past_due": dpd,
        "reported_class": CLASS_NAMES[np.clip(cls, 0, 4)],
        "provision": provision,
        "branch_id": branch,
        "extension_count": ext_count,
        "last_extension_date": last_ext,
        "restructured": restructured,
        "restructure_date": restructure_date.astype("datetime64[s]"),
        "legal_status": legal,
        "default_date": default.astype("datetime64[s]"),
        "written_off": written_off,
    })


def text_column(labels: npt.NDArray[np.str_], index: npt.NDArray[np.int64]) -> pd.api.extensions.ExtensionArray:
    """labels[index] as an Arrow-backed string column (far faster than numpy -> object for big tables)."""
    taken = pa.array(labels).take(pa.array(index))
    return pd.array(taken, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def loan_states_frame(book: LoanBook, hist: History, balances: npt.NDArray[np.float64],
                      loan_ids: npt.NDArray[np.str_]) -> pd.DataFrame:
    rows, cols = np.nonzero(hist.on_book)
    cls = hist.reported_class[rows, cols]
    bal = np.round(balances[rows, cols], 2)
    return make_frame({
        "loan_id": text_column(loan_ids, rows),
        "as_of_date": hist.month_ends[cols].astype("datetime64[s]"),
        "class": text_column(CLASS_NAMES, cls.astype(np.int64)),
        "days_past_due": hist.reported_dpd[rows, cols].astype(np.int64),
        "outstanding_principal": bal,
        "provision": np.round(bal * PROVISION_RATE[cls], 2),
    })


def repayments_frame(rng: np.random.Generator, book: LoanBook, hist: History, balances: npt.NDArray[np.float64],
                     out: DisposalOutcome, loan_ids: npt.NDArray[np.str_]) -> pd.DataFrame:
    rows, cols = np.nonzero(hist.on_book)
    k = hist.paid_before[:, None] + np.cumsum(hist.paid, axis=1) - hist.paid  # paid before the month
    kk = k[rows, cols]
    method, rate, term = method_codes(book.method)[rows], book.rate[rows], book.term[rows]
    before = remaining_share(method, rate, term, kk)
    after = remaining_share(method, rate, term, kk + 1)
    principal = book.principal[rows]
    bal_prev = principal * before
    due = bal_prev * rate / 12 + principal * (before - after)
    due = np.where((book.product == "credit_card")[rows], np.maximum(0.1 * bal_prev, 50.0), due)
    paid = hist.paid[rows, cols]
    cls = hist.reported_class[rows, cols]
    partial = np.where(cls == 1, rng.uniform(0, 0.5, len(rows)),
                       np.where(rng.random(len(rows)) < 0.3, rng.uniform(0, 0.3, len(rows)), 0.0))
    amount_paid = np.where(paid, due, due * partial)
    # recoveries of cases resolved inside the window arrive in the month of the end date
    window_start = hist.month_ends[0].astype("datetime64[M]")
    res = out.resolved & (out.end.astype("datetime64[M]") >= window_start) & (out.recovery > 0)
    rec_month = (out.end[res].astype("datetime64[M]") - window_start).astype(np.int64)
    sources_sorted = np.array(sorted(["borrower", "collateral_sale", "guarantor", "court", "other"]))
    rec_source = np.searchsorted(sources_sorted, [ROUTE_SOURCE[r] for r in out.route[res]]).astype(np.int64)
    all_rows = np.concatenate([rows, out.loans[res]])
    all_cols = np.concatenate([cols, rec_month])
    order = np.lexsort((all_cols, all_rows))
    months = hist.month_ends.astype("datetime64[M]").astype(str)
    src = np.concatenate([np.full(len(rows), int(np.searchsorted(sources_sorted, "borrower"))), rec_source])
    return make_frame({
        "loan_id": text_column(loan_ids, all_rows[order]),
        "month": text_column(months, all_cols[order]),
        "amount_due": np.concatenate([np.round(due, 2), np.zeros(int(res.sum()))])[order],
        "amount_paid": np.concatenate([np.round(amount_paid, 2), out.recovery[res]])[order],
        "source": text_column(sources_sorted, src[order]),
    })
