"""Hypothesis invariants of the risk engines."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from nplhub.risk.aalen_johansen import AalenJohansenEstimator
from nplhub.risk.classify import RANK, classify
from nplhub.risk.history import state_history
from nplhub.risk.migration import CohortEstimator
from nplhub.risk.rates import migration_components

CLASSES = ["normal", "special_mention", "substandard", "doubtful", "loss"]
SETTINGS = settings(max_examples=25, deadline=None)

observations = st.lists(
    st.tuples(st.integers(0, 15), st.integers(0, 8), st.integers(0, 3)), min_size=2, max_size=80,
).map(lambda rows: pd.DataFrame(rows, columns=["ID", "Time", "State"]).drop_duplicates(["ID", "Time"]))


@SETTINGS
@given(observations)
def test_cohort_rows_are_probabilities_and_inside_their_confidence_intervals(frame):
    est = CohortEstimator().fit(state_history(frame, states=[0, 1, 2, 3]))
    m = est.matrix_
    assert np.all(m >= 0) and np.all(m <= 1)
    sums = m.sum(axis=1)
    assert np.allclose(sums[est.row_totals_ > 0], 1.0) and np.all(sums[est.row_totals_ == 0] == 0)
    assert np.all(est.lower_ <= m + 1e-12) and np.all(m <= est.upper_ + 1e-12)
    assert est.n_transitions_ == int(est.period_counts_.sum())


@SETTINGS
@given(observations)
def test_the_order_of_the_rows_in_the_file_does_not_change_the_matrix(frame):
    a = CohortEstimator().fit(state_history(frame, states=[0, 1, 2, 3])).matrix_
    b = CohortEstimator().fit(state_history(frame.sample(frac=1.0, random_state=1), states=[0, 1, 2, 3])).matrix_
    np.testing.assert_allclose(a, b)


@SETTINGS
@given(observations)
def test_aalen_johansen_gives_a_stochastic_matrix(frame):
    est = AalenJohansenEstimator().fit(state_history(frame, states=[0, 1, 2, 3]))
    p = est.whole_window_matrix_
    assert np.all(p >= -1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)


loans = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(CLASSES), st.integers(0, 500),
              st.floats(1.0, 1e6), st.booleans()),
    min_size=1, max_size=30,
)


def _book(rows):
    frame = pd.DataFrame([{"loan_id": f"L{i}", "counterparty_id": f"C{cp}", "reported_class": cls,
                           "days_past_due": dpd, "outstanding_principal": bal, "provision": 0.0,
                           "product": "consumer" if retail else "working_capital"}
                          for i, (cp, cls, dpd, bal, retail) in enumerate(rows)])
    return {"loans": frame}


@SETTINGS
@given(loans)
def test_the_derived_class_is_never_better_than_the_reported_or_the_days_past_due_floor(rows):
    r = classify(_book(rows), as_of="2024-06-30").frame
    derived = r["derived_class"].map(RANK).to_numpy()
    assert np.all(derived >= r["reported_class"].map(RANK).to_numpy())
    dpd = r["days_past_due"].to_numpy()
    floor = np.searchsorted(np.array([7, 90, 270, 360]), dpd, side="left")
    assert np.all(derived >= floor)


@SETTINGS
@given(loans, st.integers(0, 400))
def test_more_days_past_due_never_improve_a_class(rows, extra):
    book = _book(rows)
    before = classify(book, as_of="2024-06-30").frame["derived_class"].map(RANK).to_numpy()
    later = {"loans": book["loans"].assign(days_past_due=book["loans"]["days_past_due"] + extra)}
    after = classify(later, as_of="2024-06-30").frame["derived_class"].map(RANK).to_numpy()
    assert np.all(after >= before)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(CLASSES), st.sampled_from(CLASSES + ["gone"]),
                          st.floats(1.0, 1e6), st.floats(0.0, 1.0)), min_size=1, max_size=40))
def test_migration_rates_lie_between_zero_and_one_when_balances_only_run_off(rows):
    opening = pd.DataFrame([(f"L{i}", a, b) for i, (a, _, b, _) in enumerate(rows)],
                           columns=["loan_id", "class", "outstanding_principal"])
    closing = pd.DataFrame([(f"L{i}", z, b * f) for i, (_, z, b, f) in enumerate(rows) if z != "gone"],
                           columns=["loan_id", "class", "outstanding_principal"])
    for comp in migration_components(opening, closing).values():
        assert 0 <= comp.migrated <= comp.opening - comp.left + 1e-6
        assert comp.left <= comp.opening + 1e-6
