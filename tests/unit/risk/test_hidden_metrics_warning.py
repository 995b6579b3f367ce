"""Hidden-NPL flags with evidence, supervisory ratios and concentration, the early-warning model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nplhub.risk.classify import classify
from nplhub.risk.hidden import detect_hidden_npl
from nplhub.risk.metrics import book_ratios, concentration, hhi
from nplhub.risk.simulate import simulate_loan_states
from nplhub.risk.warning import (
    EarlyWarningModel,
    build_panel,
    calibration_table,
    ks_statistic,
    validate_out_of_time,
)


def base_tables():
    loans = pd.DataFrame({
        "loan_id": ["A", "B", "C", "D"], "counterparty_id": ["X", "X", "Y", "Z"],
        "product": ["working_capital"] * 4, "branch_id": ["B1", "B1", "B2", "B2"],
        "reported_class": ["normal", "normal", "normal", "special_mention"],
        "days_past_due": [120, 0, 0, 30], "outstanding_principal": [100.0, 100.0, 300.0, 50.0],
        "provision": [1.0, 1.0, 3.0, 1.0], "extension_count": [0, 0, 3, 0],
        "restructured": [False, False, False, False],
    })
    cps = pd.DataFrame({"counterparty_id": ["X", "Y", "Z"], "counterparty_type": ["corporate"] * 3,
                        "region": ["110101", "310101", "310101"], "industry": ["C", "F", "F"],
                        "insolvency_status": ["none"] * 3})
    states = pd.DataFrame({"loan_id": ["D"], "as_of_date": [pd.Timestamp("2024-02-29")], "class": ["normal"],
                           "days_past_due": [45], "outstanding_principal": [50.0], "provision": [1.0]})
    forb = pd.DataFrame({"loan_id": ["D", "C"], "event_date": [pd.Timestamp("2024-03-10"), pd.Timestamp("2024-01-05")],
                         "measure": ["extension", "capitalisation"]})
    return {"loans": loans, "counterparties": cps, "loan_states": states, "forbearance": forb}


def test_under_reported_loans_are_hidden_npl_and_patterns_carry_their_evidence():
    tables = base_tables()
    result = detect_hidden_npl(tables, classify(tables, as_of="2024-06-30"))
    flags = {r["loan_id"]: {f["code"]: f["evidence"] for f in r["flags"]} for r in result.records()}
    assert "UNDER_REPORTED" in flags["A"] and "substandard" in flags["A"]["UNDER_REPORTED"]
    assert "CROSS_DEFAULT" in flags["B"]  # the same borrower X has an NPL
    assert set(flags["C"]) == {"REPEATED_EXTENSIONS", "CAPITALISED_INTEREST"}
    assert "while overdue" in flags["D"]["FORBEARANCE_WHILE_OVERDUE"]
    assert "UNFLAGGED_RESTRUCTURING" in flags["D"]
    totals = result.totals()
    assert totals["hidden_npl_amount"] == 200.0  # A by days past due, B by the 10% debtor rule
    by_region = {r["value"]: r["hidden_npl_amount"] for r in result.by("region")}
    assert by_region == {"110101": 200.0, "310101": 0.0}


def test_ratios_follow_the_regulators_formulas_and_flag_a_shortfall():
    positions = pd.DataFrame({"class": ["normal", "substandard", "loss"], "outstanding_principal": [900.0, 60.0, 40.0],
                              "provision": [10.0, 20.0, 40.0]})
    r = book_ratios(positions)
    assert r["npl_ratio"] == pytest.approx(0.10)
    assert r["provision_coverage_ratio"] == pytest.approx(0.70)
    assert r["loan_provision_ratio"] == pytest.approx(0.07)
    assert r["required_allowance"] == pytest.approx(120.0)  # 120% x 100 > 1.5% x 1000
    assert r["allowance_shortfall"] == pytest.approx(50.0)
    assert r["meets"] == {"npl_ratio": False, "provision_coverage_ratio": False, "loan_provision_ratio": True}


def test_concentration_reports_the_largest_borrowers_and_hhi():
    positions = pd.DataFrame({"counterparty_id": ["X", "X", "Y", "Z"], "outstanding_principal": [30.0, 30.0, 20.0, 20.0],
                              "region": ["a", "a", "b", "b"]})
    c = concentration(positions, top=2)
    assert c["largest_borrower_share"] == pytest.approx(0.6)
    assert c["top2_borrowers_share"] == pytest.approx(0.8)
    assert c["borrower_hhi"] == pytest.approx(0.36 + 0.04 + 0.04)
    assert c["region_hhi"] == pytest.approx(hhi([60, 40]))


def test_ks_and_calibration_of_a_perfect_and_a_useless_score():
    y = np.array([0, 0, 0, 1, 1])
    assert ks_statistic(y, np.array([0.1, 0.2, 0.3, 0.8, 0.9])) == pytest.approx(1.0)
    table = calibration_table(y, np.array([0.1, 0.2, 0.3, 0.8, 0.9]), bins=5)
    assert [row["observed_rate"] for row in table] == [0, 0, 0, 1, 1]


@pytest.fixture(scope="module")
def panel_tables():
    states = simulate_loan_states(3000, 30, seed=2)
    ids = states["loan_id"].unique()
    rng = np.random.default_rng(0)
    loans = pd.DataFrame({"loan_id": ids, "counterparty_id": ids, "product": rng.choice(["consumer", "mortgage"], ids.size),
                          "origination_date": pd.Timestamp("2020-06-30"), "interest_rate": 0.05})
    return {"loan_states": states, "loans": loans}


def test_the_panel_labels_npl_within_twelve_months_and_leaves_late_months_unlabelled(panel_tables):
    panel = build_panel(panel_tables)
    last = panel["month"].max()
    assert panel.loc[panel["month"] > last - 12, "label"].isna().all()
    assert panel.loc[panel["month"] <= last - 12, "label"].notna().all()
    assert (panel["class_rank"] < 2).all()


def test_early_warning_is_validated_out_of_time_and_ranks_better_than_chance(panel_tables):
    panel = build_panel(panel_tables)
    model = EarlyWarningModel(n_estimators=60, seed=1)
    v = validate_out_of_time(panel, model)
    assert v["train_months"][1] < v["test_months"][0]
    assert v["auc"] > 0.6  # special-mention loans roll into NPL far more often than normal ones
    again = validate_out_of_time(panel, EarlyWarningModel(n_estimators=60, seed=1))
    assert again["auc"] == v["auc"]  # same seed, same model
    drivers = model.drivers(panel.head(3))
    assert len(drivers) == 3
