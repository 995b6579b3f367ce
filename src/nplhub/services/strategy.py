"""Use cases of disposal strategy: plan a portfolio, package the sales, write the comparison report.

Inputs: the latest valuation run's route-value frame (`nplhub.services.valuation`), the eligibility
rulebook that run judged its routes by, and the loan attributes of the snapshot (`SnapshotReader`).
A plan takes the valuation's verdicts as they are; the rulebook gives it the sale channels and their
package minimums (which a plan may raise, e.g. to the 2012 text's 10 accounts). Each plan is stored
with its assignments and one ledger event; packaging and reports read a stored plan.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from nplhub.domain.errors import DomainError, NotFound
from nplhub.domain.events import GenericEvent
from nplhub.services.datahub_ports import SnapshotRepository
from nplhub.services.ports import AbstractUnitOfWork, SnapshotReader
from nplhub.services.strategy_ports import StoredPlan, StrategyRepository
from nplhub.services.valuation import latest_route_values, latest_rulebook
from nplhub.strategy.constraints import PlanConstraints
from nplhub.strategy.optimizer import optimise
from nplhub.strategy.options import build_options, loan_attributes
from nplhub.strategy.packaging import PackagingRules, build_packages
from nplhub.strategy.report import comparison_tables, write_html, write_workbook
from nplhub.valuation.eligibility import Rulebook

TAPE_TABLES = ("loans", "counterparties", "collateral", "loan_collateral")
DAYS_PER_MONTH = 365.25 / 12


@dataclass
class PlanInputs:
    snapshot_id: str
    cutoff: date
    route_values: pd.DataFrame
    loans: pd.DataFrame
    rulebook: Rulebook


def load_inputs(uow: AbstractUnitOfWork, snapshot_id: str | None = None) -> PlanInputs:
    values = latest_route_values(uow, snapshot_id)
    rulebook = latest_rulebook(uow, snapshot_id)
    with uow:
        reader = uow.get(SnapshotReader)  # type: ignore[type-abstract]
        sid = snapshot_id or reader.latest_snapshot_id()
        if sid is None:
            raise NotFound("no snapshot has been imported yet: import a tape first")
        snapshot = uow.get(SnapshotRepository).get(sid)  # type: ignore[type-abstract]
        if snapshot is None:
            raise NotFound(f"snapshot {sid} not found")
        frames = reader.frames(sid, list(TAPE_TABLES))
    return PlanInputs(sid, snapshot.cutoff_date, values, loan_attributes(frames), rulebook)


def packaging_rulebook(rulebook: Rulebook, overrides: dict[str, Any] | None) -> Rulebook:
    """The rulebook with the plan's own package minimums. A parameter that decides which routes are
    open is the valuation's to apply: changing it here would plan on verdicts judged by another rule."""
    if not overrides:
        return rulebook
    packaging = {c.min_accounts_param for c in rulebook.channels.values() if c.min_accounts_param}
    for name in overrides:
        if name in rulebook.parameters and name not in packaging:
            raise DomainError(f"eligibility parameter {name!r} decides which routes are open to a loan: set it "
                              "when valuing (nplhub value --rules FILE), so that valuation and plan judge by the "
                              f"same rulebook; a plan may change only the package minimums ({', '.join(sorted(packaging))})")
    return rulebook.with_parameters(overrides, source="set for this plan")


def months_between(start: date, end: date) -> float:
    return (end - start).days / DAYS_PER_MONTH


def default_deadline(cutoff: date) -> date:
    """The year-end the NPL ratio is judged at: this year's, or next year's from December on."""
    year_end = date(cutoff.year, 12, 31)
    return year_end if (year_end - cutoff).days > 31 else date(cutoff.year + 1, 12, 31)


def make_constraints(inputs: PlanInputs, *, legal_budget: float | None = None, npl_target: float | None = None,
                     deadline: date | None = None, officers: dict[str, float] | None = None,
                     default_officers: float | None = None, cases_per_officer: float = 40.0,
                     loss_limit: float | None = None, package_min_accounts: bool = False,
                     total_loans: float | None = None) -> PlanConstraints:
    deadline = deadline or default_deadline(inputs.cutoff)
    if deadline < inputs.cutoff:
        raise DomainError(f"the deadline {deadline} is before the snapshot's cut-off {inputs.cutoff}")
    return PlanConstraints(
        legal_budget=legal_budget, officers=officers, default_officers=default_officers,
        cases_per_officer=cases_per_officer, npl_target=npl_target,
        deadline_months=months_between(inputs.cutoff, deadline), total_loans=total_loans, loss_limit=loss_limit,
        loss_horizon_months=months_between(inputs.cutoff, default_deadline(inputs.cutoff)),
        package_min_accounts=package_min_accounts)


def plan_disposal(uow: AbstractUnitOfWork, constraints: PlanConstraints | None = None, *,
                  inputs: PlanInputs | None = None, rule_overrides: dict[str, Any] | None = None,
                  time_limit: float = 50.0) -> dict[str, Any]:
    """Plan the portfolio of the latest valuation run, store the plan, return its summary and assignments."""
    inputs = inputs or load_inputs(uow)
    constraints = constraints or PlanConstraints()
    rulebook = packaging_rulebook(inputs.rulebook, rule_overrides)
    option_set = build_options(inputs.route_values, inputs.loans, rulebook, constraints)
    result = optimise(option_set, constraints, time_limit=time_limit)
    out = result.to_dict()
    out["unplanned_loans"] = int(len(option_set.unplanned))
    plan = StoredPlan(
        plan_id=uuid.uuid4().hex[:16], snapshot_id=inputs.snapshot_id, created_at=datetime.now(UTC),
        status=result.status, method=result.method, objective_npv=result.objective_npv,
        unconstrained_npv=result.unconstrained_npv, gap=result.gap, loans=len(result.assignments),
        constraints=constraints.to_dict(),
        summary={k: v for k, v in out.items() if k != "assignments"} | {"rulebook_version": rulebook.version},
    )
    with uow:
        uow.get(StrategyRepository).add_plan(plan, result.assignments)  # type: ignore[type-abstract]
        digest = hashlib.sha256("\n".join(f"{a}\t{r}" for a, r in zip(result.assignments["loan_id"],
                                                                    result.assignments["route"])).encode()).hexdigest()
        uow.record(GenericEvent(kind="strategy.plan_created", subject=plan.plan_id, data={
            "snapshot_id": plan.snapshot_id, "loans": plan.loans, "objective_npv": round(plan.objective_npv, 2),
            "gap": plan.gap, "status": plan.status, "method": plan.method, "constraints": plan.constraints,
            "route_counts": out["route_counts"], "assignments_sha256": digest,
        }))
        uow.commit()
    return {"plan_id": plan.plan_id, "snapshot_id": plan.snapshot_id, **out}


def get_plan(uow: AbstractUnitOfWork, plan_id: str | None = None) -> tuple[StoredPlan, pd.DataFrame]:
    with uow:
        repo = uow.get(StrategyRepository)  # type: ignore[type-abstract]
        plan = repo.get_plan(plan_id) if plan_id else repo.latest_plan()
        if plan is None:
            raise NotFound(f"plan {plan_id} not found" if plan_id else "no plan yet: run `nplhub strategy plan` first")
        return plan, repo.assignments(plan.plan_id)


def plan_packages(uow: AbstractUnitOfWork, plan_id: str | None = None, *, max_accounts: int = 200,
                  correlation: float = 0.3, reserve_quantile: float = 0.10,
                  rule_overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Package the plan's transfers for sale, store the packages, return them."""
    if not 0 < reserve_quantile < 1 or not 0 <= correlation <= 1 or max_accounts < 1:
        raise DomainError("reserve quantile must be in (0, 1), correlation in [0, 1], max accounts ≥ 1")
    plan, assignments = get_plan(uow, plan_id)
    rulebook = packaging_rulebook(latest_rulebook(uow, plan.snapshot_id), rule_overrides)
    rules = PackagingRules(min_accounts={c: rulebook.min_accounts(c) for c in rulebook.channels},
                           max_accounts=max_accounts, correlation=correlation, reserve_quantile=reserve_quantile)
    packages = build_packages(assignments, rules)
    with uow:
        uow.get(StrategyRepository).replace_packages(plan.plan_id, packages)  # type: ignore[type-abstract]
        uow.record(GenericEvent(kind="strategy.packages_built", subject=plan.plan_id, data={
            "packages": int(len(packages)), "accounts": int(packages["accounts"].sum()) if len(packages) else 0,
            "reserve_total": round(float(packages["reserve_price"].sum()), 2) if len(packages) else 0.0,
            "rules": {"max_accounts": max_accounts, "correlation": correlation, "reserve_quantile": reserve_quantile,
                      "min_accounts": rules.min_accounts},
        }))
        uow.commit()
    records = packages.to_dict("records")
    channels = {c.code: {"title": c.title, "buyers": list(c.buyers), "re_transfer_allowed": c.re_transfer_allowed,
                         "buyer_note": c.buyer_note, "source": c.source} for c in rulebook.channels.values()}
    return {"plan_id": plan.plan_id, "packages": records, "channels": channels}


def write_report(uow: AbstractUnitOfWork, outdir: str | Path, plan_id: str | None = None,
                 inputs: PlanInputs | None = None) -> dict[str, str]:
    """The comparison report (traditional against innovative routes) as HTML and as an Excel workbook."""
    plan, assignments = get_plan(uow, plan_id)
    inputs = inputs or load_inputs(uow, plan.snapshot_id)
    option_set = build_options(inputs.route_values, inputs.loans, inputs.rulebook)
    tables = comparison_tables(option_set.options, assignments, plan, inputs.rulebook)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    html = write_html(tables, out / f"strategy-report-{plan.plan_id}.html")
    xlsx = write_workbook(tables, out / f"strategy-report-{plan.plan_id}.xlsx")
    return {"html": str(html), "xlsx": str(xlsx), "plan_id": plan.plan_id}


def demo_step(ctx: Any) -> dict[str, object]:
    """Plan the demo portfolio under a year-end NPL target and the bank's budgets, package, report, open cases."""
    from nplhub.services.cases import demo_cases

    inputs = load_inputs(ctx.uow_factory(), ctx.snapshot_id)
    free = plan_disposal(ctx.uow_factory(), PlanConstraints(), inputs=inputs)
    # the bank's year: 85% of the legal budget and officers the unconstrained plan would use, bulk
    # packages of at least 3 accounts, and an NPL ratio 10% lower than the unconstrained plan reaches
    probe = make_constraints(inputs, npl_target=0.0)
    options = build_options(inputs.route_values, inputs.loans, inputs.rulebook, probe)
    best = options.best_routes()
    removed = float(best["removable"].sum())
    ratio_best = (options.npl_balance - removed) / max(options.total_loans - removed, 1.0)
    busiest = float(best.groupby("branch_id")["workload"].sum().max())
    attempts = [
        make_constraints(inputs, legal_budget=0.85 * float(best["legal_cost"].sum()),
                         default_officers=0.85 * busiest / 40.0, npl_target=0.9 * ratio_best,
                         package_min_accounts=True),
        make_constraints(inputs, legal_budget=0.85 * float(best["legal_cost"].sum()),
                         default_officers=0.85 * busiest / 40.0, package_min_accounts=True),
    ]
    planned = free
    for constraints in attempts:
        try:
            planned = plan_disposal(ctx.uow_factory(), constraints, inputs=inputs, time_limit=15.0)
            break
        except DomainError:
            continue
    packages = plan_packages(ctx.uow_factory(), planned["plan_id"])
    report = write_report(ctx.uow_factory(), ctx.workdir, planned["plan_id"], inputs=inputs)
    cases = demo_cases(ctx, planned["plan_id"], inputs.cutoff)
    ctx.results["strategy"] = {"plan": planned, "unconstrained": free, "packages": packages["packages"],
                               "report": report, "cases": cases}
    headline: dict[str, object] = {
        "plan": planned["plan_id"],
        "plan NPV / 方案净现值 (yuan)": f"{planned['objective_npv']:,.0f}",
        "unconstrained NPV / 无约束净现值 (yuan)": f"{free['objective_npv']:,.0f}",
        "gap / 最优性差距": "n/a" if planned["gap"] is None else f"{planned['gap']:.2e}",
        "packages / 资产包": len(packages["packages"]),
        "binding constraints / 紧约束": len(planned["binding_constraints"]),
        "cases opened / 案件": cases["opened"],
        "report": Path(report["html"]).name,
    }
    for b in planned["binding_constraints"][:3]:
        headline[f"shadow: {b['name']}"] = b["text"].split(" / ")[-1]
    return headline
