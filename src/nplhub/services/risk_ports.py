"""The risk area's port: classification runs and their per-loan results, stored per snapshot."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class RiskRun:
    """One classification of a snapshot under a rule set, with its headline counts."""

    run_id: str
    snapshot_id: str
    ruleset_name: str
    ruleset_version: str
    as_of: date
    created_at: datetime
    loans: int
    downgraded: int
    hidden_npl_amount: float
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoanRiskResult:
    loan_id: str
    reported_class: str
    derived_class: str
    outstanding_principal: float
    reason_codes: tuple[str, ...] = ()
    hidden_flags: tuple[str, ...] = ()
    hidden_npl: bool = False


class RiskResultRepository(abc.ABC):
    @abc.abstractmethod
    def add_run(self, run: RiskRun, results: list[LoanRiskResult]) -> None: ...

    @abc.abstractmethod
    def latest_run(self, snapshot_id: str) -> RiskRun | None: ...

    @abc.abstractmethod
    def results(self, run_id: str) -> list[LoanRiskResult]: ...
