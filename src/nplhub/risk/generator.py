"""Matrix algebra of migration: generators, multi-period and fractional matrices, not-rated states.

- `generator(P, t)`: G = log(P) / t (principal logarithm), regularised on request: negative
  off-diagonal rates are set to zero and the diagonal restores zero row sums (the "diagonal
  adjustment" of Israel, Rosenthal and Wei 2001).
- `jlt_generator(P)`: the Jarrow-Lando-Turnbull (1997) approximation, lambda_ii = ln p_ii,
  lambda_ij = p_ij ln p_ii / (p_ii - 1).
- `multi_period(P, n)`: P^n, the n-period matrix of a time-homogeneous chain.
- `fractional_step(P, h)`: exp(h log P), the matrix over a fraction h of the period.
- `remove_not_rated(P, states, nr)`: drops the not-rated state and spreads its probability
  over the rated states in proportion, p_ij / (1 - p_i,NR) (the S&P adjustment).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.linalg import expm, logm


def regularise_generator(g: np.ndarray) -> np.ndarray:
    q = np.array(g, dtype=np.float64, copy=True)
    n = q.shape[0]
    off = ~np.eye(n, dtype=bool)
    q[off & (q < 0)] = 0.0
    q[np.diag_indices(n)] = 0.0
    q[np.diag_indices(n)] = -q.sum(axis=1)
    return q


def is_valid_generator(g: np.ndarray, tol: float = 1e-10) -> bool:
    n = g.shape[0]
    off = ~np.eye(n, dtype=bool)
    return bool(np.all(g[off] >= -tol) and np.allclose(g.sum(axis=1), 0.0, atol=1e-8))


def generator(p: np.ndarray, t: float = 1.0, *, regularise: bool = True) -> np.ndarray:
    """The generator G with exp(t G) = P (principal logarithm), regularised when invalid."""
    p = np.asarray(p, dtype=np.float64)
    rows = p.sum(axis=1)
    if not np.allclose(rows[rows > 0], 1.0, atol=1e-8):
        raise ValueError("a transition matrix needs rows summing to 1 for its generator")
    zero = rows == 0
    if zero.any():
        p = p.copy()
        p[zero, zero] = 1.0
    g = np.real(logm(p)) / t
    if regularise and not is_valid_generator(g):
        g = regularise_generator(g)
    return g


def jlt_generator(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    d = np.diag(p).copy()
    g = np.zeros_like(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_d = np.log(d)
        factor = np.where(d < 1.0, log_d / (d - 1.0), 0.0)
    g = p * factor[:, None]
    g[np.diag_indices_from(g)] = np.where(d < 1.0, log_d, 0.0)
    return g


def multi_period(p: np.ndarray, n: int) -> np.ndarray:
    if n < 0:
        raise ValueError(f"the number of periods must be non-negative, not {n}")
    return np.linalg.matrix_power(np.asarray(p, dtype=np.float64), n)


def fractional_step(p: np.ndarray, h: float) -> np.ndarray:
    """exp(h log P), a stochastic matrix over h periods (h may be fractional or above 1)."""
    q = expm(h * generator(p))
    q = np.clip(np.real(q), 0.0, None)
    return q / q.sum(axis=1, keepdims=True)


def remove_not_rated(p: np.ndarray, states: Sequence[Any], not_rated: Any) -> tuple[np.ndarray, list[Any]]:
    states = list(states)
    if not_rated not in states:
        raise ValueError(f"not-rated state {not_rated!r} is not among the states {states!r}")
    k = states.index(not_rated)
    keep = [i for i in range(len(states)) if i != k]
    q = np.asarray(p, dtype=np.float64)[np.ix_(keep, keep)]
    nr = np.asarray(p, dtype=np.float64)[keep, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        adjusted = np.where((1.0 - nr)[:, None] > 0, q / (1.0 - nr)[:, None], 0.0)
    return adjusted, [states[i] for i in keep]
