"""Restructured assets and upgrades: the observation period (Art 20-21) and the upgrade
conditions of an NPL (Art 15), computed for every loan with array operations."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from nplhub.domain.classification import ORDERED_CLASSES, RiskClass
from nplhub.risk.rules import RuleSet

RANK = {c.value: c.rank for c in ORDERED_CLASSES}
CLASS_VALUES = np.array([c.value for c in ORDERED_CLASSES], dtype=object)
NPL_RANK = RiskClass.SUBSTANDARD.rank


def month_index(values: pd.Series) -> np.ndarray:
    """Months since year 0 (year * 12 + month) of dates or 'YYYY-MM' strings."""
    stamps = pd.to_datetime(values.astype(str) if values.dtype == object else values, errors="coerce")
    return (stamps.dt.year * 12 + stamps.dt.month).to_numpy(dtype=np.float64)


def flag_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    col = frame[column]
    if pd.api.types.is_bool_dtype(col):
        return col.fillna(False).to_numpy(dtype=bool)
    return col.map(lambda v: str(v).strip().lower() in ("true", "1", "yes", "y", "是")).to_numpy(dtype=bool)


def restructuring(loans: pd.DataFrame, tables: Mapping[str, pd.DataFrame], as_of: pd.Timestamp,
                   rules: RuleSet) -> dict[str, np.ndarray]:
    """Observation periods (Art 20): from the first instalment after the restructuring, at least
    `observation_months` and `observation_instalments` monthly instalments; a missed payment
    restarts the period."""
    n = len(loans)
    res_date = pd.to_datetime(loans["restructure_date"]) if "restructure_date" in loans else pd.Series(pd.NaT, index=loans.index)
    flagged = flag_column(loans, "restructured") | res_date.notna().to_numpy()
    res_month = (res_date.dt.year * 12 + res_date.dt.month).to_numpy(dtype=np.float64)
    as_of_month = as_of.year * 12 + as_of.month
    length = max(rules.observation_months, rules.observation_instalments)
    start = res_month + 1  # first instalment after the adjustment
    missed_month = np.full(n, np.nan)
    reps = tables.get("repayments")
    if reps is not None and len(reps) and flagged.any():
        r = reps[reps["loan_id"].isin(loans.loc[flagged, "loan_id"])]
        due = r["amount_due"].fillna(0).to_numpy(dtype=np.float64) if "amount_due" in r else np.zeros(len(r))
        paid = r["amount_paid"].fillna(0).to_numpy(dtype=np.float64)
        miss = (due > 0) & (paid < due - np.maximum(1.0, 0.005 * due))
        m_idx = month_index(r["month"])
        rs = pd.Series(res_month, index=loans["loan_id"].to_numpy())
        after = m_idx >= r["loan_id"].map(rs).to_numpy() + 1
        last_miss = pd.Series(np.where(miss & after, m_idx, np.nan)).groupby(r["loan_id"].to_numpy()).max()
        missed_month = loans["loan_id"].map(last_miss).to_numpy(dtype=np.float64)
    restart = np.where(np.isnan(missed_month), start, np.fmax(start, missed_month + 1))
    end_month = restart + length
    in_obs = flagged & ~np.isnan(res_month) & (as_of_month < end_month)
    dpd = loans["days_past_due"].fillna(0).to_numpy()
    missed = in_obs & (~np.isnan(missed_month) | (dpd > rules.technical_delay_days))
    end_dates = np.full(n, None, dtype=object)
    ok = ~np.isnan(end_month)
    if ok.any():
        m = end_month[ok].astype(np.int64) - 1
        end_dates[ok] = list(pd.to_datetime(pd.DataFrame({"year": m // 12, "month": m % 12 + 1, "day": 1})))
    pre_rank = np.zeros(n, dtype=np.int64)
    states = tables.get("loan_states")
    if states is not None and len(states) and flagged.any():
        s = states[states["loan_id"].isin(loans.loc[flagged, "loan_id"])][["loan_id", "as_of_date", "class"]].copy()
        s["as_of_date"] = pd.to_datetime(s["as_of_date"])
        s["res"] = s["loan_id"].map(pd.Series(res_date.to_numpy(), index=loans["loan_id"].to_numpy()))
        s = s[s["as_of_date"] <= s["res"]].sort_values("as_of_date")
        last = s.groupby("loan_id")["class"].last()
        pre = loans["loan_id"].map(last)
        pre_rank = np.where(pre.notna(), pre.map(RANK).fillna(0), 0).astype(np.int64)
    return {"in_observation": in_obs, "missed": missed, "observation_end": end_dates, "pre_rank": pre_rank}


def upgrade_check(out: pd.DataFrame, reported: np.ndarray, interim: np.ndarray,
                   tables: Mapping[str, pd.DataFrame], as_of: pd.Timestamp,
                   rules: RuleSet) -> tuple[np.ndarray, np.ndarray]:
    """Art 15: an NPL moves up to normal or special mention only when (1) arrears are repaid and
    `upgrade_instalments` consecutive instalments (or `upgrade_months` months) are paid, (2) no
    overdue remains and (3) the debtor has no other NPL at the bank."""
    n = len(out)
    prev = np.zeros(n, dtype=np.int64)
    blockers = np.full(n, "", dtype=object)
    states = tables.get("loan_states")
    if states is None or not len(states) or not rules.upgrade_article:
        return prev, blockers
    s = states[["loan_id", "as_of_date", "class"]]
    dates = pd.to_datetime(s["as_of_date"])
    s = s[dates < as_of.replace(day=1)] if (dates.dt.normalize() == as_of).any() else s[dates < as_of]
    if s.empty:
        return prev, blockers
    last_date = pd.to_datetime(s["as_of_date"]).max()
    prev_cls = s[pd.to_datetime(s["as_of_date"]) == last_date].drop_duplicates("loan_id").set_index("loan_id")["class"]
    prev = out["loan_id"].map(prev_cls).map(RANK).fillna(0).to_numpy(dtype=np.int64)
    candidates = (prev >= NPL_RANK) & (reported < NPL_RANK)
    if not candidates.any():
        return prev, blockers
    dpd = out["days_past_due"].to_numpy()
    reasons: list[np.ndarray] = []
    overdue = candidates & (dpd > 0)
    reasons.append(np.where(overdue, "arrears not repaid", ""))
    reps = tables.get("repayments")
    need = max(rules.upgrade_instalments, 1)
    paid_ok = np.zeros(n, dtype=bool)
    if reps is not None and len(reps) and "amount_due" in reps:  # without amounts due nothing is verifiable
        cand_ids = out.loc[candidates, "loan_id"]
        r = reps[reps["loan_id"].isin(cand_ids)].copy()
        r["m"] = month_index(r["month"])
        r = r[(r["m"] <= as_of.year * 12 + as_of.month) & (r["amount_due"].fillna(0) > 0)].sort_values("m")
        r["full"] = r["amount_paid"].fillna(0) >= r["amount_due"] - np.maximum(1.0, 0.005 * r["amount_due"])
        tail = r.groupby("loan_id").tail(need)
        agg = tail.groupby("loan_id")["full"].agg(["sum", "count"])
        good = agg.index[(agg["count"] >= need) & (agg["sum"] >= need)]
        paid_ok = out["loan_id"].isin(good).to_numpy()
    reasons.append(np.where(candidates & ~paid_ok, f"fewer than {need} consecutive instalments paid in full", ""))
    # another NPL claim of the debtor still on the books (a positive balance)
    npl_claim = (interim >= NPL_RANK) & (out["outstanding_principal"].to_numpy() > 0)
    other = pd.Series(npl_claim).groupby(out["counterparty_id"].to_numpy()).transform("sum").to_numpy()
    other_npl = candidates & ((other - npl_claim) > 0)
    reasons.append(np.where(other_npl, "the debtor has another NPL at the bank", ""))
    idx = np.flatnonzero(candidates)
    blockers[idx] = ["; ".join(p for p in parts if p) for parts in zip(*(r[idx] for r in reasons))]
    return prev, blockers
