"""The exclusive assignment against scipy.optimize.linear_sum_assignment; ranking; price suggestion."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from nplhub.marketplace.matching import Criteria, LotProfile, assign, hungarian, rank, score, suggest_price


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (5, 8), (8, 5), (12, 12), (30, 17), (40, 40)])
def test_the_hungarian_assignment_reaches_scipys_optimum(shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(5):
        cost = rng.normal(size=shape) * rng.choice([1, 100])
        rows, cols = hungarian(cost)
        srows, scols = linear_sum_assignment(cost)
        assert len(rows) == min(shape) and len(set(cols)) == len(cols) and len(set(rows)) == len(rows)
        assert cost[rows, cols].sum() == pytest.approx(cost[srows, scols].sum(), rel=1e-12, abs=1e-9)


def test_integer_costs_with_ties_give_the_same_total_as_scipy():
    rng = np.random.default_rng(7)
    cost = rng.integers(0, 4, size=(15, 15)).astype(float)
    r, c = hungarian(cost)
    sr, sc = linear_sum_assignment(cost)
    assert cost[r, c].sum() == cost[sr, sc].sum()


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
