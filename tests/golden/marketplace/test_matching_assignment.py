"""The exclusive assignment against an exhaustive search and SciPy; ranking; price suggestion."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from nplhub.marketplace.matching import Criteria, LotProfile, assign, rank, score, suggest_price


def _best_total_by_exhaustive_search(scores: np.ndarray) -> float:
    """The largest total over every one-to-one assignment (the reference: no solver involved)."""
    n, m = scores.shape
    if n <= m:
        return max(sum(scores[i, j] for i, j in enumerate(cols)) for cols in itertools.permutations(range(m), n))
    return max(sum(scores[i, j] for j, i in enumerate(rows)) for rows in itertools.permutations(range(n), m))


@pytest.mark.parametrize("investors,lots_", [(1, 1), (3, 3), (2, 5), (5, 2), (4, 6), (6, 6)])
def test_the_exclusive_assignment_reaches_the_exhaustive_optimum(investors, lots_):
    rng = np.random.default_rng(10 * investors + lots_)
    provinces = ["110000", "310000", "440000", "320000"]
    for _ in range(4):
        market = [LotProfile(f"P{j}", float(rng.uniform(50, 500)), float(rng.uniform(40, 800)),
                             {p: 1.0 for p in rng.choice(provinces, size=1)}, {"corporate": 3})
                  for j in range(lots_)]
        criteria = [Criteria(f"I{i}", provinces=frozenset(rng.choice(provinces, size=2, replace=False)),
                             target_return=float(rng.uniform(0.0, 0.4))) for i in range(investors)]
        scores = np.array([[(m.score if (m := score(c, lot)) else 0.0) for lot in market] for c in criteria])
        matches = assign(criteria, market)
        assert len({m.listing_id for m in matches}) == len(matches)
        assert len({m.investor_id for m in matches}) == len(matches)
        assert sum(m.score for m in matches) == pytest.approx(_best_total_by_exhaustive_search(scores), abs=1e-12)


def lots():
    return [LotProfile("P1", 100.0, 130.0, {"110000": 1.0}, {"corporate": 5}),
            LotProfile("P2", 50.0, 60.0, {"310000": 0.7, "110000": 0.3}, {"corporate": 3}),
            LotProfile("P3", 500.0, 700.0, {"440000": 1.0}, {"personal_unsecured": 900})]


def test_criteria_filter_and_rank_the_lots():
    c = Criteria("A", provinces=frozenset({"110000", "310000"}), asset_classes=frozenset({"corporate"}),
                 max_ticket=200, target_return=0.1)
    ranked = rank([c], lots())["A"]
    assert [m.listing_id for m in ranked] == ["P1", "P2"]
    assert score(Criteria("B", target_return=0.5), lots()[0]) is None  # 30% < 50% target


def test_exclusive_assignment_maximises_the_total_score_like_scipy():
    investors = [Criteria(f"I{i}", target_return=0.05 * i) for i in range(4)]
    matches = assign(investors, lots())
    assert len({m.listing_id for m in matches}) == len(matches)
    scores = np.array([[(m.score if (m := score(c, lot)) else 0.0) for lot in lots()] for c in investors])
    r, c = linear_sum_assignment(scores, maximize=True)
    assert sum(m.score for m in matches) == pytest.approx(scores[r, c].sum())


def test_the_price_suggestion_blends_valuation_and_past_clearing_prices_by_credibility():
    only_valuation = suggest_price(1000.0, 330.0, 0.1, [])
    assert only_valuation.price == pytest.approx(300.0) and only_valuation.comparables == 0
    s = suggest_price(1000.0, 330.0, 0.1, [0.2, 0.25, 0.4, 0.3, 0.1])
    assert s.comparable_price == pytest.approx(250.0)
    assert s.weight_on_comparables == pytest.approx(0.5)
    assert s.price == pytest.approx(275.0)
