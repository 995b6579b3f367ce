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
    out = pd.DataFrame({"collateral_id": collateral["collateral_id"].astype("object").to_numpy()})
    ctype = collateral["collateral_type"].astype("object").fillna("other")
    ctype = ctype.where(ctype.isin(COLLATERAL_TYPES), "other")
    out["collateral_type"] = ctype.to_numpy(dtype=object)
    appraisal = collateral["appraisal_value"].astype("float64").fillna(0.0).clip(lower=0.0)
    out["appraisal_value"] = appraisal.to_numpy()
    out["index_factor"] = index_factors(collateral, price_index, cutoff).to_numpy()
    out["reference_value"] = out["appraisal_value"] * out["index_factor"]

    haircuts = dict(a.value("collateral.haircut"))
    liquidity = {str(k): float(v) for k, v in dict(a.value("collateral.region_liquidity")).items()}
    default_liq = liquidity.pop("default", 0.0)
    if "region" in collateral:
        province = collateral["region"].astype("object").fillna("").astype(str).str.slice(0, 2)
    else:
        province = pd.Series("", index=collateral.index, dtype=object)
    codes, uniques = pd.factorize(province.astype("object"), use_na_sentinel=False)
    liq = pd.Series(np.array([liquidity.get(str(p), default_liq) for p in uniques], dtype="float64")[codes]
                    if len(uniques) else np.zeros(len(province)), index=collateral.index)
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
        gone = collateral["status"].astype("object").isin(["released", "sold"]).to_numpy()
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
    item_index = pd.Index(values["collateral_id"].astype("object"))
    item = item_index.get_indexer(links["collateral_id"].astype("object"))
    keep = item >= 0
    item = item[keep]
    loan_ids = links["loan_id"].astype("object").to_numpy()[keep]
    claim_pos = claims.index.get_indexer(loan_ids)
    claim_values = claims.to_numpy("float64")
    claim = np.where(claim_pos >= 0, claim_values[np.maximum(claim_pos, 0)] if len(claim_values) else 0.0, 0.0)
    allocated = (pd.to_numeric(links["allocated_amount"], errors="coerce").to_numpy("float64")[keep]
                 if "allocated_amount" in links else np.full(item.size, np.nan))
    has_cap = np.isfinite(allocated) & (allocated > 0)
    weight = np.clip(np.where(has_cap, allocated, claim), 0.0, None)
    total = np.bincount(item, weights=weight, minlength=len(item_index))[item]
    n_links = np.bincount(item, minlength=len(item_index))[item]
    share = np.where(total > 0, weight / np.where(total > 0, total, 1.0), 1.0 / n_links)
    v = {c: values[c].to_numpy() for c in ("reference_value", "net_value", "prior_claims", "collateral_type",
                                             "tax_rate", "months_to_sale")}
    out = pd.DataFrame({
        "loan_id": loan_ids, "collateral_id": item_index.to_numpy()[item], "share": share,
        "reference_value": v["reference_value"][item] * share,
        # a maximum-amount mortgage (最高额抵押) secures at most the allocated amount
        "net_value": np.minimum(v["net_value"][item] * share, np.where(has_cap, allocated, np.inf)),
        "prior_claims": v["prior_claims"][item] * share,
        "collateral_type": v["collateral_type"][item], "tax_rate": v["tax_rate"][item],
        "months_to_sale": v["months_to_sale"][item],
    })
    return out.loc[:, cols]


def loan_collateral_summary(allocation: pd.DataFrame, loan_ids: pd.Index,
                            claims: pd.Series) -> pd.DataFrame:
    """Per loan: reference value, prior claims, net value (uncapped, and capped at the claim), dominant type,
    value-weighted tax rate and months to sale, and the number of items."""
    out = pd.DataFrame(index=loan_ids)
    n = len(loan_ids)
    same = claims.index is loan_ids or claims.index.equals(loan_ids)
    claim = claims.to_numpy("float64") if same else claims.reindex(loan_ids).fillna(0.0).to_numpy("float64")
    if allocation.empty:
        pos = np.zeros(0, dtype=int)
    else:
        pos = loan_ids.get_indexer(allocation["loan_id"].astype("object"))
    ok = pos >= 0
    pos = pos[ok]

    def total(column: str | np.ndarray) -> np.ndarray:
        values = allocation[column].to_numpy("float64")[ok] if isinstance(column, str) else column
        return np.bincount(pos, weights=values, minlength=n) if pos.size else np.zeros(n)

    ref = total("reference_value")
    w_tax = total(allocation["tax_rate"].to_numpy("float64")[ok] * allocation["reference_value"].to_numpy("float64")[ok]) \
        if pos.size else np.zeros(n)
    w_months = total(np.nan_to_num(allocation["months_to_sale"].to_numpy("float64")[ok])
                     * allocation["reference_value"].to_numpy("float64")[ok]) if pos.size else np.zeros(n)
    value = total("net_value")
    types = np.full(n, "none", dtype=object)
    if pos.size:
        ref_item = allocation["reference_value"].to_numpy("float64")[ok]
        order = np.lexsort((-ref_item, pos))  # by loan, largest reference first
        first = order[np.r_[True, pos[order][1:] != pos[order][:-1]]]
        types[pos[first]] = allocation["collateral_type"].to_numpy()[ok][first]
    safe = np.where(ref > 0, ref, 1.0)
    out["collateral_reference"] = ref
    out["collateral_prior"] = total("prior_claims")
    out["collateral_value"] = value
    out["collateral_net"] = np.minimum(value, claim)
    out["collateral_type"] = types
    out["collateral_tax_rate"] = np.where(ref > 0, w_tax / safe, 0.0)
    out["months_to_sale"] = np.where(ref > 0, w_months / safe, np.nan)
    out["collateral_count"] = np.bincount(pos, minlength=n).astype("int64") if pos.size else np.zeros(n, dtype="int64")
    return out
