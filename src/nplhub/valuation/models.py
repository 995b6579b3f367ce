"""Recovery models learnt from the `disposals` history (estimator contract throughout).

* `BetaRecoveryRegression`: beta regression of a rate in (0, 1), logit mean and constant
  precision φ (Ferrari & Cribari-Neto 2004), fitted with statsmodels' `BetaModel`.
* `TwoPartLGD`: recovery rate with point masses at total loss (0) and full recovery (1): a
  multinomial logit for {loss, partial, full} and a beta regression for the partial cases.
  E[RR | x] = P(full | x) + P(partial | x) · μ(x);  LGD = 1 − RR.
* `GBMRecovery`: LightGBM on the cross-entropy objective (outputs in [0, 1]) with an isotonic
  calibration on a held-out part of the training data.
* `RecoveryTimeModel`: months from the start of a disposal to its end, a Weibull AFT model per
  route (lifelines) in which open cases are right-censored at the cut-off.
* `CoxTimeModel`: the proportional-hazards alternative (lifelines `CoxPHFitter`).

`__init__` stores hyperparameters unchanged, `fit` returns self, learnt state ends in `_`.
Features come from `recovery_features` (the same function for history and for today's loans).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

Array = npt.NDArray[np.float64]
SEGMENTS = ("corporate", "sme", "individual")
FEATURES = ("log_exposure", "coverage", "secured", "seg_sme", "seg_individual")
DAYS_PER_MONTH = 365.25 / 12.0


def recovery_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Model features from a frame with exposure (or claim), counterparty_type and coverage."""
    exposure = frame["exposure"] if "exposure" in frame else frame["claim"]
    exposure = pd.to_numeric(exposure, errors="coerce").astype("float64").clip(lower=1.0).fillna(1.0)
    seg = frame["counterparty_type"].astype("object") if "counterparty_type" in frame else pd.Series(
        "corporate", index=frame.index)
    coverage = pd.to_numeric(frame["coverage"], errors="coerce") if "coverage" in frame else pd.Series(
        0.0, index=frame.index)
    coverage = coverage.astype("float64").fillna(0.0).clip(0.0, 2.0)
    return pd.DataFrame({
        "log_exposure": np.log10(exposure.to_numpy()),
        "coverage": coverage.to_numpy(),
        "secured": (coverage > 0).astype("float64").to_numpy(),
        "seg_sme": (seg == "sme").astype("float64").to_numpy(),
        "seg_individual": (seg == "individual").astype("float64").to_numpy(),
    }, index=frame.index)


def _with_const(x: npt.ArrayLike) -> Array:
    x = np.asarray(x, dtype="float64")
    if x.ndim == 1:
        x = x[:, None]
    return np.hstack([np.ones((x.shape[0], 1)), x])


class BetaRecoveryRegression:
    """Beta regression: logit(μ) = Xβ, constant precision φ; MLE by statsmodels `BetaModel`."""

    def __init__(self, *, fit_intercept: bool = True, maxiter: int = 500) -> None:
        self.fit_intercept = fit_intercept
        self.maxiter = maxiter

    def fit(self, x: npt.ArrayLike, y: npt.ArrayLike) -> BetaRecoveryRegression:
        from statsmodels.othermod.betareg import BetaModel

        y = np.asarray(y, dtype="float64")
        if y.size == 0 or np.any((y <= 0) | (y >= 1)):
            raise ValueError("beta regression needs rates strictly between 0 and 1")
        exog = _with_const(x) if self.fit_intercept else np.asarray(x, dtype="float64")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = BetaModel(y, exog).fit(disp=0, maxiter=self.maxiter)
        params = np.asarray(result.params, dtype="float64")
        self.coef_ = params[:-1]
        self.phi_ = float(np.exp(params[-1]))
        self.bse_ = np.asarray(result.bse, dtype="float64")
        self.loglike_ = float(result.llf)
        self.n_obs_ = int(y.size)
        return self

    def predict(self, x: npt.ArrayLike) -> Array:
        exog = _with_const(x) if self.fit_intercept else np.asarray(x, dtype="float64")
        return 1.0 / (1.0 + np.exp(-(exog @ self.coef_)))


class TwoPartLGD:
    """Recovery rate with masses at 0 and 1 and a beta regression in between."""

    def __init__(self, *, boundary: float = 1e-3, C: float = 1e4) -> None:
        self.boundary = boundary
        self.C = C

    def fit(self, x: npt.ArrayLike, recovery_rate: npt.ArrayLike) -> TwoPartLGD:
        from sklearn.linear_model import LogisticRegression

        x = np.asarray(x, dtype="float64")
        rr = np.clip(np.asarray(recovery_rate, dtype="float64"), 0.0, 1.0)
        part = np.where(rr <= self.boundary, 0, np.where(rr >= 1.0 - self.boundary, 2, 1))
        self.classes_ = np.unique(part)
        if self.classes_.size > 1:
            self.classifier_: Any = LogisticRegression(C=self.C, max_iter=2000).fit(x, part)
        else:
            self.classifier_ = None
        mid = part == 1
        if mid.sum() < x.shape[1] + 3:
            raise ValueError(f"only {int(mid.sum())} partial recoveries: too few to fit the beta part")
        self.beta_ = BetaRecoveryRegression().fit(x[mid], rr[mid])
        self.n_obs_ = int(rr.size)
        return self

    def part_probabilities(self, x: npt.ArrayLike) -> Array:
        """(n, 3) probabilities of total loss, partial and full recovery."""
        x = np.asarray(x, dtype="float64")
        probs = np.zeros((x.shape[0], 3))
        if self.classifier_ is None:
            probs[:, int(self.classes_[0])] = 1.0
        else:
            probs[:, self.classifier_.classes_] = self.classifier_.predict_proba(x)
        return probs

    def predict(self, x: npt.ArrayLike) -> Array:
        """Expected recovery rate E[RR | x]."""
        probs = self.part_probabilities(x)
        return probs[:, 2] + probs[:, 1] * self.beta_.predict(x)

    def predict_lgd(self, x: npt.ArrayLike) -> Array:
        return 1.0 - self.predict(x)


class GBMRecovery:
    """Gradient boosting (LightGBM, cross-entropy objective) with isotonic calibration."""

    def __init__(self, *, n_estimators: int = 200, learning_rate: float = 0.05, num_leaves: int = 15,
                 calibration_share: float = 0.25, seed: int = 0) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.calibration_share = calibration_share
        self.seed = seed

    def fit(self, x: npt.ArrayLike, recovery_rate: npt.ArrayLike) -> GBMRecovery:
        import lightgbm as lgb
        from sklearn.isotonic import IsotonicRegression

        x = np.asarray(x, dtype="float64")
        y = np.clip(np.asarray(recovery_rate, dtype="float64"), 0.0, 1.0)
        rng = np.random.default_rng(self.seed)
        calib = rng.random(y.size) < self.calibration_share
        self.booster_ = lgb.LGBMRegressor(
            objective="cross_entropy", n_estimators=self.n_estimators, learning_rate=self.learning_rate,
            num_leaves=self.num_leaves, random_state=self.seed, deterministic=True, verbose=-1, n_jobs=1,
        ).fit(x[~calib], y[~calib])
        raw = self.booster_.predict(x[calib])
        self.calibrator_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y[calib])
        return self

    def predict(self, x: npt.ArrayLike) -> Array:
        raw = self.booster_.predict(np.asarray(x, dtype="float64"))
        return np.asarray(self.calibrator_.predict(raw), dtype="float64")


def _time_frame(x: npt.ArrayLike, months: npt.ArrayLike, closed: npt.ArrayLike) -> pd.DataFrame:
    x = np.asarray(x, dtype="float64")
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
    frame["months"] = np.maximum(np.asarray(months, dtype="float64"), 0.5)
    frame["closed"] = np.asarray(closed, dtype=bool).astype(int)
    keep = frame.drop(columns=["months", "closed"]).std(ddof=0) > 0  # constant columns break the fit
    return frame.loc[:, [*keep.index[keep], "months", "closed"]]


class RecoveryTimeModel:
    """Months to recovery per route: Weibull AFT (lifelines), open cases right-censored."""

    def __init__(self, *, penalizer: float = 0.01, min_cases: int = 30) -> None:
        self.penalizer = penalizer
        self.min_cases = min_cases

    def fit(self, x: npt.ArrayLike, months: npt.ArrayLike, closed: npt.ArrayLike,
            routes: npt.ArrayLike) -> RecoveryTimeModel:
        from lifelines import WeibullAFTFitter

        routes = np.asarray(routes, dtype=object)
        x = np.asarray(x, dtype="float64")
        self.fitters_: dict[str, Any] = {}
        self.columns_: dict[str, list[str]] = {}
        self.n_cases_: dict[str, int] = {}
        for route in sorted(set(routes.tolist())):
            sel = routes == route
            closed_r = np.asarray(closed, dtype=bool)[sel]
            if sel.sum() < self.min_cases or closed_r.sum() < 5:
                continue
            frame = _time_frame(x[sel], np.asarray(months)[sel], closed_r)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitter = WeibullAFTFitter(penalizer=self.penalizer).fit(frame, "months", "closed")
            self.fitters_[str(route)] = fitter
            self.columns_[str(route)] = [c for c in frame.columns if c.startswith("x")]
            self.n_cases_[str(route)] = int(sel.sum())
        return self

    def predict_median(self, x: npt.ArrayLike, route: str) -> Array:
        """Median months to the end of the disposal for loans `x` on `route` (NaN if not fitted)."""
        x = np.asarray(x, dtype="float64")
        if route not in self.fitters_:
            return np.full(x.shape[0], np.nan)
        frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])[self.columns_[route]]
        return np.asarray(self.fitters_[route].predict_median(frame), dtype="float64").ravel()


class CoxTimeModel:
    """Cox proportional hazards (lifelines `CoxPHFitter`, Efron ties) on a duration frame."""

    def __init__(self, *, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, frame: pd.DataFrame, duration_col: str, event_col: str) -> CoxTimeModel:
        from lifelines import CoxPHFitter

        self.fitter_ = CoxPHFitter(penalizer=self.penalizer).fit(frame, duration_col, event_col)
        self.coef_ = self.fitter_.params_.copy()
        self.loglike_ = float(self.fitter_.log_likelihood_)
        self.concordance_ = float(self.fitter_.concordance_index_)
        return self

    def predict_median(self, frame: pd.DataFrame) -> Array:
        return np.asarray(self.fitter_.predict_median(frame), dtype="float64").ravel()
