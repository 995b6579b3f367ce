"""Hidden-NPL detection (隐性不良): loans reported better than the rules allow, and patterns that
hide distress.

Flags (each with its evidence):

- UNDER_REPORTED: the bank's class is better than the derived class (the rule reasons say why).
- REPEATED_EXTENSIONS: two or more extensions (展期).
- FORBEARANCE_WHILE_OVERDUE: an extension, refinancing or relief granted while the loan was
  overdue (Art 18: financial difficulty) - the evergreening pattern.
- NEW_FOR_OLD: repaid by a new loan (借新还旧).
- CAPITALISED_INTEREST: arrears of interest turned into principal (欠息转本).
- UNFLAGGED_RESTRUCTURING: concessions in financial difficulty (Art 17-19) while the tape says
  the loan is not restructured.
- RESTRUCTURED_REPORTED_NORMAL: restructured, inside its observation period, reported normal.
- CROSS_DEFAULT: the same borrower (or its group, when the tape has `group_id`) has an NPL while
  this loan is reported performing.
- GUARANTOR_IN_DEFAULT: a guarantor of the loan is itself a borrower with an NPL.

The hidden NPL amount is the balance of loans reported performing whose derived class is
non-performing; the suspected amount adds the loans reported performing that carry a pattern flag
without a rule floor making them NPL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nplhub.risk.classify import RANK, ClassificationResult
from nplhub.risk.reasons import BIT

FLAGS = ("UNDER_REPORTED", "REPEATED_EXTENSIONS", "FORBEARANCE_WHILE_OVERDUE", "NEW_FOR_OLD",
         "CAPITALISED_INTEREST", "UNFLAGGED_RESTRUCTURING", "RESTRUCTURED_REPORTED_NORMAL",
         "CROSS_DEFAULT", "GUARANTOR_IN_DEFAULT")
FLAG_TEXT = {
    "UNDER_REPORTED": ("报告分类优于监管规则下限", "reported better than the rules allow"),
    "REPEATED_EXTENSIONS": ("多次展期", "repeated extensions"),
    "FORBEARANCE_WHILE_OVERDUE": ("逾期期间展期、借新还旧或放宽还款", "extension, refinancing or relief while overdue"),
    "NEW_FOR_OLD": ("借新还旧", "new loan to repay the old one"),
    "CAPITALISED_INTEREST": ("欠息转本（利息资本化）", "capitalised interest"),
    "UNFLAGGED_RESTRUCTURING": ("财务困难下的让步未标记为重组", "concessions in financial difficulty not marked as restructuring"),
    "RESTRUCTURED_REPORTED_NORMAL": ("观察期内的重组贷款报为正常", "restructured loan in observation reported normal"),
    "CROSS_DEFAULT": ("同一借款人或集团另有不良", "the same borrower or group has an NPL"),
    "GUARANTOR_IN_DEFAULT": ("保证人自身有不良贷款", "a guarantor has an NPL of its own"),
}
RELIEF = {"extension", "schedule_relief", "grace_period", "capitalisation", "refinance_new_for_old"}
CONCESSIONS = RELIEF | {"rate_cut", "principal_reduction", "collateral_release"}


def flag_codes(bits: int) -> tuple[str, ...]:
    """The flag codes of a loan's `flag_bits`."""
    return tuple(code for j, code in enumerate(FLAGS) if int(bits) >> j & 1)


@dataclass
class HiddenNplResult:
    frame: pd.DataFrame  # one row per flagged loan: ids, classes, amounts, flag_bits, evidence_<FLAG>, segments

    def totals(self) -> dict[str, float]:
        f = self.frame
        return {
            "hidden_npl_amount": float(f.loc[f["hidden_npl"], "outstanding_principal"].sum()),
            "hidden_npl_loans": int(f["hidden_npl"].sum()),
            "suspected_amount": float(f.loc[f["suspected"], "outstanding_principal"].sum()),
            "suspected_loans": int(f["suspected"].sum()),
            "flagged_loans": int(len(f)),
        }

    def by(self, column: str) -> list[dict[str, Any]]:
        f = self.frame
        if column not in f:
            return []
        key = f[column].fillna("unknown").astype(str)
        hidden = f["outstanding_principal"].where(f["hidden_npl"], 0.0)
        suspected = f["outstanding_principal"].where(f["suspected"], 0.0)
        g = pd.DataFrame({"hidden": hidden, "suspected": suspected, "n": f["hidden_npl"]}).groupby(key.to_numpy()).sum()
        g = g.sort_values("hidden", ascending=False)
        return [{"value": k, "hidden_npl_amount": float(v.hidden), "hidden_npl_loans": int(v.n),
                 "suspected_amount": float(v.suspected)} for k, v in g.iterrows()]

    def records(self) -> list[dict[str, Any]]:
        out = []
        for row in self.frame.to_dict("records"):
            out.append({
                "loan_id": row["loan_id"], "counterparty_id": row["counterparty_id"],
                "reported_class": row["reported_class"], "derived_class": row["derived_class"],
                "outstanding_principal": float(row["outstanding_principal"]),
                "hidden_npl": bool(row["hidden_npl"]), "suspected": bool(row["suspected"]),
                "flags": [{"code": code, "zh": FLAG_TEXT[code][0], "en": FLAG_TEXT[code][1],
                           "evidence": str(row[f"evidence_{code}"])} for code in flag_codes(row["flag_bits"])],
            })
        return out


def detect_hidden_npl(tables: Mapping[str, pd.DataFrame], classification: ClassificationResult) -> HiddenNplResult:
    c = classification.frame
    loans = tables["loans"]
    n = len(c)
    ids = c["loan_id"]
    flags: dict[str, np.ndarray] = {k: np.zeros(n, dtype=bool) for k in FLAGS}
    evidence: dict[str, pd.Series] = {}
    reported_rank = c["reported_class"].map(RANK).to_numpy()
    derived_rank = c["derived_class"].map(RANK).to_numpy()
    performing = reported_rank < 2

    flags["UNDER_REPORTED"] = derived_rank > reported_rank
    evidence["UNDER_REPORTED"] = _where(flags["UNDER_REPORTED"], lambda m: "reported " + c["reported_class"][m]
                                        + ", rules require " + c["derived_class"][m])

    forb = tables.get("forbearance")
    ext_count = loans["extension_count"].fillna(0).to_numpy(dtype=np.float64) if "extension_count" in loans else np.zeros(n)
    if forb is not None and len(forb):
        f = forb[forb["loan_id"].isin(ids)].copy()
        f["event_date"] = pd.to_datetime(f["event_date"])
        counts = f.groupby(["loan_id", "measure"]).size().unstack(fill_value=0)

        def count_of(measure: str) -> np.ndarray:
            if measure not in counts:
                return np.zeros(n)
            return ids.map(counts[measure]).fillna(0).to_numpy()

        ext_count = np.maximum(ext_count, count_of("extension"))
        flags["NEW_FOR_OLD"] = count_of("refinance_new_for_old") > 0
        evidence["NEW_FOR_OLD"] = pd.Series(np.where(flags["NEW_FOR_OLD"], "refinance_new_for_old recorded", ""))
        flags["CAPITALISED_INTEREST"] = count_of("capitalisation") > 0
        evidence["CAPITALISED_INTEREST"] = pd.Series(np.where(flags["CAPITALISED_INTEREST"], "capitalisation recorded", ""))
        overdue_at = _overdue_at_events(f, tables.get("loan_states"))
        relief = f[f["measure"].isin(RELIEF) & overdue_at]
        first = relief.sort_values("event_date").groupby("loan_id").first()
        flags["FORBEARANCE_WHILE_OVERDUE"] = ids.isin(first.index).to_numpy()
        evidence["FORBEARANCE_WHILE_OVERDUE"] = ids.map(
            first["measure"] + " on " + first["event_date"].dt.date.astype(str) + " while overdue").fillna("")
        conc = f[f["measure"].isin(CONCESSIONS) & overdue_at]
        restructured = _restructured_flag(loans)
        flags["UNFLAGGED_RESTRUCTURING"] = ids.isin(conc["loan_id"]).to_numpy() & ~restructured
        evidence["UNFLAGGED_RESTRUCTURING"] = pd.Series(
            np.where(flags["UNFLAGGED_RESTRUCTURING"], "concession granted while overdue, restructured flag false", ""))
    flags["REPEATED_EXTENSIONS"] = ext_count >= 2
    evidence["REPEATED_EXTENSIONS"] = _where(flags["REPEATED_EXTENSIONS"],
                                             lambda m: pd.Series(ext_count[m]).astype(int).astype(str) + " extensions")

    in_obs = (c["reason_bits"].to_numpy() & BIT["RESTRUCTURED_OBSERVATION"]).astype(bool)
    flags["RESTRUCTURED_REPORTED_NORMAL"] = in_obs & (reported_rank == 0)
    evidence["RESTRUCTURED_REPORTED_NORMAL"] = _where(
        flags["RESTRUCTURED_REPORTED_NORMAL"], lambda m: "observation period until " + c["observation_end"][m].astype(str))

    # cross-default of the same borrower or group
    cps = tables.get("counterparties")
    group = c["counterparty_id"].astype(str)
    if cps is not None and "group_id" in cps:
        g = c["counterparty_id"].map(cps.set_index("counterparty_id")["group_id"])
        group = g.fillna(c["counterparty_id"]).astype(str)
    npl = derived_rank >= 2
    npl_in_group = pd.Series(npl.astype(int)).groupby(group.to_numpy()).transform("sum").to_numpy()
    flags["CROSS_DEFAULT"] = performing & (npl_in_group - npl > 0)
    evidence["CROSS_DEFAULT"] = _where(flags["CROSS_DEFAULT"], lambda m: "borrower/group " + group[m] + " has an NPL")
    guarantees = tables.get("guarantees")
    if guarantees is not None and len(guarantees) and "guarantor_counterparty_id" in guarantees:
        npl_cps = set(c.loc[npl, "counterparty_id"])
        bad = guarantees[guarantees["guarantor_counterparty_id"].isin(npl_cps)]
        flags["GUARANTOR_IN_DEFAULT"] = performing & ids.isin(bad["loan_id"]).to_numpy()
        who = bad.groupby("loan_id")["guarantor_counterparty_id"].first()
        evidence["GUARANTOR_IN_DEFAULT"] = ids.map("guarantor " + who.astype(str) + " has an NPL").fillna("")

    matrix = np.column_stack([flags[k] for k in FLAGS])
    any_flag = matrix.any(axis=1)
    idx = np.flatnonzero(any_flag)
    out = c.loc[idx, ["loan_id", "counterparty_id", "reported_class", "derived_class", "outstanding_principal"]].copy()
    out["hidden_npl"] = (performing & (derived_rank >= 2))[idx]
    pattern = matrix[:, 1:].any(axis=1)
    out["suspected"] = (performing & (derived_rank < 2) & pattern)[idx]
    out["flag_bits"] = (matrix[idx] * (1 << np.arange(len(FLAGS)))).sum(axis=1)
    for k in FLAGS:  # one evidence column per flag, empty where the flag is off
        col = evidence[k].to_numpy(dtype=object)[idx] if k in evidence else np.full(idx.size, "", dtype=object)
        out[f"evidence_{k}"] = np.where(matrix[idx, FLAGS.index(k)], col, "")
    for col in ("branch_id", "product"):
        if col in loans:
            out[col] = loans[col].to_numpy()[idx]
    if cps is not None:
        cp = cps.set_index("counterparty_id")
        for col in ("region", "industry"):
            if col in cp:
                out[col] = out["counterparty_id"].map(cp[col]).to_numpy()
    return HiddenNplResult(frame=out.reset_index(drop=True))


def _where(mask: np.ndarray, text: Any) -> pd.Series:
    """Evidence sentences built only for the flagged rows (`text(mask)` gives them), "" elsewhere."""
    out = np.full(mask.size, "", dtype=object)
    if mask.any():
        out[mask] = np.asarray(text(mask), dtype=object)
    return pd.Series(out)


def _restructured_flag(loans: pd.DataFrame) -> np.ndarray:
    flag = np.zeros(len(loans), dtype=bool)
    if "restructured" in loans:
        flag |= loans["restructured"].fillna(False).to_numpy(dtype=bool)
    if "restructure_date" in loans:
        flag |= loans["restructure_date"].notna().to_numpy()
    return flag


def _overdue_at_events(forb: pd.DataFrame, states: pd.DataFrame | None) -> np.ndarray:
    """Whether each forbearance event happened while the loan was overdue (or already NPL): the
    last month-end state at or before the event shows days past due or an NPL class."""
    if states is None or not len(states):
        return np.zeros(len(forb), dtype=bool)
    s = states[["loan_id", "as_of_date", "days_past_due", "class"]].copy()
    s = s[s["loan_id"].isin(forb["loan_id"])]
    s["as_of_date"] = pd.to_datetime(s["as_of_date"]).astype("datetime64[ns]")
    s["loan_id"] = s["loan_id"].astype(object)
    s = s.sort_values("as_of_date")
    ev = pd.DataFrame({"loan_id": forb["loan_id"].astype(object).to_numpy(),
                       "event_date": pd.to_datetime(forb["event_date"]).astype("datetime64[ns]").to_numpy()})
    ev["_row"] = np.arange(len(ev))
    merged = pd.merge_asof(ev.sort_values("event_date"), s, left_on="event_date", right_on="as_of_date",
                           by="loan_id", direction="backward")
    distressed = (merged["days_past_due"].fillna(0) > 0) | (merged["class"].map(RANK).fillna(0) >= 2)
    out = np.zeros(len(ev), dtype=bool)
    out[merged["_row"].to_numpy()] = distressed.to_numpy()
    return out
