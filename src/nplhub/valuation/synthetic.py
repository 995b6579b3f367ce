"""Synthetic tape frames of a given size and seed, for tests, benchmarks and the examples.

Shaped on the tape contract (counterparties, loans, collateral, loan_collateral, guarantees,
price_index), vectorised so that a million loans take seconds. The demo portfolio generator of the
data hub is the realistic one; this one exists so the valuation engine can be exercised at any
size without the data hub.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REGIONS = ("110105", "310115", "440305", "330106", "320102", "510107", "420106", "610113", "230102", "650102")
CP_TYPES = ("corporate", "sme", "individual")
PRODUCTS_BY_TYPE = {
    "corporate": ("working_capital", "fixed_asset", "trade_finance"),
    "sme": ("working_capital", "trade_finance", "other"),
    "individual": ("mortgage", "consumer", "credit_card", "business_personal"),
}
COLLATERAL_BY_PRODUCT = {
    "mortgage": "residential", "working_capital": "commercial", "fixed_asset": "industrial",
    "trade_finance": "inventory", "business_personal": "residential", "other": "equipment",
}
LEGAL = ("none", "demand_letter", "litigation", "judgment", "enforcement")


def synthetic_tape(n_loans: int, seed: int, *, cutoff: str = "2025-06-30") -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = int(n_loans)
    ids = np.char.add("L", np.char.zfill(np.arange(n).astype(str), 8))
    cp_ids = np.char.add("C", np.char.zfill(np.arange(n).astype(str), 8))
    ctype = rng.choice(np.array(CP_TYPES), size=n, p=[0.25, 0.35, 0.40])
    product = np.empty(n, dtype=object)
    for t, choices in PRODUCTS_BY_TYPE.items():
        m = ctype == t
        product[m] = rng.choice(np.array(choices, dtype=object), size=int(m.sum()))
    scale = np.select([ctype == "corporate", ctype == "sme"], [2.0e7, 3.0e6], 4.0e5)
    principal = np.round(scale * rng.lognormal(0.0, 1.0, n), 2)
    dpd = rng.integers(90, 1500, n)
    region = rng.choice(np.array(REGIONS), size=n)
    insolvency = np.where(ctype == "individual", "none",
                          rng.choice(np.array(["none", "restructuring", "bankruptcy", "liquidated"]), size=n,
                                     p=[0.85, 0.05, 0.07, 0.03]))
    counterparties = pd.DataFrame({
        "counterparty_id": cp_ids, "counterparty_type": ctype, "region": region, "insolvency_status": insolvency,
    })
    loans = pd.DataFrame({
        "loan_id": ids, "counterparty_id": cp_ids, "product": product, "currency": "CNY",
        "outstanding_principal": principal,
        "accrued_interest": np.round(principal * rng.uniform(0.0, 0.15, n), 2),
        "penalty_interest": np.round(principal * rng.uniform(0.0, 0.05, n), 2),
        "fees": 0.0, "interest_rate": 0.05, "days_past_due": dpd,
        "reported_class": np.where(dpd > 360, "loss", np.where(dpd > 180, "doubtful", "substandard")),
        "provision": np.round(principal * rng.uniform(0.3, 0.9, n), 2),
        "extension_count": rng.integers(0, 3, n), "restructured": rng.random(n) < 0.1,
        "legal_status": rng.choice(np.array(LEGAL), size=n), "written_off": rng.random(n) < 0.03,
    })
    secured = np.array([p in COLLATERAL_BY_PRODUCT for p in product]) & (rng.random(n) < 0.8)
    sec_idx = np.flatnonzero(secured)
    m = sec_idx.size
    col_ids = np.char.add("K", np.char.zfill(np.arange(m).astype(str), 8))
    appraisal_age = rng.integers(0, 48, m)
    cut = pd.Timestamp(cutoff)
    appraisal_date = cut - pd.to_timedelta(appraisal_age * 30, unit="D")
    collateral = pd.DataFrame({
        "collateral_id": col_ids,
        "collateral_type": [COLLATERAL_BY_PRODUCT[p] for p in product[sec_idx]],
        "region": region[sec_idx],
        "appraisal_value": np.round(principal[sec_idx] * rng.lognormal(0.2, 0.5, m), 2),
        "appraisal_date": appraisal_date,
        "lien_rank": np.where(rng.random(m) < 0.85, 1, 2),
        "status": "held",
    })
    collateral["prior_claims"] = np.where(collateral["lien_rank"] == 2,
                                          np.round(collateral["appraisal_value"] * 0.3, 2), 0.0)
    links = pd.DataFrame({"loan_id": ids[sec_idx], "collateral_id": col_ids, "allocated_amount": np.nan})
    # a few items secure two loans (cross-collateralisation)
    shared = rng.random(m) < 0.05
    if shared.any() and n > 1:
        partner = (sec_idx[shared] + 1) % n
        links = pd.concat([links, pd.DataFrame({"loan_id": ids[partner], "collateral_id": col_ids[shared],
                                                "allocated_amount": np.nan})], ignore_index=True)
    g_idx = np.flatnonzero((ctype != "individual") & (rng.random(n) < 0.5))
    guarantees = pd.DataFrame({
        "guarantee_id": np.char.add("G", np.char.zfill(np.arange(g_idx.size).astype(str), 8)),
        "loan_id": ids[g_idx],
        "guarantee_type": rng.choice(np.array(["personal", "corporate", "guarantee_company"]), size=g_idx.size),
        "amount": np.round(principal[g_idx] * rng.uniform(0.2, 1.0, g_idx.size), 2),
    })
    months = pd.period_range(cut - pd.DateOffset(months=60), cut, freq="M").astype(str)
    rows = []
    for r in REGIONS:
        for t in ("residential", "commercial", "industrial"):
            drift = rng.normal(0.0, 0.003)
            rows.append(pd.DataFrame({"region": r, "property_type": t, "month": months,
                                      "index": 100.0 * np.exp(drift * np.arange(len(months)))}))
    price_index = pd.concat(rows, ignore_index=True)
    return {"counterparties": counterparties, "loans": loans, "collateral": collateral,
            "loan_collateral": links, "guarantees": guarantees, "price_index": price_index}


# Known parameters of the synthetic disposals history (for tests that a fit recovers them).
# Two-part recovery: multinomial logit (baseline: partial) with coefficients on
# [1, log_exposure, coverage, secured, seg_sme, seg_individual] for loss and full, and a beta
# regression for partial recoveries: logit(mu) = x·beta, precision phi.
TRUE_RECOVERY = {
    "loss": np.array([-1.0, 0.0, -1.5, 0.0, 0.2, 0.3]),
    "full": np.array([-2.5, 0.0, 1.5, 0.0, -0.2, -0.3]),
    "beta": np.array([-1.2, 0.0, 1.4, 0.3, -0.2, -0.3]),
    "phi": 6.0,
}
# Weibull durations in months by route: scale (months) and shape.
TRUE_DURATION = {
    "collection": (10.0, 1.4), "restructuring": (14.0, 1.2), "bulk_transfer": (5.0, 2.0),
    "single_transfer": (4.0, 2.0), "judicial_auction": (20.0, 1.6), "debt_to_equity": (30.0, 1.5),
    "write_off": (8.0, 1.0),
}
# Route effects on the beta mean's logit; kept moderate so that partial recoveries rarely fall below
# the two-part model's boundary (1e-3), which would turn them into total losses.
ROUTE_EFFECT = {
    "collection": 0.0, "restructuring": 0.4, "bulk_transfer": -0.5, "single_transfer": -0.3,
    "judicial_auction": 0.3, "debt_to_equity": -0.2, "write_off": -0.8,
}


def synthetic_disposals(n_cases: int, seed: int, *, cutoff: str = "2025-06-30",
                        years: float = 6.0) -> pd.DataFrame:
    """A disposals history drawn from `TRUE_RECOVERY`, `TRUE_DURATION` and `ROUTE_EFFECT`.

    Columns: the tape's disposals columns plus counterparty_type and coverage (the features of
    the loan at the start of the case). Cases still running at the cut-off are open (no end date).
    """
    rng = np.random.default_rng(seed)
    n = int(n_cases)
    routes = np.array(list(TRUE_DURATION), dtype=object)
    route = rng.choice(routes, size=n)
    seg = rng.choice(np.array(CP_TYPES, dtype=object), size=n, p=[0.3, 0.35, 0.35])
    exposure = np.round(np.select([seg == "corporate", seg == "sme"], [1e7, 2e6], 3e5) * rng.lognormal(0, 0.8, n), 2)
    secured = rng.random(n) < 0.6
    coverage = np.where(secured, rng.uniform(0.1, 1.5, n), 0.0)
    x = np.column_stack([np.ones(n), np.log10(exposure), coverage, secured.astype(float),
                         (seg == "sme").astype(float), (seg == "individual").astype(float)])
    eta_loss, eta_full = x @ TRUE_RECOVERY["loss"], x @ TRUE_RECOVERY["full"]
    denom = 1.0 + np.exp(eta_loss) + np.exp(eta_full)
    p_loss, p_full = np.exp(eta_loss) / denom, np.exp(eta_full) / denom
    u = rng.random(n)
    mu = 1.0 / (1.0 + np.exp(-(x @ TRUE_RECOVERY["beta"] + np.array([ROUTE_EFFECT[r] for r in route]))))
    phi = TRUE_RECOVERY["phi"]
    partial = np.clip(rng.beta(mu * phi, (1.0 - mu) * phi), 1e-4, 1 - 1e-4)
    rate = np.where(u < p_loss, 0.0, np.where(u < p_loss + p_full, 1.0, partial))
    scale = np.array([TRUE_DURATION[r][0] for r in route])
    shape = np.array([TRUE_DURATION[r][1] for r in route])
    months = scale * rng.weibull(shape)
    cut = pd.Timestamp(cutoff)
    start = cut - pd.to_timedelta(rng.uniform(0, years * 365.25, n), unit="D")
    end = start + pd.to_timedelta(months * 365.25 / 12.0, unit="D")
    open_ = end > cut
    return pd.DataFrame({
        "loan_id": np.char.add("H", np.char.zfill(np.arange(n).astype(str), 8)),
        "route": route, "start_date": start.normalize(),
        "end_date": pd.Series(end.normalize()).where(~open_, pd.NaT),
        "exposure_at_start": exposure,
        "gross_recovery": np.where(open_, np.nan, np.round(rate * exposure, 2)),
        "costs": np.where(open_, np.nan, np.round(0.02 * rate * exposure, 2)),
        "buyer_type": None, "counterparty_type": seg, "coverage": coverage,
    })


EXAMPLE_LOAN: dict[str, object] = {
    "loan_id": "L1", "counterparty_type": "corporate", "product": "working_capital", "region": "110105",
    "claim": 1_000_000.0, "book_value": 600_000.0, "days_past_due": 400.0, "legal_status": "judgment",
    "insolvency_status": "none", "restructure_count": 0, "written_off": False, "reported_class": "doubtful",
    "collateral_reference": 800_000.0, "collateral_prior": 0.0, "collateral_net": 450_000.0,
    "collateral_value": 450_000.0,
    "collateral_type": "residential", "collateral_tax_rate": 0.06, "months_to_sale": 9.0, "collateral_count": 1,
    "guarantee_amount": 0.0, "guarantee_expected": 0.0,
}


def example_loans(*rows: dict[str, object]) -> pd.DataFrame:
    """A loan frame by hand: each row overrides `EXAMPLE_LOAN` (ids L1, L2, ... unless given)."""
    from nplhub.valuation.portfolio import LOAN_FRAME_COLUMNS

    records = []
    for i, row in enumerate(rows or ({},)):
        record = dict(EXAMPLE_LOAN)
        record["loan_id"] = f"L{i + 1}"
        record.update(row)
        records.append(record)
    return pd.DataFrame(records).loc[:, list(LOAN_FRAME_COLUMNS)]
