"""Auction theory as the outside reference (Vickrey 1961; Riley & Samuelson 1981; Krishna 2010):
n bidders with independent U[0,1] values; expected revenue (n−1)/(n+1) + rⁿ − 2n·r^(n+1)/(n+1) and
no sale with probability rⁿ, for English, second-price, first-price (equilibrium bids) and Dutch
auctions; each simulated figure within four standard errors."""

from __future__ import annotations

import math

import pytest

from nplhub.marketplace.simulate import FORMATS, ValueModel, advise, simulate, theory_uniform

RUNS = 40_000
# one bidder without a reserve pays nothing by construction: that case has no revenue to test
CASES = [(n, r) for n in (1, 2, 3, 5, 10) for r in (0.0, 0.3, 0.5) if (n, r) != (1, 0.0)]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("n", "r"), CASES)
def test_simulated_revenue_and_no_sale_rate_match_the_theory_within_four_standard_errors(fmt, n, r):
    seed = 1000 * n + int(100 * r) + FORMATS.index(fmt)
    res = simulate(fmt, n, r, RUNS, seed)
    expected, no_sale = theory_uniform(n, r)
    assert res.theory_revenue == pytest.approx(expected)
    assert abs(res.mean_revenue - expected) <= 4 * res.std_error, (res.mean_revenue, expected, res.std_error)
    se_no_sale = math.sqrt(max(no_sale * (1 - no_sale), 1e-12) / RUNS)
    assert abs(res.no_sale_rate - no_sale) <= 4 * se_no_sale + 1e-12


@pytest.mark.parametrize(("n", "r", "exact"), [(1, 0.5, 1 / 4), (2, 0.5, 5 / 12), (3, 0.5, 17 / 32),
                                               (2, 0.0, 1 / 3), (10, 0.0, 9 / 11)])
def test_the_closed_form_reproduces_the_published_values(n, r, exact):
    assert theory_uniform(n, r)[0] == pytest.approx(exact)


@pytest.mark.parametrize(("fmt", "variance"), [("second_price", lambda n: 2 * (n - 1) / ((n + 1) ** 2 * (n + 2))),
                                               ("first_price", lambda n: (n - 1) ** 2 / (n * (n + 1) ** 2 * (n + 2)))])
def test_the_revenue_variance_without_reserve_matches_the_theory(fmt, variance):
    for n in (2, 3, 5):
        res = simulate(fmt, n, 0.0, RUNS, 77 + n)
        assert res.revenue_std**2 == pytest.approx(variance(n), rel=0.05)


def test_the_advisor_finds_the_myerson_reserve_of_one_half():
    advice = advise(ValueModel(), [3], [0.0, 0.25, 0.5, 0.75], formats=("second_price",), runs=40_000, seed=3)
    assert advice.best.reserve == 0.5
    assert len(advice.table) == 4


def test_a_lognormal_value_model_keeps_revenue_equivalence_between_first_and_second_price():
    model = ValueModel("lognormal", median=1.0, sigma=0.4)
    fp = simulate("first_price", 4, 0.8, RUNS, 11, model)
    sp = simulate("second_price", 4, 0.8, RUNS, 12, model)
    assert abs(fp.mean_revenue - sp.mean_revenue) <= 4 * math.hypot(fp.std_error, sp.std_error)
    assert fp.theory_revenue is None
