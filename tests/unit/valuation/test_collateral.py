"""Collateral: indexation to the cut-off, haircuts, liens, allocation across loans."""

from __future__ import annotations

import pandas as pd
import pytest

from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.collateral import allocate_collateral, loan_collateral_summary, revalue_collateral

CUTOFF = pd.Timestamp("2025-06-30")


def _collateral(**kw: object) -> pd.DataFrame:
    row = {"collateral_id": "K1", "collateral_type": "residential", "region": "510107", "appraisal_value": 1_000_000.0,
           "appraisal_date": pd.Timestamp("2024-01-15"), "prior_claims": 0.0, "status": "held"}
    row.update(kw)
    return pd.DataFrame([row])


def _index(start: float, end: float) -> pd.DataFrame:
    return pd.DataFrame({"region": "510107", "property_type": "residential", "month": ["2024-01", "2025-06"],
                         "index": [start, end]})


def test_appraisal_is_indexed_to_the_cut_off_with_the_regional_price_index(assumptions: AssumptionSet) -> None:
    v = revalue_collateral(_collateral(), _index(100.0, 90.0), CUTOFF, assumptions).iloc[0]
    assert v["index_factor"] == pytest.approx(0.9)
    assert v["reference_value"] == pytest.approx(900_000.0)


def test_net_value_applies_haircut_liquidity_taxes_costs_and_prior_liens(assumptions: AssumptionSet) -> None:
    v = revalue_collateral(_collateral(prior_claims=100_000.0), _index(100.0, 100.0), CUTOFF, assumptions).iloc[0]
    haircut = 0.20 + 0.05  # residential + default provincial liquidity (Sichuan is not listed)
    expected = 1_000_000.0 * (1 - haircut) * (1 - 0.06 - 0.03) - 100_000.0
    assert v["haircut"] == pytest.approx(haircut)
    assert v["net_value"] == pytest.approx(expected)


def test_prior_claims_larger_than_the_sale_leave_nothing(assumptions: AssumptionSet) -> None:
    v = revalue_collateral(_collateral(prior_claims=5_000_000.0), None, CUTOFF, assumptions).iloc[0]
    assert v["net_value"] == 0.0


def test_released_collateral_secures_nothing(assumptions: AssumptionSet) -> None:
    v = revalue_collateral(_collateral(status="released"), None, CUTOFF, assumptions).iloc[0]
    assert v["net_value"] == 0.0 and v["reference_value"] == 0.0


def test_a_shared_collateral_is_split_without_double_counting(assumptions: AssumptionSet) -> None:
    values = revalue_collateral(_collateral(), None, CUTOFF, assumptions)
    links = pd.DataFrame({"loan_id": ["A", "B"], "collateral_id": ["K1", "K1"], "allocated_amount": [None, None]})
    claims = pd.Series({"A": 300_000.0, "B": 900_000.0})
    alloc = allocate_collateral(links, values, claims)
    assert alloc["net_value"].sum() == pytest.approx(values["net_value"].iloc[0])
    assert alloc.set_index("loan_id")["share"].to_dict() == pytest.approx({"A": 0.25, "B": 0.75})
    summary = loan_collateral_summary(alloc, pd.Index(["A", "B", "C"]), claims)
    assert summary.loc["C", "collateral_net"] == 0.0
    assert summary.loc["A", "collateral_net"] <= claims["A"]


def test_a_maximum_amount_mortgage_secures_at_most_its_allocated_amount(assumptions: AssumptionSet) -> None:
    values = revalue_collateral(_collateral(), None, CUTOFF, assumptions)
    links = pd.DataFrame({"loan_id": ["A"], "collateral_id": ["K1"], "allocated_amount": [200_000.0]})
    alloc = allocate_collateral(links, values, pd.Series({"A": 1_000_000.0}))
    assert alloc["net_value"].iloc[0] == pytest.approx(200_000.0)
