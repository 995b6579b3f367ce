"""Regulatory migration rates (贷款迁徙率) and roll rates between two month-ends.

原银监会《商业银行风险监管核心指标（试行）》(2005) and the 1104 report definitions: for a category
X with opening balance B_X, the part D_X of B_X that left during the period (repaid, disposed
of, written off) and M_X the period-end balance of the opening X loans classified lower,

    rate_X = M_X / (B_X - D_X)

for X = normal (to special mention or worse), special mention (to NPL), substandard (to
doubtful or loss) and doubtful (to loss); the normal-loan rate (正常贷款迁徙率) takes the
opening normal and special-mention loans together and counts those ending NPL. Upgrades never
enter a numerator. Loan by loan, D is the opening balance of a loan gone at the period end, or
the fall of its balance (never negative) if it is still on the book.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nplhub.domain.classification import ORDERED_CLASSES

RANK = {c.value: c.rank for c in ORDERED_CLASSES}
RATE_KEYS = ("normal", "special_mention", "substandard", "doubtful")
DPD_BUCKETS = (0, 30, 60, 90, 180, 270, 360)
DPD_BUCKET_LABELS = ("current", "1-30", "31-60", "61-90", "91-180", "181-270", "271-360", "360+")


def migration_rate(migrated: float, opening: float, left: float) -> float:
    """M / (B - D); NaN when nothing of the opening balance stayed."""
    base = opening - left
    return float(migrated / base) if base > 0 else float("nan")


@dataclass(frozen=True)
class RateComponents:
    opening: float  # B_X
    left: float  # D_X
    migrated: float  # M_X

    @property
    def rate(self) -> float:
        return migration_rate(self.migrated, self.opening, self.left)


def _positions(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    needed = {"loan_id", "class", "outstanding_principal"}
    missing = needed - set(frame.columns)
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(sorted(missing))}")
    out = frame[["loan_id", "class", "outstanding_principal"]].drop_duplicates("loan_id")
    ranks = out["class"].map(RANK)
    if ranks.isna().any():
        raise ValueError(f"{what}: unknown class {out.loc[ranks.isna(), 'class'].iloc[0]!r}")
    return pd.DataFrame({"loan_id": out["loan_id"].to_numpy(), "rank": ranks.to_numpy(dtype=np.int64),
                         "balance": out["outstanding_principal"].fillna(0).to_numpy(dtype=np.float64)})


def loan_moves(opening: pd.DataFrame, closing: pd.DataFrame) -> dict[str, np.ndarray]:
    o = _positions(opening, "opening positions")
    c = _positions(closing, "closing positions")
    m = o.merge(c, on="loan_id", how="left", suffixes=("", "_end"))
    present = m["rank_end"].notna().to_numpy()
    b = m["balance"].to_numpy()
    end_bal = m["balance_end"].fillna(0.0).to_numpy()
    return {"loan_id": m["loan_id"].to_numpy(), "b": b, "end": end_bal, "present": present,
            "d": np.where(present, np.maximum(b - end_bal, 0.0), b), "r0": m["rank"].to_numpy(),
            "r1": m["rank_end"].fillna(-1).to_numpy(dtype=np.int64)}


def components_by_group(mv: dict[str, np.ndarray], codes: np.ndarray, size: int) -> dict[str, list[RateComponents]]:
    b, d, end, present, r0, r1 = mv["b"], mv["d"], mv["end"], mv["present"], mv["r0"], mv["r1"]

    def sums(mask: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=np.where(mask, w, 0.0), minlength=size)

    out: dict[str, list[RateComponents]] = {}
    for key in [*RATE_KEYS, "normal_loans"]:
        if key == "normal_loans":
            sel, worse = r0 <= 1, (r0 <= 1) & present & (r1 >= 2)
        else:
            x = RANK[key]
            sel = r0 == x
            worse = sel & present & (r1 > x)
        bb, dd, mm = sums(sel, b), sums(sel, d), sums(worse, end)
        out[key] = [RateComponents(float(bb[i]), float(dd[i]), float(mm[i])) for i in range(size)]
    return out


def migration_components(opening: pd.DataFrame, closing: pd.DataFrame) -> dict[str, RateComponents]:
    """B, D and M of the four category rates and of the normal-loan rate.

    `opening` and `closing` hold (loan_id, class, outstanding_principal) at the two month-ends.
    """
    mv = loan_moves(opening, closing)
    return {k: v[0] for k, v in components_by_group(mv, np.zeros(mv["b"].size, dtype=np.int64), 1).items()}


def migration_rates_by(opening: pd.DataFrame, closing: pd.DataFrame, column: str,
                       moves: dict[str, np.ndarray] | None = None) -> dict[str, dict[str, float | None]]:
    """The five rates per value of an opening-position column (region, industry, branch, product);
    `moves` (from `loan_moves`) saves recomputing the loan-by-loan join."""
    mv = moves if moves is not None else loan_moves(opening, closing)
    unique_rows = opening.drop_duplicates("loan_id")
    values = unique_rows[column].to_numpy()  # the join keeps the order of the opening rows
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return rates_by_codes(mv, codes, list(uniques))


def rates_by_codes(mv: dict[str, np.ndarray], codes: np.ndarray,
                   uniques: list[Any]) -> dict[str, dict[str, float | None]]:
    """The five rates per group, `codes` aligned with the rows of `mv` (-1: unknown)."""
    labels = [str(u) for u in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append("unknown")
    comps = components_by_group(mv, np.asarray(codes, dtype=np.int64), len(labels))
    out: dict[str, dict[str, float | None]] = {}
    for i, label in enumerate(labels):
        out[label] = {k: (None if np.isnan(v[i].rate) else v[i].rate) for k, v in comps.items()}
    return out


def migration_rates(opening: pd.DataFrame, closing: pd.DataFrame) -> dict[str, float]:
    """The five regulatory migration rates as fractions (keys normal, special_mention,
    substandard, doubtful, normal_loans)."""
    return {k: v.rate for k, v in migration_components(opening, closing).items()}


def dpd_bucket(days: np.ndarray | pd.Series) -> np.ndarray:
    """Index into DPD_BUCKET_LABELS: 0 current, 1 1-30, ..., 7 over 360 days."""
    return np.searchsorted(np.array(DPD_BUCKETS), np.asarray(days, dtype=np.float64), side="left")


def roll_rates(opening: pd.DataFrame, closing: pd.DataFrame) -> dict[str, Any]:
    """Balance-weighted movement between days-past-due buckets from one month-end to the next.

    Returns the bucket matrix (rows: opening bucket, columns: closing bucket plus "left"), and for
    each opening bucket the roll-forward rate: the share of the balance that stayed on the book
    and moved to a worse bucket.
    """
    for frame, what in ((opening, "opening"), (closing, "closing")):
        if "days_past_due" not in frame:
            raise ValueError(f"{what} positions lack days_past_due")
    o = opening[["loan_id", "days_past_due", "outstanding_principal"]].drop_duplicates("loan_id")
    c = closing[["loan_id", "days_past_due"]].drop_duplicates("loan_id")
    m = o.merge(c, on="loan_id", how="left", suffixes=("", "_end"))
    b0 = dpd_bucket(m["days_past_due"].fillna(0))
    present = m["days_past_due_end"].notna().to_numpy()
    b1 = np.where(present, dpd_bucket(m["days_past_due_end"].fillna(0)), len(DPD_BUCKET_LABELS))
    bal = m["outstanding_principal"].fillna(0).to_numpy(dtype=np.float64)
    k = len(DPD_BUCKET_LABELS)
    mat = np.zeros((k, k + 1))
    np.add.at(mat, (b0, b1), bal)
    stayed = mat[:, :k].sum(axis=1)
    forward = np.array([mat[i, i + 1:k].sum() for i in range(k)])
    with np.errstate(divide="ignore", invalid="ignore"):
        roll = np.where(stayed > 0, forward / stayed, np.nan)
    return {
        "buckets": list(DPD_BUCKET_LABELS),
        "matrix": mat.tolist(),
        "columns": [*DPD_BUCKET_LABELS, "left"],
        "roll_forward": {lab: (None if np.isnan(v) else float(v)) for lab, v in zip(DPD_BUCKET_LABELS, roll)},
    }
