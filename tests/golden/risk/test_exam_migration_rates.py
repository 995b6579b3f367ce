"""Worked migration-rate examples of the Chinese banking qualification exams (domain reference
1.2), computed both by the formula and loan by loan through the positions of two month-ends.
Tolerance: the exams round to 0.01 percentage points (8.51%, 17.1%)."""

from __future__ import annotations

import pandas as pd
import pytest

from nplhub.risk.rates import migration_rate, migration_rates


@pytest.mark.parametrize(("migrated", "opening", "left", "published"), [
    (800, 10000, 600, 0.0851),   # 正常类贷款迁徙率
    (500, 5000, 1000, 0.125),    # 关注类贷款迁徙率
    (600, 4500, 1000, 0.171),    # 关注类贷款迁徙率
    (600, 1000, 200, 0.75),      # 次级类贷款迁徙率
    (600, 1000, 400, 1.00),      # 次级类贷款迁徙率
])
def test_exam_migration_rates_by_the_formula(migrated, opening, left, published):
    assert migration_rate(migrated, opening, left) == pytest.approx(published, abs=5e-4)


def test_normal_class_rate_of_8_51_percent_loan_by_loan():
    # opening normal 10,000: 600 repaid and gone, 800 ends special mention or worse, 8,600 stays
    opening = pd.DataFrame({"loan_id": ["A", "B", "C", "D"], "class": ["normal"] * 4,
                            "outstanding_principal": [600.0, 500.0, 300.0, 8600.0]})
    closing = pd.DataFrame({"loan_id": ["B", "C", "D"], "class": ["special_mention", "doubtful", "normal"],
                            "outstanding_principal": [500.0, 300.0, 8600.0]})
    assert migration_rates(opening, closing)["normal"] == pytest.approx(800 / 9400)
    assert round(100 * migration_rates(opening, closing)["normal"], 2) == 8.51


def test_substandard_rate_of_75_percent_loan_by_loan_with_partial_recovery():
    # opening substandard 1,000; 200 recovered (one loan paid down from 400 to 200); 600 ends doubtful or loss
    opening = pd.DataFrame({"loan_id": ["A", "B", "C"], "class": ["substandard"] * 3,
                            "outstanding_principal": [400.0, 400.0, 200.0]})
    closing = pd.DataFrame({"loan_id": ["A", "B", "C"], "class": ["doubtful", "loss", "substandard"],
                            "outstanding_principal": [200.0, 400.0, 200.0]})
    assert migration_rates(opening, closing)["substandard"] == pytest.approx(0.75)
