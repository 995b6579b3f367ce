"""SQL implementation of the valuation repository: runs, route values, model fits."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, select

from nplhub.services.valuation_ports import ValuationRepository, ValuationRun
from nplhub.storage.tables.valuation import recovery_model_fits, valuation_route_values, valuation_runs
from nplhub.storage.unit_of_work import register_repository
from nplhub.valuation import ROUTE_VALUE_COLUMNS, ROUTES

_MONEY = ("claim", "npv", "gross_recovery", "costs", "p10", "p50", "p90")
_FLOAT = ("months_to_recovery", "irr")
_BATCH = 5000


def _money(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) or math.isinf(x) else round(x, 2)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) or math.isinf(x) else x


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _run(row: Any) -> ValuationRun:
    return ValuationRun(
        run_id=row.run_id, snapshot_id=row.snapshot_id, created_at=_aware(row.created_at),
        assumption_name=row.assumption_name, assumption_version=row.assumption_version,
        assumption_sha256=row.assumption_sha256, discount_rate=float(row.discount_rate), seed=int(row.seed),
        mc_paths=int(row.mc_paths), mc_share=float(row.mc_share), calibrated=bool(row.calibrated),
        loans=int(row.loans), total_claim=float(row.total_claim), total_best_npv=float(row.total_best_npv),
        details=dict(row.details or {}),
    )


@register_repository(ValuationRepository)
class SqlValuationRepository(ValuationRepository):
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add_run(self, run: ValuationRun, frame: Any) -> None:
        self.conn.execute(insert(valuation_runs).values(
            run_id=run.run_id, snapshot_id=run.snapshot_id, created_at=run.created_at,
            assumption_name=run.assumption_name, assumption_version=run.assumption_version,
            assumption_sha256=run.assumption_sha256, discount_rate=run.discount_rate, seed=run.seed,
            mc_paths=run.mc_paths, mc_share=run.mc_share, calibrated=run.calibrated, loans=run.loans,
            total_claim=round(run.total_claim, 2), total_best_npv=round(run.total_best_npv, 2), details=run.details,
        ))
        columns = [*ROUTE_VALUE_COLUMNS, "is_best"]
        batch: list[dict[str, Any]] = []
        for values in frame.loc[:, columns].itertuples(index=False, name=None):
            row = dict(zip(columns, values))
            record: dict[str, Any] = {
                "run_id": run.run_id, "loan_id": str(row["loan_id"]), "route": str(row["route"]),
                "eligible": bool(row["eligible"]), "reason": row["reason"] if isinstance(row["reason"], str) else None,
                "is_best": bool(row["is_best"]),
            }
            for c in _MONEY:
                record[c] = _money(row[c])
            for c in _FLOAT:
                record[c] = _float(row[c])
            batch.append(record)
            if len(batch) >= _BATCH:
                self.conn.execute(insert(valuation_route_values), batch)
                batch = []
        if batch:
            self.conn.execute(insert(valuation_route_values), batch)

    def latest_run(self, snapshot_id: str) -> ValuationRun | None:
        row = self.conn.execute(
            select(valuation_runs).where(valuation_runs.c.snapshot_id == snapshot_id)
            .order_by(valuation_runs.c.created_at.desc(), valuation_runs.c.run_id.desc()).limit(1)).first()
        return None if row is None else _run(row)

    def get_run(self, run_id: str) -> ValuationRun | None:
        row = self.conn.execute(select(valuation_runs).where(valuation_runs.c.run_id == run_id)).first()
        return None if row is None else _run(row)

    def route_values(self, run_id: str, loan_ids: list[str] | None = None) -> pd.DataFrame:
        t = valuation_route_values
        query = select(*[t.c[c] for c in (*ROUTE_VALUE_COLUMNS, "is_best")]).where(t.c.run_id == run_id)
        if loan_ids is not None:
            query = query.where(t.c.loan_id.in_(loan_ids))
        rows = self.conn.execute(query).all()
        columns = [*ROUTE_VALUE_COLUMNS, "is_best"]
        data: list[Any] = list(zip(*rows)) if rows else [[] for _ in columns]
        frame = pd.DataFrame({c: list(v) for c, v in zip(columns, data)})
        for c in (*_MONEY, *_FLOAT):
            frame[c] = pd.to_numeric(frame[c].map(lambda v: None if v is None else float(v)),
                                     errors="coerce").astype("float64")
        frame["eligible"] = frame["eligible"].astype(bool)
        frame["is_best"] = frame["is_best"].astype(bool)
        frame["reason"] = frame["reason"].astype(object).where(frame["reason"].notna(), None)
        order = {r: i for i, r in enumerate(ROUTES)}
        frame = frame.assign(_o=frame["route"].map(order)).sort_values(["loan_id", "_o"], kind="stable")
        return frame.drop(columns="_o").reset_index(drop=True)

    def add_model_fit(self, fit_id: str, snapshot_id: str, created_at: datetime, method: str, seed: int,
                      summary: dict[str, Any], backtest: list[dict[str, Any]] | None) -> None:
        self.conn.execute(insert(recovery_model_fits).values(
            fit_id=fit_id, snapshot_id=snapshot_id, created_at=created_at, method=method, seed=seed,
            summary=summary, backtest=backtest))

    def latest_model_fit(self, snapshot_id: str) -> dict[str, Any] | None:
        t = recovery_model_fits
        row = self.conn.execute(select(t).where(t.c.snapshot_id == snapshot_id)
                                .order_by(t.c.created_at.desc()).limit(1)).first()
        if row is None:
            return None
        return {"fit_id": row.fit_id, "snapshot_id": row.snapshot_id, "created_at": _aware(row.created_at).isoformat(),
                "method": row.method, "seed": row.seed, "summary": row.summary, "backtest": row.backtest}
