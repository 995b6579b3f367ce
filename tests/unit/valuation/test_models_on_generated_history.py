"""The recovery models recover the demo generator's ground truth (nplhub.datahub.generator.calibration):
mean recovery by route and security, and the median duration by route."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nplhub.valuation.learning import design, training_frame
from nplhub.valuation.models import RecoveryTimeModel, TwoPartLGD, recovery_features

ROUTES_WITH_BETA_RECOVERIES = ("collection", "restructuring", "bulk_transfer", "write_off")


@pytest.fixture(scope="module")
def generated():
    from nplhub.datahub.generate import generate_tape

    tape = generate_tape(30000, 8, history=False)
    outcomes = tape.truth.disposal_outcomes
    train = training_frame(tape.tables["disposals"], None, pd.Timestamp(tape.cutoff))
    secured = outcomes.drop_duplicates("loan_id").set_index("loan_id")["secured"].astype(float)
    train["coverage"] = train["loan_id"].map(secured).fillna(0.0).to_numpy()  # the security flag at the start
    return tape.truth, train


def test_two_part_model_recovers_the_generators_mean_recovery_by_route_and_security(generated) -> None:
    truth, train = generated
    closed = train[train["closed"] & train["recovery_rate"].notna()].reset_index(drop=True)
    model = TwoPartLGD().fit(design(closed, closed["route"]), closed["recovery_rate"].to_numpy())
    checked = 0
    for (route, secured), group in closed.groupby(["route", closed["coverage"] > 0]):
        if route not in ROUTES_WITH_BETA_RECOVERIES or len(group) < 40:
            continue
        params = truth.routes[route]
        mean = params.recovery_secured if secured else params.recovery_unsecured
        predicted = model.predict(design(group, group["route"])).mean()
        sd = np.sqrt(mean * (1 - mean) / (params.concentration + 1)) / np.sqrt(len(group))
        assert abs(predicted - mean) <= 4 * sd + 0.02, (route, secured, predicted, mean, len(group))
        checked += 1
    assert checked >= 4


def test_time_model_recovers_the_generators_median_durations(generated) -> None:
    truth, train = generated
    model = RecoveryTimeModel().fit(recovery_features(train).to_numpy(), train["months"], train["closed"],
                                    train["route"])
    checked = 0
    for route, group in train.groupby("route"):
        if route not in model.fitters_ or group["closed"].sum() < 60:
            continue
        median = np.median(model.predict_median(recovery_features(group).to_numpy(), route))
        expected = truth.routes[route].median_days / (365.25 / 12)
        assert median == pytest.approx(expected, rel=0.25), (route, median, expected)  # Weibull fit to lognormal
        checked += 1
    assert checked >= 3
