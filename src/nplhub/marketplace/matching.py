"""Matching (撮合): investors' purchase criteria against listings, ranking, exclusive assignment,
and a price suggestion from the valuation and the platform's own past clearing prices.

The exclusive assignment (each lot to at most one investor, each investor at most one lot)
maximises the total score: a linear assignment problem, solved by SciPy's
`linear_sum_assignment` (the shortest-augmenting-path algorithm of Crouse 2016), checked in the
tests against an exhaustive search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class Criteria:
    """What an investor buys: provinces, asset classes, ticket size and a target return."""

    investor_id: str
    provinces: frozenset[str] = field(default_factory=frozenset)   # empty = any
    asset_classes: frozenset[str] = field(default_factory=frozenset)  # empty = any
    min_ticket: float = 0.0
    max_ticket: float = math.inf
    target_return: float = 0.0   # required expected recovery / price − 1


@dataclass(frozen=True)
class LotProfile:
    """What matching needs to know of a listing."""

    listing_id: str
    price: float                      # starting price (or suggested price)
    expected_recovery: float          # valuation: PV of expected net recoveries
    provinces: dict[str, float]       # share of claim by province
    asset_classes: dict[str, int]


@dataclass(frozen=True, slots=True)
class Match:
    investor_id: str
    listing_id: str
    score: float
    expected_return: float
    reasons: tuple[str, ...]


def score(criteria: Criteria, lot: LotProfile) -> Match | None:
    """A score in (0, 1] when the lot meets the hard criteria, else None.

    Hard: ticket size, asset classes, and at least half the claim in the wanted provinces.
    Soft (the score): half the regional overlap, half the margin of expected return over target
    (capped at 100 percentage points).
    """
    if not criteria.min_ticket <= lot.price <= criteria.max_ticket or lot.price <= 0:
        return None
    if criteria.asset_classes and not set(lot.asset_classes) <= criteria.asset_classes:
        return None
    overlap = (sum(v for k, v in lot.provinces.items() if k in criteria.provinces)
               if criteria.provinces else 1.0)
    if overlap < 0.5:
        return None
    expected_return = lot.expected_recovery / lot.price - 1.0
    if expected_return < criteria.target_return:
        return None
    margin = min(expected_return - criteria.target_return, 1.0)
    value = 0.5 * overlap + 0.5 * margin
    reasons = (f"regional overlap {overlap:.0%}", f"expected return {expected_return:.1%} vs target "
               f"{criteria.target_return:.1%}")
    return Match(criteria.investor_id, lot.listing_id, max(value, 1e-9), expected_return, reasons)


def rank(criteria: Sequence[Criteria], lots: Sequence[LotProfile]) -> dict[str, list[Match]]:
    """For each investor, the lots that meet their criteria, best first."""
    out: dict[str, list[Match]] = {}
    for c in criteria:
        matches = [m for lot in lots if (m := score(c, lot)) is not None]
        out[c.investor_id] = sorted(matches, key=lambda m: (-m.score, m.listing_id))
    return out


def assign(criteria: Sequence[Criteria], lots: Sequence[LotProfile]) -> list[Match]:
    """The exclusive assignment of lots to investors that maximises the total score."""
    if not criteria or not lots:
        return []
    scores = np.zeros((len(criteria), len(lots)))
    found: dict[tuple[int, int], Match] = {}
    for i, c in enumerate(criteria):
        for j, lot in enumerate(lots):
            m = score(c, lot)
            if m is not None:
                scores[i, j] = m.score
                found[(i, j)] = m
    rows, cols = linear_sum_assignment(scores, maximize=True)
    return [found[(int(i), int(j))] for i, j in zip(rows, cols) if (int(i), int(j)) in found]


@dataclass(frozen=True, slots=True)
class PriceSuggestion:
    price: float
    valuation_price: float
    comparable_price: float | None
    comparables: int
    weight_on_comparables: float


def suggest_price(claim: float, expected_recovery: float, target_return: float,
                  past_price_to_claim: Sequence[float], credibility_k: float = 5.0) -> PriceSuggestion:
    """Blend the valuation price (expected recovery / (1 + target return)) with the median
    clearing price-to-claim ratio of comparable past sales, weighted n / (n + k) (credibility)."""
    if claim <= 0 or expected_recovery < 0:
        raise ValueError("claim must be positive and expected recovery non-negative")
    valuation_price = expected_recovery / (1.0 + target_return)
    ratios = [r for r in past_price_to_claim if math.isfinite(r) and r >= 0]
    if not ratios:
        return PriceSuggestion(valuation_price, valuation_price, None, 0, 0.0)
    comparable = float(np.median(ratios)) * claim
    w = len(ratios) / (len(ratios) + credibility_k)
    return PriceSuggestion((1 - w) * valuation_price + w * comparable, valuation_price, comparable, len(ratios), w)
