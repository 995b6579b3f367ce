"""Use cases of the disposal case workflow: open cases from a plan, advance them, watch restructurings.

Every transition is recorded as a ledger event ("strategy.case_advanced"); the person who made it
is referenced by a hash of their id, never in clear.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from nplhub.domain.errors import DomainError, NotFound
from nplhub.domain.events import GenericEvent
from nplhub.services.ports import AbstractUnitOfWork
from nplhub.services.strategy_ports import CaseRepository, StrategyRepository
from nplhub.strategy.cases import DEFAULT_TIERS, ApprovalTier, Case, Payment, alerts, performance

DAYS_PER_MONTH = 365.25 / 12


def _ref(person: str) -> str:
    return "sha256:" + hashlib.sha256(person.encode("utf-8")).hexdigest()[:16]


def _money(x: Any) -> Decimal:
    return Decimal(str(round(float(x), 2))) if x is not None and pd.notna(x) else Decimal("0.00")


def open_cases(uow: AbstractUnitOfWork, plan_id: str | None = None, *, today: date,
               officers_per_branch: int = 3) -> dict[str, Any]:
    """A case for every loan of the plan that has none yet, officers assigned in turn within each branch."""
    if officers_per_branch < 1:
        raise DomainError("officers_per_branch must be at least 1")
    with uow:
        plans = uow.get(StrategyRepository)  # type: ignore[type-abstract]
        plan = plans.get_plan(plan_id) if plan_id else plans.latest_plan()
        if plan is None:
            raise NotFound("no plan yet: run `nplhub strategy plan` first")
        repo = uow.get(CaseRepository)  # type: ignore[type-abstract]
        done = repo.loans_with_cases(plan.plan_id)
        frame = plans.assignments(plan.plan_id)
        frame = frame[~frame["loan_id"].isin(done)]
        turn: dict[str, int] = {}
        new: list[Case] = []
        for row in frame.itertuples(index=False):
            branch = str(row.branch_id or "unassigned")
            k = turn.get(branch, 0)
            turn[branch] = k + 1
            months = float(row.months_to_recovery) if pd.notna(row.months_to_recovery) else 12.0
            new.append(Case(case_id=f"C-{plan.plan_id[:8]}-{row.loan_id}", loan_id=str(row.loan_id), route=str(row.route),
                            branch_id=branch, officer=f"{branch}-OFF{k % officers_per_branch + 1}",
                            claim=_money(row.claim), planned_recovery=_money(row.gross_recovery), opened_on=today,
                            planned_close=today + timedelta(days=round(months * DAYS_PER_MONTH)),
                            plan_id=plan.plan_id))
        repo.add(new)
        ids = "\n".join(c.case_id for c in new)
        uow.record(GenericEvent(kind="strategy.cases_opened", subject=plan.plan_id, data={
            "cases": len(new), "opened_on": today, "case_ids_sha256": hashlib.sha256(ids.encode()).hexdigest()}))
        uow.commit()
    return {"plan_id": plan.plan_id, "opened": len(new)}


def list_cases(uow: AbstractUnitOfWork, *, today: date, state: str | None = None, branch_id: str | None = None,
               overdue_only: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
    with uow:
        cases = uow.get(CaseRepository).find(state=state, branch_id=branch_id)  # type: ignore[type-abstract]
    if overdue_only:
        cases = [c for c in cases if c.overdue(today)]
    if limit is not None:
        cases = cases[:limit]
    return [{k: v for k, v in c.to_dict(today).items() if k not in ("history", "payments")} for c in cases]


def show_case(uow: AbstractUnitOfWork, case_id: str, *, today: date) -> dict[str, Any]:
    with uow:
        case = uow.get(CaseRepository).get(case_id)  # type: ignore[type-abstract]
    if case is None:
        raise NotFound(f"case {case_id} not found")
    out = case.to_dict(today)
    out["alerts"] = [{"kind": a.kind, "message": a.message} for a in alerts([case], today)]
    out["observation_complete"] = case.observation_complete(today)
    return out


def approval_tiers(uow: AbstractUnitOfWork) -> list[ApprovalTier]:
    with uow:
        tiers = uow.get(CaseRepository).tiers()  # type: ignore[type-abstract]
    return tiers or list(DEFAULT_TIERS)


def set_approval_tiers(uow: AbstractUnitOfWork, tiers: Sequence[ApprovalTier]) -> None:
    roles = [t.role for t in tiers]
    if not tiers or len(set(roles)) != len(roles):
        raise DomainError("approval tiers need at least one tier and distinct roles")
    with uow:
        uow.get(CaseRepository).set_tiers(tiers)  # type: ignore[type-abstract]
        uow.record(GenericEvent(kind="strategy.approval_tiers_set", subject="approval_tiers", data={
            "tiers": [{"role": t.role, "max_amount": t.max_amount, "routes": list(t.routes)} for t in tiers]}))
        uow.commit()


def advance_case(uow: AbstractUnitOfWork, case_id: str, to_state: str, *, actor: str, role: str, at: date,
                 amount: Decimal | None = None, note: str = "") -> dict[str, Any]:
    """Move a case along its state machine; the transition and its ledger event commit together."""
    tiers = approval_tiers(uow)
    with uow:
        repo = uow.get(CaseRepository)  # type: ignore[type-abstract]
        case = repo.get(case_id)
        if case is None:
            raise NotFound(f"case {case_id} not found")
        moved = case.advance(to_state, at=at, actor=actor, role=role, tiers=tiers, amount=amount, note=note)
        repo.save(moved)
        uow.record(GenericEvent(kind="strategy.case_advanced", subject=case_id, data={
            "loan_id": case.loan_id, "route": case.route, "from": case.state, "to": to_state, "at": at,
            "actor": _ref(actor), "role": role, "amount": amount, "claim": case.claim}))
        uow.commit()
    return moved.to_dict(at)


def record_payment(uow: AbstractUnitOfWork, case_id: str, *, due_date: date, amount_due: Decimal,
                   amount_paid: Decimal) -> dict[str, Any]:
    """An instalment of a restructured loan under observation; the first missed one raises the alert."""
    if amount_due <= 0 or amount_paid < 0:
        raise DomainError("an instalment has a positive amount due and a non-negative amount paid")
    with uow:
        repo = uow.get(CaseRepository)  # type: ignore[type-abstract]
        case = repo.get(case_id)
        if case is None:
            raise NotFound(f"case {case_id} not found")
        if any(p.due_date == due_date for p in case.payments):
            raise DomainError(f"case {case_id} already has the instalment due {due_date}")
        updated, first_miss = case.record_payment(Payment(due_date, amount_due, amount_paid))
        repo.save(updated)
        uow.record(GenericEvent(kind="strategy.instalment_recorded", subject=case_id, data={
            "due_date": due_date, "amount_due": amount_due, "amount_paid": amount_paid, "missed": amount_paid < amount_due}))
        if first_miss:
            uow.record(GenericEvent(kind="strategy.restructured_loan_missed_payment", subject=case_id, data={
                "loan_id": case.loan_id, "due_date": due_date, "observation_restarts": due_date}))
        uow.commit()
    return {"case_id": case_id, "missed": amount_paid < amount_due, "first_missed_payment_alert": first_miss,
            "observation_start": None if updated.observation_start is None else updated.observation_start.isoformat()}


def case_alerts(uow: AbstractUnitOfWork, *, today: date) -> list[dict[str, str]]:
    with uow:
        cases = uow.get(CaseRepository).find()  # type: ignore[type-abstract]
    return [{"case_id": a.case_id, "kind": a.kind, "message": a.message} for a in alerts(cases, today)]


def case_performance(uow: AbstractUnitOfWork, *, by: str, today: date) -> list[dict[str, Any]]:
    with uow:
        cases = uow.get(CaseRepository).find()  # type: ignore[type-abstract]
    return [p.to_dict() for p in performance(cases, by, today)]


def demo_cases(ctx: Any, plan_id: str, cutoff: date) -> dict[str, Any]:
    """Open the plan's cases and walk a few through the workflow, with one restructuring that slips."""
    opened = open_cases(ctx.uow_factory(), plan_id, today=cutoff)
    # this plan's cases only: a database that ran the demo before holds earlier plans' cases too
    listed = [c for c in list_cases(ctx.uow_factory(), today=cutoff) if c["plan_id"] == plan_id]
    small = [c for c in listed if Decimal(c["claim"]) <= Decimal("5000000") and c["state"] == "identified"]
    walked = 0
    for c in small[:5]:
        role = "branch_manager" if c["route"] in ("collection", "restructuring", "judicial_auction") \
            else "head_office_committee"
        advance_case(ctx.uow_factory(), c["case_id"], "plan_approved", actor="demo-approver", role=role, at=cutoff)
        advance_case(ctx.uow_factory(), c["case_id"], "executing", actor="demo-officer", role="officer",
                     at=cutoff + timedelta(days=7))
        walked += 1
    restructured = [c for c in listed if c["route"] == "restructuring"]
    alert = False
    if restructured:
        cid = restructured[0]["case_id"]
        case = show_case(ctx.uow_factory(), cid, today=cutoff)
        if case["state"] == "identified":
            tiers = approval_tiers(ctx.uow_factory())
            role = next((t.role for t in tiers if t.may_approve(Decimal(case["claim"]), "restructuring")), tiers[-1].role)
            advance_case(ctx.uow_factory(), cid, "plan_approved", actor="demo-approver", role=role, at=cutoff)
            advance_case(ctx.uow_factory(), cid, "executing", actor="demo-officer", role="officer", at=cutoff)
        due = (Decimal(case["claim"]) / 36).quantize(Decimal("0.01"))
        record_payment(ctx.uow_factory(), cid, due_date=cutoff + timedelta(days=30), amount_due=due, amount_paid=due)
        alert = record_payment(ctx.uow_factory(), cid, due_date=cutoff + timedelta(days=60), amount_due=due,
                               amount_paid=Decimal(0))["first_missed_payment_alert"]
    return {"opened": opened["opened"], "walked": walked, "restructuring_alert": alert}
