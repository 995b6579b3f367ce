"""Models trained on data drawn from known parameters recover them within sampling error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nplhub.valuation import ROUTES
from nplhub.valuation.learning import backtest, design, fit_recovery_models, training_frame
from nplhub.valuation.models import GBMRecovery, RecoveryTimeModel, TwoPartLGD, recovery_features
from nplhub.valuation.synthetic import ROUTE_EFFECT, TRUE_DURATION, TRUE_RECOVERY, synthetic_disposals

CUTOFF = "2025-06-30"


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    d = synthetic_disposals(4000, 17, cutoff=CUTOFF)
    train = training_frame(d, None, CUTOFF)
    return train.assign(coverage=d["coverage"].to_numpy())


@pytest.fixture(scope="module")
def closed(history: pd.DataFrame) -> pd.DataFrame:
    return history[history["closed"]].reset_index(drop=True)


@pytest.fixture(scope="module")
def two_part(closed: pd.DataFrame) -> TwoPartLGD:
    return TwoPartLGD().fit(design(closed, closed["route"]), closed["recovery_rate"].to_numpy())


def test_two_part_model_recovers_the_beta_coefficients_within_four_standard_errors(two_part: TwoPartLGD) -> None:
    truth = np.concatenate([TRUE_RECOVERY["beta"], [ROUTE_EFFECT[r] for r in ROUTES[1:]],
                            np.zeros(len(ROUTES) - 1)])  # no route x secured interaction in the truth
    coef, se = two_part.beta_.coef_, two_part.beta_.bse_[:-1]
    assert np.all(np.abs(coef - truth) <= 4 * se), (coef, truth, se)
    # precision phi on the log scale
    assert abs(np.log(two_part.beta_.phi_) - np.log(TRUE_RECOVERY["phi"])) <= 4 * two_part.beta_.bse_[-1]


def test_two_part_model_recovers_the_masses_at_total_loss_and_full_recovery(
        two_part: TwoPartLGD, closed: pd.DataFrame) -> None:
    x = design(closed, closed["route"])
    base = np.column_stack([np.ones(len(x)), x[:, :5]])
    eta_loss, eta_full = base @ TRUE_RECOVERY["loss"], base @ TRUE_RECOVERY["full"]
    denom = 1 + np.exp(eta_loss) + np.exp(eta_full)
    probs = two_part.part_probabilities(x)
    assert np.abs(probs[:, 0] - np.exp(eta_loss) / denom).mean() < 0.03
    assert np.abs(probs[:, 2] - np.exp(eta_full) / denom).mean() < 0.03


def test_time_model_recovers_the_weibull_shape_and_median_per_route(history: pd.DataFrame) -> None:
    x = recovery_features(history).to_numpy()
    model = RecoveryTimeModel(penalizer=0.0).fit(x, history["months"], history["closed"], history["route"])
    assert set(model.fitters_) == set(TRUE_DURATION)
    for route, (scale, shape) in TRUE_DURATION.items():
        fitter = model.fitters_[route]
        rho = fitter.params_.loc[("rho_", "Intercept")]
        rho_se = fitter.standard_errors_.loc[("rho_", "Intercept")]
        assert abs(rho - np.log(shape)) <= 4 * rho_se, route
        sel = (history["route"] == route).to_numpy()
        median = np.median(model.predict_median(x[sel], route))
        assert median == pytest.approx(scale * np.log(2) ** (1 / shape), rel=0.2), route


def test_calibrated_gradient_boosting_beats_the_mean_out_of_sample(closed: pd.DataFrame) -> None:
    x = design(closed, closed["route"])
    y = closed["recovery_rate"].to_numpy()
    half = len(y) // 2
    model = GBMRecovery(n_estimators=150, seed=4).fit(x[:half], y[:half])
    pred = model.predict(x[half:])
    assert ((pred >= 0) & (pred <= 1)).all()
    assert np.abs(pred - y[half:]).mean() < np.abs(y[:half].mean() - y[half:]).mean()
    again = GBMRecovery(n_estimators=150, seed=4).fit(x[:half], y[:half]).predict(x[half:])
    assert np.array_equal(pred, again)


def test_backtest_predictions_track_realised_recovery_by_route(history: pd.DataFrame) -> None:
    table = backtest(history, split=0.7)
    assert set(table["route"]) == set(ROUTES)
    by_route = table.assign(w=table["closed"]).groupby("route").apply(
        lambda g: pd.Series({"pred": np.average(g["predicted_rate"], weights=g["w"]),
                             "real": np.average(g["realised_rate"], weights=g["w"]), "n": g["w"].sum()}),
        include_groups=False)
    # sampling error of a mean recovery rate with ~100 closed cases is about 0.04
    assert (np.abs(by_route["pred"] - by_route["real"]) < 0.12).all(), by_route


def test_too_little_history_is_rejected_with_a_reason() -> None:
    from nplhub.valuation.learning import HistoryError

    small = training_frame(synthetic_disposals(40, 1, cutoff=CUTOFF), None, CUTOFF)
    with pytest.raises(HistoryError, match="at least 50"):
        fit_recovery_models(small)
