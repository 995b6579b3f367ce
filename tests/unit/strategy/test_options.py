"""One rulebook: the options a plan chooses from are exactly the routes the valuation found open."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from nplhub.domain.errors import DomainError
from nplhub.services.strategy import packaging_rulebook
from nplhub.strategy.options import build_options, loan_attributes
from nplhub.valuation.assumptions import AssumptionSet, load_assumptions
from nplhub.valuation.engine import value_routes
from nplhub.valuation.portfolio import build_loan_frame

CUTOFF = "2025-06-30"
ASSUMPTIONS = load_assumptions()


def tape() -> dict[str, pd.DataFrame]:
    """Three secured corporate loans, three unsecured card loans and one personal mortgage."""
    kinds = [("C", "corporate", "working_capital", True)] * 3 + [("P", "individual", "credit_card", False)] * 3 \
        + [("M", "individual", "mortgage", True)]
    loans = pd.DataFrame({
        "loan_id": [f"{k}{i}" for i, (k, *_) in enumerate(kinds)],
        "counterparty_id": [f"CP{i}" for i in range(len(kinds))],
        "product": [p for _, _, p, _ in kinds],
        "outstanding_principal": [2_000_000.0 if k != "P" else 50_000.0 for k, *_ in kinds],
        "accrued_interest": 10_000.0, "penalty_interest": 0.0, "fees": 0.0, "provision": 10_000.0,
        "days_past_due": 400, "reported_class": "doubtful", "legal_status": "litigation", "written_off": False,
        "restructured": False, "branch_id": "BR1",
    })
    counterparties = pd.DataFrame({"counterparty_id": loans["counterparty_id"],
                                   "counterparty_type": [t for _, t, _, _ in kinds], "region": "510104",
                                   "insolvency_status": "none"})
    secured = [i for i, (*_, s) in enumerate(kinds) if s]
    collateral = pd.DataFrame({"collateral_id": [f"K{i}" for i in secured], "collateral_type": "residential",
                               "region": "510104", "appraisal_value": 1_500_000.0, "appraisal_date": "2024-06-30"})
    links = pd.DataFrame({"loan_id": loans["loan_id"].iloc[secured].to_numpy(), "collateral_id": collateral["collateral_id"],
                          "allocated_amount": 1_500_000.0})
    return {"loans": loans, "counterparties": counterparties, "collateral": collateral, "loan_collateral": links}


def value_and_plan(a: AssumptionSet) -> tuple[pd.DataFrame, pd.DataFrame]:
    frames = tape()
    values = value_routes(build_loan_frame(frames, CUTOFF, a), a)
    options = build_options(values, loan_attributes(frames), a.rulebook)
    return values.set_index(["loan_id", "route"]), options.verdicts.set_index(["loan_id", "route"])


def test_valuation_and_strategy_give_the_same_verdict_and_reason_for_every_loan_and_route() -> None:
    valued, planned = value_and_plan(ASSUMPTIONS)
    assert valued["eligible"].equals(planned.loc[valued.index, "eligible"])
    closed = ~valued["eligible"]
    assert valued.loc[closed, "reason"].tolist() == planned.loc[valued.index[closed], "reason"].tolist()
    assert planned["reason"].dropna().map(lambda r: not r.startswith("valuation:")).all()


def test_a_personal_mortgage_is_closed_to_bulk_transfer_in_both_with_the_rules_reason() -> None:
    valued, planned = value_and_plan(ASSUMPTIONS)
    for frame in (valued, planned):
        row = frame.loc[("M6", "bulk_transfer")]
        assert not row["eligible"]
        assert row["reason"].startswith("personal loans are excluded from batch transfer")
        assert "[bulk-transfer-no-personal-loans; 财金〔2012〕6号" in row["reason"]
    assert valued.loc[("P3", "bulk_transfer"), "eligible"] and planned.loc[("P3", "bulk_transfer"), "eligible"]


def test_a_rule_changed_in_a_custom_rulebook_changes_valuation_and_strategy_alike(tmp_path: Path) -> None:
    doc = ASSUMPTIONS.rulebook.to_dict()
    doc["parameters"]["transfer_pilot_participant"]["value"] = False  # a bank outside the 2021 pilot
    rule = next(r for r in doc["rules"] if r["id"] == "judicial-auction-needs-an-asset")
    rule["requires"] = {"field": "legal_status", "in": ["judgment", "enforcement"]}  # a judgment first
    rule["reason"] = "this bank goes to auction only on a judgment"
    path = tmp_path / "bank-rules.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    custom = load_assumptions(rules=path)

    before, _ = value_and_plan(ASSUMPTIONS)
    valued, planned = value_and_plan(custom)
    for frame in (valued, planned):
        assert not frame.loc[("C0", "single_transfer"), "eligible"]
        assert "single-transfer-pilot-corporate-only" in frame.loc[("C0", "single_transfer"), "reason"]
        assert not frame.loc[("P3", "bulk_transfer"), "eligible"]
        assert frame.loc[("C0", "judicial_auction"), "reason"].startswith("this bank goes to auction only")
    assert before.loc[("C0", "single_transfer"), "eligible"] and before.loc[("C0", "judicial_auction"), "eligible"]
    assert valued["eligible"].equals(planned.loc[valued.index, "eligible"])


def test_a_plan_may_raise_a_package_minimum_but_not_reopen_or_close_a_route() -> None:
    book = ASSUMPTIONS.rulebook
    assert packaging_rulebook(book, {"bulk_min_accounts": 10}).min_accounts("amc_batch") == 10
    with pytest.raises(DomainError, match="'transfer_pilot_participant' decides which routes are open"):
        packaging_rulebook(book, {"transfer_pilot_participant": False})
    with pytest.raises(DomainError, match="unknown eligibility parameter"):
        packaging_rulebook(book, {"bulk_minimum": 10})
