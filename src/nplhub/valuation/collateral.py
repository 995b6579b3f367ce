"""Collateral valuation: index the appraisal to the cut-off, haircut, costs, liens, allocation.

For each collateral item:

    index factor     = index(region, type, cut-off month) / index(region, type, appraisal month)
    reference value  = appraisal × index factor                         (the court's reference price)
    haircut          = haircut(type) + liquidity(province), clipped to [0, 0.95]
    net value        = max(0, reference × (1 − haircut) × (1 − tax − enforcement cost) − prior claims)

Liens: `prior_claims` (claims ranking ahead, EBA 4.10) come off the sale proceeds before this
bank's claim. A collateral item that secures several loans is split across them in proportion to
their `allocated_amount` (or, where that is blank, their claims), each share capped at the
allocated amount: the shares of one item never add up to more than the item (no double counting).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nplhub.valuation.assumptions import AssumptionSet

COLLATERAL_TYPES = (
    "residential", "commercial", "industrial", "land_use_right", "equipment", "vehicle", "inventory",
    "receivables", "equity", "deposit", "other",
)


def _month_ordinal(values: pd.Series) -> pd.Series:
    """YYYY-MM strings, dates or timestamps as a month count (year × 12 + month − 1)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = values
    else:
        ts = pd.to_datetime(values.astype("string").str.slice(0, 7), format="%Y-%m", errors="coerce")
    return (ts.dt.year * 12 + ts.dt.month - 1).astype("float64")


def index_factors(collateral: pd.DataFrame, price_index: pd.DataFrame | None, cutoff: pd.Timestamp) -> pd.Series:
    """Price-index ratio between the cut-off month and the appraisal month, per collateral row.

    The index of a month missing from the series is the latest one before it (or the earliest one
    if the month precedes the series). Items with no series for their region and type keep 1.0.
    """
    factors = pd.Series(1.0, index=collateral.index)
    if price_index is None or price_index.empty or collateral.empty:
        return factors
    pi = price_index.loc[:, ["region", "property_type", "month", "index"]].copy()
    pi["region"] = pi["region"].astype("string")
    pi["property_type"] = pi["property_type"].astype("string")
    pi["m"] = _month_ordinal(pi["month"])
    pi["index"] = pi["index"].astype("float64")
    pi = pi.dropna(subset=["m", "index"]).sort_values("m")
    if pi.empty:
        return factors
    first = pi.groupby(["region", "property_type"])["index"].first()

    def lookup(month: pd.Series) -> pd.Series:
        left = pd.DataFrame({
            "region": collateral["region"].astype("string").fillna(""),
            "property_type": collateral["collateral_type"].astype("string").fillna(""),
            "m": month.astype("float64").fillna(-1.0),
            "row": np.arange(len(collateral)),
        }).sort_values("m")
        merged = pd.merge_asof(left, pi[["region", "property_type", "m", "index"]], on="m",
                               by=["region", "property_type"], direction="backward")
        missing = merged["index"].isna()
        if missing.any():
            keys = pd.MultiIndex.from_frame(merged.loc[missing, ["region", "property_type"]])
            merged.loc[missing, "index"] = first.reindex(keys).to_numpy()
        return merged.sort_values("row")["index"].reset_index(drop=True)

    cut_m = pd.Series(float(cutoff.year * 12 + cutoff.month - 1), index=collateral.index)
    at_cutoff = lookup(cut_m)
    at_appraisal = lookup(_month_ordinal(pd.to_datetime(collateral["appraisal_date"], errors="coerce")))
    ratio = (at_cutoff / at_appraisal).to_numpy()
    ok = np.isfinite(ratio) & (ratio > 0)
    factors[:] = np.where(ok, ratio, 1.0)
    return factors


def revalue_collateral(collateral: pd.DataFrame, price_index: pd.DataFrame | None, cutoff: pd.Timestamp,
                       a: AssumptionSet) -> pd.DataFrame:
    """One row per collateral item with its reference value, haircut, costs and net value."""
    out = pd.DataFrame({"collateral_id": collateral["collateral_id"].astype("string")})
    ctype = collateral["collateral_type"].astype("string").fillna("other")
    ctype = ctype.where(ctype.isin(COLLATERAL_TYPES), "other")
    out["collateral_type"] = ctype.to_numpy()
    appraisal = collateral["appraisal_value"].astype("float64").fillna(0.0).clip(lower=0.0)
    out["appraisal_value"] = appraisal.to_numpy()
    out["index_factor"] = index_factors(collateral, price_index, cutoff).to_numpy()
    out["reference_value"] = out["appraisal_value"] * out["index_factor"]

    haircuts = dict(a.value("collateral.haircut"))
    liquidity = {str(k): float(v) for k, v in dict(a.value("collateral.region_liquidity")).items()}
    default_liq = liquidity.pop("default", 0.0)
    if "region" in collateral:
        province = collateral["region"].astype("string").fillna("").str.slice(0, 2)
    else:
        province = pd.Series("", index=collateral.index, dtype="string")
    liq = province.map(lambda p: liquidity.get(str(p), default_liq)).astype("float64")
    out["haircut"] = np.clip(out["collateral_type"].map(haircuts).astype("float64").to_numpy() + liq.to_numpy(),
                             0.0, 0.95)
    real_estate = set(a.value("collateral.real_estate_types"))
    taxes = dict(a.value("collateral.transaction_tax_rate"))
    out["tax_rate"] = np.where(out["collateral_type"].isin(real_estate), float(taxes["real_estate"]),
                               float(taxes["other"]))
    out["cost_rate"] = float(a.value("collateral.enforcement_cost_rate"))
    prior = collateral["prior_claims"] if "prior_claims" in collateral else pd.Series(0.0, index=collateral.index)
    out["prior_claims"] = prior.astype("float64").fillna(0.0).clip(lower=0.0).to_numpy()
    sale_value = out["reference_value"] * (1.0 - out["haircut"]) * (1.0 - out["tax_rate"] - out["cost_rate"])
    out["net_value"] = (sale_value - out["prior_claims"]).clip(lower=0.0)
    out["months_to_sale"] = out["collateral_type"].map(dict(a.value("collateral.months_to_sale"))).astype("float64")
    if "status" in collateral:
        gone = collateral["status"].astype("string").isin(["released", "sold"]).fillna(False).to_numpy()
        for col in ("reference_value", "net_value", "prior_claims"):
            out.loc[gone, col] = 0.0
    return out


def allocate_collateral(links: pd.DataFrame, values: pd.DataFrame, claims: pd.Series) -> pd.DataFrame:
    """Split each collateral item across the loans it secures; one row per (loan, collateral).

    `links` holds loan_id, collateral_id and optional allocated_amount; `claims` is indexed by
    loan_id. Shares are proportional to allocated_amount where given, else to the loan's claim,
    and capped at allocated_amount; the shares of one item sum to at most 1.
    """
    cols = ["loan_id", "collateral_id", "share", "reference_value", "net_value", "prior_claims",
            "collateral_type", "tax_rate", "months_to_sale"]
    if links.empty or values.empty:
        return pd.DataFrame(columns=cols)
    df = links.loc[:, [c for c in ("loan_id", "collateral_id", "allocated_amount") if c in links]].copy()
    df["loan_id"] = df["loan_id"].astype("string")
    df["collateral_id"] = df["collateral_id"].astype("string")
    df = df.merge(values, on="collateral_id", how="inner")
    claim = df["loan_id"].map(claims).astype("float64").fillna(0.0)
    allocated = (df["allocated_amount"].astype("float64") if "allocated_amount" in df
                 else pd.Series(np.nan, index=df.index))
    weight = allocated.where(allocated.notna() & (allocated > 0), claim).clip(lower=0.0)
    total = weight.groupby(df["collateral_id"]).transform("sum")
    n_links = df.groupby("collateral_id")["loan_id"].transform("size")
    share = np.where(total > 0, weight / total.where(total > 0, 1.0), 1.0 / n_links)
    df["share"] = share
    for col in ("reference_value", "net_value", "prior_claims"):
        df[col] = df[col] * df["share"]
    # a maximum-amount mortgage (最高额抵押) secures at most the allocated amount
    cap = allocated.where(allocated.notna() & (allocated > 0), np.inf)
    df["net_value"] = np.minimum(df["net_value"], cap)
    return df.loc[:, cols].reset_index(drop=True)


def loan_collateral_summary(allocation: pd.DataFrame, loan_ids: pd.Index,
                            claims: pd.Series) -> pd.DataFrame:
    """Per loan: reference value, prior claims, net value (uncapped, and capped at the claim), dominant type,
    value-weighted tax rate and months to sale, and the number of items."""
    out = pd.DataFrame(index=loan_ids)
    if allocation.empty:
        out["collateral_reference"] = 0.0
        out["collateral_prior"] = 0.0
        out["collateral_net"] = 0.0
        out["collateral_value"] = 0.0
        out["collateral_type"] = "none"
        out["collateral_tax_rate"] = 0.0
        out["months_to_sale"] = np.nan
        out["collateral_count"] = 0
        return out
    g = allocation.assign(
        w_tax=allocation["tax_rate"] * allocation["reference_value"],
        w_months=allocation["months_to_sale"] * allocation["reference_value"],
    ).groupby("loan_id")
    sums = g[["reference_value", "prior_claims", "net_value", "w_tax", "w_months"]].sum()
    dominant = allocation.sort_values("reference_value", ascending=False).drop_duplicates("loan_id")
    dominant = dominant.set_index("loan_id")["collateral_type"]
    ref = sums["reference_value"].reindex(loan_ids).fillna(0.0)
    out["collateral_reference"] = ref
    out["collateral_prior"] = sums["prior_claims"].reindex(loan_ids).fillna(0.0)
    out["collateral_value"] = sums["net_value"].reindex(loan_ids).fillna(0.0)
    out["collateral_net"] = np.minimum(out["collateral_value"], claims.reindex(loan_ids).fillna(0.0))
    out["collateral_type"] = dominant.reindex(loan_ids).astype("object").fillna("none")
    safe = ref.where(ref > 0, 1.0)
    out["collateral_tax_rate"] = (sums["w_tax"].reindex(loan_ids).fillna(0.0) / safe).where(ref > 0, 0.0)
    out["months_to_sale"] = (sums["w_months"].reindex(loan_ids) / safe).where(ref > 0, np.nan)
    out["collateral_count"] = g.size().reindex(loan_ids).fillna(0).astype("int64")
    return out
