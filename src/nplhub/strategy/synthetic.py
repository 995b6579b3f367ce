"""Synthetic portfolios for tests and benchmarks: loan attributes and a route-value frame.

The shapes are the real ones (`LOAN_ATTRIBUTE_COLUMNS`, `ROUTE_VALUE_COLUMNS`); the numbers are
drawn from simple, explicit distributions with a seed, so a plan can be checked and timed without
the valuation engine. This is test data, not a model of recovery; its verdicts are the eligibility
rulebook's, as the valuation's are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nplhub.strategy.options import LOAN_ATTRIBUTE_COLUMNS, NPL_CLASSES, RETAIL_PRODUCTS, size_band
from nplhub.valuation import ROUTE_VALUE_COLUMNS, ROUTES
from nplhub.valuation.eligibility import Rulebook, default_rulebook

# (mean gross recovery rate on the claim, months to the cash, cost share of the gross): assumptions.
_ROUTE_SHAPE = {
    "collection": (0.45, 18.0, 0.08),
    "restructuring": (0.60, 30.0, 0.04),
    "bulk_transfer": (0.30, 4.0, 0.02),
    "single_transfer": (0.34, 5.0, 0.03),
    "judicial_auction": (0.55, 24.0, 0.12),
    "debt_to_equity": (0.50, 36.0, 0.06),
    "write_off": (0.0, 3.0, 0.0),
}
_PROVINCES = ("51", "44", "32", "33", "37", "41", "42", "43", "50", "61")
_COLLATERAL = ("residential", "commercial", "industrial", "land_use_right", "equipment", "unsecured")


def synthetic_loans(n: int, seed: int = 0, branches: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    retail = rng.random(n) < 0.45
    product = np.where(retail, rng.choice(RETAIL_PRODUCTS, n, p=[0.3, 0.3, 0.25, 0.15]),
                       rng.choice(["working_capital", "fixed_asset", "trade_finance"], n, p=[0.6, 0.25, 0.15]))
    cp_type = np.where(retail, "individual", rng.choice(["corporate", "sme"], n, p=[0.4, 0.6]))
    province = rng.choice(_PROVINCES, n)
    region = np.char.add(province.astype(str), rng.choice(["0100", "1400", "0600", "0900"], n))
    balance = np.round(np.exp(rng.normal(np.where(retail, 11.5, 14.5), 1.0)), 2)
    claim = np.round(balance * rng.uniform(1.02, 1.25, n), 2)
    klass = rng.choice(["special_mention", *NPL_CLASSES], n, p=[0.1, 0.4, 0.3, 0.2])
    provision_rate = pd.Series(klass).map({"special_mention": 0.02, "substandard": 0.25, "doubtful": 0.5,
                                           "loss": 0.9}).to_numpy()
    collateral = np.where(retail & np.isin(product, ["consumer", "credit_card"]), "unsecured",
                          rng.choice(_COLLATERAL, n, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.15]))
    df = pd.DataFrame({
        "loan_id": [f"L{seed}-{i:07d}" for i in range(n)],
        "product": product,
        "counterparty_type": cp_type,
        "region": region,
        "province": province,
        "branch_id": np.char.add("BR", rng.integers(0, branches, n).astype(str)),
        "reported_class": klass,
        "is_npl": np.isin(klass, NPL_CLASSES),
        "balance": balance,
        "claim": claim,
        "provision": np.round(balance * provision_rate, 2),
        "insolvency_status": rng.choice(["none", "restructuring", "bankruptcy", "liquidated"], n,
                                        p=[0.75, 0.1, 0.1, 0.05]),
        "legal_status": rng.choice(["none", "litigation", "judgment", "enforcement", "closed"], n,
                                   p=[0.4, 0.2, 0.15, 0.2, 0.05]),
        "days_past_due": rng.integers(30, 1200, n).astype(float),
        "written_off": False,
        "restructured": rng.random(n) < 0.1,
        "has_collateral": collateral != "unsecured",
        "collateral_class": collateral,
        "is_retail_product": retail,
        "size_band": size_band(claim),
    })
    return df[list(LOAN_ATTRIBUTE_COLUMNS)]


def synthetic_route_values(loans: pd.DataFrame, seed: int = 0, discount_rate: float = 0.08,
                           rulebook: Rulebook | None = None) -> pd.DataFrame:
    """One row per (loan, route) with NPV and its spread; a route is eligible where every rule of
    `rulebook` (default: the packaged one) holds, as in the valuation, and has no values where not."""
    verdicts = (rulebook or default_rulebook()).check(loans)
    rng = np.random.default_rng(seed + 1)
    n = len(loans)
    claim = loans["claim"].to_numpy(dtype=float)
    secured = loans["has_collateral"].to_numpy(dtype=bool)
    frames = []
    for route in ROUTES:
        rate, months, cost_share = _ROUTE_SHAPE[route]
        lift = np.where(secured, 1.25, 0.7) if route in ("judicial_auction", "collection") else 1.0
        rr = np.clip(rng.normal(rate, 0.15, n) * lift, 0.0, 1.0) if rate > 0 else np.zeros(n)
        m = np.maximum(rng.normal(months, months * 0.3, n), 1.0)
        gross = claim * rr
        costs = gross * cost_share + (claim * 0.002 if route != "write_off" else 0.0)
        npv = gross / (1 + discount_rate) ** (m / 12) - costs
        spread = np.abs(npv) * 0.25 + claim * 0.01
        ok = verdicts[route].eligible
        frames.append(pd.DataFrame({
            "loan_id": loans["loan_id"].to_numpy(), "route": route, "eligible": ok, "reason": verdicts[route].reasons(),
            "claim": claim, **{k: np.where(ok, v, np.nan) for k, v in (
                ("npv", npv), ("gross_recovery", gross), ("costs", costs), ("months_to_recovery", m))},
            "irr": np.nan, **{k: np.where(ok, v, np.nan) for k, v in (
                ("p10", npv - 1.2816 * spread), ("p50", npv), ("p90", npv + 1.2816 * spread))},
        }))
    return pd.concat(frames, ignore_index=True)[list(ROUTE_VALUE_COLUMNS)]
