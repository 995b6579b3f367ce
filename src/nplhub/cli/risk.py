"""`nplhub risk ...`: classification, hidden NPLs, supervisory metrics, migration matrices, early warning."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from nplhub.cli.common import console, err_console, platform, print_json
from nplhub.cli.common import json_safe as clean
from nplhub.cli.common import rejected as _fail
from nplhub.domain.errors import DomainError

app = typer.Typer(help="Risk analytics / 风险分析: 五级分类, 隐性不良, 监管指标, 迁徙矩阵, 预警",
                  no_args_is_help=True)

SNAPSHOT = typer.Option(None, "--snapshot", help="Snapshot id (default: the latest imported snapshot).")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
RULESET = typer.Option("cn-2023", "--ruleset", help="Rule set: cn-2023, cn-2007 or a YAML file.")


def _pct(v: Any) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.2f}%"


@app.command("classify")
def classify_cmd(snapshot: str = SNAPSHOT, ruleset: str = RULESET,
                 as_of: str = typer.Option(None, "--as-of", help="Classification date (default: last month-end of the history)."),
                 downgraded_only: bool = typer.Option(False, "--downgraded", help="Only loans the rules downgrade."),
                 save: bool = typer.Option(False, "--save", help="Store the run (classes, reasons, hidden-NPL flags)."),
                 as_json: bool = JSON) -> None:
    """Derive every loan's five-category class under the rules, with reasons / 五级分类."""
    from nplhub.services import risk as svc

    try:
        if save:
            run, result = svc.classify_and_store(platform().uow, snapshot, ruleset, as_of)
            err_console.print(f"stored run {run.run_id} for snapshot {run.snapshot_id}")
        else:
            result = svc.classify_snapshot(platform().uow(), snapshot, ruleset, as_of)
    except DomainError as exc:
        raise _fail(exc) from None
    frame = result.frame
    if downgraded_only:
        frame = frame[frame["downgraded"]]
    view = type(result)(frame=frame, rules=result.rules, as_of=result.as_of)
    if as_json:
        print_json(clean(view.records()))
        return
    summary = result.summary()
    table = Table(title=f"five-category classification / 五级分类 ({summary['ruleset']['name']}, {summary['as_of']})")
    table.add_column("reported \\ derived / 报告 \\ 认定")
    for c in summary["reported_vs_derived"]:
        table.add_column(c, justify="right")
    for r, row in summary["reported_vs_derived"].items():
        table.add_row(r, *[str(v) for v in row.values()])
    console.print(table)
    console.print(f"{summary['loans']} loans, {summary['downgraded']} downgraded by the rules / 规则下调")


@app.command("hidden")
def hidden_cmd(snapshot: str = SNAPSHOT, ruleset: str = RULESET, as_json: bool = JSON) -> None:
    """Hidden NPLs: under-reported loans and distress patterns, with evidence / 隐性不良."""
    from nplhub.services import risk as svc

    try:
        report = svc.hidden_npl(platform().uow(), snapshot, ruleset)
    except DomainError as exc:
        raise _fail(exc) from None
    if as_json:
        print_json(clean(report))
        return
    console.print(f"hidden NPL / 隐性不良: {report['hidden_npl_amount']:,.2f} ({report['hidden_npl_loans']} loans); "
                  f"suspected / 疑似: {report['suspected_amount']:,.2f} ({report['suspected_loans']} loans)")
    for key, title in (("by_branch", "branch / 支行"), ("by_region", "region / 地区"), ("by_industry", "industry / 行业")):
        table = Table(title=title)
        table.add_column("value")
        table.add_column("hidden NPL", justify="right")
        table.add_column("suspected", justify="right")
        for row in report[key][:10]:
            table.add_row(row["value"], f"{row['hidden_npl_amount']:,.0f}", f"{row['suspected_amount']:,.0f}")
        console.print(table)


@app.command("metrics")
def metrics_cmd(date_from: str = typer.Option(..., "--from", help="Opening month-end (YYYY-MM-DD)."),
                date_to: str = typer.Option(..., "--to", help="Closing month-end (YYYY-MM-DD)."),
                snapshot: str = SNAPSHOT, as_json: bool = JSON) -> None:
    """NPL ratio, provision ratios, migration and roll rates, concentration / 监管指标."""
    from nplhub.services import risk as svc

    try:
        out = svc.snapshot_metrics(platform().uow(), date_from, date_to, snapshot)
    except (DomainError, ValueError) as exc:
        raise _fail(exc) from None
    if as_json:
        print_json(clean(out))
        return
    table = Table(title=f"supervisory metrics / 监管指标 {out['from']} → {out['to']}")
    table.add_column("metric / 指标")
    table.add_column("value / 数值", justify="right")
    table.add_row("NPL ratio / 不良贷款率", _pct(out["npl_ratio"]))
    table.add_row("provision coverage / 拨备覆盖率 (120–150%)", _pct(out["provision_coverage_ratio"]))
    table.add_row("loan provision ratio / 贷款拨备率 (1.5–2.5%)", _pct(out["loan_provision_ratio"]))
    names = {"normal": "正常类迁徙率", "special_mention": "关注类迁徙率", "substandard": "次级类迁徙率",
             "doubtful": "可疑类迁徙率", "normal_loans": "正常贷款迁徙率"}
    for k, v in out["migration_rates"].items():
        table.add_row(f"migration {k} / {names[k]}", _pct(v))
    console.print(table)


@app.command("matrix")
def matrix_cmd(
    input_file: Path = typer.Option(None, "--input", help="CSV with ID,Time,State (or ID,Time,From,To); "
                                    "without it, the snapshot's loan_states history."),
    method: str = typer.Option("cohort", "--method", help="cohort or aalen-johansen."),
    period: float = typer.Option(1.0, "--period", help="Length of one period in the file's time unit."),
    cohorts: int = typer.Option(None, "--cohorts", help="Cut the time window into this many equal periods."),
    ci: str = typer.Option("goodman", "--ci", help="Confidence intervals: goodman or wilson."),
    alpha: float = typer.Option(0.05, "--alpha", help="1 - confidence level."),
    not_rated: str = typer.Option(None, "--not-rated", help="A not-rated state to remove (p_ij / (1 - p_i,NR))."),
    censoring: str = typer.Option("end_of_window", "--censoring",
                                  help="Aalen-Johansen: end_of_window or last_observation."),
    horizon: int = typer.Option(None, "--horizon", help="Also give the matrix over this many periods (P^n)."),
    snapshot: str = SNAPSHOT, as_json: bool = JSON,
) -> None:
    """Migration matrix: cohort (with multinomial intervals) or Aalen-Johansen / 迁徙矩阵."""
    from nplhub.services import risk as svc

    if method not in svc.METHODS:
        err_console.print(f"[red]error:[/red] --method must be one of {', '.join(svc.METHODS)}")
        raise typer.Exit(2)
    try:
        if input_file is not None:
            out = svc.matrix_from_file(input_file, method, period=period, cohorts=cohorts, ci_method=ci,
                                       alpha=alpha, not_rated=not_rated, censoring=censoring, horizon=horizon)
        else:
            _, tables = svc.load_snapshot(platform().uow(), snapshot, ("loan_states",))
            out = svc.loan_state_matrix(tables, method)
    except DomainError as exc:
        raise _fail(exc) from None
    if as_json:
        print_json(clean(out))
        return
    table = Table(title=f"{out['method']} one-period matrix / 一期迁徙矩阵")
    table.add_column("from \\ to")
    for s in out["states"]:
        table.add_column(str(s), justify="right")
    for s, row in zip(out["states"], out["matrix"]):
        table.add_row(str(s), *[f"{v:.4f}" for v in row])
    console.print(table)


@app.command("warn")
def warn_cmd(snapshot: str = SNAPSHOT, seed: int = typer.Option(0, help="Seed of the model."),
             top: int = typer.Option(20, help="Loans in the top list."),
             step: int = typer.Option(1, help="Use every n-th month-end as an observation month."),
             as_json: bool = JSON) -> None:
    """Early warning: 12-month NPL probability, out-of-time validation, drivers, watch list / 预警."""
    from nplhub.services import risk as svc

    try:
        out = svc.early_warning(platform().uow(), snapshot, seed=seed, top=top, step=step)
    except DomainError as exc:
        raise _fail(exc) from None
    if as_json:
        print_json(clean(out))
        return
    v = out["validation"]
    console.print(f"out-of-time AUC {v['auc']}, KS {v['ks']} on {v['test_rows']} loan-months "
                  f"({v['test_months'][0]} .. {v['test_months'][1]})")
    table = Table(title="watch list / 重点关注")
    for col in ("product", "province", "loans", "mean PD", "realised", "expected NPL"):
        table.add_column(col)
    for w in out["watch_list"]:
        table.add_row(w["product"], w["province"], str(w["loans"]), _pct(w["mean_pd"]),
                      _pct(w["realised_rate"]), f"{w['expected_npl']:,.0f}")
    console.print(table)
