"""`nplhub demo`: build the demo portfolio, run the whole pipeline, serve the platform."""

from __future__ import annotations

import time
from importlib import import_module
from pathlib import Path

import typer
from rich.table import Table

from nplhub.cli.common import console, err_console
from nplhub.services.demo import DemoContext

# (title, "module:function") in pipeline order; each area adds its step here.
DEMO_STEPS: list[tuple[str, str]] = [
    ("Data hub: demo tape import / 数据导入", "nplhub.services.datahub:demo_step"),
    ("Risk analytics / 风险分析", "nplhub.services.risk:demo_step"),
    ("Valuation / 估值", "nplhub.services.valuation:demo_step"),
    ("Disposal strategy / 处置策略", "nplhub.services.strategy:demo_step"),
    ("Marketplace: listings and auctions / 挂牌与竞价", "nplhub.services.marketplace:demo_step"),
    ("Securitization: NPL ABS / 不良资产证券化", "nplhub.services.securitization:demo_step"),
    # keep last: signs the checkpoint over every event the steps above recorded
    ("Audit ledger / 审计账本", "nplhub.services.ledger:demo_step"),
]


def demo(
    no_serve: bool = typer.Option(False, "--no-serve", help="Run the pipeline, print the summary and exit."),
    loans: int = typer.Option(5000, help="Number of loans in the demo portfolio."),
    seed: int = typer.Option(20240601, help="Seed of the demo portfolio generator."),
) -> None:
    """Build the demo portfolio into the database, run every engine on it, then serve the platform."""
    from nplhub.bootstrap import bootstrap

    platform = bootstrap()
    workdir = Path(platform.settings.data_dir) / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(uow_factory=platform.uow, workdir=workdir, seed=seed, loans=loans,
                      settings=platform.settings)
    summary = Table(title="nplhub demo / 演示", show_lines=False)
    summary.add_column("step / 步骤")
    summary.add_column("figure / 指标")
    summary.add_column("value / 数值", justify="right")
    for title, target in DEMO_STEPS:
        module_name, func_name = target.split(":")
        started = time.perf_counter()
        with console.status(f"{title} ..."):
            headline = getattr(import_module(module_name), func_name)(ctx)
        console.print(f"[green]✓[/green] {title} ({time.perf_counter() - started:.1f} s)")
        for i, (label, value) in enumerate(headline.items()):
            summary.add_row(title if i == 0 else "", label, str(value))
    console.print(summary)
    ledger = ctx.results.get("ledger", {})
    if "note" in ledger:  # the audit ledger's step signs the log last: show the whole note
        console.print("latest signed checkpoint / 最新签名检查点:")
        typer.echo(ledger["note"], nl=False)
    elif "refused" in ledger:
        err_console.print(f"[red]the ledger refused to sign:[/red] {ledger['refused']}")
    if not no_serve:
        import uvicorn

        from nplhub.api.app import create_app

        console.print(f"serving on http://{platform.settings.host}:{platform.settings.port}")
        uvicorn.run(create_app(platform), host=platform.settings.host, port=platform.settings.port)
