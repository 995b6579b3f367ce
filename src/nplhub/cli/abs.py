"""`nplhub abs ...`: run, price, size and export an NPL securitization deal / 不良资产证券化."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from nplhub.cli.common import console, platform, print_json
from nplhub.cli.common import json_safe as clean
from nplhub.cli.common import rejected as _fail
from nplhub.domain.errors import DomainError

app = typer.Typer(help="NPL securitization / 不良资产证券化: waterfall, pricing, sizing, Monte Carlo",
                  no_args_is_help=True)

DEAL = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                      help="Deal spec (YAML or JSON), e.g. examples/cn_npl_two_tranche.yaml.")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
HAIRCUT = typer.Option(0.0, "--haircut", min=0.0, max=1.0, help="Recovery haircut stress (0.3 = 30% less).")
DELAY = typer.Option(0.0, "--delay", min=0.0, help="Recovery delay stress in months.")


def _load(deal_path: Path) -> tuple[Any, Any]:
    """The deal and, when its pool is a portfolio selection, the loans read from the platform."""
    from nplhub.services import securitization as svc

    deal = svc.load_deal(deal_path)
    if deal.pool.portfolio is None:
        return deal, None
    p = platform()
    try:
        return deal, svc.portfolio_pool(p.uow(), deal)
    finally:
        p.close()


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{100 * v:.2f}%"


def _num(v: Any, fmt: str = ",.2f") -> str:
    return "n/a" if v is None else format(v, fmt)


def _m(v: Any) -> str:
    return "n/a" if v is None else f"{v / 1e6:,.2f}"


def _tranche_table(tranches: dict[str, dict[str, Any]], title: str) -> Table:
    table = Table(title=f"{title} / 分档 (amounts in millions / 百万)")
    table.add_column("tranche", no_wrap=True, min_width=7)
    for col in ("balance", "price", "yield", "WAL y", "mod.dur", "principal", "int+resid", "loss"):
        table.add_column(col, justify="right")
    for name, t in tranches.items():
        table.add_row(name, _m(t["balance"]), _num(t["price"], ".1f"), _pct(t["yield"]), _num(t["wal"], ".2f"),
                      _num(t["modified_duration"], ".2f"), _m(t["principal_paid"]),
                      _m(t["interest_paid"] + t["residual_paid"]), _m(t["loss"]))
    return table


@app.command("run")
def run_cmd(deal_path: Path = DEAL,
            scenarios: int = typer.Option(0, "--scenarios", min=0, help="Monte Carlo scenarios (0: none)."),
            seed: int = typer.Option(20240601, "--seed", help="Seed of the Monte Carlo."),
            haircut: float = HAIRCUT, delay: float = DELAY,
            workers: int = typer.Option(1, "--workers", min=1, max=64, help="Threads for the Monte Carlo."),
            level_sys: float = typer.Option(0.15, "--level-sys", min=0.0, max=3.0,
                                            help="Monte Carlo: systematic volatility of the recovery level."),
            level_idio: float = typer.Option(0.40, "--level-idio", min=0.0, max=3.0,
                                             help="Monte Carlo: idiosyncratic (per loan) volatility of the level."),
            timing_sys: float = typer.Option(0.15, "--timing-sys", min=0.0, max=3.0,
                                             help="Monte Carlo: systematic volatility of the recovery timing."),
            timing_idio: float = typer.Option(0.30, "--timing-idio", min=0.0, max=3.0,
                                              help="Monte Carlo: idiosyncratic volatility of the timing."),
            as_json: bool = JSON) -> None:
    """Run the waterfall (and a Monte Carlo) on a deal / 运行现金流瀑布."""
    from nplhub.securitization.montecarlo import ShockModel
    from nplhub.services import securitization as svc

    try:
        deal, loans = _load(deal_path)
        shocks = ShockModel(level_sys, level_idio, timing_sys, timing_idio)
        result = svc.run_deal(deal, svc.RunOptions(scenarios=scenarios, seed=seed, haircut=haircut,
                                                   delay_months=delay, workers=workers, shocks=shocks), loans)
    except DomainError as exc:
        raise _fail(exc) from None
    if as_json:
        print_json(clean(result))
        return
    console.print(_tranche_table(result["tranches"], f"{result['deal']} ({result['currency']})"))
    periods = Table(title="payment dates / 兑付日")
    for col in ("date", "collections / 回收", "inflow / 流入", "outflow / 流出", "reserve / 储备", "waterfall"):
        periods.add_column(col, justify="right")
    for p in result["periods"]:
        periods.add_row(p["date"], _num(p["collections"]), _num(p["inflow_total"]), _num(p["outflow_total"]),
                        _num(p["reserve_balance"]), p["waterfall"] + (" (called)" if p["called"] else ""))
    console.print(periods)
    if "monte_carlo" in result:
        mc = result["monte_carlo"]
        table = Table(title=f"Monte Carlo: {mc['scenarios']:,} scenarios, seed {mc['seed']}")
        for col in ("tranche", "expected loss", "P(loss)", "loss p95", "WAL mean", "WAL p5", "WAL p95"):
            table.add_column(col, justify="right")
        for name, s in mc["tranches"].items():
            table.add_row(name, _pct(s["expected_loss"]), _pct(s["probability_of_loss"]), _pct(s["loss_p95"]),
                          _num(s["wal_mean"], ".3f"), _num(s["wal_p5"], ".3f"), _num(s["wal_p95"], ".3f"))
        console.print(table)


@app.command("price")
def price_cmd(deal_path: Path = DEAL, haircut: float = HAIRCUT, delay: float = DELAY, as_json: bool = JSON) -> None:
    """Yield, WAL, durations, convexity and IRR of every tranche / 定价."""
    from nplhub.services import securitization as svc

    try:
        deal, loans = _load(deal_path)
        result = svc.price_deal(deal, svc.RunOptions(haircut=haircut, delay_months=delay), loans)
    except DomainError as exc:
        raise _fail(exc) from None
    if as_json:
        print_json(clean(result))
        return
    console.print(_tranche_table(result["tranches"], f"{result['deal']}: {result['conventions']}"))


@app.command("size")
def size_cmd(deal_path: Path = DEAL, haircut: float = HAIRCUT, delay: float = DELAY,
             tranche: str = typer.Option(None, "--tranche", help="Tranche to size (default: the senior)."),
             as_json: bool = JSON) -> None:
    """The largest tranche repaid in full under the stress / 压力情景下的最大优先档规模."""
    from nplhub.services import securitization as svc

    try:
        deal, loans = _load(deal_path)
        result = svc.size_deal(deal, svc.RunOptions(haircut=haircut, delay_months=delay), tranche, loans)
    except DomainError as exc:
        raise _fail(exc) from None
    if as_json:
        print_json(clean(result))
        return
    console.print(f"{result['deal']}: largest {result['tranche']} repaid in full under haircut "
                  f"{haircut:.0%}, delay {delay:g} months = [bold]{result['balance']:,.0f}[/bold] "
                  f"({_pct(result['share_of_expected_recovery'])} of the expected recovery; "
                  f"now {result['current_balance']:,.0f})")


@app.command("export")
def export_cmd(deal_path: Path = DEAL,
               out: Path = typer.Option(Path("abs-export"), "--out", help="Directory for the files."),
               haircut: float = HAIRCUT, delay: float = DELAY, as_json: bool = JSON) -> None:
    """Write the cash-flow report (CSV, Excel) and the AbsBox deal JSON / 导出."""
    from nplhub.services import securitization as svc

    try:
        deal, loans = _load(deal_path)
        paths = svc.export_deal(deal, svc.RunOptions(haircut=haircut, delay_months=delay), out, loans)
    except DomainError as exc:
        raise _fail(exc) from None
    if as_json:
        print_json(paths)
        return
    for kind, path in paths.items():
        console.print(f"{kind}: {path}")
