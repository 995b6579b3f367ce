"""Strategy use cases on a real database (SQLite and PostgreSQL): plans, packages and cases are stored
and read back, every change is a ledger event, and a refused move changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from nplhub.domain.errors import DomainError
from nplhub.services import cases as case_svc
from nplhub.services import strategy as svc
from nplhub.services import valuation as valuation_svc
from nplhub.strategy.cases import ApprovalTier
from nplhub.strategy.constraints import PlanConstraints

TODAY = date(2026, 1, 5)


@pytest.fixture(scope="module")
def tape():
    from nplhub.datahub.generate import generate_tape

    return generate_tape(1200, 13, history=False)


@pytest.fixture
def valued(migrated_url, tape, tmp_path):
    from nplhub.bootstrap import bootstrap
    from nplhub.config import Settings
    from nplhub.datahub.generate import write_tape
    from nplhub.services.datahub import import_tape

    platform = bootstrap(Settings(database_url=migrated_url, data_dir=tmp_path, ledger_key=tmp_path / "key"))
    write_tape(tape, tmp_path / "tape", "csv")
    sid = import_tape(platform.uow(), tmp_path / "tape").snapshot_id
    valuation_svc.value_snapshot(platform.uow(), sid, valuation_svc.ValuationOptions(paths=0))
    yield platform
    platform.close()


def _count(platform, table: str) -> int:
    from sqlalchemy import text

    with platform.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar())


def test_a_plan_is_stored_with_its_assignments_and_recorded_in_the_ledger(valued) -> None:
    before = _count(valued, "ledger_entries")
    out = svc.plan_disposal(valued.uow(), PlanConstraints(package_min_accounts=True))
    plan, assignments = svc.get_plan(valued.uow(), out["plan_id"])
    assert plan.objective_npv == pytest.approx(out["objective_npv"], abs=0.01)
    assert sorted(assignments["loan_id"]) == sorted(a["loan_id"] for a in out["assignments"])
    assert dict(zip(assignments["loan_id"], assignments["route"])) == {a["loan_id"]: a["route"]
                                                                       for a in out["assignments"]}
    assert _count(valued, "ledger_entries") == before + 1


def test_packages_and_cases_round_trip_and_a_refused_approval_changes_nothing(valued) -> None:
    out = svc.plan_disposal(valued.uow())
    packs = svc.plan_packages(valued.uow(), out["plan_id"])
    stored = svc.plan_packages(valued.uow(), out["plan_id"])  # replaced, not duplicated
    assert len(packs["packages"]) == len(stored["packages"]) == _count(valued, "strategy_packages")
    opened = case_svc.open_cases(valued.uow(), out["plan_id"], today=TODAY)
    assert opened["opened"] == len(out["assignments"])
    assert case_svc.open_cases(valued.uow(), out["plan_id"], today=TODAY)["opened"] == 0

    case_svc.set_approval_tiers(valued.uow(), [ApprovalTier("desk", Decimal("1")), ApprovalTier("board", None)])
    target = case_svc.list_cases(valued.uow(), today=TODAY)[0]
    ledger = _count(valued, "ledger_entries")
    with pytest.raises(DomainError, match="exceeds its authority"):
        case_svc.advance_case(valued.uow(), target["case_id"], "plan_approved", actor="a", role="desk", at=TODAY)
    assert case_svc.show_case(valued.uow(), target["case_id"], today=TODAY)["state"] == "identified"
    assert _count(valued, "ledger_entries") == ledger and _count(valued, "strategy_case_transitions") == 0

    case_svc.advance_case(valued.uow(), target["case_id"], "plan_approved", actor="a", role="board", at=TODAY)
    case_svc.advance_case(valued.uow(), target["case_id"], "executing", actor="b", role="officer", at=TODAY)
    shown = case_svc.show_case(valued.uow(), target["case_id"], today=TODAY)
    assert [h["to"] for h in shown["history"]] == ["plan_approved", "executing"]
    assert _count(valued, "ledger_entries") == ledger + 2


def test_a_missed_instalment_of_a_restructuring_is_stored_and_alerted(valued) -> None:
    out = svc.plan_disposal(valued.uow())
    case_svc.open_cases(valued.uow(), out["plan_id"], today=TODAY)
    restructured = case_svc.list_cases(valued.uow(), today=TODAY, state="identified")
    restructured = [c for c in restructured if c["route"] == "restructuring"]
    if not restructured:
        pytest.skip("the generated book has no restructuring in its plan")
    cid = restructured[0]["case_id"]
    case_svc.advance_case(valued.uow(), cid, "plan_approved", actor="a", role="head_office_committee", at=TODAY)
    case_svc.advance_case(valued.uow(), cid, "executing", actor="b", role="officer", at=TODAY)
    ok = case_svc.record_payment(valued.uow(), cid, due_date=date(2026, 2, 5), amount_due=Decimal("100.00"),
                                 amount_paid=Decimal("100.00"))
    missed = case_svc.record_payment(valued.uow(), cid, due_date=date(2026, 3, 5), amount_due=Decimal("100.00"),
                                     amount_paid=Decimal("10.00"))
    assert not ok["first_missed_payment_alert"] and missed["first_missed_payment_alert"]
    alerts = case_svc.case_alerts(valued.uow(), today=date(2026, 3, 6))
    assert any(a["case_id"] == cid and a["kind"] == "restructured_missed_payment" for a in alerts)
    assert len(case_svc.show_case(valued.uow(), cid, today=TODAY)["payments"]) == 2
