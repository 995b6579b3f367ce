"""Valuation use cases: value a snapshot, read the latest route values, explain a loan, fit models.

The engine is `nplhub.valuation` (pure); this module reads tape frames through the
`SnapshotReader` port, stores runs through the `ValuationRepository` port and records one ledger
event per run or model fit. The latest run of a snapshot is what other areas read, through
`latest_route_values(uow, snapshot_id)`.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nplhub.domain.errors import DomainError, NotFound
from nplhub.domain.events import GenericEvent
from nplhub.services.datahub_ports import SnapshotRepository
from nplhub.services.ports import AbstractUnitOfWork, SnapshotReader
from nplhub.services.valuation_ports import ValuationRepository, ValuationRun
from nplhub.valuation import ROUTE_VALUE_COLUMNS, ROUTES
from nplhub.valuation.assumptions import AssumptionError, AssumptionSet, load_assumptions
from nplhub.valuation.eligibility import Rulebook, RulebookError, default_rulebook
from nplhub.valuation.engine import RouteCalibration, best_routes, bulk_package_count
from nplhub.valuation.explain import explain_loan
from nplhub.valuation.learning import (
    HistoryError,
    RecoveryModels,
    backtest,
    calibration,
    fit_recovery_models,
    summary,
    training_frame,
)
from nplhub.valuation.montecarlo import simulate_quantiles
from nplhub.valuation.pipeline import value_portfolio
from nplhub.valuation.portfolio import TapeError, build_loan_frame, in_disposal_scope

DEFAULT_SEED = 20240601
TAPE_TABLES = ("loans", "counterparties", "collateral", "loan_collateral", "guarantees", "price_index")


class ValuationInputError(DomainError):
    """Input the valuation rejects (assumptions, tape content, options): says what and why."""


@dataclass
class ValuationOptions:
    assumptions_path: str | None = None
    rules_path: str | None = None  # the eligibility rulebook (default: the packaged one)
    seed: int = DEFAULT_SEED
    paths: int | None = None
    top_share: float | None = None
    discount_rate: float | None = None
    calibrate: bool = False
    method: str = "two_part"
    dask_address: str | None = None
    all_loans: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)

    def assumptions(self) -> AssumptionSet:
        try:
            a = load_assumptions(self.assumptions_path, rules=self.rules_path)
            return a.with_values(self.overrides) if self.overrides else a
        except AssumptionError as exc:
            raise ValuationInputError(str(exc)) from None

    def check(self) -> None:
        if self.paths is not None and self.paths < 0:
            raise ValuationInputError(f"paths = {self.paths}: the number of Monte Carlo paths cannot be negative")
        if self.top_share is not None and not 0.0 <= self.top_share <= 1.0:
            raise ValuationInputError(f"top share = {self.top_share}: must be between 0 and 1")
        if self.discount_rate is not None and not -0.5 < self.discount_rate < 1.0:
            raise ValuationInputError(f"discount rate = {self.discount_rate}: expected an annual rate such as 0.066")
        if self.dask_address:
            from nplhub.services.valuation_cluster import local_workers

            try:
                local_workers(self.dask_address)
            except DomainError as exc:
                raise ValuationInputError(str(exc)) from None


@dataclass(frozen=True)
class SnapshotData:
    snapshot_id: str
    cutoff: pd.Timestamp
    frames: dict[str, pd.DataFrame]


def load_snapshot(uow: AbstractUnitOfWork, snapshot_id: str | None,
                  tables: tuple[str, ...] = TAPE_TABLES) -> SnapshotData:
    reader = uow.get(SnapshotReader)  # type: ignore[type-abstract]
    sid = snapshot_id or reader.latest_snapshot_id()
    if sid is None:
        raise NotFound("no snapshot has been imported yet: import a tape first (nplhub tape import)")
    snapshot = uow.get(SnapshotRepository).get(sid)  # type: ignore[type-abstract]
    if snapshot is None:
        raise NotFound(f"snapshot {sid!r} not found")
    return SnapshotData(sid, pd.Timestamp(snapshot.cutoff_date), reader.frames(sid, list(tables)))


def _loan_frame(data: SnapshotData, a: AssumptionSet, *, all_loans: bool = True) -> pd.DataFrame:
    """The loan frame of the snapshot; without `all_loans`, only the loans in disposal scope."""
    try:
        loans = build_loan_frame(data.frames, data.cutoff, a)
    except TapeError as exc:
        raise ValuationInputError(f"snapshot {data.snapshot_id}: {exc}") from None
    if not all_loans:
        loans = loans[in_disposal_scope(loans)].reset_index(drop=True)
    return loans


def _fit(data: SnapshotData, loans: pd.DataFrame, method: str, seed: int) -> RecoveryModels:
    disposals = data.frames.get("disposals")
    if disposals is None or disposals.empty:
        raise ValuationInputError(f"snapshot {data.snapshot_id} has no disposals history to learn from")
    try:
        return fit_recovery_models(training_frame(disposals, loans, data.cutoff), method=method, seed=seed)
    except HistoryError as exc:
        raise ValuationInputError(f"snapshot {data.snapshot_id}: {exc}") from None


def compute_route_values(loans: pd.DataFrame, a: AssumptionSet, options: ValuationOptions,
                         calib: Mapping[str, RouteCalibration] | None = None) -> pd.DataFrame:
    """The route-value frame, in process or on Dask: `options.dask_address` is a scheduler address
    or `local:N` for N worker processes on this machine."""
    kwargs: dict[str, Any] = {"seed": options.seed, "paths": options.paths, "top_share": options.top_share,
                              "discount_rate": options.discount_rate, "calibration": calib}
    if options.dask_address:
        from nplhub.services.valuation_cluster import ClusterWarning, dask_client, worker_warnings
        from nplhub.valuation.distributed import value_portfolio_dask

        with dask_client(options.dask_address) as client:
            for message in worker_warnings(client):
                warnings.warn(message, ClusterWarning, stacklevel=2)
            return value_portfolio_dask(loans, a, client, **kwargs)
    return value_portfolio(loans, a, **kwargs)


def with_best(frame: pd.DataFrame) -> pd.DataFrame:
    best = best_routes(frame).set_index("loan_id")["best_route"]
    return frame.assign(is_best=(frame["route"] == frame["loan_id"].map(best)).to_numpy())


def value_snapshot(uow: AbstractUnitOfWork, snapshot_id: str | None = None,
                   options: ValuationOptions | None = None) -> dict[str, Any]:
    """Value every loan of a snapshot on every route, store the run, return its headline figures."""
    options = options or ValuationOptions()
    options.check()
    a = options.assumptions()
    with uow:
        tables = TAPE_TABLES + (("disposals",) if options.calibrate else ())
        data = load_snapshot(uow, snapshot_id, tables)
        loans = _loan_frame(data, a, all_loans=options.all_loans)
        if loans.empty:
            raise ValuationInputError(f"snapshot {data.snapshot_id} has no loan in disposal scope "
                                      "(non-performing, > 90 days past due or written off); use all_loans to value all")
        calib = None
        if options.calibrate:
            models = _fit(data, loans, options.method, options.seed)
            calib = calibration(models, loans, float(a.value("models.credibility_cases")))
        frame = with_best(compute_route_values(loans, a, options, calib))
        best = frame[frame["is_best"]]
        rate = a.discount_rate if options.discount_rate is None else options.discount_rate
        run = ValuationRun(
            run_id=uuid.uuid4().hex, snapshot_id=data.snapshot_id, created_at=datetime.now(UTC),
            assumption_name=a.name, assumption_version=a.version, assumption_sha256=a.digest,
            discount_rate=rate, seed=options.seed,
            mc_paths=int(a.value("montecarlo.paths")) if options.paths is None else options.paths,
            mc_share=float(a.value("montecarlo.top_share")) if options.top_share is None else options.top_share,
            calibrated=calib is not None, loans=len(loans), total_claim=float(loans["claim"].sum()),
            total_best_npv=float(best["npv"].sum()),
            details={"best_routes": best["route"].value_counts().to_dict(), "all_loans": options.all_loans,
                     "calibration_weights": {r: round(c.weight, 4) for r, c in (calib or {}).items()},
                     "dask": bool(options.dask_address),
                     # the rulebook the verdicts came from, whole: strategy plans with the same one
                     "rulebook": {"version": a.rulebook.version, "sha256": a.rulebook.digest,
                                  "origin": a.rulebook.origin, "document": a.rulebook.to_dict()}},
        )
        uow.get(ValuationRepository).add_run(run, frame)  # type: ignore[type-abstract]
        uow.record(GenericEvent(kind="valuation.run_completed", subject=run.run_id, data={
            "snapshot_id": run.snapshot_id, "loans": run.loans, "assumptions": f"{a.name}@{a.version}",
            "assumption_sha256": a.digest, "rulebook": f"{a.rulebook.version}@{a.rulebook.digest[:16]}", "seed": run.seed, "discount_rate": round(rate, 8),
            "total_claim": round(run.total_claim, 2), "total_best_npv": round(run.total_best_npv, 2),
        }))
        uow.commit()
    return run_summary(run)


def run_summary(run: ValuationRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id, "snapshot_id": run.snapshot_id, "created_at": run.created_at.isoformat(),
        "assumptions": {"name": run.assumption_name, "version": run.assumption_version,
                        "sha256": run.assumption_sha256},
        "discount_rate": run.discount_rate, "seed": run.seed, "mc_paths": run.mc_paths, "mc_share": run.mc_share,
        "rulebook": {k: v for k, v in (run.details.get("rulebook") or {}).items() if k in ("version", "sha256")},
        "calibrated": run.calibrated, "loans": run.loans, "total_claim": round(run.total_claim, 2),
        "total_best_npv": round(run.total_best_npv, 2),
        "recovery_ratio": round(run.total_best_npv / run.total_claim, 6) if run.total_claim else None,
        "best_routes": run.details.get("best_routes", {}),
    }


def _latest(uow: AbstractUnitOfWork, snapshot_id: str | None) -> ValuationRun:
    sid = snapshot_id or uow.get(SnapshotReader).latest_snapshot_id()  # type: ignore[type-abstract]
    if sid is None:
        raise NotFound("no snapshot has been imported yet: import a tape first")
    run = uow.get(ValuationRepository).latest_run(sid)  # type: ignore[type-abstract]
    if run is None:
        raise NotFound(f"snapshot {sid} has no valuation run yet: run `nplhub value` first")
    return run


def latest_route_values(uow: AbstractUnitOfWork, snapshot_id: str | None = None) -> pd.DataFrame:
    """The route-value frame (ROUTE_VALUE_COLUMNS) of the latest run of the snapshot."""
    with uow:
        run = _latest(uow, snapshot_id)
        frame = uow.get(ValuationRepository).route_values(run.run_id)  # type: ignore[type-abstract]
    return frame.loc[:, list(ROUTE_VALUE_COLUMNS)]


def latest_rulebook(uow: AbstractUnitOfWork, snapshot_id: str | None = None) -> Rulebook:
    """The eligibility rulebook the latest run of the snapshot judged its routes by (the packaged one
    for runs stored before runs kept their rulebook)."""
    with uow:
        run = _latest(uow, snapshot_id)
    document = (run.details.get("rulebook") or {}).get("document")
    if document is None:
        return default_rulebook()
    try:
        return Rulebook.from_mapping(document, origin=f"valuation run {run.run_id}")
    except RulebookError as exc:
        raise ValuationInputError(str(exc)) from None


def latest_run(uow: AbstractUnitOfWork, snapshot_id: str | None = None) -> dict[str, Any]:
    with uow:
        return run_summary(_latest(uow, snapshot_id))


def portfolio_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The `nplhub value --json` contract: one object per loan with claim, best_route and routes."""
    best = best_routes(frame).set_index("loan_id")
    out: list[dict[str, Any]] = []
    for loan_id, group in frame.groupby("loan_id", sort=False):
        routes = {}
        for row in group.itertuples(index=False):
            npv = float(row.npv)
            routes[str(row.route)] = {
                "eligible": bool(row.eligible),
                "npv": round(npv, 2) if np.isfinite(npv) else None,
                "reason": row.reason if isinstance(row.reason, str) else None,
                **{q: (round(float(getattr(row, q)), 2) if np.isfinite(float(getattr(row, q))) else None)
                   for q in ("p10", "p50", "p90")},
            }
        claim = float(group["claim"].iloc[0])
        out.append({"loan_id": str(loan_id), "claim": round(claim, 2),
                    "best_route": best.loc[loan_id, "best_route"], "routes": routes})
    return out


def export_route_values(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write the route-value frame (wide: one row per loan, columns per route) as CSV or Parquet."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValuationInputError(f"--out {target}: the file must end in .csv or .parquet")
    best = best_routes(frame)
    wide = frame.pivot(index="loan_id", columns="route", values=["eligible", "npv", "reason"])
    wide.columns = [f"{route}_{what}" for what, route in wide.columns]
    ordered = [f"{r}_{w}" for r in ROUTES for w in ("eligible", "npv", "reason") if f"{r}_{w}" in wide.columns]
    table = best.set_index("loan_id")[["claim", "best_route", "best_npv"]].join(wide[ordered]).reset_index()
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        table.to_csv(target, index=False, encoding="utf-8")
    else:
        table.to_parquet(target, index=False)
    return target


def explain(uow: AbstractUnitOfWork, loan_id: str, snapshot_id: str | None = None,
            options: ValuationOptions | None = None) -> dict[str, Any]:
    """Cash flows per route and the drivers of the value of one loan (recomputed, with MC)."""
    options = options or ValuationOptions()
    options.check()
    a = options.assumptions()
    with uow:
        data = load_snapshot(uow, snapshot_id)
        loans = _loan_frame(data, a)
    match = loans.index[loans["loan_id"] == loan_id]
    if len(match) == 0:
        raise NotFound(f"loan {loan_id!r} is not in snapshot {data.snapshot_id}")
    package_count = bulk_package_count(loans, a)
    loan = loans.loc[match]
    paths = int(a.value("montecarlo.paths")) if options.paths is None else options.paths
    mc = simulate_quantiles(loan, a, seed=options.seed, paths=paths, discount_rate=options.discount_rate,
                            package_count=package_count) if paths > 0 else None
    result = explain_loan(loan, a, discount_rate=options.discount_rate, package_count=package_count, mc=mc)
    result["snapshot_id"] = data.snapshot_id
    return result


def fit_models(uow: AbstractUnitOfWork, snapshot_id: str | None = None, *, method: str = "two_part",
               seed: int = DEFAULT_SEED, with_backtest: bool = False, split: float = 0.7) -> dict[str, Any]:
    """Fit the recovery models on the snapshot's disposals, store the fit's summary (and backtest)."""
    a = load_assumptions()
    with uow:
        data = load_snapshot(uow, snapshot_id, TAPE_TABLES + ("disposals",))
        loans = _loan_frame(data, a)
        models = _fit(data, loans, method, seed)
        info = dict(summary(models))
        bt = None
        if with_backtest:
            bt = backtest_frame(data, loans, method=method, seed=seed, split=split)
        fit_id = uuid.uuid4().hex
        records = None if bt is None else _records(bt)
        uow.get(ValuationRepository).add_model_fit(fit_id, data.snapshot_id, datetime.now(UTC), method, seed,  # type: ignore[type-abstract]
                                                   _jsonable(info), records)
        uow.record(GenericEvent(kind="valuation.models_fitted", subject=fit_id, data={
            "snapshot_id": data.snapshot_id, "method": method, "seed": seed,
            "closed_cases": _jsonable(models.cases), "backtest": bt is not None}))
        uow.commit()
    return {"fit_id": fit_id, "snapshot_id": data.snapshot_id, **_jsonable(info),
            **({"backtest": records} if records is not None else {})}


def backtest_frame(data: SnapshotData, loans: pd.DataFrame, *, method: str, seed: int, split: float) -> pd.DataFrame:
    disposals = data.frames.get("disposals")
    if disposals is None or disposals.empty:
        raise ValuationInputError(f"snapshot {data.snapshot_id} has no disposals history to backtest on")
    try:
        return backtest(training_frame(disposals, loans, data.cutoff), split=split, method=method, seed=seed)
    except HistoryError as exc:
        raise ValuationInputError(f"snapshot {data.snapshot_id}: {exc}") from None


def run_backtest(uow: AbstractUnitOfWork, snapshot_id: str | None = None, *, method: str = "two_part",
                 seed: int = DEFAULT_SEED, split: float = 0.7) -> dict[str, Any]:
    """Fit on the earlier cases, compare predicted with realised recovery on the later ones."""
    if not 0.0 < split < 1.0:
        raise ValuationInputError(f"split = {split}: must be strictly between 0 and 1")
    return fit_models(uow, snapshot_id, method=method, seed=seed, with_backtest=True, split=split)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_jsonable(r) for r in frame.to_dict(orient="records")]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), 6) if np.isfinite(value) else None
    return value


def demo_step(ctx: Any) -> dict[str, object]:
    """Value the demo portfolio (every route, Monte Carlo on the top decile) and keep the results."""
    options = ValuationOptions(seed=int(getattr(ctx, "seed", DEFAULT_SEED)), paths=200)
    result = value_snapshot(ctx.uow_factory(), ctx.snapshot_id, options)
    frame = latest_route_values(ctx.uow_factory(), result["snapshot_id"])
    best = best_routes(frame)
    ctx.results["valuation"] = {"run": result, "route_values": frame, "best_routes": best}
    headline: dict[str, object] = {
        "run": result["run_id"][:12],
        "claim / 债权总额 (yuan)": f"{result['total_claim']:,.0f}",
        "best-route NPV / 最优处置净现值 (yuan)": f"{result['total_best_npv']:,.0f}",
        "recovery / 回收率": f"{(result['recovery_ratio'] or 0.0):.2%}",
        "discount rate / 折现率": f"{result['discount_rate']:.2%}",
    }
    for route, count in sorted(result["best_routes"].items(), key=lambda kv: -kv[1]):
        headline[f"best: {route}"] = count
    return headline
