"""`nplhub value ...` and `nplhub model ...`: valuation and recovery models / 估值与回收模型."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.table import Table

from nplhub.cli.common import EXIT_REJECTED, console, err_console, platform, print_json
from nplhub.domain.errors import DomainError

T = TypeVar("T")

app = typer.Typer(help="Value loans on every disposal route / 按处置方式估值", invoke_without_command=True)
model_app = typer.Typer(help="Recovery models learnt from past disposals / 回收模型", no_args_is_help=True)

ROUTE_LABELS = {
    "collection": "清收 collection", "restructuring": "重组 restructuring", "bulk_transfer": "批量转让 bulk transfer",
    "single_transfer": "单户转让 single transfer", "judicial_auction": "司法拍卖 judicial auction",
    "debt_to_equity": "债转股 debt-to-equity", "write_off": "核销 write-off",
}


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except DomainError as exc:
        err_console.print(f"[red]rejected:[/red] {exc}")
        raise typer.Exit(EXIT_REJECTED) from None


def _options(assumptions: Path | None, seed: int, paths: int | None, top_share: float | None,
             discount_rate: float | None, calibrate: bool, method: str, dask: str | None,
             all_loans: bool = False, rules: Path | None = None) -> Any:
    from nplhub.services.valuation import ValuationOptions

    return ValuationOptions(assumptions_path=str(assumptions) if assumptions else None,
                            rules_path=str(rules) if rules else None, seed=seed, paths=paths,
                            top_share=top_share, discount_rate=discount_rate, calibrate=calibrate,
                            method=method, dask_address=dask, all_loans=all_loans)


SNAPSHOT = typer.Option(None, "--snapshot", help="Snapshot id (default: the latest imported).")
ASSUMPTIONS = typer.Option(None, "--assumptions", help="Assumption set YAML (default: the packaged set).")
RULES = typer.Option(None, "--rules", help="Eligibility rulebook YAML: which routes the law opens to a loan "
                                           "(default: the packaged rulebook).")
SEED = typer.Option(20240601, "--seed", help="Monte Carlo seed.")
PATHS = typer.Option(None, "--paths", help="Monte Carlo paths per loan (default: the assumption set).")
TOP_SHARE = typer.Option(None, "--top-share", help="Share of loans by claim that get Monte Carlo (0..1).")
RATE = typer.Option(None, "--discount-rate", help="Annual discount rate (default: interbank + 5 points).")
METHOD = typer.Option("two_part", "--method", help="Recovery model: two_part or gbm.")


@app.callback()
def value(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per loan (the output contract)."),
    out: Path | None = typer.Option(None, "--out", help="Write the results to FILE.csv or FILE.parquet."),
    snapshot: str | None = SNAPSHOT,
    assumptions: Path | None = ASSUMPTIONS,
    rules: Path | None = RULES,
    seed: int = SEED,
    paths: int | None = PATHS,
    top_share: float | None = TOP_SHARE,
    discount_rate: float | None = RATE,
    calibrate: bool = typer.Option(False, "--calibrate", help="Blend in recovery models learnt from disposals."),
    method: str = METHOD,
    dask: str | None = typer.Option(
        None, "--dask", help="Dask scheduler address, or local:N for N worker processes here (default: in process)."),
    all_loans: bool = typer.Option(False, "--all-loans",
                                   help="Value performing loans too (default: non-performing, > 90 dpd, written off)."),
) -> None:
    """Value every loan of the snapshot on every disposal route and store the run."""
    if ctx.invoked_subcommand is not None:
        return
    from nplhub.services import valuation as svc

    plat = platform()
    opts = _options(assumptions, seed, paths, top_share, discount_rate, calibrate, method, dask, all_loans, rules)
    if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
        err_console.print(f"[red]rejected:[/red] --out {out}: the file must end in .csv or .parquet")
        raise typer.Exit(EXIT_REJECTED)
    summary = _run(lambda: svc.value_snapshot(plat.uow(), snapshot, opts))
    frame = _run(lambda: svc.latest_route_values(plat.uow(), summary["snapshot_id"]))
    if out is not None:
        target = _run(lambda: svc.export_route_values(frame, out))
        if not as_json:
            console.print(f"wrote {len(frame) // 7 if len(frame) else 0} loans to {target}")
    if as_json:
        print_json(svc.portfolio_records(frame))
        return
    _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    console.print(f"valuation run {summary['run_id']} of snapshot {summary['snapshot_id']} "
                  f"({summary['loans']} loans, assumptions {summary['assumptions']['name']}"
                  f"@{summary['assumptions']['version']}, discount rate {summary['discount_rate']:.2%})")
    if summary.get("rulebook"):
        console.print(f"eligibility rulebook {summary['rulebook']['version']} "
                      f"(sha256 {summary['rulebook']['sha256'][:12]})")
    table = Table(title="best routes / 最优处置方式")
    table.add_column("route / 方式")
    table.add_column("loans / 笔数", justify="right")
    for route, count in sorted(summary["best_routes"].items(), key=lambda kv: -kv[1]):
        table.add_row(ROUTE_LABELS.get(route, route), str(count))
    console.print(table)
    console.print(f"claim / 债权 {summary['total_claim']:,.2f}  best-route NPV / 最优净现值 "
                  f"{summary['total_best_npv']:,.2f}  ({(summary['recovery_ratio'] or 0):.2%})")


@app.command("loan")
def value_loan(
    loan_id: str = typer.Argument(..., help="Loan id (贷款编号)."),
    explain: bool = typer.Option(False, "--explain", help="Show cash flows per route and the value drivers."),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
    snapshot: str | None = SNAPSHOT,
    assumptions: Path | None = ASSUMPTIONS,
    rules: Path | None = RULES,
    seed: int = SEED,
    paths: int | None = PATHS,
    discount_rate: float | None = RATE,
) -> None:
    """Value one loan on every route (with --explain: cash flows and drivers)."""
    from nplhub.services import valuation as svc

    plat = platform()
    opts = _options(assumptions, seed, paths, None, discount_rate, False, "two_part", None, rules=rules)
    result = _run(lambda: svc.explain(plat.uow(), loan_id, snapshot, opts))
    if as_json:
        if not explain:
            result = {k: v for k, v in result.items() if k not in ("drivers", "loan")}
            for route in result["routes"].values():
                route.pop("cash_flows", None)
        print_json(result)
        return
    console.print(f"loan {result['loan_id']}  claim / 债权 {result['claim']:,.2f}  best / 最优: "
                  f"{ROUTE_LABELS.get(result['best_route'] or '', result['best_route'])}  "
                  f"NPV {result['best_npv'] or 0:,.2f}  (discount {result['discount_rate']:.2%})")
    table = Table(title="routes / 处置方式")
    for col in ("route / 方式", "eligible", "NPV", "P10", "P50", "P90", "months", "IRR", "reason / 原因"):
        table.add_column(col)
    for route, r in result["routes"].items():
        def fmt(x: float | None, spec: str = ",.0f") -> str:
            return "" if x is None else format(x, spec)
        table.add_row(ROUTE_LABELS.get(route, route), "yes" if r["eligible"] else "no", fmt(r["npv"]), fmt(r["p10"]),
                      fmt(r["p50"]), fmt(r["p90"]), fmt(r["months_to_recovery"], ".1f"), fmt(r["irr"], ".2%"),
                      r["reason"] or "")
    console.print(table)
    if explain:
        drivers = Table(title="what drives the value / 价值驱动因素 (best route)")
        for col in ("driver", "shock", "NPV change", "source / 来源"):
            drivers.add_column(col)
        for d in result["drivers"]:
            drivers.add_row(d["driver"], d["shock"], f"{d['npv_change'] or 0:,.0f}", d["source"])
        console.print(drivers)
        best = result["routes"].get(result["best_route"] or "", {})
        flows = Table(title="cash flows of the best route / 最优方式现金流")
        for col in ("month", "inflow", "cost", "present value"):
            flows.add_column(col, justify="right")
        for f in best.get("cash_flows", []):
            flows.add_row(f"{f['month']:.1f}", f"{f['inflow']:,.0f}", f"{f['cost']:,.0f}", f"{f['present_value']:,.0f}")
        console.print(flows)


@model_app.command("fit")
def model_fit(
    as_json: bool = typer.Option(False, "--json", help="Print the fit summary as JSON."),
    snapshot: str | None = SNAPSHOT,
    method: str = METHOD,
    seed: int = SEED,
) -> None:
    """Fit the recovery-rate and time-to-recovery models on the snapshot's disposals history."""
    from nplhub.services import valuation as svc

    if method not in ("two_part", "gbm"):
        err_console.print(f"[red]rejected:[/red] --method {method}: expected two_part or gbm")
        raise typer.Exit(EXIT_REJECTED)
    plat = platform()
    result = _run(lambda: svc.fit_models(plat.uow(), snapshot, method=method, seed=seed))
    if as_json:
        print_json(result)
        return
    console.print(f"fitted {result['method']} recovery models ({result['fit_id'][:12]}) on snapshot "
                  f"{result['snapshot_id']}: closed cases per route {result['closed_cases']}; "
                  f"time models for {', '.join(result['time_models']) or 'no route'}")


@model_app.command("backtest")
def model_backtest(
    as_json: bool = typer.Option(False, "--json", help="Print the backtest rows as JSON."),
    snapshot: str | None = SNAPSHOT,
    method: str = METHOD,
    seed: int = SEED,
    split: float = typer.Option(0.7, "--split", help="Share of the earliest cases used for fitting."),
) -> None:
    """Out-of-time backtest: predicted versus realised recovery by route and segment."""
    from nplhub.services import valuation as svc

    if method not in ("two_part", "gbm"):
        err_console.print(f"[red]rejected:[/red] --method {method}: expected two_part or gbm")
        raise typer.Exit(EXIT_REJECTED)
    plat = platform()
    result = _run(lambda: svc.run_backtest(plat.uow(), snapshot, method=method, seed=seed, split=split))
    if as_json:
        print_json(result)
        return
    table = Table(title=f"backtest / 回测 ({result['method']}, split {split:.0%})")
    for col in ("route", "segment", "cases", "pred. rate", "real. rate", "MAE", "pred. months", "real. months", "C-index"):
        table.add_column(col)
    for r in result["backtest"]:
        def fmt(x: Any, spec: str) -> str:
            return "" if x is None else format(x, spec)
        table.add_row(r["route"], str(r["segment"]), str(r["cases"]), fmt(r["predicted_rate"], ".1%"),
                      fmt(r["realised_rate"], ".1%"), fmt(r["mean_abs_error"], ".3f"),
                      fmt(r["predicted_median_months"], ".1f"), fmt(r["realised_median_months"], ".1f"),
                      fmt(r["concordance"], ".2f"))
    console.print(table)
