"""The risk use cases against in-memory fakes of the ports (no database)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from nplhub.domain.errors import NotFound
from nplhub.risk.simulate import simulate_loan_states
from nplhub.services import risk as svc
from nplhub.services.ports import AbstractUnitOfWork, SnapshotReader
from nplhub.services.risk_ports import RiskResultRepository


class FakeReader(SnapshotReader):
    def __init__(self, tables: dict[str, pd.DataFrame] | None) -> None:
        self.tables = tables

    def latest_snapshot_id(self, portfolio_id: str | None = None) -> str | None:
        return "S1" if self.tables is not None else None

    def frames(self, snapshot_id: str, tables: Any) -> dict[str, Any]:
        assert self.tables is not None
        return {t: self.tables.get(t) for t in tables}


class FakeResults(RiskResultRepository):
    def __init__(self) -> None:
        self.runs: list[Any] = []

    def add_run(self, run, results):
        self.runs.append((run, results))

    def latest_run(self, snapshot_id):
        return self.runs[-1][0] if self.runs else None

    def results(self, run_id):
        return next(r for run, r in self.runs if run.run_id == run_id)


class FakeUow(AbstractUnitOfWork):
    def __init__(self, repos: dict[type, Any]) -> None:
        super().__init__()
        self.repos = repos
        self.committed_events: list[Any] = []

    def get(self, port):
        return self.repos[port]

    def audit_sink(self):
        return None

    def _commit(self) -> None:
        self.committed_events.extend(self._pending)

    def _rollback(self) -> None:
        pass


@pytest.fixture
def tables():
    states = simulate_loan_states(300, 16, seed=5)
    last = states[states["as_of_date"] == states["as_of_date"].max()]
    loans = pd.DataFrame({"loan_id": last["loan_id"].to_numpy(), "counterparty_id": last["loan_id"].to_numpy(),
                          "product": "consumer", "reported_class": last["class"].to_numpy(),
                          "days_past_due": last["days_past_due"].to_numpy(),
                          "outstanding_principal": last["outstanding_principal"].to_numpy(),
                          "provision": last["provision"].to_numpy()})
    return {"loans": loans, "loan_states": states}


def test_classify_and_store_saves_every_loan_and_records_one_ledger_event(tables):
    reader, results = FakeReader(tables), FakeResults()
    uows: list[FakeUow] = []

    def factory() -> FakeUow:
        uows.append(FakeUow({SnapshotReader: reader, RiskResultRepository: results}))
        return uows[-1]

    run, result = svc.classify_and_store(factory)
    stored_run, rows = results.runs[0]
    assert stored_run is run and len(rows) == len(tables["loans"]) == run.loans
    events = [e for u in uows for e in u.committed_events]
    assert [e.kind for e in events] == ["risk.classified"]
    assert events[0].data["run_id"] == run.run_id and "loan_id" not in events[0].data


def test_metrics_between_two_month_ends_and_a_clear_error_outside_the_history(tables):
    ends = sorted(tables["loan_states"]["as_of_date"].unique())
    out = svc.metrics_between(tables, ends[0], ends[-1])
    assert out["from"] == pd.Timestamp(ends[0]).date().isoformat()
    with pytest.raises(svc.RiskInputError, match="no loan_states month-end"):
        svc.metrics_between(tables, "2001-01-31", ends[-1])
    with pytest.raises(svc.RiskInputError, match="must be after"):
        svc.metrics_between(tables, ends[-1], ends[0])


def test_without_any_snapshot_the_use_cases_say_so():
    uow = FakeUow({SnapshotReader: FakeReader(None)})
    with pytest.raises(NotFound, match="no snapshot"):
        svc.classify_snapshot(uow)


def test_an_unknown_matrix_method_is_rejected():
    with pytest.raises(svc.RiskInputError, match="unknown method"):
        svc.matrix_from_frame(pd.DataFrame({"ID": [1], "Time": [0], "State": [0]}), "kaplan-meier")
