"""Rule sets as data, and the regulatory migration-rate formula."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from nplhub.domain.classification import RiskClass
from nplhub.risk.rates import migration_components, migration_rate, migration_rates, roll_rates
from nplhub.risk.rules import RuleSetError, load_ruleset


def test_the_shipped_2023_rule_set_holds_the_90_270_360_day_floors_and_a_version():
    rules = load_ruleset("cn-2023")
    assert rules.version == "2023.1"
    assert [(f.days, f.risk_class) for f in rules.dpd_floors] == [
        (7, RiskClass.SPECIAL_MENTION), (90, RiskClass.SUBSTANDARD), (270, RiskClass.DOUBTFUL), (360, RiskClass.LOSS)]
    assert rules.non_retail_npl_share == 0.10 and rules.observation_months == 12


def test_the_2007_rule_set_differs_where_the_rules_changed():
    old = load_ruleset("cn-2007")
    assert old.restructured_floor is RiskClass.SUBSTANDARD and old.observation_months == 6
    assert old.non_retail_npl_share is None


def test_a_bank_can_run_its_own_rule_set_from_yaml(tmp_path):
    path = tmp_path / "own.yaml"
    path.write_text("name: own\nversion: '1'\ndpd_floors:\n  - {days: 30, class: 关注}\n  - {days: 60, class: 次级}\n",
                    encoding="utf-8")
    rules = load_ruleset(path)
    assert [(f.days, f.risk_class.value) for f in rules.dpd_floors] == [(30, "special_mention"), (60, "substandard")]


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\nversion: '1'\n", "dpd_floors"),
    ("name: x\nversion: '1'\ndpd_floors:\n  - {days: 30, class: superb}\n", "unknown five-category class"),
    ("name: x\nversion: '1'\ndpd_floors:\n  - {days: -1, class: normal}\n", "days must be >= 0"),
    ("name: x\nversion: '1'\ndpd_floors: []\nobservation_months: -3\n", "observation_months"),
])
def test_a_malformed_rule_set_is_rejected_with_the_key_named(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleSetError, match=message):
        load_ruleset(path)


def test_an_unknown_rule_set_name_lists_the_shipped_ones():
    with pytest.raises(RuleSetError, match="cn-2023"):
        load_ruleset("cn-1999")


def positions(rows):
    return pd.DataFrame(rows, columns=["loan_id", "class", "outstanding_principal"])


def test_upgrades_never_enter_the_numerator_of_a_migration_rate():
    opening = positions([("A", "special_mention", 100.0), ("B", "special_mention", 100.0)])
    closing = positions([("A", "normal", 100.0), ("B", "substandard", 100.0)])
    assert migration_rates(opening, closing)["special_mention"] == pytest.approx(0.5)


def test_run_off_leaves_the_denominator_loan_by_loan():
    # A repaid in full (gone), B amortised from 100 to 60, C migrated with 50 at the end
    opening = positions([("A", "normal", 100.0), ("B", "normal", 100.0), ("C", "normal", 100.0)])
    closing = positions([("B", "normal", 60.0), ("C", "special_mention", 50.0)])
    comp = migration_components(opening, closing)["normal"]
    assert (comp.opening, comp.left, comp.migrated) == (300.0, 190.0, 50.0)
    assert comp.rate == pytest.approx(50.0 / 110.0)


def test_the_normal_loan_rate_pools_normal_and_special_mention_and_counts_only_npl():
    opening = positions([("A", "normal", 100.0), ("B", "special_mention", 100.0), ("C", "normal", 100.0)])
    closing = positions([("A", "special_mention", 100.0), ("B", "doubtful", 100.0), ("C", "normal", 100.0)])
    assert migration_rates(opening, closing)["normal_loans"] == pytest.approx(100.0 / 300.0)


def test_a_rate_without_remaining_opening_balance_is_undefined():
    assert math.isnan(migration_rate(0.0, 100.0, 100.0))


def test_roll_rates_follow_the_balance_between_days_past_due_buckets():
    o = pd.DataFrame({"loan_id": ["A", "B", "C"], "days_past_due": [0, 15, 45], "outstanding_principal": [100.0, 50.0, 25.0]})
    c = pd.DataFrame({"loan_id": ["A", "B"], "days_past_due": [10, 45]})
    rr = roll_rates(o, c)
    assert rr["roll_forward"]["current"] == pytest.approx(1.0)
    assert rr["roll_forward"]["1-30"] == pytest.approx(1.0)
    assert rr["roll_forward"]["31-60"] is None  # C left the book
    assert rr["matrix"][3][-1] == 0.0 and rr["matrix"][2][-1] == 25.0


def test_migration_rates_by_segment_add_up_to_the_book_rate():
    from nplhub.risk.rates import migration_rates_by

    opening = pd.DataFrame({"loan_id": ["A", "B", "C", "D"], "class": ["normal"] * 4,
                            "outstanding_principal": [100.0, 100.0, 100.0, 100.0], "region": ["x", "x", "y", "y"]})
    closing = positions([("A", "special_mention", 100.0), ("B", "normal", 100.0), ("C", "normal", 50.0)])
    by = migration_rates_by(opening, closing, "region")
    assert by["x"]["normal"] == pytest.approx(0.5)
    assert by["y"]["normal"] == pytest.approx(0.0)  # C paid down to 50, D gone: 0 / 50
    assert migration_rates(opening, closing)["normal"] == pytest.approx(100.0 / 250.0)
    assert by["y"]["doubtful"] is None
