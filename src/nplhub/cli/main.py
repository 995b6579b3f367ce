"""The `nplhub` command line. Each area of the platform adds its sub-application here."""

from __future__ import annotations

import typer

from nplhub.cli import abs as abs_cli
from nplhub.cli import db, demo
from nplhub.cli import ledger as ledger_cli
from nplhub.cli import market as market_cli
from nplhub.cli import portfolio as portfolio_cli
from nplhub.cli import risk as risk_cli
from nplhub.cli import strategy as strategy_cli
from nplhub.cli import tape as tape_cli
from nplhub.cli import valuation as valuation_cli
from nplhub.cli.demo_data import demo_data

app = typer.Typer(
    name="nplhub",
    help="nplhub: non-performing asset disposal platform / 不良资产处置平台",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(market_cli.app, name="market")
app.add_typer(market_cli.auction_app, name="auction")
app.add_typer(ledger_cli.app, name="ledger")
app.add_typer(tape_cli.app, name="tape")
app.add_typer(portfolio_cli.app, name="portfolio")
app.add_typer(risk_cli.app, name="risk")
app.add_typer(valuation_cli.app, name="value")
app.add_typer(valuation_cli.model_app, name="model")
app.add_typer(abs_cli.app, name="abs")
app.add_typer(strategy_cli.app, name="strategy")
app.add_typer(strategy_cli.case_app, name="case")
app.command("demo")(demo.demo)
app.command("demo-data")(demo_data)


def main() -> None:  # pragma: no cover - console entry point
    app()
