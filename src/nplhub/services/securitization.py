"""Use cases of securitization: run, price, size and export a deal; structure one for the demo.

The engines are pure (`nplhub.securitization`); this module loads the pool, applies the stress,
shapes the answers (the `nplhub abs ... --json` contract) and reads the portfolio for the demo.
No state is stored: a deal is a file, its results are recomputed on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nplhub.domain.errors import DomainError
from nplhub.securitization import projection
from nplhub.securitization.cents import from_cents
from nplhub.securitization.deal import Deal
from nplhub.securitization.export import absbox_deal, write_report_csv, write_report_xlsx
from nplhub.securitization.montecarlo import DealMonteCarlo, ShockModel
from nplhub.securitization.pricing import price_tranche
from nplhub.securitization.report import WaterfallReport, run_waterfall
from nplhub.securitization.sizing import size_tranche
from nplhub.securitization.structuring import StructuringTerms, structure_two_tranche

DEFAULT_SEED = 20240601


@dataclass(frozen=True)
class RunOptions:
    scenarios: int = 0
    seed: int = DEFAULT_SEED
    haircut: float = 0.0
    delay_months: float = 0.0
    shocks: ShockModel = field(default_factory=ShockModel)
    workers: int = 1

    @property
    def stress(self) -> projection.Stress:
        return projection.Stress(haircut=self.haircut, delay_months=self.delay_months)


def load_deal(path: str | Path) -> Deal:
    deal = Deal.load(path)
    if deal.pool.loans_file and not Path(deal.pool.loans_file).is_absolute():
        resolved = (Path(path).parent / deal.pool.loans_file).resolve()
        deal = deal.model_copy(update={"pool": deal.pool.model_copy(update={"loans_file": str(resolved)})})
    return deal


def _pool(deal: Deal, loans_frame: Any | None) -> projection.LoanRecoveries:
    return projection.from_pool(deal, loans_frame)


def portfolio_pool(uow: Any, deal: Deal) -> Any | None:
    """The loans frame of a deal whose pool is a portfolio selection (None for the others): the
    latest valuation run's route values, each loan on its best eligible route."""
    selection = deal.pool.portfolio
    if selection is None:
        return None
    from nplhub.services.valuation import latest_route_values

    frame = latest_route_values(uow, selection.snapshot_id)
    rec = projection.from_valuation(frame, float(deal.pool.bp_discount_rate), selection.routes,
                                    deal.pool.loan_ids, selection.max_loans)
    return _frame_of(rec)


def deal_report(deal: Deal, options: RunOptions, loans_frame: Any | None = None) -> WaterfallReport:
    plan = _pool(deal, loans_frame)
    inputs = projection.period_inputs(deal, projection.stressed(plan, options.stress), plan)
    return run_waterfall(deal, inputs)


def _yuan(cents: Any) -> float:
    return float(from_cents(int(cents)))


def tranche_figures(deal: Deal, report: WaterfallReport) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for t in deal.tranches:
        flows = report.tranche(t.name)
        priced = price_tranche(
            t.name, float(t.balance), float(t.issue_price), deal.closing_date, flows.dates,
            [v / 100 for v in flows.interest], [v / 100 for v in flows.principal], [v / 100 for v in flows.residual],
            loss=_yuan(flows.balance_end), interest_shortfall=_yuan(flows.interest_shortfall),
        ).as_dict()
        priced.pop("name")
        for key in ("principal_paid", "interest_paid", "residual_paid"):
            priced[key] = round(float(priced[key]), 2)  # type: ignore[arg-type]
        priced["balance"] = float(t.balance)
        priced["seniority"] = t.seniority
        out[t.name] = priced
    return out


def period_records(deal: Deal, report: WaterfallReport) -> list[dict[str, Any]]:
    """Per payment date: every inflow and outflow, so that inflow_total = outflow_total can be checked."""
    records = []
    out_total = report.outflow_total()
    for k, d in enumerate(report.dates):
        def line(name: str, k: int = k) -> float:
            return _yuan(report.line(name)[k])

        records.append({
            "date": d.isoformat(),
            "inflow_total": line("inflow_total"),
            "outflow_total": _yuan(out_total[k]),
            "collections": line("collections"),
            "reserve_release": line("reserve_release"),
            "brought_forward": line("brought_forward"),
            "call_proceeds": line("call_proceeds"),
            "fees": {f.name: line(f"fee:{f.name}:paid") for f in deal.fees},
            "servicer_fee": line("servicer_fee:paid"),
            "deferred_servicer_fee": line("servicer_fee:deferred_paid"),
            "costs_capped": line("costs:capped_paid"),
            "costs_excess": line("costs:excess_paid"),
            "reserve_top_up": line("reserve:top_up"),
            "incentive_fee": line("incentive_fee:paid"),
            "tranches": {t.name: {"interest": line(f"tranche:{t.name}:interest_paid"),
                                  "principal": line(f"tranche:{t.name}:principal_paid"),
                                  "residual": line(f"tranche:{t.name}:residual_paid"),
                                  "balance": line(f"tranche:{t.name}:balance"),
                                  "interest_shortfall": line(f"tranche:{t.name}:interest_shortfall")}
                         for t in deal.tranches},
            "carried_forward": line("carried_forward"),
            "reserve_balance": line("reserve:balance"),
            "triggers": {t.name: bool(report.line(f"trigger:{t.name}:breached")[k]) for t in deal.triggers},
            "waterfall": "triggered" if report.line("waterfall_triggered")[k] else "normal",
            "called": bool(report.line("called")[k]),
        })
    return records


def monte_carlo(deal: Deal, options: RunOptions, loans_frame: Any | None = None) -> dict[str, Any]:
    plan = _pool(deal, loans_frame)
    mc = DealMonteCarlo(deal, projection.stressed(plan, options.stress), plan, options.shocks,
                        workers=options.workers)
    summary = mc.run(options.scenarios, options.seed).summary()
    summary["shocks"] = dict(options.shocks.__dict__)
    return summary


def run_deal(deal: Deal, options: RunOptions, loans_frame: Any | None = None) -> dict[str, Any]:
    """The `nplhub abs run --json` contract: tranches by name, periods in date order, and the
    Monte Carlo statistics when scenarios were asked for."""
    report = deal_report(deal, options, loans_frame)
    result: dict[str, Any] = {
        "deal": deal.name, "currency": deal.currency, "rounding": deal.rounding,
        "stress": {"haircut": options.haircut, "delay_months": options.delay_months},
        "tranches": tranche_figures(deal, report),
        "periods": period_records(deal, report),
    }
    if options.scenarios > 0:
        result["monte_carlo"] = monte_carlo(deal, options, loans_frame)
    return result


def price_deal(deal: Deal, options: RunOptions, loans_frame: Any | None = None) -> dict[str, Any]:
    report = deal_report(deal, options, loans_frame)
    return {"deal": deal.name, "settlement": deal.closing_date.isoformat(),
            "conventions": "Act/365F, annual compounding; WAL from settlement",
            "stress": {"haircut": options.haircut, "delay_months": options.delay_months},
            "tranches": tranche_figures(deal, report)}


def size_deal(deal: Deal, options: RunOptions, tranche: str | None = None,
              loans_frame: Any | None = None) -> dict[str, Any]:
    plan = _pool(deal, loans_frame)
    inputs = projection.period_inputs(deal, projection.stressed(plan, options.stress), plan)
    found = size_tranche(deal, inputs, tranche)
    expected = plan.expected_recovery
    lower = float(np.sum(plan.amount) * (1 - options.haircut))
    return {"deal": deal.name, "tranche": found.tranche, "balance": float(found.balance),
            "stress": {"haircut": options.haircut, "delay_months": options.delay_months},
            "expected_recovery": round(expected, 2), "stressed_recovery": round(lower, 2),
            "share_of_expected_recovery": float(found.balance) / expected if expected else None,
            "current_balance": float(deal.tranche(found.tranche).balance), "evaluations": found.evaluations}


def export_deal(deal: Deal, options: RunOptions, directory: str | Path, loans_frame: Any | None = None) -> dict[str, str]:
    """Write <dir>/cashflows.csv, <dir>/cashflows.xlsx and <dir>/absbox_deal.json."""
    import json

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    report = deal_report(deal, options, loans_frame)
    figures = tranche_figures(deal, report)
    summary = [{"tranche": name, **fig} for name, fig in figures.items()]
    csv_path = write_report_csv(report, out / "cashflows.csv")
    xlsx_path = write_report_xlsx(report, out / "cashflows.xlsx", summary)
    absbox_path = out / "absbox_deal.json"
    absbox_path.write_text(json.dumps(absbox_deal(deal, [int(c) for c in report.line("collections")]),
                                      ensure_ascii=False, indent=2), encoding="utf-8")
    return {"csv": str(csv_path), "xlsx": str(xlsx_path), "absbox": str(absbox_path)}


# -- the demo -----------------------------------------------------------------------------------
def recoveries_from_collateral(frames: dict[str, Any]) -> projection.LoanRecoveries:
    """A fallback pool when no valuation ran: per loan, 60% of the appraisal allocated to it, net of
    prior claims, capped at the claim, plus 5% of the unsecured rest; 18 months for secured loans,
    30 for the others; costs 6% of the recovery."""
    loans = frames["loans"]
    claim = loans["outstanding_principal"].astype(float) + loans.get("accrued_interest", 0.0)
    claim = claim.fillna(loans["outstanding_principal"].astype(float))
    secured = np.zeros(len(loans))
    if "collateral" in frames and "loan_collateral" in frames and len(frames["loan_collateral"]):
        col = frames["collateral"].set_index("collateral_id")
        net = (col["appraisal_value"].astype(float) * 0.6 - col.get("prior_claims", 0.0)).clip(lower=0)
        links = frames["loan_collateral"].copy()
        links["net"] = links["collateral_id"].map(net).fillna(0.0)
        shares = links.groupby("collateral_id")["loan_id"].transform("count")
        links["value"] = links["net"] / shares
        per_loan = links.groupby("loan_id")["value"].sum()
        secured = loans["loan_id"].map(per_loan).fillna(0.0).to_numpy(float)
    claim_v = claim.to_numpy(float)
    sec = np.minimum(secured, claim_v)
    amount = sec + 0.05 * (claim_v - sec)
    months = np.where(sec > 0, 18.0, 30.0)
    return projection.from_arrays(loans["loan_id"].to_numpy(), amount, amount * 0.06, months)


WORKOUT_ROUTES = ("collection", "judicial_auction", "restructuring")
MIN_POOL_LOANS = 20


def demo_recoveries(ctx: Any) -> tuple[projection.LoanRecoveries, str]:
    """The demo pool: the loans the strategy plan keeps in workout (collection, judicial auction,
    restructuring: what a servicer collects for an ABS), each on its planned route; without a plan
    (or with too few such loans) every loan on its best eligible route; without valuation results
    the loans' collateral."""
    valuation = ctx.results.get("valuation")
    frame = valuation.get("route_values") if isinstance(valuation, dict) else valuation
    if frame is not None:
        strategy = ctx.results.get("strategy")
        plan = strategy.get("plan") if isinstance(strategy, dict) else None
        assignments = plan.get("assignments") if isinstance(plan, dict) else None
        if assignments is not None and len(assignments):
            import pandas as pd

            try:  # the plan's assignments: a frame or a list of {"loan_id", "route"}
                table = pd.DataFrame(assignments).astype({"loan_id": str, "route": str})
                kept = table[table["route"].isin(WORKOUT_ROUTES)][["loan_id", "route"]]
                planned = frame.assign(loan_id=frame["loan_id"].astype(str)).merge(kept, on=["loan_id", "route"])
                if planned["loan_id"].nunique() >= MIN_POOL_LOANS:
                    return projection.from_valuation(planned), "strategy plan's workout loans"
            except (KeyError, ValueError, TypeError, DomainError):
                pass  # a plan we cannot read: fall back to the valuation results
        return projection.from_valuation(frame), "valuation results"
    from nplhub.services.ports import SnapshotReader

    if ctx.snapshot_id is None:
        raise DomainError("the demo needs the data-hub snapshot or the valuation results")
    with ctx.uow_factory() as uow:
        frames = uow.get(SnapshotReader).frames(ctx.snapshot_id, ["loans", "collateral", "loan_collateral"])
    return recoveries_from_collateral(frames), "loans' collateral"


def demo_step(ctx: Any) -> dict[str, object]:
    """Structure a two-tranche deal from the demo portfolio, run it, price it, simulate it."""
    rec, source = demo_recoveries(ctx)
    deal = structure_two_tranche(rec, StructuringTerms(name="nplhub demo NPL ABS 演示不良资产支持证券"))
    options = RunOptions(scenarios=2000, seed=int(getattr(ctx, "seed", DEFAULT_SEED)))
    result = run_deal(deal, options, _frame_of(rec))
    ctx.results["securitization"] = {"deal": deal, "result": result, "source": source}
    workdir = getattr(ctx, "workdir", None)
    if workdir is not None:  # the deal and its pool, so that `nplhub abs run` can replay it
        Path(workdir).mkdir(parents=True, exist_ok=True)
        _frame_of(rec).to_csv(Path(workdir) / "demo_pool.csv", index=False)
        saved = deal.model_copy(update={"pool": deal.pool.model_copy(update={"loans_file": "demo_pool.csv"})})
        (Path(workdir) / "demo_deal.yaml").write_text(saved.to_yaml(), encoding="utf-8")
    senior, sub = result["tranches"]["senior"], result["tranches"]["sub"]
    mc = result["monte_carlo"]["tranches"]
    issuance = senior["balance"] + sub["balance"]
    return {
        "pool source / 资产池来源": source,
        "loans in pool / 入池笔数": f"{len(rec):,}",
        "expected recovery / 预期回收 (yuan)": f"{rec.expected_recovery:,.0f}",
        "senior / 优先档 (yuan)": f"{senior['balance']:,.0f}",
        "senior / expected recovery": f"{senior['balance'] / rec.expected_recovery:.1%}",
        "subordination / 次级占比": f"{sub['balance'] / issuance:.1%}",
        "senior yield / WAL": f"{(senior['yield'] or 0):.2%} / {(senior['wal'] or 0):.2f} y",
        "sub IRR / 次级内部收益率": f"{(sub['irr'] or 0):.2%}",
        "senior EL, P(loss) (2,000 paths)": f"{mc['senior']['expected_loss']:.3%}, {mc['senior']['probability_of_loss']:.1%}",
    }


def _frame_of(rec: projection.LoanRecoveries) -> Any:
    import pandas as pd

    frame = pd.DataFrame({"loan_id": rec.loan_id, "gross_recovery": rec.amount, "costs": rec.costs,
                          "months_to_recovery": rec.months})
    if rec.level_sigma is not None:
        frame["level_sigma"] = rec.level_sigma
    return frame
