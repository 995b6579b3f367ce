"""The Aalen-Johansen estimator (continuous time, non-parametric, time-inhomogeneous).

P(s, t) = prod over event times u in (s, t] of (I + dA(u)), dA_ij(u) = dN_ij(u) / Y_i(u-) for
i != j and dA_ii(u) = -sum_j dN_ij(u) / Y_i(u-), where dN_ij(u) counts the i -> j transitions
at u and Y_i(u-) the entities in state i just before u (Aalen and Johansen 1978; Andersen,
Borgan, Gill and Keiding 1993, IV.4).

An entity enters the risk set at its first observation. It leaves it at the end of the window
(`censoring="end_of_window"`, the convention of rating data, where rows are rating actions and
a rating persists until the next one) or at its last observation (`censoring="last_observation"`,
panel data where a missing row means the entity left the book).

The one-period matrix of a time-homogeneous chain follows from the whole-window estimate P over
a window of length T: exp((period / T) * log P), with the generator regularised (negative
off-diagonal rates set to zero, the diagonal restoring zero row sums) when the logarithm is not
a valid generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nplhub.risk.generator import fractional_step
from nplhub.risk.history import StateHistory


class AalenJohansenEstimator:
    """Estimator contract: hyperparameters stored unchanged, `fit` returns self."""

    def __init__(self, *, period: float = 1.0, censoring: str = "end_of_window") -> None:
        self.period = period
        self.censoring = censoring

    def fit(self, history: StateHistory) -> AalenJohansenEstimator:
        if self.censoring not in ("end_of_window", "last_observation"):
            raise ValueError(f"censoring must be end_of_window or last_observation, not {self.censoring!r}")
        if self.period <= 0:
            raise ValueError(f"period must be positive, not {self.period}")
        h = history
        n_states = len(h.states)
        t_min, t_max = float(h.time.min()), float(h.time.max())
        same_next = np.zeros(h.size, dtype=bool)
        same_next[:-1] = h.entity[1:] == h.entity[:-1]
        # transitions: consecutive observations of one entity with a change of state
        idx = np.flatnonzero(same_next)
        change = h.state[idx] != h.state[idx + 1]
        tr = idx[change]
        tr_time, tr_from, tr_to = h.time[tr + 1], h.state[tr], h.state[tr + 1]
        times = np.unique(tr_time)
        times = times[times > t_min] if times.size else times
        n_times = times.size
        # sojourn intervals (start, end] in a state: from each observation to the next one of the
        # same entity; the last one runs to the end of the window or stops at the observation
        end = np.empty(h.size)
        end[idx] = h.time[idx + 1]
        last = np.flatnonzero(~same_next)
        end[last] = t_max if self.censoring == "end_of_window" else h.time[last]
        start_i = np.searchsorted(times, h.time, side="right")
        end_i = np.searchsorted(times, end, side="right")
        at_risk = np.zeros((n_times + 1, n_states), dtype=np.int64)
        np.add.at(at_risk, (start_i, h.state), 1)
        np.add.at(at_risk, (end_i, h.state), -1)
        y = np.cumsum(at_risk, axis=0)[:n_times]
        dn = np.zeros((n_times, n_states, n_states), dtype=np.int64)
        keep = tr_time > t_min
        np.add.at(dn, (np.searchsorted(times, tr_time[keep]), tr_from[keep], tr_to[keep]), 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            da = np.where(y[:, :, None] > 0, dn / np.maximum(y, 1)[:, :, None], 0.0)
        diag = np.arange(n_states)
        da[:, diag, diag] = 0.0
        da[:, diag, diag] = -da.sum(axis=2)
        p = np.eye(n_states)
        path = np.empty((n_times, n_states, n_states))
        eye = np.eye(n_states)
        for k in range(n_times):
            p = p @ (eye + da[k])
            path[k] = p
        self.states_ = tuple(h.states)
        self.times_ = times
        self.at_risk_ = y
        self.transition_counts_ = dn.sum(axis=0)
        self.path_ = path
        self.increments_ = da
        self.window_ = (t_min, t_max)
        self.whole_window_matrix_ = p
        span = t_max - t_min
        if span <= 0 or np.isclose(span, self.period):
            self.matrix_ = p.copy()
        else:
            self.matrix_ = fractional_step(p, self.period / span)
        return self

    def matrix_between(self, s: float, t: float) -> np.ndarray:
        """P(s, t): the product of (I + dA(u)) over the event times u in (s, t]."""
        p = np.eye(len(self.states_))
        for k in np.flatnonzero((self.times_ > s) & (self.times_ <= t)):
            p = p @ (np.eye(len(self.states_)) + self.increments_[k])
        return p

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "aalen-johansen",
            "states": list(self.states_),
            "matrix": self.matrix_.tolist(),
            "whole_window_matrix": self.whole_window_matrix_.tolist(),
            "window": list(self.window_),
            "event_times": int(self.times_.size),
            "transitions": self.transition_counts_.tolist(),
            "censoring": self.censoring,
        }
