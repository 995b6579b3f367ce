"""`nplhub strategy ...` and `nplhub case ...`: disposal plans, sale packages, the case workflow / 处置策略与案件."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from nplhub.cli.common import EXIT_REJECTED, EXIT_USAGE, console, err_console, platform, print_json
from nplhub.domain.errors import DomainError

T = TypeVar("T")

app = typer.Typer(help="Disposal strategy: plans, packages, report / 处置策略", no_args_is_help=True)
case_app = typer.Typer(help="The disposal case workflow / 处置案件", no_args_is_help=True)


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except DomainError as exc:
        err_console.print(f"[red]rejected:[/red] {exc}")
        raise typer.Exit(EXIT_REJECTED) from None


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        err_console.print(f"[red]error:[/red] {name} {text!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(EXIT_USAGE) from None


def _gap(gap: float | None) -> str:
    return "unknown (no bound)" if gap is None else f"{gap:.2e}"


def _officers(path: Path | None) -> dict[str, float] | None:
    if path is None:
        return None
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        err_console.print(f"[red]rejected:[/red] --capacity {path}: {exc}")
        raise typer.Exit(EXIT_REJECTED) from None
    if not isinstance(data, dict) or not all(isinstance(v, int | float) and v >= 0 for v in data.values()):
        err_console.print(f"[red]rejected:[/red] --capacity {path}: expected a mapping branch_id: officers (≥ 0)")
        raise typer.Exit(EXIT_REJECTED)
    return {str(k): float(v) for k, v in data.items()}


@app.command("plan")
def plan(
    budget: float | None = typer.Option(None, "--budget", help="Legal-cost budget, yuan / 法律费用预算."),
    npl_target: float | None = typer.Option(None, "--npl-target", help="NPL ratio to reach by the deadline, e.g. 0.015."),
    deadline: str | None = typer.Option(None, "--deadline", help="Deadline of the NPL target (default: year-end)."),
    officers: float | None = typer.Option(None, "--officers", help="Workout officers in every branch / 每个分行清收人员."),
    capacity: Path | None = typer.Option(None, "--capacity", help="YAML mapping branch_id: officers (overrides --officers)."),
    cases_per_officer: float = typer.Option(40.0, "--cases-per-officer", help="Case-load units one officer carries."),
    loss_limit: float | None = typer.Option(None, "--loss-limit", help="Charge beyond provisions allowed this year, yuan."),
    min_package: bool = typer.Option(False, "--package-rules", help="Enforce the minimum accounts per bulk package."),
    bulk_min: int | None = typer.Option(None, "--bulk-min", help="Bulk package minimum (default 3; 10 under the 2012 text)."),
    total_loans: float | None = typer.Option(None, "--total-loans", help="Total loans (NPL ratio's denominator), yuan."),
    time_limit: float = typer.Option(50.0, "--time-limit", help="Solver time limit, seconds."),
    snapshot: str | None = typer.Option(None, "--snapshot", help="Snapshot id (default: the latest)."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON (the output contract)."),
) -> None:
    """Choose a route per loan maximising NPV under the constraints given; with none, each loan's best route."""
    from nplhub.services import strategy as svc

    plat = platform()
    overrides = {"bulk_min_accounts": bulk_min} if bulk_min is not None else None
    if bulk_min is not None and bulk_min < 1:
        err_console.print("[red]rejected:[/red] --bulk-min must be at least 1")
        raise typer.Exit(EXIT_REJECTED)

    def act() -> dict[str, Any]:
        inputs = svc.load_inputs(plat.uow(), snapshot)
        cons = svc.make_constraints(inputs, legal_budget=budget, npl_target=npl_target,
                                    deadline=_date(deadline, "--deadline"), officers=_officers(capacity),
                                    default_officers=officers, cases_per_officer=cases_per_officer,
                                    loss_limit=loss_limit, package_min_accounts=min_package or bulk_min is not None,
                                    total_loans=total_loans)
        return svc.plan_disposal(plat.uow(), cons, inputs=inputs, rule_overrides=overrides, time_limit=time_limit)

    result = _run(act)
    if as_json:
        print_json(result)
        return
    console.print(f"plan [bold]{result['plan_id']}[/bold] · snapshot {result['snapshot_id']} · {result['status']} "
                  f"({result['method']}) · gap {_gap(result['gap'])} · {result['seconds']:.1f} s")
    console.print(f"NPV ¥{result['objective_npv']:,.0f} (unconstrained ¥{result['unconstrained_npv']:,.0f}); "
                  f"NPL ratio {result['npl_ratio_before']:.2%} → {result['npl_ratio_after']:.2%}")
    table = Table(title="routes / 处置方式")
    table.add_column("route")
    table.add_column("loans", justify="right")
    for route, n in sorted(result["route_counts"].items(), key=lambda kv: -kv[1]):
        table.add_row(route, str(n))
    console.print(table)
    for b in result["binding_constraints"]:
        console.print(f"• {b['text']}")


@app.command("packages")
def packages(
    plan_id: str | None = typer.Option(None, "--plan", help="Plan id (default: the latest)."),
    max_accounts: int = typer.Option(200, "--max-accounts", help="Most accounts in one package."),
    correlation: float = typer.Option(0.3, "--correlation", help="Correlation of recoveries inside a package."),
    reserve_quantile: float = typer.Option(0.10, "--reserve-quantile", help="Reserve = this quantile of package value."),
    as_json: bool = typer.Option(False, "--json", help="Print the packages as JSON."),
) -> None:
    """Group the plan's transfers into homogeneous packages with reserve prices / 组包与底价."""
    from nplhub.services import strategy as svc

    plat = platform()
    result = _run(lambda: svc.plan_packages(plat.uow(), plan_id, max_accounts=max_accounts, correlation=correlation,
                                            reserve_quantile=reserve_quantile))
    if as_json:
        print_json(result)
        return
    table = Table(title=f"packages / 资产包 · plan {result['plan_id']}")
    for col in ("package", "channel", "province", "collateral", "size", "accounts", "claim ¥", "expected ¥", "reserve ¥"):
        table.add_column(col, justify="right" if col.endswith("¥") or col == "accounts" else "left")
    for p in result["packages"]:
        table.add_row(p["package_id"], p["channel"], p["province"], p["collateral_class"], p["size_band"],
                      str(p["accounts"]), f"{p['claim']:,.0f}", f"{p['expected_price']:,.0f}",
                      f"{p['reserve_price']:,.0f}")
    console.print(table)


@app.command("report")
def report(
    out: Path = typer.Option(Path("var/reports"), "--out", help="Folder for the HTML report and the workbook."),
    plan_id: str | None = typer.Option(None, "--plan", help="Plan id (default: the latest)."),
    as_json: bool = typer.Option(False, "--json", help="Print the paths as JSON."),
) -> None:
    """Traditional against innovative routes: HTML and Excel / 传统与创新处置方式比较报告."""
    from nplhub.services import strategy as svc

    plat = platform()
    paths = _run(lambda: svc.write_report(plat.uow(), out, plan_id))
    if as_json:
        print_json(paths)
    else:
        console.print(f"report: {paths['html']}\nworkbook: {paths['xlsx']}")


TODAY = typer.Option(None, "--today", help="The date to judge deadlines at (default: today).")


@case_app.command("open")
def open_(
    plan_id: str | None = typer.Option(None, "--plan", help="Plan id (default: the latest)."),
    today: str | None = TODAY,
    officers: int = typer.Option(3, "--officers", help="Officers per branch to assign cases to in turn."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Open a case for every loan of the plan that has none yet."""
    from nplhub.services import cases as svc

    plat = platform()
    result = _run(lambda: svc.open_cases(plat.uow(), plan_id, today=_date(today, "--today") or date.today(),
                                         officers_per_branch=officers))
    print_json(result) if as_json else console.print(f"{result['opened']} cases opened for plan {result['plan_id']}")


@case_app.command("list")
def list_(
    state: str | None = typer.Option(None, "--state", help="Only cases in this state."),
    branch: str | None = typer.Option(None, "--branch", help="Only cases of this branch."),
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue cases."),
    limit: int | None = typer.Option(None, "--limit", help="At most this many cases."),
    today: str | None = TODAY,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List cases with their state, plan and deadline."""
    from nplhub.services import cases as svc

    plat = platform()
    rows = _run(lambda: svc.list_cases(plat.uow(), today=_date(today, "--today") or date.today(), state=state,
                                       branch_id=branch, overdue_only=overdue, limit=limit))
    if as_json:
        print_json(rows)
        return
    table = Table(title="cases / 案件")
    for col in ("case", "loan", "route", "branch", "officer", "state", "claim ¥", "planned close", "overdue"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["case_id"], r["loan_id"], r["route"], r["branch_id"], r["officer"], r["state_label"],
                      f"{float(r['claim']):,.0f}", r["planned_close"], "yes" if r["overdue"] else "")
    console.print(table)


@case_app.command("show")
def show(case_id: str, today: str | None = TODAY, as_json: bool = typer.Option(False, "--json")) -> None:
    """One case with its history, instalments and alerts."""
    from nplhub.services import cases as svc

    plat = platform()
    case = _run(lambda: svc.show_case(plat.uow(), case_id, today=_date(today, "--today") or date.today()))
    if as_json:
        print_json(case)
        return
    console.print(f"[bold]{case['case_id']}[/bold] loan {case['loan_id']} · {case['route']} · {case['state_label']} · "
                  f"claim ¥{float(case['claim']):,.0f} · planned ¥{float(case['planned_recovery']):,.0f} "
                  f"by {case['planned_close']}")
    for h in case["history"]:
        console.print(f"  {h['at']}: {h['from']} → {h['to']} ({h['role']})")
    for a in case["alerts"]:
        console.print(f"  [red]alert[/red] {a['message']}")


@case_app.command("advance")
def advance(
    case_id: str,
    to: str = typer.Option(..., "--to", help="New state: plan_approved, executing, recovered, sold, written_off, closed."),
    actor: str = typer.Option(..., "--actor", help="Who makes the move (staff id)."),
    role: str = typer.Option(..., "--role", help="Their role (an approval tier's role for approvals)."),
    amount: str | None = typer.Option(None, "--amount", help="Amount actually recovered (for recovered/sold/written_off)."),
    note: str = typer.Option("", "--note"),
    at: str | None = typer.Option(None, "--at", help="Date of the move (default: today)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Move a case along the workflow (identified → plan_approved → executing → outcome → closed)."""
    from nplhub.services import cases as svc

    try:
        value = Decimal(amount) if amount is not None else None
    except InvalidOperation:
        err_console.print(f"[red]error:[/red] --amount {amount!r} is not a number")
        raise typer.Exit(EXIT_USAGE) from None
    plat = platform()
    case = _run(lambda: svc.advance_case(plat.uow(), case_id, to, actor=actor, role=role,
                                         at=_date(at, "--at") or date.today(), amount=value, note=note))
    print_json(case) if as_json else console.print(f"{case['case_id']}: now {case['state_label']}")


@case_app.command("pay")
def pay(
    case_id: str,
    due: str = typer.Option(..., "--due", help="Due date of the instalment."),
    amount_due: str = typer.Option(..., "--amount-due", help="Amount due, yuan."),
    amount_paid: str = typer.Option(..., "--amount-paid", help="Amount paid, yuan (less than due = missed)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record an instalment of a restructured loan under observation (a miss raises the alert)."""
    from nplhub.services import cases as svc

    try:
        owed, paid = Decimal(amount_due), Decimal(amount_paid)
    except InvalidOperation:
        err_console.print("[red]error:[/red] --amount-due and --amount-paid must be numbers")
        raise typer.Exit(EXIT_USAGE) from None
    due_date = _date(due, "--due")
    assert due_date is not None
    plat = platform()
    out = _run(lambda: svc.record_payment(plat.uow(), case_id, due_date=due_date, amount_due=owed, amount_paid=paid))
    if as_json:
        print_json(out)
    elif out["first_missed_payment_alert"]:
        console.print(f"[red]重组后再不良预警 / alert:[/red] {case_id} missed the instalment due {due}; observation restarts")
    else:
        console.print(f"{case_id}: instalment due {due} recorded")


@case_app.command("alerts")
def alerts_(today: str | None = TODAY, as_json: bool = typer.Option(False, "--json")) -> None:
    """Overdue cases and restructured loans that missed a payment."""
    from nplhub.services import cases as svc

    plat = platform()
    rows = _run(lambda: svc.case_alerts(plat.uow(), today=_date(today, "--today") or date.today()))
    if as_json:
        print_json(rows)
        return
    for a in rows:
        console.print(escape(f"{a['case_id']} [{a['kind']}] {a['message']}"))  # data, not Rich markup
    console.print(f"{len(rows)} alerts")


@case_app.command("performance")
def performance_(
    by: str = typer.Option("branch_id", "--by", help="officer, branch_id or case_id."),
    today: str | None = TODAY,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Actual against planned recovery of finished cases (绩效考核)."""
    from nplhub.services import cases as svc

    plat = platform()
    rows = _run(lambda: svc.case_performance(plat.uow(), by=by, today=_date(today, "--today") or date.today()))
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"performance by {by} / 绩效")
    for col in ("key", "cases", "closed", "planned ¥", "actual ¥", "actual/planned", "overdue"):
        table.add_column(col)
    for r in rows:
        ratio = "—" if r["actual_vs_planned"] is None else f"{r['actual_vs_planned']:.1%}"
        table.add_row(r["key"], str(r["cases"]), str(r["closed"]), f"{float(r['planned_recovery']):,.0f}",
                      f"{float(r['actual_recovery']):,.0f}", ratio, str(r["overdue"]))
    console.print(table)
