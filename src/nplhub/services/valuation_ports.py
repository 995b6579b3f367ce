"""Ports of the valuation area: where valuation runs and model fits are kept."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ValuationRun:
    run_id: str
    snapshot_id: str
    created_at: datetime
    assumption_name: str
    assumption_version: str
    assumption_sha256: str
    discount_rate: float
    seed: int
    mc_paths: int
    mc_share: float
    calibrated: bool
    loans: int
    total_claim: float
    total_best_npv: float
    details: dict[str, Any] = field(default_factory=dict)


class ValuationRepository(abc.ABC):
    @abc.abstractmethod
    def add_run(self, run: ValuationRun, frame: Any) -> None:
        """Store a run and its route-value frame (ROUTE_VALUE_COLUMNS plus `is_best`)."""

    @abc.abstractmethod
    def latest_run(self, snapshot_id: str) -> ValuationRun | None: ...

    @abc.abstractmethod
    def get_run(self, run_id: str) -> ValuationRun | None: ...

    @abc.abstractmethod
    def route_values(self, run_id: str, loan_ids: list[str] | None = None) -> Any:
        """The run's route-value frame (pandas), loan-major in route order."""

    @abc.abstractmethod
    def add_model_fit(self, fit_id: str, snapshot_id: str, created_at: datetime, method: str, seed: int,
                      summary: dict[str, Any], backtest: list[dict[str, Any]] | None) -> None: ...

    @abc.abstractmethod
    def latest_model_fit(self, snapshot_id: str) -> dict[str, Any] | None: ...
