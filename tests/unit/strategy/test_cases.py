"""The case workflow: states, tiered approval, deadlines, restructuring watch, performance."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from nplhub.domain.errors import DomainError, InvalidTransition
from nplhub.strategy.cases import DEFAULT_TIERS, ApprovalTier, Case, Payment, alerts, performance

D0 = date(2025, 1, 6)


def case(route: str = "collection", claim: str = "2000000", **kw: object) -> Case:
    base = dict(case_id="C1", loan_id="L1", route=route, branch_id="B1", officer="B1-OFF1", claim=Decimal(claim),
                planned_recovery=Decimal("800000"), opened_on=D0, planned_close=D0 + timedelta(days=180))
    base.update(kw)
    return Case(**base)  # type: ignore[arg-type]


def test_a_case_runs_from_identified_to_closed_and_keeps_its_history() -> None:
    c = case()
    c = c.advance("plan_approved", at=D0, actor="u1", role="branch_manager")
    c = c.advance("executing", at=D0, actor="u2", role="officer")
    c = c.advance("recovered", at=D0 + timedelta(days=90), actor="u2", role="officer", amount=Decimal("900000"))
    c = c.advance("closed", at=D0 + timedelta(days=91), actor="u1", role="branch_manager")
    assert c.state == "closed" and c.actual_recovery == Decimal("900000")
    assert [t.to_state for t in c.history] == ["plan_approved", "executing", "recovered", "closed"]


def test_a_case_cannot_skip_the_approval() -> None:
    with pytest.raises(InvalidTransition, match="can move to: plan_approved"):
        case().advance("executing", at=D0, actor="u2", role="officer")


def test_a_branch_manager_cannot_approve_above_five_million_or_a_write_off() -> None:
    with pytest.raises(DomainError, match="exceeds its authority"):
        case(claim="8000000").advance("plan_approved", at=D0, actor="u1", role="branch_manager")
    with pytest.raises(DomainError, match="exceeds its authority"):
        case(route="write_off").advance("plan_approved", at=D0, actor="u1", role="branch_manager")
    ok = case(route="write_off", claim="80000000").advance("plan_approved", at=D0, actor="u9",
                                                           role="head_office_committee")
    assert ok.state == "plan_approved"


def test_approval_tiers_are_configurable() -> None:
    tiers = (ApprovalTier("sub_branch", Decimal("100000")), *DEFAULT_TIERS)
    with pytest.raises(DomainError):
        case().advance("plan_approved", at=D0, actor="u", role="sub_branch", tiers=tiers)
    assert case(claim="50000").advance("plan_approved", at=D0, actor="u", role="sub_branch", tiers=tiers).state \
        == "plan_approved"


def test_a_finished_case_needs_the_amount_actually_recovered() -> None:
    c = case().advance("plan_approved", at=D0, actor="u", role="branch_manager").advance(
        "executing", at=D0, actor="u", role="officer")
    with pytest.raises(DomainError, match="amount actually recovered"):
        c.advance("sold", at=D0, actor="u", role="officer")


def test_an_open_case_past_its_planned_close_is_overdue_and_alerted() -> None:
    c = case()
    assert not c.overdue(D0 + timedelta(days=180))
    assert c.overdue(D0 + timedelta(days=181))
    assert [a.kind for a in alerts([c], D0 + timedelta(days=200))] == ["overdue"]


def test_the_first_missed_instalment_of_a_restructured_loan_raises_the_alert_and_restarts_observation() -> None:
    c = case(route="restructuring").advance("plan_approved", at=D0, actor="u", role="branch_manager")
    c = c.advance("executing", at=D0, actor="u", role="officer")
    assert c.observation_start == D0
    c, first = c.record_payment(Payment(D0 + timedelta(days=30), Decimal(1000), Decimal(1000)))
    assert not first
    c, first = c.record_payment(Payment(D0 + timedelta(days=60), Decimal(1000), Decimal(400)))
    assert first and c.observation_start == D0 + timedelta(days=61)
    c, again = c.record_payment(Payment(D0 + timedelta(days=90), Decimal(1000), Decimal(0)))
    assert again  # a miss after the restart is the first of the new observation period
    assert any(a.kind == "restructured_missed_payment" for a in alerts([c], D0 + timedelta(days=91)))


def test_observation_ends_after_two_instalments_and_a_year() -> None:
    c = case(route="restructuring").advance("plan_approved", at=D0, actor="u", role="branch_manager")
    c = c.advance("executing", at=D0, actor="u", role="officer")
    for k in (1, 2):
        c, _ = c.record_payment(Payment(D0 + timedelta(days=30 * k), Decimal(1000), Decimal(1000)))
    assert not c.observation_complete(D0 + timedelta(days=200))
    assert c.observation_complete(D0 + timedelta(days=366))


def test_performance_compares_actual_and_planned_recovery_per_officer() -> None:
    a = case(case_id="A", officer="X").advance("plan_approved", at=D0, actor="u", role="branch_manager").advance(
        "executing", at=D0, actor="u", role="o").advance("recovered", at=D0, actor="u", role="o",
                                                         amount=Decimal("400000"))
    b = case(case_id="B", officer="Y")
    rows = {p.key: p.to_dict() for p in performance([a, b], "officer", D0)}
    assert rows["X"]["actual_vs_planned"] == 0.5 and rows["X"]["closed"] == 1
    assert rows["Y"]["closed"] == 0 and rows["Y"]["actual_vs_planned"] is None
