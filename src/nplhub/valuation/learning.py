"""Learning recovery from the disposals history: training frame, model set, backtest, calibration.

A disposal case (tape table `disposals`) gives the route, start and end dates, the exposure at
start and the gross recovery. Closed cases give a recovery rate (gross recovery / exposure, in
[0, 1]) and a duration; open cases give a duration censored at the cut-off. Loan features
(segment, collateral coverage) come from the loan frame where the loan is in the snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.valuation import ROUTES
from nplhub.valuation.engine import RouteCalibration
from nplhub.valuation.models import (
    DAYS_PER_MONTH,
    FEATURES,
    GBMRecovery,
    RecoveryTimeModel,
    TwoPartLGD,
    recovery_features,
)

Array = npt.NDArray[np.float64]


class HistoryError(ValueError):
    """The disposals history cannot train the models: says what is missing."""


def training_frame(disposals: pd.DataFrame, loans: pd.DataFrame | None, cutoff: pd.Timestamp | str) -> pd.DataFrame:
    """One row per disposal case with features, months, closed flag and recovery rate."""
    for column in ("loan_id", "route", "start_date", "exposure_at_start"):
        if column not in disposals:
            raise HistoryError(f"disposals.{column} is missing: required by the tape contract")
    cutoff = pd.Timestamp(cutoff)
    d = disposals.reset_index(drop=True)
    start = pd.to_datetime(d["start_date"], errors="coerce")
    end = pd.to_datetime(d["end_date"], errors="coerce") if "end_date" in d else pd.Series(pd.NaT, index=d.index)
    closed = end.notna() & (end <= cutoff)
    stop = end.where(closed, cutoff)
    exposure = pd.to_numeric(d["exposure_at_start"], errors="coerce").astype("float64")
    gross = pd.to_numeric(d["gross_recovery"], errors="coerce").astype("float64") if "gross_recovery" in d \
        else pd.Series(np.nan, index=d.index)
    out = pd.DataFrame({
        "loan_id": d["loan_id"].astype("object"),
        "route": d["route"].astype("object"),
        "exposure": exposure,
        "months": ((stop - start).dt.days / DAYS_PER_MONTH).astype("float64"),
        "closed": closed.to_numpy(),
        "recovery_rate": (gross / exposure).clip(0.0, 1.0),
        "start_date": start,
    })
    if loans is not None and len(loans):
        lf = loans.set_index(loans["loan_id"].astype("object"))
        out["counterparty_type"] = out["loan_id"].map(lf["counterparty_type"]).fillna("corporate")
        # net collateral over the exposure when the case started (the loan may be closed by now)
        out["coverage"] = (out["loan_id"].map(lf["collateral_value"]).astype("float64").fillna(0.0)
                           / out["exposure"]).fillna(0.0)
    elif "counterparty_type" in d:
        out["counterparty_type"] = d["counterparty_type"].astype("object")
    out = out[out["route"].isin(ROUTES) & out["exposure"].gt(0) & out["months"].ge(0) & start.notna()]
    return out.reset_index(drop=True)


def design(frame: pd.DataFrame, route: str | pd.Series) -> Array:
    """Features, one-hot routes (collection is the baseline) and route × secured interactions
    (security matters more on some routes than on others)."""
    x = recovery_features(frame)
    routes = route if isinstance(route, pd.Series) else pd.Series(route, index=frame.index)
    for r in ROUTES[1:]:
        x[f"route_{r}"] = (routes.astype("object") == r).astype("float64").to_numpy()
    for r in ROUTES[1:]:
        x[f"secured_{r}"] = x[f"route_{r}"] * x["secured"]
    return x.to_numpy("float64")


@dataclass
class RecoveryModels:
    """The fitted recovery-rate and time models, with the number of closed cases per route."""

    method: str
    rate_model: TwoPartLGD | GBMRecovery
    time_model: RecoveryTimeModel
    cases: dict[str, int] = field(default_factory=dict)

    def predict(self, loans: pd.DataFrame, route: str) -> tuple[Array, Array]:
        """Recovery rate (share of the claim) and median months for today's loans on `route`."""
        claim = loans["claim"].where(loans["claim"] > 0)
        frame = loans.assign(coverage=(loans["collateral_value"] / claim).fillna(0.0))
        x = design(frame, route)
        return self.rate_model.predict(x), self.time_model.predict_median(recovery_features(frame).to_numpy(), route)


def fit_recovery_models(train: pd.DataFrame, *, method: str = "two_part", seed: int = 0) -> RecoveryModels:
    closed = train[train["closed"] & train["recovery_rate"].notna()]
    if len(closed) < 50:
        raise HistoryError(f"only {len(closed)} closed disposal cases with a recovery: at least 50 are needed")
    x = design(closed, closed["route"])
    rate_model: TwoPartLGD | GBMRecovery
    if method == "two_part":
        rate_model = TwoPartLGD().fit(x, closed["recovery_rate"].to_numpy())
    elif method == "gbm":
        rate_model = GBMRecovery(seed=seed).fit(x, closed["recovery_rate"].to_numpy())
    else:
        raise HistoryError(f"unknown method {method!r}: expected two_part or gbm")
    time_model = RecoveryTimeModel().fit(recovery_features(train).to_numpy(), train["months"].to_numpy(),
                                         train["closed"].to_numpy(), train["route"].to_numpy())
    cases = closed.groupby("route").size().astype(int).to_dict()
    return RecoveryModels(method, rate_model, time_model, {str(k): int(v) for k, v in cases.items()})


def calibration(models: RecoveryModels, loans: pd.DataFrame, credibility_cases: float) -> dict[str, RouteCalibration]:
    """Per route with history: learnt rates and months for `loans`, weight n / (n + k)."""
    out: dict[str, RouteCalibration] = {}
    for route, n in models.cases.items():
        if route not in ROUTES or n <= 0:
            continue
        rate, months = models.predict(loans, route)
        if route not in models.time_model.fitters_:
            months = np.full(len(loans), np.nan)
        out[route] = RouteCalibration(rate, months, n / (n + float(credibility_cases)))
    return out


def _km_median(months: Array, closed: npt.NDArray[np.bool_]) -> float:
    from lifelines import KaplanMeierFitter

    if len(months) == 0 or not closed.any():
        return float("nan")
    value = KaplanMeierFitter().fit(np.maximum(months, 1e-6), closed).median_survival_time_
    return float(value) if np.isfinite(value) else float("nan")


def backtest(train: pd.DataFrame, *, split: float = 0.7, method: str = "two_part", seed: int = 0) -> pd.DataFrame:
    """Out-of-time backtest: fit on the cases started first (`split` share), test on the rest.

    One row per (route, segment) of the test set: cases, predicted and realised mean recovery
    rate (closed cases), mean absolute error, predicted and realised (Kaplan-Meier) median months.
    """
    from lifelines.utils import concordance_index

    if not 0.0 < split < 1.0:
        raise HistoryError(f"split {split} must be between 0 and 1")
    ordered = train.sort_values("start_date", kind="stable").reset_index(drop=True)
    n_fit = int(len(ordered) * split)
    fit_part, test = ordered.iloc[:n_fit], ordered.iloc[n_fit:].copy()
    models = fit_recovery_models(fit_part, method=method, seed=seed)
    test["predicted_rate"] = models.rate_model.predict(design(test, test["route"]))
    test["predicted_months"] = np.nan
    x_time = recovery_features(test).to_numpy()
    for route in test["route"].unique():
        sel = (test["route"] == route).to_numpy()
        test.loc[sel, "predicted_months"] = models.time_model.predict_median(x_time[sel], str(route))
    if "counterparty_type" not in test:
        test["counterparty_type"] = "all"
    rows = []
    for (route, segment), g in test.groupby(["route", "counterparty_type"], sort=True):
        c = g[g["closed"] & g["recovery_rate"].notna()]
        ok = g["predicted_months"].notna()
        try:
            cidx = concordance_index(g.loc[ok, "months"], g.loc[ok, "predicted_months"], g.loc[ok, "closed"])
        except (ZeroDivisionError, ValueError, AssertionError):
            cidx = float("nan")
        rows.append({
            "route": route, "segment": segment, "cases": len(g), "closed": len(c),
            "predicted_rate": float(c["predicted_rate"].mean()) if len(c) else np.nan,
            "realised_rate": float(c["recovery_rate"].mean()) if len(c) else np.nan,
            "mean_abs_error": float((c["predicted_rate"] - c["recovery_rate"]).abs().mean()) if len(c) else np.nan,
            "predicted_median_months": float(g["predicted_months"].median()),
            "realised_median_months": _km_median(g["months"].to_numpy(), g["closed"].to_numpy(bool)),
            "concordance": cidx,
        })
    return pd.DataFrame(rows)


def summary(models: RecoveryModels) -> Mapping[str, object]:
    """Plain figures of a fitted model set (for the CLI and the run record)."""
    out: dict[str, object] = {"method": models.method, "closed_cases": dict(models.cases),
                              "time_models": sorted(models.time_model.fitters_), "features": list(FEATURES)}
    if isinstance(models.rate_model, TwoPartLGD):
        out["beta_phi"] = models.rate_model.beta_.phi_
    return out
