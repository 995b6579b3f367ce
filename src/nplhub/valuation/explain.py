"""Per-loan explanation: the cash flows of every route and what drives the value.

Drivers are one-at-a-time sensitivities of the NPV of the loan's best route: each assumption
(or loan feature) is moved by a stated shock, the loan is revalued, and the change in NPV is
reported with the assumption's source. They are sorted by the size of the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from nplhub.valuation import ROUTES
from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.curves import discount_factors
from nplhub.valuation.engine import best_routes, route_legs, value_routes
from nplhub.valuation.irr import pyxirr_irr
from nplhub.valuation.routes import PackageCount


def _scale_table(table: Any, factor: float, cap: float | None = None) -> Any:
    if isinstance(table, dict):
        return {k: _scale_table(v, factor, cap) for k, v in table.items()}
    if isinstance(table, list):
        return [_scale_table(v, factor, cap) for v in table]
    value = float(table) * factor
    return min(value, cap) if cap is not None else value


# (label, assumption key or None for a loan feature, shock description, how to apply)
AssumptionShock = Callable[[AssumptionSet], AssumptionSet]
FeatureShock = Callable[[pd.DataFrame], pd.DataFrame]

ASSUMPTION_SHOCKS: tuple[tuple[str, str, str, AssumptionShock], ...] = (
    ("discount rate", "discount.spread", "+1 percentage point",
     lambda a: a.with_values({"discount.spread": float(a.value("discount.spread")) + 0.01})),
    ("collateral haircuts", "collateral.haircut", "+10% relative",
     lambda a: a.with_values({"collateral.haircut": _scale_table(a.value("collateral.haircut"), 1.1, 0.94)})),
    ("auction sale probabilities", "judicial_auction.sale_probability", "−10% relative",
     lambda a: a.with_values({"judicial_auction.sale_probability":
                              _scale_table(a.value("judicial_auction.sale_probability"), 0.9)})),
    ("court durations", "court.months_to_first_auction", "+6 months",
     lambda a: a.with_values({"court.months_to_first_auction":
                              {k: float(v) + 6 for k, v in dict(a.value("court.months_to_first_auction")).items()}})),
    ("transfer prices", "transfer.bulk_price_curve", "−10% relative (bulk and single curves)",
     lambda a: a.with_values({
         "transfer.bulk_price_curve": {**a.value("transfer.bulk_price_curve"),
                                       "price": _scale_table(a.value("transfer.bulk_price_curve")["price"], 0.9)},
         "transfer.single_price_curve": {**a.value("transfer.single_price_curve"),
                                         "price": _scale_table(a.value("transfer.single_price_curve")["price"], 0.9)},
     })),
    ("settlement probability", "collection.settlement_probability", "−10% relative",
     lambda a: a.with_values({"collection.settlement_probability":
                              _scale_table(a.value("collection.settlement_probability"), 0.9)})),
    ("re-default probability", "restructuring.annual_redefault_probability", "+10% relative",
     lambda a: a.with_values({"restructuring.annual_redefault_probability":
                              _scale_table(a.value("restructuring.annual_redefault_probability"), 1.1, 0.99)})),
)

FEATURE_SHOCKS: tuple[tuple[str, str, FeatureShock], ...] = (
    ("collateral value", "−10%", lambda f: f.assign(
        collateral_reference=f["collateral_reference"] * 0.9,
        collateral_net=f["collateral_net"] * 0.9)),
    ("guarantee recovery", "−50%", lambda f: f.assign(guarantee_expected=f["guarantee_expected"] * 0.5)),
    ("age of the claim", "+1 year past due", lambda f: f.assign(days_past_due=f["days_past_due"] + 365)),
)


def _npv(loan: pd.DataFrame, a: AssumptionSet, route: str, rate: float | None,
         package_count: PackageCount) -> float:
    frame = value_routes(loan, a, discount_rate=rate, package_count=package_count, with_irr=False)
    row = frame[frame["route"] == route]
    return float(row["npv"].iloc[0]) if len(row) else float("nan")


def explain_loan(loan: pd.DataFrame, a: AssumptionSet, *, discount_rate: float | None = None,
                 package_count: PackageCount = 10**9, mc: pd.DataFrame | None = None) -> dict[str, Any]:
    """A JSON-ready explanation of one loan (`loan` is a one-row loan frame)."""
    if len(loan) != 1:
        raise ValueError("explain_loan takes exactly one loan")
    rate = a.discount_rate if discount_rate is None else float(discount_rate)
    frame = value_routes(loan, a, discount_rate=rate, package_count=package_count)
    if mc is not None and len(mc):
        frame = frame.drop(columns=["p10", "p50", "p90"]).merge(mc, on=["loan_id", "route"], how="left")
    best = best_routes(frame).iloc[0]
    legs = route_legs(loan, a, package_count=package_count)
    book = float(loan["book_value"].iloc[0])
    routes: dict[str, Any] = {}
    for route in ROUTES:
        row = frame[frame["route"] == route].iloc[0]
        res = legs[route]
        flows = []
        if bool(row["eligible"]):
            net = res.legs.inflow[0] - res.legs.cost[0]
            dfs = discount_factors(res.legs.month[0], rate)
            for j in np.argsort(res.legs.month[0], kind="stable"):
                if res.legs.inflow[0, j] == 0 and res.legs.cost[0, j] == 0:
                    continue
                flows.append({"month": round(float(res.legs.month[0, j]), 2),
                              "inflow": round(float(res.legs.inflow[0, j]), 2),
                              "cost": round(float(res.legs.cost[0, j]), 2),
                              "present_value": round(float(net[j] * dfs[j]), 2)})
            irr = pyxirr_irr(np.concatenate([[-book], net]), np.concatenate([[0.0], res.legs.month[0]])) \
                if book > 0 else float("nan")
        else:
            irr = float("nan")
        routes[route] = {
            "eligible": bool(row["eligible"]), "reason": row["reason"],
            **{k: _num(row[k]) for k in ("npv", "gross_recovery", "costs", "months_to_recovery", "p10", "p50", "p90")},
            "irr": _num(irr, 6), "cash_flows": flows,
        }
    drivers: list[dict[str, Any]] = []
    best_route = best["best_route"]
    if best_route is not None:
        base = float(best["best_npv"])
        for label, key, shock, apply in ASSUMPTION_SHOCKS:
            shocked = apply(a)
            shocked_rate = None if discount_rate is None or key != "discount.spread" else rate + 0.01
            value = _npv(loan, shocked, best_route, shocked_rate if shocked_rate else
                         (None if discount_rate is None else rate), package_count)
            drivers.append({"driver": label, "kind": "assumption", "key": key, "shock": shock,
                            "source": a.source(key), "npv_change": _num(value - base)})
        for label, shock, apply_f in FEATURE_SHOCKS:
            value = _npv(apply_f(loan), a, best_route, discount_rate, package_count)
            drivers.append({"driver": label, "kind": "loan feature", "key": None, "shock": shock,
                            "source": "the loan's tape data", "npv_change": _num(value - base)})
        drivers.sort(key=lambda d: -abs(float(d["npv_change"] or 0.0)))
    facts = {k: _plain(v) for k, v in loan.iloc[0].to_dict().items()}
    return {
        "loan_id": str(loan["loan_id"].iloc[0]), "claim": _num(loan["claim"].iloc[0]),
        "best_route": best_route, "best_npv": _num(best["best_npv"]), "discount_rate": rate,
        "assumptions": {"name": a.name, "version": a.version, "sha256": a.digest},
        "rulebook": {"version": a.rulebook.version, "sha256": a.rulebook.digest, "origin": a.rulebook.origin},
        "loan": facts, "routes": routes, "drivers": drivers,
    }


def _num(value: Any, digits: int = 2) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return round(x, digits) if np.isfinite(x) else None


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        return _num(value, 4)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return None if value is pd.NA else value
