"""SQL implementation of the risk results repository."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from nplhub.services.risk_ports import LoanRiskResult, RiskResultRepository, RiskRun
from nplhub.storage.tables.risk import risk_loan_results, risk_runs
from nplhub.storage.unit_of_work import register_repository

_BATCH = 5000


def _money(value: float) -> Decimal:
    return Decimal(str(round(float(value), 2)))


@register_repository(RiskResultRepository)
class SqlRiskResultRepository(RiskResultRepository):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_run(self, run: RiskRun, results: list[LoanRiskResult]) -> None:
        self.conn.execute(insert(risk_runs).values(
            run_id=run.run_id, snapshot_id=run.snapshot_id, ruleset_name=run.ruleset_name,
            ruleset_version=run.ruleset_version, as_of=run.as_of, created_at=run.created_at, loans=run.loans,
            downgraded=run.downgraded, hidden_npl_amount=_money(run.hidden_npl_amount), summary=run.summary))
        rows: list[dict[str, Any]] = [
            {"run_id": run.run_id, "loan_id": r.loan_id, "reported_class": r.reported_class,
             "derived_class": r.derived_class, "outstanding_principal": _money(r.outstanding_principal),
             "reason_codes": ";".join(r.reason_codes), "hidden_flags": ";".join(r.hidden_flags),
             "hidden_npl": bool(r.hidden_npl)}
            for r in results
        ]
        for i in range(0, len(rows), _BATCH):
            self.conn.execute(insert(risk_loan_results), rows[i:i + _BATCH])

    def latest_run(self, snapshot_id: str) -> RiskRun | None:
        row = self.conn.execute(
            select(risk_runs).where(risk_runs.c.snapshot_id == snapshot_id)
            .order_by(risk_runs.c.created_at.desc()).limit(1)).mappings().first()
        if row is None:
            return None
        return RiskRun(run_id=row["run_id"], snapshot_id=row["snapshot_id"], ruleset_name=row["ruleset_name"],
                       ruleset_version=row["ruleset_version"], as_of=row["as_of"], created_at=row["created_at"],
                       loans=row["loans"], downgraded=row["downgraded"],
                       hidden_npl_amount=float(row["hidden_npl_amount"]), summary=dict(row["summary"]))

    def results(self, run_id: str) -> list[LoanRiskResult]:
        rows = self.conn.execute(
            select(risk_loan_results).where(risk_loan_results.c.run_id == run_id)
            .order_by(risk_loan_results.c.loan_id)).mappings().all()
        return [LoanRiskResult(loan_id=r["loan_id"], reported_class=r["reported_class"],
                               derived_class=r["derived_class"],
                               outstanding_principal=float(r["outstanding_principal"]),
                               reason_codes=tuple(c for c in r["reason_codes"].split(";") if c),
                               hidden_flags=tuple(c for c in r["hidden_flags"].split(";") if c),
                               hidden_npl=bool(r["hidden_npl"])) for r in rows]
