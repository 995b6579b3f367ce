"""Eligibility rules as data: each rule cites its source, and the verdicts follow the regulations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from nplhub.domain.errors import DomainError
from nplhub.valuation.eligibility import Rulebook
from nplhub.valuation.synthetic import example_loans


def loan(**overrides: object) -> pd.DataFrame:
    """One loan of the valuation's loan frame: a secured corporate loan in litigation."""
    base: dict[str, object] = {"product": "working_capital", "counterparty_type": "corporate",
                               "collateral_count": 1, "collateral_type": "industrial", "insolvency_status": "none",
                               "legal_status": "litigation", "reported_class": "doubtful", "written_off": False,
                               "claim": 8_000_000.0, "days_past_due": 400.0}
    return example_loans({**base, **overrides})


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
    ok, reason = verdict(loan(product="mortgage", counterparty_type="individual", collateral_type="residential"),
                         "bulk_transfer")
    assert not ok
    assert "财金〔2012〕6号" in reason


def test_unsecured_card_debt_goes_in_a_pilot_personal_batch_with_no_onward_transfer() -> None:
    card = loan(product="credit_card", counterparty_type="individual", collateral_count=0, collateral_type="none")
    rules = Rulebook.load()
    assert verdict(card, "bulk_transfer")[0]
    assert rules.channel_of(card, "bulk_transfer")[0] == "pilot_retail_batch"
    assert rules.channels["pilot_retail_batch"].re_transfer_allowed is False
    not_in_pilot = Rulebook.load(overrides={"transfer_pilot_participant": False})
    assert not verdict(card, "bulk_transfer", not_in_pilot)[0]


def test_single_account_transfer_is_for_corporate_loans_of_pilot_banks_only() -> None:
    assert verdict(loan(), "single_transfer")[0]
    assert not verdict(loan(product="consumer", counterparty_type="individual"), "single_transfer")[0]
    assert not verdict(loan(), "single_transfer", Rulebook.load(overrides={"transfer_pilot_participant": False}))[0]


def test_debt_to_equity_is_only_for_going_concerns() -> None:
    assert verdict(loan(), "debt_to_equity")[0]
    ok, reason = verdict(loan(insolvency_status="bankruptcy"), "debt_to_equity")
    assert not ok and "国发〔2016〕54号" in reason
    assert not verdict(loan(counterparty_type="individual", product="business_personal"), "debt_to_equity")[0]


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


def rulebook_with(rule: dict, extra: dict | None = None) -> dict:
    """The packaged rulebook's document with one more rule (and top-level keys)."""
    doc = Rulebook.load().to_dict()
    doc["rules"].append({"id": "extra", "route": "collection", "reason": "r", "source": "s", **rule})
    doc.update(extra or {})
    return doc


@pytest.mark.parametrize(("rule", "message"), [
    ({"requires": {"field": "prodcut", "in": ["consumer"]}}, "unknown field 'prodcut'"),
    ({"requires": {"all": [{"field": "counterparty_type", "in": ["individual", "persn"]}]}},
     r"condition requires.all\[0\]: unknown counterparty_type code\(s\) \['persn'\]"),
    ({"requires": {"field": "claim", "in": [1]}}, "field 'claim' \\(number\\) takes exactly one of le, ge"),
    ({"requires": {"field": "written_off", "is": "no"}}, "'is' needs true or false"),
    ({"requires": {"field": "claim", "le": {"param": "transfer_pilot_participant"}}}, "not a numeric parameter"),
    ({"requires": {"param": "pilot", "is": True}}, "unknown parameter 'pilot'"),
    ({"requires": {"any": []}}, "'any' needs a non-empty list"),
    ({"requires": {"field": "claim", "ge": 0, "le": 5}}, "takes exactly one of le, ge, got ge, le"),
    ({"requires": {"whatever": 1}}, "expected field, param, all, any or not"),
    ({"requires": {"field": "claim", "ge": 0}, "statuss": "verified"}, "unknown key\\(s\\) 'statuss'"),
    ({"requires": {"field": "claim", "ge": 0}, "status": "probably"}, "status 'probably'"),
    ({"requires": {"field": "claim", "ge": 0}, "route": "auction"}, "unknown route 'auction'"),
])
def test_a_malformed_rule_is_refused_with_the_rule_and_the_place(rule: dict, message: str) -> None:
    with pytest.raises(DomainError, match=message) as info:
        Rulebook.from_mapping(rulebook_with(rule), origin="bank.yaml")
    assert str(info.value).startswith("bank.yaml: ")
    assert "extra" in str(info.value) or "rule #" in str(info.value)


def test_an_unknown_top_level_key_parameter_key_or_channel_parameter_is_refused() -> None:
    with pytest.raises(DomainError, match="unknown key\\(s\\) 'rule'"):
        Rulebook.from_mapping(rulebook_with({"requires": {"field": "claim", "ge": 0}}, {"rule": []}))
    doc = Rulebook.load().to_dict()
    doc["parameters"]["bulk_min_accounts"]["note"] = "x"
    with pytest.raises(DomainError, match="parameter 'bulk_min_accounts' has unknown key"):
        Rulebook.from_mapping(doc)
    doc = Rulebook.load().to_dict()
    doc["channels"]["amc_batch"]["min_accounts_param"] = "batch_minimum"
    with pytest.raises(DomainError, match="'batch_minimum' is not a parameter"):
        Rulebook.from_mapping(doc)


def test_a_parameter_override_must_keep_its_type() -> None:
    with pytest.raises(DomainError, match="yes/no value"):
        Rulebook.load(overrides={"transfer_pilot_participant": "false"})
    with pytest.raises(DomainError, match="at least 1"):
        Rulebook.load(overrides={"bulk_min_accounts": 0})
    assert Rulebook.load(overrides={"transfer_pilot_participant": False}).parameters["transfer_pilot_participant"] is False


def test_a_missing_or_broken_rulebook_file_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DomainError, match="not found"):
        Rulebook.load(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [unclosed\n", encoding="utf-8")
    with pytest.raises(DomainError, match="bad.yaml: not valid YAML"):
        Rulebook.load(bad)


def test_the_packaged_rulebook_round_trips_through_yaml_with_the_same_digest(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(Rulebook.load().to_dict(), allow_unicode=True), encoding="utf-8")
    assert Rulebook.load(path).digest == Rulebook.load().digest
    assert Rulebook.load(overrides={"bulk_min_accounts": 10}).digest != Rulebook.load().digest
