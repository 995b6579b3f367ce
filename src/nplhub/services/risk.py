"""Risk use cases: classify a snapshot, find hidden NPLs, supervisory metrics between two
month-ends, migration matrices, early warning; and the demo step.

They read a snapshot through the `SnapshotReader` port (frames per tape table) and call the pure
engines of `nplhub.risk`. `matrix_from_file` needs no database.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nplhub.domain.errors import DomainError, NotFound
from nplhub.domain.events import GenericEvent
from nplhub.risk.aalen_johansen import AalenJohansenEstimator
from nplhub.risk.classify import ClassificationResult, classify
from nplhub.risk.generator import generator, multi_period, remove_not_rated
from nplhub.risk.hidden import HiddenNplResult, detect_hidden_npl, flag_codes
from nplhub.risk.history import HistoryError, history_from_loan_states, state_history
from nplhub.risk.metrics import supervisory_metrics
from nplhub.risk.migration import CohortEstimator
from nplhub.risk.reasons import BIT, REASON_CODES
from nplhub.risk.rules import RuleSet, RuleSetError, load_ruleset
from nplhub.risk.warning import EarlyWarningModel, build_panel, validate_out_of_time, watch_list
from nplhub.services.ports import AbstractUnitOfWork, SnapshotReader
from nplhub.services.risk_ports import LoanRiskResult, RiskResultRepository, RiskRun

SNAPSHOT_TABLES = ("loans", "counterparties", "forbearance", "repayments", "loan_states", "guarantees")
METHODS = ("cohort", "aalen-johansen")


class RiskInputError(DomainError):
    """Input the risk use cases reject: a bad file, an unknown method, a date without data."""


def latest_snapshot_id(uow: AbstractUnitOfWork) -> str | None:
    """The id of the latest imported snapshot (one indexed query), or None before any import."""
    with uow:
        return uow.get(SnapshotReader).latest_snapshot_id()  # type: ignore[type-abstract]


def load_snapshot(uow: AbstractUnitOfWork, snapshot_id: str | None = None,
                  tables: Sequence[str] = SNAPSHOT_TABLES) -> tuple[str, dict[str, pd.DataFrame]]:
    with uow:
        reader = uow.get(SnapshotReader)  # type: ignore[type-abstract]
        sid = snapshot_id or reader.latest_snapshot_id()
        if sid is None:
            raise NotFound("no snapshot has been imported yet: import a tape first (nplhub tape import)")
        frames = reader.frames(sid, list(tables))
    return sid, {k: v for k, v in frames.items() if v is not None}


def resolve_ruleset(ruleset: str | RuleSet | None) -> RuleSet:
    if isinstance(ruleset, RuleSet):
        return ruleset
    try:
        return load_ruleset(ruleset or "cn-2023")
    except RuleSetError as exc:
        raise RiskInputError(str(exc)) from None


def classify_tables(tables: Mapping[str, pd.DataFrame], ruleset: str | RuleSet | None = None,
                    as_of: Any = None) -> ClassificationResult:
    return classify(tables, as_of=as_of, rules=resolve_ruleset(ruleset))


def classify_snapshot(uow: AbstractUnitOfWork, snapshot_id: str | None = None,
                      ruleset: str | RuleSet | None = None, as_of: Any = None) -> ClassificationResult:
    _, tables = load_snapshot(uow, snapshot_id)
    return classify_tables(tables, ruleset, as_of)


def hidden_npl_report(tables: Mapping[str, pd.DataFrame], classification: ClassificationResult) -> dict[str, Any]:
    hidden = detect_hidden_npl(tables, classification)
    return _hidden_dict(hidden)


def _hidden_dict(hidden: HiddenNplResult) -> dict[str, Any]:
    return {**hidden.totals(), "by_branch": hidden.by("branch_id"), "by_region": hidden.by("region"),
            "by_industry": hidden.by("industry"), "loans": hidden.records()}


def hidden_npl(uow: AbstractUnitOfWork, snapshot_id: str | None = None,
               ruleset: str | RuleSet | None = None) -> dict[str, Any]:
    _, tables = load_snapshot(uow, snapshot_id)
    return hidden_npl_report(tables, classify_tables(tables, ruleset))


def positions_at(tables: Mapping[str, pd.DataFrame], when: Any) -> pd.DataFrame:
    """The loan_states rows of one month-end, joined with the segment columns."""
    states = tables.get("loan_states")
    if states is None or not len(states):
        raise RiskInputError("the snapshot has no loan_states history: metrics between dates need it")
    day = pd.Timestamp(when).normalize()
    dates = pd.to_datetime(states["as_of_date"]).dt.normalize()
    rows = states[dates == day]
    if rows.empty:
        month = dates[(dates.dt.year == day.year) & (dates.dt.month == day.month)]
        if month.empty:
            known = sorted(dates.dt.date.unique())
            span = f"{known[0]} .. {known[-1]}" if known else "none"
            raise RiskInputError(f"no loan_states month-end on {day.date()} (history covers {span})")
        rows = states[dates == month.max()]
    out = rows.copy()
    loans = tables["loans"].set_index("loan_id")
    for col in ("counterparty_id", "branch_id", "product"):
        if col in loans:
            out[col] = out["loan_id"].map(loans[col]).to_numpy()
    cps = tables.get("counterparties")
    if cps is not None and "counterparty_id" in out:
        cp = cps.set_index("counterparty_id")
        for col in ("region", "industry"):
            if col in cp:
                out[col] = out["counterparty_id"].map(cp[col]).to_numpy()
    return out.reset_index(drop=True)


def metrics_between(tables: Mapping[str, pd.DataFrame], date_from: Any, date_to: Any) -> dict[str, Any]:
    d1, d2 = pd.Timestamp(date_from), pd.Timestamp(date_to)
    if d2 <= d1:
        raise RiskInputError(f"--to ({d2.date()}) must be after --from ({d1.date()})")
    opening, closing = positions_at(tables, d1), positions_at(tables, d2)
    out = supervisory_metrics(opening, closing)
    out["from"] = pd.Timestamp(opening["as_of_date"].iloc[0]).date().isoformat()
    out["to"] = pd.Timestamp(closing["as_of_date"].iloc[0]).date().isoformat()
    return out


def snapshot_metrics(uow: AbstractUnitOfWork, date_from: Any, date_to: Any,
                     snapshot_id: str | None = None) -> dict[str, Any]:
    sid, tables = load_snapshot(uow, snapshot_id, ("loans", "counterparties", "loan_states"))
    out = metrics_between(tables, date_from, date_to)
    out["snapshot_id"] = sid
    return out


def matrix_from_frame(frame: pd.DataFrame, method: str = "cohort", *, period: float = 1.0,
                      cohorts: int | None = None, ci_method: str = "goodman", alpha: float = 0.05,
                      absent_state: Any = None, not_rated: Any = None,
                      censoring: str = "end_of_window", horizon: int | None = None) -> dict[str, Any]:
    if method not in METHODS:
        raise RiskInputError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    try:
        history = state_history(frame)
        est: CohortEstimator | AalenJohansenEstimator
        if method == "cohort":
            est = CohortEstimator(period=period, cohorts=cohorts, ci_method=ci_method, alpha=alpha,
                                  absent_state=absent_state).fit(history)
        else:
            est = AalenJohansenEstimator(period=period, censoring=censoring).fit(history)
    except (HistoryError, ValueError) as exc:
        raise RiskInputError(str(exc)) from None
    out = est.to_dict()
    out["observations"] = history.size
    out["entities"] = int(np.unique(history.entity).size)
    one = np.asarray(out["matrix"])
    out["generator"] = _generator_or_none(one)
    if horizon is not None:
        if horizon < 1:
            raise RiskInputError(f"--horizon must be a positive number of periods, not {horizon}")
        out["multi_period"] = {"periods": horizon, "matrix": multi_period(one, horizon).tolist()}
    if not_rated is not None:
        states = list(out["states"])
        key = _match_state(not_rated, states)
        adjusted, kept = remove_not_rated(np.asarray(out["matrix"]), states, key)
        out["not_rated_removed"] = {"state": key, "states": kept, "matrix": adjusted.tolist()}
    return out


def _generator_or_none(p: np.ndarray) -> list[list[float]] | None:
    """The (regularised) generator of a one-period matrix, or None where the logarithm fails."""
    try:
        with np.errstate(all="ignore"):
            g = generator(p)
    except (ValueError, np.linalg.LinAlgError):
        return None
    return g.tolist() if np.all(np.isfinite(g)) else None


def _match_state(value: Any, states: list[Any]) -> Any:
    for s in states:
        if str(s) == str(value):
            return s
    raise RiskInputError(f"not-rated state {value!r} is not among the states {states!r}")


def matrix_from_file(path: str | Path, method: str = "cohort", **options: Any) -> dict[str, Any]:
    """`nplhub risk matrix --input FILE`: a compact (ID,Time,State) or canonical
    (ID,Time,From,To) CSV; no database needed."""
    p = Path(path)
    if not p.is_file():
        raise RiskInputError(f"input file {p} does not exist")
    try:
        frame = pd.read_csv(p, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise RiskInputError(f"{p}: not a readable CSV file ({exc})") from None
    return matrix_from_frame(frame, method, **options)


def loan_state_matrix(tables: Mapping[str, pd.DataFrame], method: str = "cohort") -> dict[str, Any]:
    """The monthly matrix of the five classes over the snapshot's loan_states history, loans
    leaving the book counted in a `closed` column."""
    states = tables.get("loan_states")
    if states is None or not len(states):
        raise RiskInputError("the snapshot has no loan_states history")
    history = history_from_loan_states(states)
    if method == "cohort":
        return CohortEstimator(absent_state="closed").fit(history).to_dict()
    return AalenJohansenEstimator(censoring="last_observation").fit(history).to_dict()


def early_warning_report(tables: Mapping[str, pd.DataFrame], *, seed: int = 0, step: int = 1,
                         top: int = 20, n_estimators: int = 200) -> dict[str, Any]:
    if tables.get("loan_states") is None or not len(tables["loan_states"]):
        raise RiskInputError("early warning needs the loan_states history")
    panel = build_panel(tables, step=step)
    model = EarlyWarningModel(seed=seed, n_estimators=n_estimators)
    try:
        validation = validate_out_of_time(panel, model)
        labelled = panel[panel["label"].notna()]
        model.fit(labelled, labelled["label"].to_numpy())  # refit on every labelled month
    except ValueError as exc:
        raise RiskInputError(str(exc)) from None
    latest = panel[panel["month"] == panel["month"].max()].reset_index(drop=True)
    p = model.predict_proba(latest) if len(latest) else np.zeros(0)
    latest = latest.assign(pd_12m=p)
    # a borrower defaults if any of its loans does (independence across its loans): 1 - prod(1 - pd)
    log_survival = pd.Series(np.log1p(-np.clip(p, 0.0, 1.0 - 1e-12))).groupby(
        latest["counterparty_id"].to_numpy()).sum()
    borrower = 1.0 - np.exp(log_survival)
    ranked = latest.sort_values("pd_12m", ascending=False).head(top)
    drivers = model.drivers(ranked) if len(ranked) else []
    top_loans = [{"loan_id": r.loan_id, "counterparty_id": r.counterparty_id, "pd_12m": float(r.pd_12m),
                  "borrower_pd_12m": float(borrower[r.counterparty_id]),
                  "outstanding_principal": float(r.outstanding_principal), "drivers": d}
                 for r, d in zip(ranked.itertuples(), drivers)]
    return {
        "horizon_months": 12,
        "validation": validation,
        "scored_loans": int(len(latest)),
        "mean_pd_12m": float(p.mean()) if p.size else None,
        "expected_npl_amount": float((p * latest["outstanding_principal"].to_numpy()).sum()) if p.size else 0.0,
        "top_loans": top_loans,
        "watch_list": watch_list(latest, p, panel) if len(latest) else [],
    }


def early_warning(uow: AbstractUnitOfWork, snapshot_id: str | None = None, **options: Any) -> dict[str, Any]:
    _, tables = load_snapshot(uow, snapshot_id)
    return early_warning_report(tables, **options)


def store_classification(uow: AbstractUnitOfWork, snapshot_id: str, result: ClassificationResult,
                         hidden: HiddenNplResult) -> RiskRun:
    """Store the run and each loan's derived class, reason codes and hidden-NPL flags, and record
    the run in the audit ledger (counts and the rule-set version only, no personal data)."""
    summary = result.summary()
    f = result.frame
    bits = f["reason_bits"].to_numpy()
    codes = [tuple(c for c in REASON_CODES if b & BIT[c]) for b in bits]
    hf = hidden.frame.set_index("loan_id") if len(hidden.frame) else None
    totals = hidden.totals()
    results = []
    for i, row in enumerate(f[["loan_id", "reported_class", "derived_class", "outstanding_principal"]].itertuples(
            index=False)):
        flags: tuple[str, ...] = ()
        is_hidden = False
        if hf is not None and row.loan_id in hf.index:
            flags = flag_codes(hf.at[row.loan_id, "flag_bits"])
            is_hidden = bool(hf.at[row.loan_id, "hidden_npl"])
        results.append(LoanRiskResult(loan_id=str(row.loan_id), reported_class=row.reported_class,
                                      derived_class=row.derived_class,
                                      outstanding_principal=float(row.outstanding_principal),
                                      reason_codes=codes[i], hidden_flags=flags, hidden_npl=is_hidden))
    run = RiskRun(run_id=f"RR-{uuid.uuid4().hex[:16]}", snapshot_id=snapshot_id, ruleset_name=result.rules.name,
                  ruleset_version=result.rules.version, as_of=result.as_of.date(), created_at=datetime.now(UTC),
                  loans=len(f), downgraded=int(summary["downgraded"]),
                  hidden_npl_amount=totals["hidden_npl_amount"],
                  summary={**summary, "hidden": totals})
    with uow:
        uow.get(RiskResultRepository).add_run(run, results)  # type: ignore[type-abstract]
        uow.record(GenericEvent(kind="risk.classified", subject=snapshot_id, data={
            "run_id": run.run_id, "ruleset": summary["ruleset"], "as_of": summary["as_of"],
            "loans": summary["loans"], "downgraded": summary["downgraded"],
            "hidden_npl_loans": totals["hidden_npl_loans"]}))
        uow.commit()
    return run


def classify_and_store(uow_factory: Any, snapshot_id: str | None = None,
                       ruleset: str | RuleSet | None = None, as_of: Any = None) -> tuple[RiskRun, ClassificationResult]:
    """Classify the snapshot, detect hidden NPLs and store both as a run (`nplhub risk classify --save`)."""
    sid, tables = load_snapshot(uow_factory(), snapshot_id)
    result = classify_tables(tables, ruleset, as_of)
    hidden = detect_hidden_npl(tables, result)
    return store_classification(uow_factory(), sid, result, hidden), result


def latest_stored_run(uow: AbstractUnitOfWork, snapshot_id: str) -> tuple[RiskRun, list[LoanRiskResult]]:
    with uow:
        repo = uow.get(RiskResultRepository)  # type: ignore[type-abstract]
        run = repo.latest_run(snapshot_id)
        if run is None:
            raise NotFound(f"no stored risk run for snapshot {snapshot_id}: run nplhub risk classify --save")
        return run, repo.results(run.run_id)


def demo_step(ctx: Any) -> dict[str, object]:
    """Classify the demo snapshot, find hidden NPLs, metrics over the last twelve months, the
    class migration matrix and the early-warning model."""
    sid, tables = load_snapshot(ctx.uow_factory(), ctx.snapshot_id)
    result = classify_tables(tables)
    hidden = detect_hidden_npl(tables, result)
    states = tables["loan_states"]
    ends = sorted(pd.to_datetime(states["as_of_date"]).dt.normalize().unique())
    d2 = ends[-1]
    d1 = ends[-13] if len(ends) > 12 else ends[0]
    metrics = metrics_between(tables, d1, d2)
    matrix = loan_state_matrix(tables)
    warning = early_warning_report(tables, seed=ctx.seed, step=3)  # quarterly observation months
    run = store_classification(ctx.uow_factory(), sid, result, hidden)
    summary = result.summary()
    ctx.results["risk"] = {
        "snapshot_id": sid, "run_id": run.run_id, "classification": summary, "classification_frame": result.frame,
        "hidden": {**hidden.totals(), "by_region": hidden.by("region")}, "metrics": metrics,
        "matrix": matrix, "early_warning": warning,
    }
    rates = metrics["migration_rates"]

    def pct(v: Any) -> str:
        return "n/a" if v is None else f"{100 * v:.2f}%"

    return {
        "loans classified / 分类贷款": summary["loans"],
        "downgraded by the rules / 规则下调": summary["downgraded"],
        "hidden NPL amount / 隐性不良金额": f"{hidden.totals()['hidden_npl_amount']:,.0f}",
        "NPL ratio / 不良贷款率": pct(metrics["npl_ratio"]),
        "provision coverage / 拨备覆盖率": pct(metrics["provision_coverage_ratio"]),
        "normal-loan migration / 正常贷款迁徙率": pct(rates["normal_loans"]),
        "early-warning AUC (out of time) / 预警AUC": (
            "n/a" if warning["validation"]["auc"] is None else f"{warning['validation']['auc']:.3f}"),
    }
