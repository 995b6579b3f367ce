"""Curves: discounting, the market discount (price) curves of transfers, court timing.

Discounting is annual compounding on months: DF(m) = (1 + r) ** (−m / 12), r the annual rate
(by default the interbank rate + 5 points, EBA/GL/2017/16 para 143).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.valuation.assumptions import AssumptionSet

Array = npt.NDArray[np.float64]


def discount_factors(months: npt.ArrayLike, annual_rate: float) -> Array:
    """(1 + r) ** (−months / 12), elementwise."""
    if annual_rate <= -1.0:
        raise ValueError(f"discount rate {annual_rate} must be above −100%")
    return np.power(1.0 + annual_rate, -np.asarray(months, dtype="float64") / 12.0)


def transfer_price_ratio(coverage: Array, years_past_due: Array, a: AssumptionSet, kind: str) -> Array:
    """Price as a share of the claim from the market discount curve (`bulk` or `single`).

    Piecewise-linear in collateral coverage (net collateral / claim), flat beyond the last point,
    less `age_discount_per_year` per year past due (floored at a fifth of the curve price).
    """
    curve = a.value(f"transfer.{kind}_price_curve")
    xs = np.asarray(curve["coverage"], dtype="float64")
    ys = np.asarray(curve["price"], dtype="float64")
    base = np.interp(np.clip(coverage, 0.0, None), xs, ys)
    age = float(a.value("transfer.age_discount_per_year")) * np.clip(years_past_due, 0.0, None)
    return np.maximum(base * (1.0 - age), base * 0.2)


def months_to_first_auction(legal_status: pd.Series, a: AssumptionSet) -> Array:
    """Months from the cut-off to the first online auction, by the loan's legal status."""
    table = {str(k): float(v) for k, v in dict(a.value("court.months_to_first_auction")).items()}
    default = table.get("none", 18.0)
    codes, uniques = pd.factorize(legal_status.astype("object"), use_na_sentinel=False)
    values = np.array([table.get(str(s), default) for s in uniques], dtype="float64")
    return values[codes] if len(uniques) else np.zeros(len(legal_status))
