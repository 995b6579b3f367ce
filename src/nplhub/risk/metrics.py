"""Supervisory metrics of a loan book at a month-end, and their change between two month-ends.

- 不良贷款率 NPL ratio = (substandard + doubtful + loss) / all loans (standard: at most 5%).
- 贷款拨备率 loan provision ratio = allowance / all loans; 拨备覆盖率 provision coverage ratio =
  allowance / NPL. 银监发〔2018〕7号 made the standards dynamic: 1.5%-2.5% and 120%-150%; the
  higher requirement binds (《商业银行贷款损失准备管理办法》Art 7).
- Concentration: the largest borrower's and the ten largest borrowers' share of all loans, and
  the Herfindahl-Hirschman index (sum of squared shares) over borrowers and over each segment.
- The same figures by region, industry, branch and product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nplhub.domain.classification import ORDERED_CLASSES
from nplhub.risk.rates import components_by_group as rate_components
from nplhub.risk.rates import loan_moves, migration_rates_by, rates_by_codes, roll_rates

RANK = {c.value: c.rank for c in ORDERED_CLASSES}
SEGMENTS = ("region", "industry", "branch_id", "product")


@dataclass(frozen=True)
class ProvisionStandards:
    """The dynamic standards (银监发〔2018〕7号); the bank's own point inside the ranges is policy."""

    coverage_min: float = 1.20
    coverage_max: float = 1.50
    loan_provision_min: float = 0.015
    loan_provision_max: float = 0.025
    npl_ratio_max: float = 0.05


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den > 0 else None


def book_ratios(positions: pd.DataFrame, standards: ProvisionStandards | None = None) -> dict[str, Any]:
    """NPL ratio, provision ratios and their standing against the standards.

    `positions`: one row per loan with `class`, `outstanding_principal` and `provision`.
    """
    standards = standards or ProvisionStandards()
    ranks = positions["class"].map(RANK)
    if ranks.isna().any():
        raise ValueError(f"unknown class {positions.loc[ranks.isna(), 'class'].iloc[0]!r}")
    bal = positions["outstanding_principal"].fillna(0).to_numpy(dtype=np.float64)
    prov = positions["provision"].fillna(0).to_numpy(dtype=np.float64) if "provision" in positions else np.zeros(len(bal))
    r = ranks.to_numpy(dtype=np.int64)
    total, npl, allowance = float(bal.sum()), float(bal[r >= 2].sum()), float(prov.sum())
    by_class = {c.value: float(bal[r == c.rank].sum()) for c in ORDERED_CLASSES}
    npl_ratio = _ratio(npl, total)
    coverage = _ratio(allowance, npl)
    loan_prov = _ratio(allowance, total)
    # the binding requirement: the higher of coverage_min x NPL and loan_provision_min x loans
    required = max(standards.coverage_min * npl, standards.loan_provision_min * total)
    return {
        "loans": int(len(positions)),
        "total_loans": total,
        "npl_amount": npl,
        "allowance": allowance,
        "by_class": by_class,
        "npl_ratio": npl_ratio,
        "provision_coverage_ratio": coverage,
        "loan_provision_ratio": loan_prov,
        "required_allowance": required,
        "allowance_shortfall": max(required - allowance, 0.0),
        "standards": {
            "npl_ratio_max": standards.npl_ratio_max,
            "provision_coverage_ratio": [standards.coverage_min, standards.coverage_max],
            "loan_provision_ratio": [standards.loan_provision_min, standards.loan_provision_max],
        },
        "meets": {
            "npl_ratio": npl_ratio is not None and npl_ratio <= standards.npl_ratio_max,
            "provision_coverage_ratio": coverage is None or coverage >= standards.coverage_min,
            "loan_provision_ratio": loan_prov is not None and loan_prov >= standards.loan_provision_min,
        },
    }


def hhi(amounts: np.ndarray | pd.Series) -> float:
    a = np.asarray(amounts, dtype=np.float64)
    total = a.sum()
    return float(((a / total) ** 2).sum()) if total > 0 else 0.0


Groups = dict[str, tuple[np.ndarray, list[Any]]]


def _groups(column: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer group codes (missing values grouped as "unknown") and the group labels."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    labels = list(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append("unknown")
    return codes.astype(np.int64), labels


def segment_groups(positions: pd.DataFrame) -> Groups:
    """Group codes of the borrower and of each segment column, computed once per frame."""
    return {col: _groups(positions[col]) for col in ("counterparty_id", *SEGMENTS) if col in positions}


def _sums(codes: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(codes, weights=weights, minlength=size)


def concentration(positions: pd.DataFrame, top: int = 10, groups: Groups | None = None) -> dict[str, Any]:
    """Largest borrowers' shares and HHI over borrowers and over each segment present."""
    groups = groups if groups is not None else segment_groups(positions)
    bal = positions["outstanding_principal"].fillna(0).to_numpy(dtype=np.float64)
    total = float(bal.sum())
    out: dict[str, Any] = {}
    if "counterparty_id" in groups:
        codes, labels = groups["counterparty_id"]
        by_cp = np.sort(_sums(codes, bal, len(labels)))[::-1]
        out["largest_borrower_share"] = _ratio(float(by_cp[:1].sum()), total) if by_cp.size else None
        out[f"top{top}_borrowers_share"] = _ratio(float(by_cp[:top].sum()), total) if by_cp.size else None
        out["borrower_hhi"] = hhi(by_cp)
    for seg in SEGMENTS:
        if seg in groups:
            codes, labels = groups[seg]
            out[f"{seg}_hhi"] = hhi(_sums(codes, bal, len(labels)))
    return out


def by_segment(positions: pd.DataFrame, groups: Groups | None = None) -> dict[str, list[dict[str, Any]]]:
    """Balance, NPL amount, NPL ratio, allowance and coverage per value of each segment."""
    groups = groups if groups is not None else segment_groups(positions)
    r = positions["class"].map(RANK).to_numpy()
    bal = positions["outstanding_principal"].fillna(0).to_numpy(dtype=np.float64)
    npl = np.where(r >= 2, bal, 0.0)
    prov = positions["provision"].fillna(0).to_numpy(dtype=np.float64) if "provision" in positions else np.zeros(len(bal))
    total = float(bal.sum())
    out: dict[str, list[dict[str, Any]]] = {}
    for seg in SEGMENTS:
        if seg not in groups:
            continue
        codes, labels = groups[seg]
        b, n, p = (_sums(codes, w, len(labels)) for w in (bal, npl, prov))
        order = np.argsort(-b, kind="stable")
        out[seg] = [
            {"value": str(labels[i]), "balance": float(b[i]), "share": _ratio(float(b[i]), total),
             "npl_amount": float(n[i]), "npl_ratio": _ratio(float(n[i]), float(b[i])),
             "provision_coverage_ratio": _ratio(float(p[i]), float(n[i]))}
            for i in order
        ]
    return out


def _codes_for_rates(group: tuple[np.ndarray, list[Any]]) -> tuple[np.ndarray, list[Any]]:
    codes, labels = group
    if labels and labels[-1] == "unknown" and (codes == len(labels) - 1).any():
        return np.where(codes == len(labels) - 1, -1, codes), labels[:-1]
    return codes, labels


def supervisory_metrics(opening: pd.DataFrame, closing: pd.DataFrame,
                        standards: ProvisionStandards | None = None,
                        segments: bool = True) -> dict[str, Any]:
    """The metrics at the closing month-end, the opening figures, migration and roll rates.

    `opening`/`closing`: positions (loan_id, class, days_past_due, outstanding_principal,
    provision, and the segment columns region, industry, branch_id, product when known).
    """
    close = book_ratios(closing, standards)
    close_groups = segment_groups(closing)
    open_ = book_ratios(opening, standards)
    open_groups = segment_groups(opening)
    moves = loan_moves(opening, closing)
    comps = {k: v[0] for k, v in rate_components(moves, np.zeros(len(moves["b"]), dtype=np.int64), 1).items()}
    out: dict[str, Any] = {
        "npl_ratio": close["npl_ratio"],
        "provision_coverage_ratio": close["provision_coverage_ratio"],
        "loan_provision_ratio": close["loan_provision_ratio"],
        "migration_rates": {k: (None if np.isnan(v.rate) else v.rate) for k, v in comps.items()},
        "migration_components": {k: {"opening": v.opening, "left": v.left, "migrated": v.migrated}
                                 for k, v in comps.items()},
        "closing": close,
        "opening": open_,
        "change": {k: (None if close[k] is None or open_[k] is None else close[k] - open_[k])
                   for k in ("npl_ratio", "provision_coverage_ratio", "loan_provision_ratio")},
        "concentration": {"closing": concentration(closing, groups=close_groups),
                          "opening": concentration(opening, groups=open_groups)},
    }
    if "days_past_due" in opening and "days_past_due" in closing:
        out["roll_rates"] = roll_rates(opening, closing)
    if segments:
        out["by_segment"] = by_segment(closing, close_groups)
        out["by_segment_opening"] = by_segment(opening, open_groups)
        unique_ids = not opening["loan_id"].duplicated().any()
        out["migration_rates_by_segment"] = {
            seg: (rates_by_codes(moves, *_codes_for_rates(open_groups[seg])) if unique_ids
                  else migration_rates_by(opening, closing, seg, moves))
            for seg in SEGMENTS if seg in open_groups}
    return out
