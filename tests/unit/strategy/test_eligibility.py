"""Eligibility rules as data: each rule cites its source, and the verdicts follow the regulations."""

from __future__ import annotations

import pandas as pd
import pytest

from nplhub.domain.errors import DomainError
from nplhub.strategy.eligibility import Rulebook
from nplhub.strategy.synthetic import synthetic_loans


def loan(**overrides: object) -> pd.DataFrame:
    base = synthetic_loans(1, seed=1).iloc[0].to_dict()
    base.update({"loan_id": "L1", "product": "working_capital", "counterparty_type": "corporate",
                 "is_retail_product": False, "has_collateral": True, "collateral_class": "industrial",
                 "insolvency_status": "none", "legal_status": "litigation", "reported_class": "doubtful",
                 "written_off": False, "claim": 8_000_000.0, "days_past_due": 400.0})
    base.update(overrides)
    return pd.DataFrame([base])


def verdict(frame: pd.DataFrame, route: str, rules: Rulebook | None = None) -> tuple[bool, str | None]:
    v = (rules or Rulebook.load()).evaluate(frame)
    row = v[v["route"] == route].iloc[0]
    return bool(row["eligible"]), row["reason"]


def test_every_rule_cites_its_source_and_every_parameter_too() -> None:
    rules = Rulebook.load()
    assert rules.rules and all(r.source for r in rules.rules)
    assert all(rules.parameter_sources[p] for p in rules.parameters)
    assert any("财金〔2012〕6号" in r.source for r in rules.rules)
    assert any("银保监办便函〔2021〕26号" in r.source for r in rules.rules)
    assert "702号" in rules.parameter_sources["bulk_min_accounts"]


def test_a_mortgage_cannot_go_into_a_bulk_transfer_and_the_reason_names_the_source() -> None:
    ok, reason = verdict(loan(product="mortgage", counterparty_type="individual", is_retail_product=True,
                              collateral_class="residential"), "bulk_transfer")
    assert not ok
    assert "财金〔2012〕6号" in reason


def test_unsecured_card_debt_goes_in_a_pilot_personal_batch_with_no_onward_transfer() -> None:
    card = loan(product="credit_card", counterparty_type="individual", is_retail_product=True,
                has_collateral=False, collateral_class="unsecured")
    rules = Rulebook.load()
    assert verdict(card, "bulk_transfer")[0]
    assert rules.channel_of(card, "bulk_transfer")[0] == "pilot_retail_batch"
    assert rules.channels["pilot_retail_batch"].re_transfer_allowed is False
    not_in_pilot = Rulebook.load(overrides={"transfer_pilot_participant": False})
    assert not verdict(card, "bulk_transfer", not_in_pilot)[0]


def test_single_account_transfer_is_for_corporate_loans_of_pilot_banks_only() -> None:
    assert verdict(loan(), "single_transfer")[0]
    assert not verdict(loan(product="consumer", counterparty_type="individual", is_retail_product=True),
                       "single_transfer")[0]
    assert not verdict(loan(), "single_transfer", Rulebook.load(overrides={"transfer_pilot_participant": False}))[0]


def test_debt_to_equity_is_only_for_going_concerns() -> None:
    assert verdict(loan(), "debt_to_equity")[0]
    ok, reason = verdict(loan(insolvency_status="bankruptcy"), "debt_to_equity")
    assert not ok and "国发〔2016〕54号" in reason
    assert not verdict(loan(counterparty_type="individual", product="business_personal", is_retail_product=True),
                       "debt_to_equity")[0]


def test_write_off_needs_a_doubtful_or_loss_loan_and_a_ground() -> None:
    assert verdict(loan(insolvency_status="bankruptcy"), "write_off")[0]
    assert not verdict(loan(reported_class="substandard", insolvency_status="bankruptcy"), "write_off")[0]
    big_no_ground = loan(claim=50_000_000.0, legal_status="litigation")
    assert not verdict(big_no_ground, "write_off")[0]
    small_pursued = loan(claim=300_000.0, days_past_due=200.0)
    assert verdict(small_pursued, "write_off")[0]
    assert not verdict(loan(written_off=True, insolvency_status="liquidated"), "write_off")[0]


def test_the_bulk_minimum_follows_the_2017_relaxation_and_can_be_set_back_to_ten() -> None:
    assert Rulebook.load().min_accounts("amc_batch") == 3
    assert Rulebook.load(overrides={"bulk_min_accounts": 10}).min_accounts("amc_batch") == 10


def test_a_rule_without_a_source_is_refused() -> None:
    with pytest.raises(DomainError, match="cites its source"):
        Rulebook.from_mapping({"rules": [{"id": "x", "route": "collection", "requires": {"field": "claim", "ge": 0},
                                          "reason": "r"}]})


def test_an_unknown_parameter_override_is_refused() -> None:
    with pytest.raises(DomainError, match="unknown eligibility parameter"):
        Rulebook.load(overrides={"bulk_minimum": 5})
