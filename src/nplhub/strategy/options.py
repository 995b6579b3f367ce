"""Disposal options: every (loan, route) pair a plan may choose, with what it earns and consumes.

Inputs are the valuation's route-value frame (one row per loan and route, `ROUTE_VALUE_COLUMNS`)
and the loan-attribute frame built from the tape (`loan_attributes`). A route is an option for a
loan exactly when the valuation marks it eligible with a finite NPV: the valuation has already
judged every route by the eligibility rulebook (`nplhub.valuation.eligibility`, the law, with each
failed rule's reason and source) and by its own economic limits, so strategy does not judge the
same rules a second time. From the rulebook strategy reads only the sale channels and their
package minimums, for its own constraints and packages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nplhub.domain.codes import Product
from nplhub.domain.errors import DomainError
from nplhub.strategy.constraints import PlanConstraints
from nplhub.valuation import ROUTES
from nplhub.valuation.eligibility import Rulebook

NPL_CLASSES = ("substandard", "doubtful", "loss")
RETAIL_PRODUCTS = tuple(str(p) for p in Product if p.is_retail)  # mortgage, consumer, credit_card, business_personal
SIZE_BANDS = ((1_000_000.0, "small"), (10_000_000.0, "medium"), (float("inf"), "large"))

LOAN_ATTRIBUTE_COLUMNS: tuple[str, ...] = (
    "loan_id", "product", "counterparty_type", "region", "province", "branch_id", "reported_class",
    "is_npl", "balance", "claim", "provision", "insolvency_status", "legal_status", "days_past_due",
    "written_off", "restructured", "has_collateral", "collateral_class", "is_retail_product", "size_band",
)

ROUTE_ORDER = {route: i for i, route in enumerate(ROUTES)}


def size_band(claim: np.ndarray) -> np.ndarray:
    out = np.full(len(claim), SIZE_BANDS[-1][1], dtype=object)
    for limit, name in reversed(SIZE_BANDS):
        out[np.asarray(claim, dtype=float) < limit] = name
    return out


def loan_attributes(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The loan-attribute frame from tape frames (`loans`, `counterparties`, optional collateral)."""
    if "loans" not in frames or "counterparties" not in frames:
        raise DomainError("loan attributes need the tape tables 'loans' and 'counterparties'")
    loans = frames["loans"].copy()
    cps = frames["counterparties"][["counterparty_id", "counterparty_type", "region", "insolvency_status"]]
    df = loans.merge(cps, on="counterparty_id", how="left", validate="many_to_one")
    if df["counterparty_type"].isna().any():
        missing = df.loc[df["counterparty_type"].isna(), "loan_id"].head(5).tolist()
        raise DomainError(f"loans whose counterparty is missing from the tape: {missing}")

    def num(name: str) -> pd.Series:
        return pd.to_numeric(df[name], errors="coerce").fillna(0.0) if name in df else pd.Series(0.0, index=df.index)

    out = pd.DataFrame({"loan_id": df["loan_id"].astype(str)})
    out["product"] = df["product"].astype(str)
    out["counterparty_type"] = df["counterparty_type"].astype(str)
    out["region"] = df["region"].astype(str)
    out["province"] = out["region"].str[:2]
    out["branch_id"] = df["branch_id"].fillna("unassigned").astype(str) if "branch_id" in df else "unassigned"
    out["reported_class"] = df["reported_class"].astype(str)
    out["is_npl"] = out["reported_class"].isin(NPL_CLASSES)
    out["balance"] = num("outstanding_principal")
    out["claim"] = num("outstanding_principal") + num("accrued_interest") + num("penalty_interest") + num("fees")
    out["provision"] = num("provision")
    out["insolvency_status"] = df["insolvency_status"].fillna("none").astype(str)
    out["legal_status"] = df["legal_status"].fillna("none").astype(str) if "legal_status" in df else "none"
    out["days_past_due"] = num("days_past_due")
    out["written_off"] = df["written_off"].fillna(False).astype(bool) if "written_off" in df else False
    out["restructured"] = df["restructured"].fillna(False).astype(bool) if "restructured" in df else False
    out["collateral_class"] = "unsecured"
    links = frames.get("loan_collateral")
    coll = frames.get("collateral")
    if links is not None and coll is not None and len(links):
        lc = links.merge(coll[["collateral_id", "collateral_type", "appraisal_value"]], on="collateral_id", how="left")
        weight = pd.to_numeric(lc.get("allocated_amount"), errors="coerce").fillna(0.0)
        lc["weight"] = weight.where(weight > 0, pd.to_numeric(lc["appraisal_value"], errors="coerce").fillna(0.0))
        main = lc.sort_values("weight", ascending=False).drop_duplicates("loan_id")
        mapping = dict(zip(main["loan_id"].astype(str), main["collateral_type"].astype(str)))
        out["collateral_class"] = out["loan_id"].map(mapping).fillna("unsecured")
    out["has_collateral"] = out["collateral_class"] != "unsecured"
    out["is_retail_product"] = out["product"].isin(RETAIL_PRODUCTS)
    out["size_band"] = size_band(out["claim"].to_numpy())
    return out[list(LOAN_ATTRIBUTE_COLUMNS)].reset_index(drop=True)


@dataclass
class OptionSet:
    """The eligible options of a portfolio with the portfolio totals the constraints need."""

    options: pd.DataFrame  # eligible (loan, route) rows with coefficients, sorted by loan then route order
    verdicts: pd.DataFrame  # every (loan, route) with eligible / reason, for explanations
    unplanned: pd.DataFrame  # loans without any eligible route: loan_id, reason
    npl_balance: float  # NPL balance of the whole book (planned or not)
    total_loans: float  # 各项贷款余额, the NPL ratio's denominator
    min_accounts: dict[str, int]

    @property
    def loan_count(self) -> int:
        return int(self.options["loan_id"].nunique())

    def best_routes(self) -> pd.DataFrame:
        """Each loan's best eligible route by NPV (ties: the earlier route in ROUTES order)."""
        idx = self.options.groupby("loan_idx", sort=True)["npv"].idxmax()
        return self.options.loc[idx.to_numpy()].reset_index(drop=True)


def build_options(route_values: pd.DataFrame, loans: pd.DataFrame, rulebook: Rulebook,
                  constraints: PlanConstraints | None = None) -> OptionSet:
    """Join the valuation's verdicts and values with the loan attributes into the options a plan
    chooses from; `rulebook` (the one the valuation judged by) gives the sale channels."""
    constraints = constraints or PlanConstraints()
    needed = ["loan_id", "route", "eligible", "reason", "npv", "gross_recovery", "costs", "months_to_recovery"]
    missing = [c for c in needed if c not in route_values.columns]
    if missing:
        raise DomainError(f"the route-value frame lacks columns {missing}")
    rv = route_values.copy()
    rv["loan_id"] = rv["loan_id"].astype(str)
    for col in ("p10", "p50", "p90"):
        if col not in rv:
            rv[col] = np.nan
    unknown_loans = set(rv["loan_id"]) - set(loans["loan_id"])
    if unknown_loans:
        raise DomainError(f"{len(unknown_loans)} valued loans are not in the tape, e.g. {sorted(unknown_loans)[:3]}")
    merged = rv[rv["route"].isin(ROUTES)].reset_index(drop=True)
    said_ok = merged["eligible"].fillna(False).astype(bool).to_numpy()
    ok = said_ok & np.isfinite(merged["npv"].astype(float).to_numpy())
    given = merged["reason"].where(merged["reason"].notna() & (merged["reason"] != ""), "not eligible")
    merged["eligible"] = ok
    merged["reason"] = pd.Series(np.where(said_ok, "the valuation gives no finite NPV", given.astype(str)),
                                 index=merged.index).where(~ok, None)
    verdicts = merged[["loan_id", "route", "eligible", "reason"]].copy()

    any_ok = merged.groupby("loan_id")["eligible"].any()
    no_route = any_ok[~any_ok].index
    unplanned = (merged[merged["loan_id"].isin(no_route)].groupby("loan_id")["reason"]
                 .apply(lambda s: " | ".join(str(x) for x in s if x)).rename("reason").reset_index())

    opts = merged[merged["eligible"]].drop(columns=["eligible", "reason"])
    attrs = loans.set_index("loan_id")
    opts = opts.join(attrs, on="loan_id", rsuffix="_loan")
    opts = opts.assign(route_idx=opts["route"].map(ROUTE_ORDER).astype(int))
    opts = opts.sort_values(["loan_id", "route_idx"], kind="stable").reset_index(drop=True)
    opts["loan_idx"] = pd.factorize(opts["loan_id"], sort=False)[0]
    _add_coefficients(opts, rulebook, constraints)

    total = constraints.total_loans if constraints.total_loans is not None else float(loans["balance"].sum())
    npl = float(loans.loc[loans["is_npl"], "balance"].sum())
    min_accounts = {code: rulebook.min_accounts(code) for code in rulebook.channels}
    return OptionSet(options=opts, verdicts=verdicts, unplanned=unplanned, npl_balance=npl,
                     total_loans=float(total), min_accounts=min_accounts)


def _add_coefficients(opts: pd.DataFrame, rulebook: Rulebook, c: PlanConstraints) -> None:
    route = opts["route"].to_numpy()
    res = c.resources
    costs = opts["costs"].astype(float).fillna(0.0).to_numpy()
    gross = opts["gross_recovery"].astype(float).fillna(0.0).to_numpy()
    months = opts["months_to_recovery"].astype(float).fillna(0.0).to_numpy()
    balance = opts["balance"].astype(float).to_numpy()
    opts["legal_cost"] = costs * opts["route"].map(res.legal_share).fillna(0.0).to_numpy()
    opts["workload"] = opts["route"].map(res.workload).fillna(0.0).to_numpy()
    leave = np.where(route == "restructuring", np.maximum(months, res.restructuring_upgrade_months), months)
    opts["leaves_npl_months"] = leave
    opts["removable"] = np.where(opts["is_npl"].to_numpy(dtype=bool) & (leave <= c.deadline_months), balance, 0.0)
    realised = (months <= c.loss_horizon_months) & (route != "restructuring")
    shortfall = balance - (gross - costs) - opts["provision"].astype(float).to_numpy()
    opts["loss_charge"] = np.where(realised, np.maximum(shortfall, 0.0), 0.0)
    channel = np.full(len(opts), "", dtype=object)
    for r in ("bulk_transfer", "single_transfer"):
        mask = route == r
        if mask.any():
            channel[mask] = rulebook.channel_of(opts.loc[mask], r)
    opts["channel"] = channel
    group = np.full(len(opts), "", dtype=object)
    bulk = route == "bulk_transfer"
    if bulk.any():
        keys = [opts.loc[bulk, k].astype(str) for k in c.package_keys]
        joined = keys[0]
        for k in keys[1:]:
            joined = joined + "|" + k
        group[bulk] = joined.to_numpy()
    opts["package_group"] = group


def option_records(opts: pd.DataFrame, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row)) for row in opts[list(columns)].itertuples(index=False, name=None)]
