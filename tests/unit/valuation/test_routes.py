"""Cash flows and eligibility per disposal route."""

from __future__ import annotations

import numpy as np
import pytest

from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.routes import (
    ROUTE_FUNCTIONS,
    bulk_transfer,
    collection,
    debt_to_equity,
    judicial_auction,
    restructuring,
    restructuring_schedule,
    single_transfer,
    write_off,
)
from nplhub.valuation.synthetic import example_loans as make_loans


def test_judicial_auction_is_valued_round_by_round_on_the_2016_rules(assumptions: AssumptionSet) -> None:
    # reference 800k, claim 1m, residential, judgment (8 months to the first auction)
    res = judicial_auction(make_loans({}), assumptions)
    start1, start2 = 0.70 * 800_000, 0.70 * 0.80 * 800_000
    keep = 1 - 0.06 - 0.03  # taxes and enforcement costs
    p1, p2, p3 = 0.55, 0.45, 0.35
    expected = [
        p1 * start1 * 1.15 * keep,
        (1 - p1) * p2 * start2 * 1.10 * keep,
        (1 - p1) * (1 - p2) * p3 * start2 * keep,
        (1 - p1) * (1 - p2) * (1 - p3) * 0.5 * start2 * 0.85 * keep,
    ]
    assert res.eligible[0]
    assert res.legs.inflow[0, :4] == pytest.approx(expected)
    residual = 0.08 * (1_000_000 - sum(expected))
    assert res.legs.inflow[0, 5] == pytest.approx(residual)
    assert res.legs.month[0, :4] == pytest.approx([9.0, 10.5, 13.0, 25.0])
    assert res.legs.cost[0].sum() == 0.0  # already judged: no new litigation fee


def test_second_auction_starts_at_eighty_percent_of_the_first(assumptions: AssumptionSet) -> None:
    from nplhub.valuation.routes import auction_rounds

    r = auction_rounds(make_loans({"collateral_reference": 1_000_000.0}), assumptions)
    assert r["start1"][0] == pytest.approx(700_000.0)
    assert r["start2"][0] / r["start1"][0] == pytest.approx(0.80)
    assert r["start2"][0] >= 0.56 * 1_000_000.0


def test_a_loan_not_yet_in_court_pays_the_litigation_fee_up_front(assumptions: AssumptionSet) -> None:
    res = judicial_auction(make_loans({"legal_status": "none"}), assumptions)
    assert res.legs.cost[0].sum() == pytest.approx(0.015 * 1_000_000)
    assert res.legs.month[0, 0] == pytest.approx(19.0)


def test_a_loan_without_collateral_cannot_go_to_judicial_auction(assumptions: AssumptionSet) -> None:
    res = judicial_auction(make_loans({"collateral_reference": 0.0, "collateral_net": 0.0}), assumptions)
    assert not res.eligible[0] and "no collateral" in res.reason[0]


def test_bankruptcy_stays_enforcement_and_restructuring(assumptions: AssumptionSet) -> None:
    loans = make_loans({"insolvency_status": "bankruptcy"})
    assert "[judicial-auction-stayed-in-bankruptcy; 企业破产法 第19条" in judicial_auction(loans, assumptions).reason[0]
    res = restructuring(loans, assumptions)
    assert not res.eligible[0] and "restructuring-in-bankruptcy-only-by-the-court" in res.reason[0]
    written_off = restructuring(make_loans({"written_off": True}), assumptions)
    assert not written_off.eligible[0] and "已核销" in written_off.reason[0]


def test_personal_loans_cannot_be_transferred_singly(assumptions: AssumptionSet) -> None:
    res = single_transfer(make_loans({"counterparty_type": "individual", "product": "consumer"}), assumptions)
    assert not res.eligible[0] and "银保监办便函〔2021〕26号" in res.reason[0]


def test_mortgages_are_excluded_from_batch_transfer_but_unsecured_consumer_loans_are_not(
        assumptions: AssumptionSet) -> None:
    loans = make_loans(
        {"counterparty_type": "individual", "product": "mortgage"},
        {"counterparty_type": "individual", "product": "consumer", "collateral_count": 0,
         "collateral_reference": 0.0, "collateral_net": 0.0},
        {}, {},
    )
    res = bulk_transfer(loans, assumptions, package_count=3)
    assert res.eligible.tolist() == [False, True, True, True]
    assert "[bulk-transfer-no-personal-loans; 财金〔2012〕6号" in res.reason[0]
    assert "银保监办便函〔2021〕26号" in res.reason[0]


def test_a_batch_needs_at_least_three_accounts(assumptions: AssumptionSet) -> None:
    res = bulk_transfer(make_loans({}, {}), assumptions)
    assert not res.eligible.any() and "at least 3" in res.reason[0]
    assert bulk_transfer(make_loans({}, {}), assumptions, package_count=3).eligible.all()


def test_each_batch_channel_needs_its_own_minimum_of_accounts(assumptions: AssumptionSet) -> None:
    card = {"counterparty_type": "individual", "product": "credit_card", "collateral_count": 0,
            "collateral_reference": 0.0, "collateral_net": 0.0}
    res = bulk_transfer(make_loans({}, {}, {}, card), assumptions)
    # three corporate loans make an AMC batch; one card loan makes no pilot personal batch
    assert res.eligible.tolist() == [True, True, True, False]
    assert "only 1 eligible accounts for a pilot_retail_batch batch" in res.reason[3]
    assert "pilot_retail_batch_min_accounts" in res.reason[3]
    counts = {"amc_batch": 3, "pilot_retail_batch": 5}
    assert bulk_transfer(make_loans({}, card), assumptions, package_count=counts).eligible.all()
    ten = assumptions.with_values({"eligibility.bulk_min_accounts": 10})
    assert not bulk_transfer(make_loans({}, {}, {}), ten).eligible.any()


def test_transfer_price_follows_the_market_discount_curve(assumptions: AssumptionSet) -> None:
    # coverage 0.5 on the single curve is 0.34 of the claim, less 5% per year past due
    loans = make_loans({"collateral_net": 500_000.0, "days_past_due": 365.0})
    res = single_transfer(loans, assumptions)
    assert res.legs.inflow[0, 0] == pytest.approx(1_000_000 * 0.34 * 0.95)
    assert res.legs.cost[0, 0] == pytest.approx(res.legs.inflow[0, 0] * 0.015)


def test_collection_pays_a_share_of_the_enforcement_value_if_settled(assumptions: AssumptionSet) -> None:
    res = collection(make_loans({"collateral_net": 450_000.0}), assumptions)
    enforce = 450_000 + 0.08 * (1_000_000 - 450_000)
    assert res.legs.inflow[0].tolist() == pytest.approx([0.35 * 0.9 * enforce, 0.65 * 0.05 * 1_000_000])


def test_restructuring_without_redefault_repays_the_new_schedule(assumptions: AssumptionSet) -> None:
    a = assumptions.with_values({"restructuring.annual_redefault_probability":
                                 {"corporate": 0.0, "sme": 0.0, "individual": 0.0}})
    res = restructuring(make_loans({"reported_class": "substandard"}), a)
    instalment, _ = restructuring_schedule(36, 0.045)
    assert res.legs.inflow[0].sum() == pytest.approx(0.9 * 1_000_000 * instalment.sum())
    r = 0.045 / 12
    assert instalment[0] == pytest.approx(r / (1 - (1 + r) ** -36))


def test_restructuring_is_closed_to_loss_class_and_to_repeatedly_restructured_loans(
        assumptions: AssumptionSet) -> None:
    res = restructuring(make_loans({"reported_class": "loss"}, {"restructure_count": 2}, {"days_past_due": 900.0}),
                        assumptions)
    assert not res.eligible.any()
    assert "损失" in res.reason[0] and "2 times" in res.reason[1] and "720 days" in res.reason[2]


def test_debt_to_equity_is_for_large_claims_on_going_concern_enterprises(assumptions: AssumptionSet) -> None:
    res = debt_to_equity(make_loans({"claim": 20_000_000.0}, {"counterparty_type": "sme", "claim": 20_000_000.0},
                                    {"claim": 1_000_000.0},
                                    {"counterparty_type": "individual", "product": "business_personal",
                                     "claim": 20_000_000.0},
                                    {"insolvency_status": "bankruptcy", "claim": 20_000_000.0}), assumptions)
    # an SME is an enterprise too: 国发〔2016〕54号 sets no size; the 10 m minimum is the bank's policy
    assert res.eligible.tolist() == [True, True, False, False, False]
    assert res.legs.inflow[0, 0] == pytest.approx(20_000_000 * 0.45)
    assert "10,000,000 yuan minimum" in res.reason[2]
    assert "debt-to-equity-going-concern; 国发〔2016〕54号" in res.reason[3]
    assert "debt-to-equity-going-concern" in res.reason[4]


def test_write_off_needs_age_or_insolvency(assumptions: AssumptionSet) -> None:
    res = write_off(make_loans({"days_past_due": 100.0}, {"days_past_due": 100.0, "insolvency_status": "liquidated"}),
                    assumptions)
    assert res.eligible.tolist() == [False, True]
    assert "[write-off-conditions; 《金融企业呆账核销管理办法（2017年版）》财金〔2017〕90号" in res.reason[0]


def test_a_loan_is_written_off_once_and_a_substandard_one_not_at_all(assumptions: AssumptionSet) -> None:
    res = write_off(make_loans({"written_off": True, "insolvency_status": "liquidated"},
                               {"reported_class": "substandard", "insolvency_status": "liquidated"},
                               {"claim": 300_000.0, "days_past_due": 200.0}), assumptions)
    assert res.eligible.tolist() == [False, False, True]
    assert res.reason[0].startswith("already written off (账销案存)")
    assert "write-off-conditions" in res.reason[1]
    later = assumptions.with_values({"eligibility.write_off_min_days_past_due": 360})
    assert not write_off(make_loans({"claim": 300_000.0, "days_past_due": 200.0}), later).eligible[0]


def test_a_zero_claim_is_ineligible_everywhere(assumptions: AssumptionSet) -> None:
    loans = make_loans({"claim": 0.0})
    for route, fn in ROUTE_FUNCTIONS.items():
        res = fn(loans, assumptions, package_count=10)
        assert not res.eligible[0], route
        assert "zero" in res.reason[0]


def test_every_eligible_route_recovers_no_more_than_the_claim_except_restructuring_interest(
        assumptions: AssumptionSet) -> None:
    rng = np.random.default_rng(3)
    rows = [{"claim": float(c), "collateral_net": float(s), "collateral_reference": float(s) * 1.6,
             "guarantee_expected": float(g)}
            for c, s, g in zip(rng.uniform(1e5, 1e7, 30), rng.uniform(0, 1e7, 30), rng.uniform(0, 1e6, 30))]
    loans = make_loans(*rows)
    loans["collateral_net"] = np.minimum(loans["collateral_net"], loans["claim"])
    for route, fn in ROUTE_FUNCTIONS.items():
        if route == "restructuring":
            continue
        res = fn(loans, assumptions, package_count=100)
        assert (res.legs.inflow.sum(axis=1) <= loans["claim"].to_numpy() * (1 + 1e-9)).all(), route
