"""From tape frames to the loan frame: one row per loan with everything the routes need.

Input: the tape tables as pandas frames (names and columns of the tape contract, money as
float64), as `SnapshotReader.frames` returns them. Output columns (`LOAN_FRAME_COLUMNS`): the
claim, the book value, segment and legal features, the allocated collateral figures of
`collateral.loan_collateral_summary` and the expected guarantee recovery.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.collateral import allocate_collateral, loan_collateral_summary, revalue_collateral

LOAN_FRAME_COLUMNS = (
    "loan_id", "counterparty_type", "product", "region", "claim", "book_value", "days_past_due",
    "legal_status", "insolvency_status", "restructure_count", "written_off", "reported_class",
    "collateral_reference", "collateral_prior", "collateral_net", "collateral_value", "collateral_type",
    "collateral_tax_rate",
    "months_to_sale", "collateral_count", "guarantee_amount", "guarantee_expected",
)


class TapeError(ValueError):
    """The tape frames lack what the valuation needs: says which table and column."""


def _col(df: pd.DataFrame, name: str, default: object) -> pd.Series:
    if name in df:
        return df[name]
    return pd.Series(default, index=df.index)


def _money(df: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(_col(df, name, 0.0), errors="coerce").astype("float64").fillna(0.0)


def build_loan_frame(frames: Mapping[str, pd.DataFrame], cutoff: pd.Timestamp | str,
                     a: AssumptionSet) -> pd.DataFrame:
    """The loan frame for `value_routes`, from the tape tables of one snapshot."""
    cutoff = pd.Timestamp(cutoff)
    if "loans" not in frames:
        raise TapeError("table loans is missing: the valuation needs the loans of the snapshot")
    loans = frames["loans"]
    for column in ("loan_id", "counterparty_id", "outstanding_principal"):
        if column not in loans:
            raise TapeError(f"loans.{column} is missing: required by the tape contract")
    loans = loans.reset_index(drop=True)
    duplicated = loans["loan_id"].duplicated()
    if duplicated.any():
        dup = loans.loc[duplicated, "loan_id"].iloc[0]
        raise TapeError(f"loans.loan_id {dup!r} appears more than once")
    out = pd.DataFrame({"loan_id": loans["loan_id"].astype("object").to_numpy()})
    cps = frames.get("counterparties", pd.DataFrame(columns=["counterparty_id"]))
    pos = pd.Index(cps["counterparty_id"].astype("object")).get_indexer(loans["counterparty_id"].astype("object"))
    found = pos >= 0

    def from_counterparty(column: str, default: str) -> np.ndarray:
        if column not in cps:
            return np.full(len(loans), default, dtype=object)
        values = cps[column].astype("object").to_numpy()
        picked = np.where(found, values[np.maximum(pos, 0)] if len(values) else default, default)
        return np.where(pd.isna(picked), default, picked).astype(object)

    out["counterparty_type"] = from_counterparty("counterparty_type", "corporate")
    out["region"] = from_counterparty("region", "")
    out["insolvency_status"] = from_counterparty("insolvency_status", "none")
    out["product"] = _col(loans, "product", "other").fillna("other").astype("object").to_numpy()
    include_penalty = bool(a.value("claim.include_penalty_interest"))
    claim = _money(loans, "outstanding_principal") + _money(loans, "accrued_interest") + _money(loans, "fees")
    if include_penalty:
        claim = claim + _money(loans, "penalty_interest")
    out["claim"] = claim.clip(lower=0.0).to_numpy()
    provision = pd.to_numeric(_col(loans, "provision", np.nan), errors="coerce").astype("float64")
    out["book_value"] = (claim - provision.fillna(0.0)).clip(lower=0.0).to_numpy()
    out["days_past_due"] = pd.to_numeric(_col(loans, "days_past_due", 0), errors="coerce").fillna(0).to_numpy("float64")
    out["legal_status"] = _col(loans, "legal_status", "none").fillna("none").astype("object").to_numpy()
    restructured = _col(loans, "restructured", False).fillna(False).astype(bool).astype("int64")
    extensions = pd.to_numeric(_col(loans, "extension_count", 0), errors="coerce").fillna(0).astype("int64")
    out["restructure_count"] = (restructured + extensions).to_numpy()
    out["written_off"] = _col(loans, "written_off", False).fillna(False).astype(bool).to_numpy()
    out["reported_class"] = _col(loans, "reported_class", "").fillna("").astype("object").to_numpy()

    loan_index = pd.Index(out["loan_id"].to_numpy(dtype=object))
    claims = pd.Series(out["claim"].to_numpy(), index=loan_index)
    collateral = frames.get("collateral")
    links = frames.get("loan_collateral")
    if collateral is not None and links is not None and len(collateral) and len(links):
        values = revalue_collateral(collateral, frames.get("price_index"), cutoff, a)
        allocation = allocate_collateral(links, values, claims)
    else:
        allocation = pd.DataFrame()
    summary = loan_collateral_summary(allocation, loan_index, claims)
    for column in summary.columns:
        out[column] = summary[column].to_numpy()

    guarantees = frames.get("guarantees")
    if guarantees is not None and len(guarantees):
        rates = dict(a.value("guarantee.recovery_rate"))
        amount = _money(guarantees, "amount").to_numpy()
        rate = _col(guarantees, "guarantee_type", "personal").map(rates).astype("float64").fillna(
            min(rates.values())).to_numpy()
        gpos = loan_index.get_indexer(guarantees["loan_id"].astype("object"))
        ok = gpos >= 0
        amount_l: np.ndarray = np.bincount(gpos[ok], weights=amount[ok], minlength=len(out)).astype("float64")
        expected_l: np.ndarray = np.bincount(gpos[ok], weights=(amount * rate)[ok], minlength=len(out)).astype("float64")
    else:
        amount_l = np.zeros(len(out))
        expected_l = np.zeros(len(out))
    out["guarantee_amount"] = np.minimum(amount_l, out["claim"].to_numpy())
    # the guarantor pays at most what the collateral leaves unpaid
    uncovered = np.maximum(out["claim"].to_numpy() - out["collateral_net"].to_numpy(), 0.0)
    out["guarantee_expected"] = np.minimum(expected_l, uncovered)
    return out.loc[:, list(LOAN_FRAME_COLUMNS)]


NON_PERFORMING_CLASSES = ("substandard", "doubtful", "loss")


def in_disposal_scope(loans: pd.DataFrame, *, dpd_threshold: int = 90) -> np.ndarray:
    """Loans a disposal is for: non-performing by the reported class (次级/可疑/损失), more than
    90 days past due (金规〔2023〕1号 第11条), or already written off; and with a claim left."""
    npl_class = loans["reported_class"].astype("object").isin(NON_PERFORMING_CLASSES).to_numpy()
    late = loans["days_past_due"].to_numpy("float64") > dpd_threshold
    open_claim = loans["claim"].to_numpy("float64") > 0
    return np.asarray((npl_class | late | loans["written_off"].to_numpy(bool)) & open_claim)
