"""Pricing against outside references: yield within 1e-8 of pyxirr and QuantLib, WAL and
durations within 1e-6 of QuantLib (Act/365F, annual compounding)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
import pyxirr
from hypothesis import given, settings
from hypothesis import strategies as st

from nplhub.securitization.pricing import price_tranche

ql = pytest.importorskip("QuantLib")

DC = ql.Actual365Fixed()


def qdate(d: date):
    return ql.Date(d.day, d.month, d.year)


def quantlib_figures(settlement: date, dates, flows, paid, principal):
    ql.Settings.instance().evaluationDate = qdate(settlement)
    leg = ql.Leg([ql.SimpleCashFlow(float(a), qdate(d)) for d, a in zip(dates, flows)])
    y = ql.CashFlows.yieldRate(leg, paid, DC, ql.Compounded, ql.Annual, False, qdate(settlement),
                               qdate(settlement), 1e-14, 1000, 0.05)
    rate = ql.InterestRate(y, DC, ql.Compounded, ql.Annual)
    mac = ql.CashFlows.duration(leg, rate, ql.Duration.Macaulay, False, qdate(settlement))
    mod = ql.CashFlows.duration(leg, rate, ql.Duration.Modified, False, qdate(settlement))
    conv = ql.CashFlows.convexity(leg, rate, False, qdate(settlement))
    times = [DC.yearFraction(qdate(settlement), qdate(d)) for d in dates]
    wal = sum(p * t for p, t in zip(principal, times)) / sum(principal)
    return y, mac, mod, conv, wal


# Cash amounts are whole fen (a tranche pays no 1e-257 yuan), one flow per day, and the face
# (principal paid) over 1,000 yuan: without these Hypothesis found a face of 8.7e-257 after two
# flows on one day were merged, whose 490% yield QuantLib's solver does not reach from its guess.
fen = st.integers(0, 500_000_000).map(lambda c: c / 100)
flows_strategy = st.lists(
    st.tuples(st.integers(30, 2000), fen, st.integers(0, 30_000_000).map(lambda c: c / 100)),
    min_size=1, max_size=24, unique_by=lambda row: row[0],
).filter(lambda xs: sum(p for _, p, _ in xs) > 1000)


@settings(max_examples=40, deadline=None)
@given(flows_strategy, st.floats(60, 140))
def test_yield_wal_and_durations_match_pyxirr_and_quantlib(rows, price) -> None:
    settlement = date(2026, 3, 20)
    rows = sorted({d: (p, i) for d, p, i in rows}.items())
    dates = [settlement + timedelta(days=d) for d, _ in rows]
    principal = [p for _, (p, _) in rows]
    interest = [i for _, (_, i) in rows]
    face = sum(principal)
    pr = price_tranche("x", face, price, settlement, dates, interest, principal, [0.0] * len(dates))
    flows = np.add(principal, interest)
    paid = face * price / 100
    if pr.yield_ is None or not -0.5 < pr.yield_ < 5:
        return
    xirr = pyxirr.xirr([settlement, *dates], [-paid, *flows])
    assert abs(pr.yield_ - xirr) < 1e-8
    y, mac, mod, conv, wal = quantlib_figures(settlement, dates, flows, paid, principal)
    assert abs(pr.yield_ - y) < 1e-8
    assert abs(pr.wal - wal) < 1e-6
    assert abs(pr.macaulay_duration - mac) < 1e-6
    assert abs(pr.modified_duration - mod) < 1e-6
    assert abs(pr.convexity - conv) < 1e-6 * max(1.0, conv)


def test_a_par_bond_with_annual_coupons_yields_its_coupon() -> None:
    settlement = date(2025, 1, 1)
    dates = [date(2026, 1, 1), date(2027, 1, 1), date(2028, 1, 1)]
    pr = price_tranche("par", 100.0, 100.0, settlement, dates, [5.0, 5.0, 5.0], [0.0, 0.0, 100.0], [0, 0, 0])
    # 2028 is a leap year: Act/365F times are 1, 2 and 3 years exactly except for the leap day
    assert abs(pr.yield_ - 0.05) < 2e-4
    assert abs(pr.wal - (date(2028, 1, 1) - settlement).days / 365) < 1e-12


def test_a_subordinated_tranche_bought_above_par_has_its_irr_from_pyxirr() -> None:
    settlement = date(2026, 3, 20)
    dates = [date(2027, 3, 20), date(2028, 3, 20)]
    pr = price_tranche("sub", 100.0, 110.0, settlement, dates, [0, 0], [60.0, 40.0], [0.0, 25.0])
    assert pr.irr == pytest.approx(pyxirr.xirr([settlement, *dates], [-110.0, 60.0, 65.0]), abs=1e-12)
    assert abs(pr.irr - pr.yield_) < 1e-8
