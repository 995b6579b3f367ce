"""`nplhub portfolio summary [--json]`: counts and balances of a snapshot / 资产组合概览."""

from __future__ import annotations

import typer
from rich.table import Table

from nplhub.cli.common import EXIT_USAGE, console, err_console, platform, print_json

app = typer.Typer(help="Portfolio views / 资产组合", no_args_is_help=True)


@app.command("summary")
def summary(
    snapshot: str | None = typer.Option(None, "--snapshot", help="Snapshot id (default: the latest imported)."),
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Loans and balances by class, region, industry and product / 按分类、地区、行业、产品汇总."""
    from nplhub.domain.errors import NotFound
    from nplhub.services.datahub import portfolio_summary

    hub = platform()
    try:
        data = portfolio_summary(hub.uow(), snapshot)
    except NotFound as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    finally:
        hub.close()
    if json_output:
        print_json(data)
        return
    console.print(f"[bold]{data['portfolio_name']}[/bold] {data['snapshot_id']}  cut-off {data['cutoff_date']}  "
                  f"loans {data['loans']:,}  balance ¥{float(data['balance']):,.2f}  NPL ratio {data['npl_ratio']:.2%}")
    for key, title in (("by_class", "five categories / 五级分类"), ("by_product", "product / 产品"),
                       ("by_region", "province / 省份"), ("by_industry", "industry / 行业")):
        table = Table(title=title)
        for column, justify in (("key", "left"), ("label", "left"), ("loans", "right"), ("balance", "right"),
                                ("share", "right")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for row in data[key]:
            table.add_row(str(row["key"]), str(row["label"] or ""), f"{row['loans']:,}",
                          f"{float(row['balance']):,.2f}", f"{row['share']:.1%}")
        console.print(table)
