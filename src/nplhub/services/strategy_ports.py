"""Ports of the strategy area: where plans, packages, approval tiers and cases are kept."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nplhub.strategy.cases import ApprovalTier, Case


@dataclass(frozen=True)
class StoredPlan:
    plan_id: str
    snapshot_id: str
    created_at: datetime
    status: str
    method: str
    objective_npv: float
    unconstrained_npv: float
    gap: float
    loans: int
    constraints: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


class StrategyRepository(abc.ABC):
    @abc.abstractmethod
    def add_plan(self, plan: StoredPlan, assignments: Any) -> None:
        """Store a plan and its assignment frame (nplhub.strategy.optimizer.ASSIGNMENT_COLUMNS)."""

    @abc.abstractmethod
    def get_plan(self, plan_id: str) -> StoredPlan | None: ...

    @abc.abstractmethod
    def latest_plan(self, snapshot_id: str | None = None) -> StoredPlan | None: ...

    @abc.abstractmethod
    def assignments(self, plan_id: str) -> Any:
        """The plan's assignment frame."""

    @abc.abstractmethod
    def replace_packages(self, plan_id: str, packages: Any) -> None: ...

    @abc.abstractmethod
    def packages(self, plan_id: str) -> list[dict[str, Any]]: ...


class CaseRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, cases: Sequence[Case]) -> None: ...

    @abc.abstractmethod
    def get(self, case_id: str) -> Case | None: ...

    @abc.abstractmethod
    def find(self, *, state: str | None = None, branch_id: str | None = None, plan_id: str | None = None,
             limit: int | None = None) -> list[Case]: ...

    @abc.abstractmethod
    def save(self, case: Case) -> None:
        """Persist the case's state, amounts, new transitions and new payments."""

    @abc.abstractmethod
    def loans_with_cases(self, plan_id: str) -> set[str]: ...

    @abc.abstractmethod
    def tiers(self) -> list[ApprovalTier]: ...

    @abc.abstractmethod
    def set_tiers(self, tiers: Sequence[ApprovalTier]) -> None: ...
