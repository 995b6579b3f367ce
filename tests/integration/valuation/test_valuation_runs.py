"""Valuation use cases on a generated tape imported into a real database (SQLite and PostgreSQL):
a run is stored and read back as the route-value frame, the latest run wins, bad input changes
nothing, model fits are recorded, and every run is an event of the audit ledger."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nplhub.domain.errors import NotFound
from nplhub.services import valuation as svc
from nplhub.valuation import ROUTE_VALUE_COLUMNS, ROUTES
from nplhub.valuation.engine import best_routes


@pytest.fixture(scope="module")
def tape():
    from nplhub.datahub.generate import generate_tape

    return generate_tape(2500, 7, history=False)


def _import(url: str, tape, tmp_path):
    from nplhub.bootstrap import bootstrap
    from nplhub.config import Settings
    from nplhub.datahub.generate import write_tape
    from nplhub.services.datahub import import_tape

    platform = bootstrap(Settings(database_url=url))
    write_tape(tape, tmp_path / "tape", "csv")
    result = import_tape(platform.uow(), tmp_path / "tape")
    return platform, result.snapshot_id


@pytest.fixture
def imported(migrated_url, tape, tmp_path):
    """The tape imported into SQLite and into PostgreSQL (storage behaviour on both)."""
    platform, sid = _import(migrated_url, tape, tmp_path)
    yield platform, sid
    platform.close()


@pytest.fixture
def imported_sqlite(sqlite_url, tape, tmp_path):
    """The tape imported into SQLite only (engine behaviour that does not depend on the database)."""
    platform, sid = _import(sqlite_url, tape, tmp_path)
    yield platform, sid
    platform.close()


def _count(platform, table: str) -> int:
    from sqlalchemy import text

    with platform.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar())


def test_a_run_is_stored_and_read_back_as_the_route_value_frame(imported) -> None:
    platform, sid = imported
    options = svc.ValuationOptions(seed=3, paths=50)
    summary = svc.value_snapshot(platform.uow(), sid, options)
    frame = svc.latest_route_values(platform.uow(), sid)
    assert tuple(frame.columns) == ROUTE_VALUE_COLUMNS
    assert len(frame) == summary["loans"] * len(ROUTES)
    assert frame.groupby("loan_id").size().eq(len(ROUTES)).all()
    # the stored frame equals the pure engine's output, to the cent
    with platform.uow() as uow:
        data = svc.load_snapshot(uow, sid)
    a = options.assumptions()
    loans = svc._loan_frame(data, a, all_loans=False)
    direct = svc.compute_route_values(loans, a, options)
    direct = direct.sort_values(["loan_id", "route"]).reset_index(drop=True)
    stored = frame.sort_values(["loan_id", "route"]).reset_index(drop=True)
    assert (direct["eligible"] == stored["eligible"]).all()
    np.testing.assert_allclose(stored["npv"].to_numpy(), direct["npv"].to_numpy(), atol=0.006, equal_nan=True)
    np.testing.assert_allclose(stored["p50"].to_numpy(), direct["p50"].to_numpy(), atol=0.006, equal_nan=True)
    best = best_routes(frame)
    assert best["best_npv"].sum() == pytest.approx(summary["total_best_npv"], abs=1.0)


def test_the_latest_run_is_the_one_others_read(imported) -> None:
    platform, sid = imported
    svc.value_snapshot(platform.uow(), sid, svc.ValuationOptions(paths=0))
    first = svc.latest_route_values(platform.uow(), sid)
    svc.value_snapshot(platform.uow(), sid, svc.ValuationOptions(paths=0, discount_rate=0.03))
    second = svc.latest_route_values(platform.uow(), sid)
    assert svc.latest_run(platform.uow(), sid)["discount_rate"] == pytest.approx(0.03)
    ok = second["eligible"] & (second["months_to_recovery"] > 0)
    assert (second.loc[ok, "npv"].to_numpy() >= first.loc[ok, "npv"].to_numpy() - 0.01).all()


def test_every_run_is_recorded_in_the_audit_ledger(imported_sqlite) -> None:
    platform, sid = imported_sqlite
    before = _count(platform, "ledger_entries")
    svc.value_snapshot(platform.uow(), sid, svc.ValuationOptions(paths=0))
    assert _count(platform, "ledger_entries") == before + 1


def test_a_rejected_valuation_changes_nothing(imported, tmp_path) -> None:
    platform, sid = imported
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: '1'\ndiscount:\n  spread: {value: 0.05}\n", encoding="utf-8")
    runs, rows = _count(platform, "valuation_runs"), _count(platform, "valuation_route_values")
    with pytest.raises(svc.ValuationInputError, match="no source"):
        svc.value_snapshot(platform.uow(), sid, svc.ValuationOptions(assumptions_path=str(bad)))
    with pytest.raises(svc.ValuationInputError, match="paths"):
        svc.value_snapshot(platform.uow(), sid, svc.ValuationOptions(paths=-1))
    with pytest.raises(NotFound):
        svc.value_snapshot(platform.uow(), "NO-SUCH-SNAPSHOT", svc.ValuationOptions(paths=0))
    assert (_count(platform, "valuation_runs"), _count(platform, "valuation_route_values")) == (runs, rows)


def test_reading_before_any_run_says_what_to_do(imported_sqlite) -> None:
    platform, sid = imported_sqlite
    with pytest.raises(NotFound, match="nplhub value"):
        svc.latest_route_values(platform.uow(), sid)


def test_a_loan_is_explained_with_cash_flows_and_drivers(imported_sqlite) -> None:
    platform, sid = imported_sqlite
    with platform.uow() as uow:
        data = svc.load_snapshot(uow, sid)
    loans = svc._loan_frame(data, svc.ValuationOptions().assumptions(), all_loans=False)
    loan_id = str(loans.sort_values("claim").iloc[-1]["loan_id"])
    result = svc.explain(platform.uow(), loan_id, sid, svc.ValuationOptions(paths=100))
    assert result["loan_id"] == loan_id and set(result["routes"]) == set(ROUTES)
    assert result["best_route"] in ROUTES
    best = result["routes"][result["best_route"]]
    assert best["npv"] == pytest.approx(sum(f["present_value"] for f in best["cash_flows"]), abs=0.1)
    assert result["drivers"] and all(d["source"] for d in result["drivers"])
    with pytest.raises(NotFound):
        svc.explain(platform.uow(), "NO-SUCH-LOAN", sid)


def test_model_fit_and_backtest_are_stored(imported_sqlite) -> None:
    platform, sid = imported_sqlite
    with platform.uow() as uow:
        data = svc.load_snapshot(uow, sid, svc.TAPE_TABLES + ("disposals",))
    closed = pd.to_datetime(data.frames["disposals"]["end_date"]).notna().sum()
    if closed < 50:
        with pytest.raises(svc.ValuationInputError, match="at least 50"):
            svc.fit_models(platform.uow(), sid)
        return
    result = svc.run_backtest(platform.uow(), sid, split=0.7)
    assert result["backtest"] and {"route", "predicted_rate", "realised_rate"} <= set(result["backtest"][0])
    assert _count(platform, "recovery_model_fits") == 1


def test_the_demo_step_values_the_snapshot_and_leaves_the_frame_for_the_next_steps(imported_sqlite, tmp_path) -> None:
    from nplhub.services.demo import DemoContext

    platform, sid = imported_sqlite
    ctx = DemoContext(uow_factory=platform.uow, workdir=tmp_path, snapshot_id=sid)
    headline = svc.demo_step(ctx)
    result = ctx.results["valuation"]
    assert tuple(result["route_values"].columns) == ROUTE_VALUE_COLUMNS
    assert set(result["best_routes"]["best_route"].dropna()) <= set(ROUTES)
    assert any("NPV" in label for label in headline)


def test_calibration_blends_the_learnt_recovery_with_credibility_weights(imported_sqlite) -> None:
    platform, sid = imported_sqlite
    try:
        summary = svc.value_snapshot(platform.uow(), sid, svc.ValuationOptions(paths=0, calibrate=True))
    except svc.ValuationInputError as exc:  # a small history is refused with its reason
        assert "at least 50" in str(exc)
        return
    assert summary["calibrated"] is True
    with platform.uow() as uow:
        from nplhub.services.valuation_ports import ValuationRepository

        run = uow.get(ValuationRepository).latest_run(sid)
    weights = run.details["calibration_weights"]
    assert weights and all(0 < w < 1 for w in weights.values())
    plain = svc.value_snapshot(platform.uow(), sid, svc.ValuationOptions(paths=0))
    assert plain["total_best_npv"] != summary["total_best_npv"]
