"""The cohort (discrete-time) estimator of migration matrices, with multinomial confidence intervals.

One period is `period` time units. Two observation schemes:

- panel (integer times, period 1, no binning): each entity is observed at every period it is on
  the book (the month-end `loan_states`); a transition is a pair of observations one period
  apart. An entity missing at t+1 has left (repaid, sold, written off): it is dropped from the
  denominator, or, with `absent_state`, counted as a move to that state (the "not rated" /
  "closed" column), as long as t+1 is inside the observation window.
- event (fractional times or dates, or `cohorts` given): observations are rating actions; the
  window from the first to the last time is cut into equal intervals (`cohorts` of them, or of
  length `period`), and an entity's state at each bound is its last state observed up to that
  bound, carried forward; the entity enters at its first observation. This is the binning of
  transitionMatrix's `bin_timestamps`.

The pooled one-period matrix is P_ij = N_ij / N_i, N_ij the count of i -> j transitions summed
over all periods, N_i = sum_j N_ij (the maximum-likelihood estimate of a time-homogeneous chain).
`matrices_` keeps the per-period matrices. Confidence intervals are simultaneous multinomial
intervals for each row (Goodman 1965) or per-cell Wilson intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from nplhub.risk.history import StateHistory


def goodman_intervals(counts: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Goodman's simultaneous confidence intervals for each row of a count matrix.

    For a row with total n over k cells and chi2 = chi2_1(1 - alpha/k):
    (chi2 + 2 n_j -+ sqrt(chi2 (chi2 + 4 n_j (n - n_j) / n))) / (2 (n + chi2)).
    Rows with no observation get the interval [0, 1].
    """
    counts = np.asarray(counts, dtype=np.float64)
    k = counts.shape[-1]
    n = counts.sum(axis=-1, keepdims=True)
    chi2 = stats.chi2.ppf(1.0 - alpha / k, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, counts / n, 0.0)
        delta = chi2**2 + 4.0 * n * p * chi2 * (1.0 - p)
        centre = 2.0 * n * p + chi2
        lower = (centre - np.sqrt(delta)) / (2.0 * (chi2 + n))
        upper = (centre + np.sqrt(delta)) / (2.0 * (chi2 + n))
    empty = np.broadcast_to(n == 0, counts.shape)
    return np.where(empty, 0.0, np.clip(lower, 0, 1)), np.where(empty, 1.0, np.clip(upper, 0, 1))


def wilson_intervals(counts: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell Wilson score intervals (not simultaneous)."""
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.sum(axis=-1, keepdims=True)
    z = stats.norm.ppf(1.0 - alpha / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, counts / n, 0.0)
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    empty = np.broadcast_to(n == 0, counts.shape)
    return np.where(empty, 0.0, np.clip(centre - half, 0, 1)), np.where(empty, 1.0, np.clip(centre + half, 0, 1))


# (from states, to states, period index, number of periods, start time)
Pairs = tuple[np.ndarray, np.ndarray, np.ndarray, int, float]

CI_METHODS = {"goodman": goodman_intervals, "wilson": wilson_intervals}


def _normalise(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / np.where(totals > 0, totals, 1), 0.0)


class CohortEstimator:
    """Discrete-time migration matrix estimator (estimator contract: fit returns self).

    Parameters are stored unchanged: `period` (time units per period), `cohorts` (number of
    equal intervals; switches to the event scheme), `scheme` ("auto", "panel", "event"),
    `absent_state` (a state label for entities that leave a panel), `ci_method` ("goodman" or
    "wilson") and `alpha`.
    """

    def __init__(self, *, period: float = 1.0, cohorts: int | None = None, scheme: str = "auto",
                 absent_state: Any = None, ci_method: str = "goodman", alpha: float = 0.05) -> None:
        self.period = period
        self.cohorts = cohorts
        self.scheme = scheme
        self.absent_state = absent_state
        self.ci_method = ci_method
        self.alpha = alpha

    def _resolved_scheme(self, history: StateHistory) -> str:
        if self.scheme not in ("auto", "panel", "event"):
            raise ValueError(f"scheme must be auto, panel or event, not {self.scheme!r}")
        if self.scheme != "auto":
            return self.scheme
        if self.cohorts is None and self.period == 1.0 and history.integer_times:
            return "panel"
        return "event"

    def fit(self, history: StateHistory) -> CohortEstimator:
        if self.ci_method not in CI_METHODS:
            raise ValueError(f"ci_method must be one of {sorted(CI_METHODS)}, not {self.ci_method!r}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), not {self.alpha}")
        if self.period <= 0:
            raise ValueError(f"period must be positive, not {self.period}")
        states = list(history.states)
        if self.absent_state is not None and self.absent_state not in states:
            states.append(self.absent_state)
        n_states = len(states)
        self.scheme_ = self._resolved_scheme(history)
        if self.scheme_ == "panel":
            frm, to, k, n_periods, start = self._panel_pairs(history, states)
        else:
            frm, to, k, n_periods, start = self._event_pairs(history)
        flat = (k * n_states + frm) * n_states + to
        per_period = np.bincount(flat, minlength=n_periods * n_states * n_states)
        self.period_counts_ = per_period.reshape(n_periods, n_states, n_states)
        self.counts_ = self.period_counts_.sum(axis=0)
        self.row_totals_ = self.counts_.sum(axis=1)
        self.matrix_ = _normalise(self.counts_.astype(np.float64))
        if self.absent_state is not None:  # leaving the book is absorbing
            a = states.index(self.absent_state)
            if self.row_totals_[a] == 0:
                self.matrix_[a, a] = 1.0
        self.matrices_ = _normalise(self.period_counts_.astype(np.float64))
        self.lower_, self.upper_ = CI_METHODS[self.ci_method](self.counts_, self.alpha)
        self.states_ = tuple(states)
        self.period_starts_ = start + self._step(history) * np.arange(n_periods)
        self.n_transitions_ = int(self.counts_.sum())
        return self

    def _step(self, history: StateHistory) -> float:
        if self.scheme_ == "panel" or self.cohorts is None:
            return float(self.period)
        span = float(history.time.max() - history.time.min())
        return span / self.cohorts if span > 0 else 1.0

    def _panel_pairs(self, h: StateHistory, states: list[Any]) -> Pairs:
        if not h.integer_times:
            raise ValueError("the panel scheme needs integer times (one observation per period)")
        t = np.round(h.time).astype(np.int64)
        t0, t_last = int(t.min()), int(t.max())
        if h.size > 1:
            dup = (h.entity[1:] == h.entity[:-1]) & (t[1:] == t[:-1])
            if dup.any():
                i = int(np.flatnonzero(dup)[0])
                raise ValueError(f"entity observed twice at time {t[i]}: one observation per period expected")
        nxt_same = np.zeros(h.size, dtype=bool)
        nxt_same[:-1] = (h.entity[1:] == h.entity[:-1]) & (t[1:] == t[:-1] + 1)
        idx = np.flatnonzero(nxt_same)
        frm, to, k = h.state[idx], h.state[idx + 1], t[idx] - t0
        if self.absent_state is not None:
            gone = np.flatnonzero(~nxt_same & (t < t_last))
            absent = states.index(self.absent_state)
            frm = np.concatenate([frm, h.state[gone]])
            to = np.concatenate([to, np.full(gone.size, absent, dtype=np.int64)])
            k = np.concatenate([k, t[gone] - t0])
        return frm, to, k, max(t_last - t0, 1), float(t0)

    def _event_pairs(self, h: StateHistory) -> Pairs:
        t_min, t_max = float(h.time.min()), float(h.time.max())
        if self.cohorts is not None:
            if self.cohorts < 1:
                raise ValueError(f"cohorts must be at least 1, not {self.cohorts}")
            n_int = int(self.cohorts)
            dt = (t_max - t_min) / n_int
        else:
            dt = float(self.period)
            n_int = max(int(np.ceil((t_max - t_min) / dt - 1e-12)), 1)
        if not dt > 0:
            dt = 1.0
        bounds = np.array([t_min + dt * i for i in range(n_int + 1)])
        key = np.searchsorted(bounds, h.time, side="left")
        keep = key <= n_int
        ent, key, st = h.entity[keep], key[keep], h.state[keep]
        # last observation per (entity, key): rows are sorted by entity then time
        last = np.ones(ent.size, dtype=bool)
        last[:-1] = (ent[1:] != ent[:-1]) | (key[1:] != key[:-1])
        ent, key, st = ent[last], key[last], st[last]
        n_ent = int(h.entity.max()) + 1
        grid = np.full((n_ent, n_int + 1), -1, dtype=np.int64)
        grid[ent, key] = st
        # carry the last known state forward along each row
        filled = np.where(grid >= 0, np.arange(n_int + 1), -1)
        np.maximum.accumulate(filled, axis=1, out=filled)
        rows = np.arange(n_ent)[:, None]
        carried = np.where(filled >= 0, grid[rows, np.maximum(filled, 0)], -1)
        a, b = carried[:, :-1], carried[:, 1:]
        ok = (a >= 0) & (b >= 0)
        k = np.broadcast_to(np.arange(n_int), a.shape)[ok]
        return a[ok], b[ok], k, n_int, t_min

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "cohort",
            "states": list(self.states_),
            "matrix": self.matrix_.tolist(),
            "counts": self.counts_.tolist(),
            "row_totals": self.row_totals_.tolist(),
            "ci": {"method": self.ci_method, "alpha": self.alpha,
                   "lower": self.lower_.tolist(), "upper": self.upper_.tolist()},
            "periods": int(self.period_counts_.shape[0]),
            "scheme": self.scheme_,
            "transitions": self.n_transitions_,
        }
