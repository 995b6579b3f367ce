"""SQL implementations of the strategy repositories: plans, packages, approval tiers, cases."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select, update

from nplhub.services.strategy_ports import CaseRepository, StoredPlan, StrategyRepository
from nplhub.storage.tables.strategy import (
    strategy_approval_tiers,
    strategy_assignments,
    strategy_case_payments,
    strategy_case_transitions,
    strategy_cases,
    strategy_packages,
    strategy_plans,
)
from nplhub.storage.unit_of_work import register_repository
from nplhub.strategy.cases import ApprovalTier, Case, Payment, Transition

_BATCH = 5000
_ASSIGNMENT_COLUMNS = [c.name for c in strategy_assignments.columns if c.name != "plan_id"]
_PACKAGE_COLUMNS = [c.name for c in strategy_packages.columns if c.name != "plan_id"]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plan(row: Any) -> StoredPlan:
    return StoredPlan(plan_id=row.plan_id, snapshot_id=row.snapshot_id, created_at=_aware(row.created_at),
                      status=row.status, method=row.method, objective_npv=float(row.objective_npv),
                      unconstrained_npv=float(row.unconstrained_npv), gap=float(row.gap), loans=int(row.loans),
                      constraints=dict(row.constraints or {}), summary=dict(row.summary or {}))


@register_repository(StrategyRepository)
class SqlStrategyRepository(StrategyRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add_plan(self, plan: StoredPlan, assignments: Any) -> None:
        self.conn.execute(insert(strategy_plans).values(
            plan_id=plan.plan_id, snapshot_id=plan.snapshot_id, created_at=plan.created_at, status=plan.status,
            method=plan.method, objective_npv=plan.objective_npv, unconstrained_npv=plan.unconstrained_npv,
            gap=plan.gap, loans=plan.loans, constraints=plan.constraints, summary=plan.summary))
        frame = assignments[_ASSIGNMENT_COLUMNS]
        rows = [{"plan_id": plan.plan_id, **{k: _clean(v) for k, v in zip(_ASSIGNMENT_COLUMNS, values)}}
                for values in frame.itertuples(index=False, name=None)]
        for i in range(0, len(rows), _BATCH):
            self.conn.execute(insert(strategy_assignments), rows[i:i + _BATCH])

    def get_plan(self, plan_id: str) -> StoredPlan | None:
        row = self.conn.execute(select(strategy_plans).where(strategy_plans.c.plan_id == plan_id)).first()
        return None if row is None else _plan(row)

    def latest_plan(self, snapshot_id: str | None = None) -> StoredPlan | None:
        q = select(strategy_plans)
        if snapshot_id is not None:
            q = q.where(strategy_plans.c.snapshot_id == snapshot_id)
        row = self.conn.execute(q.order_by(strategy_plans.c.created_at.desc(), strategy_plans.c.plan_id.desc())
                                .limit(1)).first()
        return None if row is None else _plan(row)

    def assignments(self, plan_id: str) -> Any:
        rows = self.conn.execute(select(*[strategy_assignments.c[c] for c in _ASSIGNMENT_COLUMNS])
                                 .where(strategy_assignments.c.plan_id == plan_id)
                                 .order_by(strategy_assignments.c.loan_id)).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=_ASSIGNMENT_COLUMNS)

    def replace_packages(self, plan_id: str, packages: Any) -> None:
        self.conn.execute(delete(strategy_packages).where(strategy_packages.c.plan_id == plan_id))
        rows = [{"plan_id": plan_id, **{k: _clean(v) for k, v in zip(_PACKAGE_COLUMNS, values)}}
                for values in packages[_PACKAGE_COLUMNS].itertuples(index=False, name=None)]
        if rows:
            self.conn.execute(insert(strategy_packages), rows)

    def packages(self, plan_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(strategy_packages).where(strategy_packages.c.plan_id == plan_id)
                                 .order_by(strategy_packages.c.package_id)).mappings().all()
        return [{k: v for k, v in r.items() if k != "plan_id"} for r in rows]


@register_repository(CaseRepository)
class SqlCaseRepository(CaseRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add(self, cases: Sequence[Case]) -> None:
        rows = [self._row(c) for c in cases]
        for i in range(0, len(rows), _BATCH):
            self.conn.execute(insert(strategy_cases), rows[i:i + _BATCH])
        for c in cases:
            self._append_children(c, 0, 0)

    @staticmethod
    def _row(c: Case) -> dict[str, Any]:
        return {"case_id": c.case_id, "plan_id": c.plan_id, "loan_id": c.loan_id, "route": c.route,
                "branch_id": c.branch_id, "officer": c.officer, "state": c.state, "claim": c.claim,
                "planned_recovery": c.planned_recovery, "actual_recovery": c.actual_recovery,
                "opened_on": c.opened_on, "planned_close": c.planned_close, "observation_start": c.observation_start}

    def _append_children(self, c: Case, known_steps: int, known_payments: int) -> None:
        steps = [{"case_id": c.case_id, "seq": i + 1, "from_state": t.from_state, "to_state": t.to_state, "at": t.at,
                  "actor": t.actor, "role": t.role, "amount": t.amount, "note": t.note}
                 for i, t in enumerate(c.history) if i >= known_steps]
        if steps:
            self.conn.execute(insert(strategy_case_transitions), steps)
        pays = [{"case_id": c.case_id, "due_date": p.due_date, "amount_due": p.amount_due, "amount_paid": p.amount_paid}
                for i, p in enumerate(c.payments) if i >= known_payments]
        if pays:
            self.conn.execute(insert(strategy_case_payments), pays)

    def get(self, case_id: str) -> Case | None:
        found = self._load(select(strategy_cases).where(strategy_cases.c.case_id == case_id))
        return found[0] if found else None

    def find(self, *, state: str | None = None, branch_id: str | None = None, plan_id: str | None = None,
             limit: int | None = None) -> list[Case]:
        q = select(strategy_cases)
        if state is not None:
            q = q.where(strategy_cases.c.state == state)
        if branch_id is not None:
            q = q.where(strategy_cases.c.branch_id == branch_id)
        if plan_id is not None:
            q = q.where(strategy_cases.c.plan_id == plan_id)
        q = q.order_by(strategy_cases.c.case_id)
        if limit is not None:
            q = q.limit(limit)
        return self._load(q)

    def _load(self, query: Any) -> list[Case]:
        rows = self.conn.execute(query).all()
        if not rows:
            return []
        ids = [r.case_id for r in rows]
        history: dict[str, list[Transition]] = {i: [] for i in ids}
        payments: dict[str, list[Payment]] = {i: [] for i in ids}
        for chunk in range(0, len(ids), 900):
            part = ids[chunk:chunk + 900]
            for t in self.conn.execute(select(strategy_case_transitions)
                                       .where(strategy_case_transitions.c.case_id.in_(part))
                                       .order_by(strategy_case_transitions.c.case_id, strategy_case_transitions.c.seq)):
                history[t.case_id].append(Transition(t.from_state, t.to_state, t.at, t.actor, t.role,
                                                     None if t.amount is None else Decimal(t.amount), t.note or ""))
            for p in self.conn.execute(select(strategy_case_payments)
                                       .where(strategy_case_payments.c.case_id.in_(part))
                                       .order_by(strategy_case_payments.c.case_id, strategy_case_payments.c.due_date)):
                payments[p.case_id].append(Payment(p.due_date, Decimal(p.amount_due), Decimal(p.amount_paid)))
        return [Case(case_id=r.case_id, loan_id=r.loan_id, route=r.route, branch_id=r.branch_id, officer=r.officer,
                     claim=Decimal(r.claim), planned_recovery=Decimal(r.planned_recovery), opened_on=r.opened_on,
                     planned_close=r.planned_close, plan_id=r.plan_id, state=r.state,
                     actual_recovery=None if r.actual_recovery is None else Decimal(r.actual_recovery),
                     history=tuple(history[r.case_id]), payments=tuple(payments[r.case_id]),
                     observation_start=r.observation_start) for r in rows]

    def save(self, case: Case) -> None:
        steps = self.conn.execute(select(func.count()).select_from(strategy_case_transitions)
                                  .where(strategy_case_transitions.c.case_id == case.case_id)).scalar_one()
        pays = self.conn.execute(select(func.count()).select_from(strategy_case_payments)
                                 .where(strategy_case_payments.c.case_id == case.case_id)).scalar_one()
        row = self._row(case)
        row.pop("case_id")
        self.conn.execute(update(strategy_cases).where(strategy_cases.c.case_id == case.case_id).values(**row))
        self._append_children(case, int(steps), int(pays))

    def loans_with_cases(self, plan_id: str) -> set[str]:
        rows = self.conn.execute(select(strategy_cases.c.loan_id).where(strategy_cases.c.plan_id == plan_id)).all()
        return {r.loan_id for r in rows}

    def tiers(self) -> list[ApprovalTier]:
        rows = self.conn.execute(select(strategy_approval_tiers).order_by(strategy_approval_tiers.c.rank)).all()
        return [ApprovalTier(r.role, None if r.max_amount is None else Decimal(r.max_amount), tuple(r.routes or ()))
                for r in rows]

    def set_tiers(self, tiers: Sequence[ApprovalTier]) -> None:
        self.conn.execute(delete(strategy_approval_tiers))
        if tiers:
            self.conn.execute(insert(strategy_approval_tiers), [
                {"role": t.role, "rank": i, "max_amount": t.max_amount, "routes": list(t.routes)}
                for i, t in enumerate(tiers)])
