"""Rule table of the 2023 classification measures: one case per threshold and per restructuring
case, each naming the article it implements (article numbers as in the shipped rule set)."""

from __future__ import annotations

import pandas as pd
import pytest

from nplhub.risk.classify import ClassificationInputError, classify
from nplhub.risk.reasons import BIT
from nplhub.risk.rules import load_ruleset

AS_OF = "2024-06-30"


def loan(**overrides):
    base = {"loan_id": "L1", "counterparty_id": "C1", "product": "working_capital", "reported_class": "normal",
            "days_past_due": 0, "outstanding_principal": 1000.0, "provision": 10.0, "restructured": False,
            "restructure_date": pd.NaT, "written_off": False, "default_date": pd.NaT, "legal_status": "none"}
    base.update(overrides)
    return base


def book(loans, counterparties=None, **tables):
    frames = {"loans": pd.DataFrame(loans)}
    cps = counterparties or [{"counterparty_id": c, "counterparty_type": "corporate", "insolvency_status": "none"}
                             for c in sorted({x["counterparty_id"] for x in loans})]
    frames["counterparties"] = pd.DataFrame(cps)
    for name, rows in tables.items():
        frames[name] = pd.DataFrame(rows)
    return frames


def derived(frames, ruleset="cn-2023", as_of=AS_OF):
    r = classify(frames, as_of=as_of, rules=load_ruleset(ruleset))
    return dict(zip(r.frame["loan_id"], r.frame["derived_class"])), r


@pytest.mark.parametrize(
    ("dpd", "expected", "article"),
    [
        (0, "normal", "-"),
        (7, "normal", "Art 11(1): operational or technical delay within 7 days"),
        (8, "special_mention", "Art 11(1): overdue beyond 7 days"),
        (90, "special_mention", "Art 12(1): 90 days is not more than 90"),
        (91, "substandard", "Art 12(1): overdue more than 90 days"),
        (270, "substandard", "Art 13"),
        (271, "doubtful", "Art 13: overdue more than 270 days"),
        (360, "doubtful", "Art 14"),
        (361, "loss", "Art 14: overdue more than 360 days"),
    ],
)
def test_days_past_due_set_the_minimum_class_under_the_2023_rule(dpd, expected, article):
    classes, _ = derived(book([loan(days_past_due=dpd, provision=0.0)]))
    assert classes["L1"] == expected, article


def test_a_loan_within_the_technical_delay_carries_that_reason_without_a_floor():
    _, r = derived(book([loan(days_past_due=5)]))
    assert r.frame["reason_bits"].iloc[0] & BIT["TECHNICAL_DELAY"]
    codes = [x["code"] for x in r.reasons("L1")]
    assert codes == ["TECHNICAL_DELAY"]


def test_rules_are_floors_so_a_bank_may_report_worse_than_the_rules():
    classes, r = derived(book([loan(days_past_due=0, reported_class="doubtful")]))
    assert classes["L1"] == "doubtful"
    assert not r.frame["downgraded"].iloc[0]


def test_every_reason_has_a_chinese_and_an_english_sentence_and_the_article():
    _, r = derived(book([loan(days_past_due=100)]))
    (reason,) = r.reasons("L1")
    assert reason["code"] == "DPD_FLOOR" and reason["floor"] == "substandard"
    assert "逾期100天" in reason["zh"] and "100 days past due" in reason["en"]
    assert reason["article"].startswith("Art 12")


def test_more_than_ten_percent_npl_makes_all_claims_of_a_non_retail_debtor_npl():
    # Art 7: 110 / 1100 = 10.0% is not more than 10%; 120 / 1120 is
    at_limit = book([loan(loan_id="A", outstanding_principal=110.0, days_past_due=100),
                     loan(loan_id="B", outstanding_principal=990.0)])
    classes, _ = derived(at_limit)
    assert classes["B"] == "special_mention"  # the same debtor has an NPL: at least special mention
    above = book([loan(loan_id="A", outstanding_principal=120.0, days_past_due=100),
                  loan(loan_id="B", outstanding_principal=990.0)])
    classes, r = derived(above)
    assert classes["B"] == "substandard"
    assert "NON_RETAIL_NPL_SHARE" in [x["code"] for x in r.reasons("B")]


def test_the_debtor_rules_do_not_apply_to_retail_borrowers():
    cps = [{"counterparty_id": "C1", "counterparty_type": "individual", "insolvency_status": "none"}]
    frames = book([loan(loan_id="A", product="consumer", outstanding_principal=500.0, days_past_due=100),
                   loan(loan_id="B", product="mortgage", outstanding_principal=500.0)], cps)
    classes, _ = derived(frames)
    assert classes == {"A": "substandard", "B": "normal"}


def test_new_for_old_refinancing_is_at_least_special_mention():
    frames = book([loan()], forbearance=[{"loan_id": "L1", "event_date": pd.Timestamp("2024-03-01"),
                                          "measure": "refinance_new_for_old"}])
    classes, _ = derived(frames)
    assert classes["L1"] == "special_mention"  # Art 11(3)


def test_restructured_loan_is_at_least_special_mention_during_the_observation_period():
    # Art 20-21: restructured 2024-01-15; first instalment 2024-02; one year -> observation until 2025-02
    frames = book([loan(restructured=True, restructure_date=pd.Timestamp("2024-01-15"))])
    classes, r = derived(frames)
    assert classes["L1"] == "special_mention"
    assert str(r.frame["observation_end"].iloc[0])[:7] == "2025-02"


def test_restructured_loan_leaves_the_floor_after_one_year_and_two_instalments():
    frames = book([loan(restructured=True, restructure_date=pd.Timestamp("2023-05-15"))])
    classes, _ = derived(frames)  # observation 2023-06 .. 2024-05 is over on 2024-06-30
    assert classes["L1"] == "normal"


def test_a_missed_payment_in_observation_downgrades_and_restarts_the_period():
    reps = [{"loan_id": "L1", "month": f"2023-{m:02d}", "amount_due": 100.0, "amount_paid": 100.0} for m in range(6, 13)]
    reps.append({"loan_id": "L1", "month": "2024-01", "amount_due": 100.0, "amount_paid": 0.0})
    frames = book([loan(restructured=True, restructure_date=pd.Timestamp("2023-05-15"))], repayments=reps)
    classes, r = derived(frames)
    assert classes["L1"] == "substandard"  # Art 21: NPL criteria met during observation
    assert str(r.frame["observation_end"].iloc[0])[:7] == "2025-02"  # restarted after the miss of 2024-01


def test_the_2007_rule_puts_restructured_loans_at_least_substandard_for_six_months():
    frames = book([loan(restructured=True, restructure_date=pd.Timestamp("2024-02-10"))])
    assert derived(frames, "cn-2007")[0]["L1"] == "substandard"
    frames = book([loan(restructured=True, restructure_date=pd.Timestamp("2023-10-10"))])
    assert derived(frames, "cn-2007")[0]["L1"] == "normal"  # six months from 2023-11 ended in 2024-05


def test_an_npl_restructured_stays_at_its_class_during_observation():
    states = [{"loan_id": "L1", "as_of_date": pd.Timestamp("2023-12-31"), "class": "doubtful", "days_past_due": 300,
               "outstanding_principal": 1000.0, "provision": 500.0}]
    frames = book([loan(restructured=True, restructure_date=pd.Timestamp("2024-01-15"))], loan_states=states)
    classes, r = derived(frames)
    assert classes["L1"] == "doubtful"
    assert "RESTRUCTURED_FROM_NPL" in [x["code"] for x in r.reasons("L1")]


def _history(cls, months=("2024-04-30", "2024-05-31")):
    return [{"loan_id": "L1", "as_of_date": pd.Timestamp(d), "class": cls, "days_past_due": 0,
             "outstanding_principal": 1000.0, "provision": 10.0} for d in months]


def test_an_npl_is_upgraded_only_after_two_instalments_paid_in_full():
    paid = [{"loan_id": "L1", "month": m, "amount_due": 100.0, "amount_paid": 100.0} for m in ("2024-05", "2024-06")]
    ok = book([loan()], loan_states=_history("substandard"), repayments=paid)
    assert derived(ok)[0]["L1"] == "normal"  # Art 15 conditions met
    short = book([loan()], loan_states=_history("substandard"), repayments=paid[:1])
    classes, r = derived(short)
    assert classes["L1"] == "substandard"
    assert "UPGRADE_BLOCKED" in [x["code"] for x in r.reasons("L1")]


def test_an_npl_is_not_upgraded_while_the_debtor_has_another_npl():
    paid = [{"loan_id": "L1", "month": m, "amount_due": 100.0, "amount_paid": 100.0} for m in ("2024-05", "2024-06")]
    frames = book([loan(), loan(loan_id="L2", reported_class="substandard", outstanding_principal=50.0)],
                  loan_states=_history("substandard"), repayments=paid)
    classes, r = derived(frames)
    assert classes["L1"] == "substandard"
    assert "another NPL" in r.frame.loc[0, "upgrade_blockers"]


@pytest.mark.parametrize(("ratio", "expected"), [(0.49, "substandard"), (0.5, "doubtful"), (0.9, "loss")])
def test_the_allowance_of_a_credit_impaired_loan_sets_doubtful_and_loss_floors(ratio, expected):
    frames = book([loan(days_past_due=100, provision=1000.0 * ratio)])
    assert derived(frames)[0]["L1"] == expected  # Art 13-14: ECL >= 50% / 90%


def test_debtor_insolvency_is_credit_impairment():
    cps = [{"counterparty_id": "C1", "counterparty_type": "corporate", "insolvency_status": "bankruptcy"}]
    classes, r = derived(book([loan()], cps))
    assert classes["L1"] == "substandard"
    assert "insolvency" in r.reasons("L1")[0]["en"]


def test_written_off_loans_are_loss():
    assert derived(book([loan(written_off=True)]))[0]["L1"] == "loss"


def test_chinese_class_terms_are_accepted_and_unknown_ones_rejected():
    assert derived(book([loan(reported_class="关注")]))[0]["L1"] == "special_mention"
    with pytest.raises(ClassificationInputError, match="unknown five-category class"):
        classify(book([loan(reported_class="excellent")]), as_of=AS_OF)


def test_a_loans_table_without_days_past_due_is_rejected_with_the_column_named():
    frames = book([loan()])
    frames["loans"] = frames["loans"].drop(columns="days_past_due")
    with pytest.raises(ClassificationInputError, match="days_past_due"):
        classify(frames, as_of=AS_OF)
