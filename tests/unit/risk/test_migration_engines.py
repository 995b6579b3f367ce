"""Cohort, Aalen-Johansen and generator algebra on small hand-made histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import expm

from nplhub.risk.aalen_johansen import AalenJohansenEstimator
from nplhub.risk.generator import (
    fractional_step,
    generator,
    is_valid_generator,
    multi_period,
    remove_not_rated,
)
from nplhub.risk.history import HistoryError, history_from_loan_states, state_history
from nplhub.risk.migration import CohortEstimator
from nplhub.risk.simulate import DEFAULT_MONTHLY, simulate_loan_states


def frame(rows):
    return pd.DataFrame(rows, columns=["ID", "Time", "State"])


def test_a_panel_counts_only_observations_one_period_apart():
    # entity 1 skips period 2: the 1 -> 3 pair is not a one-period transition
    h = state_history(frame([(1, 0, "A"), (1, 1, "B"), (1, 3, "B"), (2, 0, "A"), (2, 1, "A")]))
    est = CohortEstimator().fit(h)
    assert est.scheme_ == "panel"
    assert est.counts_.tolist() == [[1, 1], [0, 0]]


def test_loans_that_leave_the_book_can_be_counted_in_an_exit_state():
    h = state_history(frame([(1, 0, "A"), (1, 1, "A"), (2, 0, "A"), (3, 0, "B"), (3, 1, "B")]))
    est = CohortEstimator(absent_state="closed").fit(h)
    assert est.states_ == ("A", "B", "closed")
    np.testing.assert_allclose(est.matrix_[0], [0.5, 0.0, 0.5])
    assert est.matrix_[2, 2] == 1.0  # leaving is absorbing


def test_event_data_carry_the_last_rating_forward_to_each_period_end():
    h = state_history(frame([(1, 0.0, 0), (1, 0.3, 1), (1, 2.0, 2), (2, 0.0, 0)]))
    est = CohortEstimator(period=1.0).fit(h)
    assert est.scheme_ == "event"
    # entity 1: 0 at t=0, 1 at t=1, 2 at t=2; entity 2: 0, 0, 0 (carried forward)
    assert est.counts_.tolist() == [[2, 1, 0], [0, 0, 1], [0, 0, 0]]


def test_canonical_histories_are_read_as_compact_ones():
    canonical = pd.DataFrame({"ID": [1, 1, 2], "Time": [0.0, 0.5, 0.0], "From": [0, 0, 1], "To": [0, 1, 1]})
    h = state_history(canonical)
    assert h.states == (0, 1) and h.size == 3


def test_dates_become_years_and_unknown_columns_are_named():
    h = state_history(frame([(1, "2020-01-01", "A"), (1, "2021-01-01", "B")]))
    assert h.time_unit == "year" and h.time[1] == pytest.approx(366 / 365.25)
    with pytest.raises(HistoryError, match="missing column"):
        state_history(pd.DataFrame({"x": [1]}))
    with pytest.raises(HistoryError, match="neither a number nor a date"):
        state_history(frame([(1, "soon", "A")]))


def test_risk_classes_keep_their_order_of_severity():
    h = state_history(frame([(1, 0, "loss"), (2, 0, "normal"), (3, 0, "doubtful")]))
    assert h.states == ("normal", "doubtful", "loss")


def test_a_simulated_book_gives_back_its_monthly_matrix():
    states = simulate_loan_states(20_000, 13, seed=4)
    est = CohortEstimator(absent_state="closed").fit(history_from_loan_states(states))
    normal_row = est.matrix_[0]
    n = est.row_totals_[0]
    band = 4 * np.sqrt(DEFAULT_MONTHLY[0] * (1 - DEFAULT_MONTHLY[0]) / n) + 1e-4
    assert np.all(np.abs(normal_row - DEFAULT_MONTHLY[0]) <= band)


def test_aalen_johansen_counts_the_risk_set_just_before_each_event():
    # three entities in state 0; one moves to 1 at t=1, one at t=2; window to t=3
    h = state_history(frame([(1, 0.0, 0), (1, 1.0, 1), (2, 0.0, 0), (2, 2.0, 1), (3, 0.0, 0), (3, 3.0, 0)]))
    est = AalenJohansenEstimator(period=3.0).fit(h)
    # P00 = (1 - 1/3)(1 - 1/2) = 1/3
    assert est.whole_window_matrix_[0, 0] == pytest.approx(1 / 3)
    assert est.matrix_between(0.0, 1.5)[0, 0] == pytest.approx(2 / 3)


def test_generator_fractional_and_multi_period_matrices_agree():
    p = np.array([[0.9, 0.08, 0.02], [0.1, 0.8, 0.1], [0.0, 0.0, 1.0]])
    g = generator(p)
    assert is_valid_generator(g)
    np.testing.assert_allclose(expm(g), p, atol=1e-10)
    half = fractional_step(p, 0.5)
    np.testing.assert_allclose(half @ half, p, atol=1e-10)
    np.testing.assert_allclose(multi_period(p, 3), p @ p @ p)


def test_not_rated_removal_renormalises_the_rated_columns():
    p = np.array([[0.8, 0.1, 0.1], [0.2, 0.6, 0.2], [0.0, 0.0, 1.0]])
    q, states = remove_not_rated(p, ["A", "B", "NR"], "NR")
    assert states == ["A", "B"]
    np.testing.assert_allclose(q, [[0.8 / 0.9, 0.1 / 0.9], [0.25, 0.75]])
