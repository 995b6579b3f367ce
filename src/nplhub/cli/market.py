"""`nplhub market ...` (listings, bids, closing) and `nplhub auction ...` (the design advisor)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import typer
from rich.table import Table

from nplhub.cli.common import console, platform, print_json, usage_error
from nplhub.cli.common import rejected as _rejected
from nplhub.domain.errors import DomainError
from nplhub.marketplace.disclosure import Role
from nplhub.marketplace.judicial import JudicialRules
from nplhub.marketplace.simulate import FORMATS, ValueModel
from nplhub.services import market_settlement as settle
from nplhub.services import marketplace as svc
from nplhub.services.market_ports import MarketRepository

app = typer.Typer(help="Marketplace: listings, bids, closing / 不良资产交易市场：挂牌、竞价、成交", no_args_is_help=True)
auction_app = typer.Typer(help="Auction design advisor / 拍卖方案模拟", no_args_is_help=True)
investor_app = typer.Typer(help="Investors: suspend, reinstate / 投资者管理：暂停、恢复", no_args_is_help=True)
app.add_typer(investor_app, name="investor")


def _money(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise usage_error(f"{option} must be an amount of money, got {text!r}") from None
    if not value.is_finite():
        raise usage_error(f"{option} must be finite, got {text!r}")
    return value


@app.command("list")
def market_list(
    status: str | None = typer.Option(None, help="Only listings in this status (listed, sold, failed)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: a list of listing summaries."),
) -> None:
    """List the listings with their live price, leader and end time."""
    p = platform()
    try:
        rows = svc.list_listings(p.uow(), status)
    finally:
        p.close()
    if as_json:
        print_json(rows)
        return
    table = Table(title="listings / 挂牌项目")
    for col in ("project code / 项目编号", "title / 名称", "format / 方式", "status / 状态", "price / 当前价",
                "bids / 出价", "ends / 截止"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["project_code"], r["title"], r["format"], r["status"], r["price"] or "-", str(r["bids"]),
                      r["ends_at"])
    console.print(table)


@app.command("show")
def market_show(
    listing_id: str = typer.Argument(..., help="Project code of the listing."),
    viewer: str = typer.Option("public", help="Viewer id (investor id, or the seller's name)."),
    role: Role = typer.Option(Role.PUBLIC, help="Viewer role: public, buyer, seller, admin, partner."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: the staged view plus the bid history."),
) -> None:
    """Show a listing as the viewer may see it (teaser, data room or loan level; personal data masked)."""
    p = platform()
    try:
        view = svc.view_listing(p.uow(), listing_id, viewer, role)
        with p.uow() as uow:
            repo = uow.get(MarketRepository)  # type: ignore[type-abstract]
            lot = repo.get_lot(listing_id)
            sealed_open = lot is not None and lot.rules.format.sealed and lot.state.status.value == "open"
            bids = [] if sealed_open else repo.bids(listing_id)
        view["bid_history"] = [{"seq": b.seq, "bidder": b.bidder_id, "amount": str(b.amount),
                                "at": b.placed_at.isoformat(), "automatic": b.automatic} for b in bids]
    except DomainError as exc:
        raise _rejected(exc) from None
    finally:
        p.close()
    if as_json:
        print_json(view)
        return
    console.print(f"[bold]{view['project_code']}[/bold] {view['title']} ({view['format']}, {view['status']})")
    for key in ("starting_price", "reserve", "increment", "deposit", "price", "leader", "ends_at", "stage"):
        console.print(f"  {key}: {view.get(key)}")
    for key, value in view["teaser"].items():
        console.print(f"  {key}: {value}")
    console.print(f"  bids: {len(view['bid_history'])}")


@app.command("bid")
def market_bid(
    listing_id: str = typer.Argument(..., help="Project code of the listing."),
    bidder: str = typer.Option(..., help="Investor id of the bidder (registered, deposit frozen)."),
    amount: str | None = typer.Option(None, help="Bid amount in yuan."),
    max_amount: str | None = typer.Option(None, "--max", help="Proxy bid: the most you will pay (代理出价)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: accepted bids, price, leader, end time."),
) -> None:
    """Place a binding bid (or a proxy maximum); the server's time decides the order and the soft close."""
    bid_amount, proxy = _money(amount, "--amount"), _money(max_amount, "--max")
    if (bid_amount is None) == (proxy is None):
        raise usage_error("give exactly one of --amount and --max")
    p = platform()
    try:
        receipt = svc.place_bid(p.uow(immediate=True), listing_id, bidder, bid_amount, max_amount=proxy)
    except DomainError as exc:
        raise _rejected(exc) from None
    finally:
        p.close()
    out: dict[str, Any] = {
        "listing_id": receipt.listing_id, "status": receipt.status,
        "accepted": [{"seq": b.seq, "bidder": b.bidder_id, "amount": svc.yuan(b.amount), "at": b.placed_at.isoformat(),
                      "automatic": b.automatic} for b in receipt.accepted],
        "price": svc.yuan(receipt.price), "leader": receipt.leader_id,
        "ends_at": receipt.ends_at.isoformat(), "result": receipt.result or None}
    if as_json:
        print_json(out)
    else:
        console.print(f"accepted {len(receipt.accepted)} bid(s); price {out['price']}, leader {out['leader']}, "
                      f"ends {out['ends_at']}")


def _investor_status(investor_id: str, reason: str, as_json: bool, *, suspend: bool) -> None:
    p = platform()
    try:
        change = svc.suspend_investor if suspend else svc.reinstate_investor
        investor = change(p.uow(immediate=True), investor_id, reason)
    except DomainError as exc:
        raise _rejected(exc) from None
    finally:
        p.close()
    if as_json:
        print_json({"investor_id": investor.investor_id, "status": investor.status.value, "reason": reason})
    else:
        console.print(f"investor {investor.investor_id}: {investor.status.value}")


@investor_app.command("suspend")
def investor_suspend(
    investor_id: str = typer.Argument(..., help="Investor id."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit ledger)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: investor_id, status, reason."),
) -> None:
    """Suspend an investor: every later bid of theirs is refused / 暂停投资者出价资格."""
    _investor_status(investor_id, reason, as_json, suspend=True)


@investor_app.command("reinstate")
def investor_reinstate(
    investor_id: str = typer.Argument(..., help="Investor id."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit ledger)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: investor_id, status, reason."),
) -> None:
    """Lift a suspension; the investor's documents must still be complete / 恢复投资者资格."""
    _investor_status(investor_id, reason, as_json, suspend=False)


@app.command("close")
def market_close(
    listing_id: str = typer.Argument(..., help="Project code of the listing."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: status, winner_id, price."),
) -> None:
    """Close a lot once its (possibly extended) end has passed: award, or 流拍; deposits released."""
    p = platform()
    try:
        result = svc.close_auction(p.uow(immediate=True), listing_id)
        report = settle.deposit_report(p.uow(), listing_id)
    except DomainError as exc:
        raise _rejected(exc) from None
    finally:
        p.close()
    result["deposits_balance"] = report["trial_balance"] == "0.00" and not report["problems"]
    if as_json:
        print_json(result)
    else:
        console.print(f"{listing_id}: {result['status']} to {result['winner_id']} at {result['price']}")


@app.command("rules")
def market_rules(as_json: bool = typer.Option(False, "--json", help="Print JSON: name, value, article, text.")) -> None:
    """The judicial auction rules of 法释〔2016〕18号, each a named parameter with its article."""
    rows = JudicialRules.table()
    if as_json:
        print_json(rows)
        return
    table = Table(title="法释〔2016〕18号 rules / 网络司法拍卖规则")
    for col in ("name", "value", "article / 条款", "rule / 规则"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["value"], r["article"], r["text"])
    console.print(table)


@auction_app.command("simulate")
def auction_simulate(
    format: str = typer.Option("english", "--format", help=f"Auction format: {', '.join(FORMATS)}."),
    bidders: int = typer.Option(3, "--bidders", help="Number of bidders N (≥ 1)."),
    reserve: float = typer.Option(0.0, "--reserve", help="Reserve price R, in units of the value model."),
    runs: int = typer.Option(10000, "--runs", help="Number of simulated auctions K (≥ 2)."),
    seed: int = typer.Option(0, "--seed", help="Random seed S."),
    value_model: str = typer.Option("uniform", "--value-model", help="uniform (on [low, high]) or lognormal."),
    low: float = typer.Option(0.0, help="Uniform model: lowest value."),
    high: float = typer.Option(1.0, help="Uniform model: highest value."),
    median: float = typer.Option(1.0, help="Lognormal model: median value."),
    sigma: float = typer.Option(0.3, help="Lognormal model: sigma of log value."),
    increment: float = typer.Option(0.0, help="English auction: bid increment (0 = continuous)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: mean_revenue, std_error, no_sale_rate, ..."),
) -> None:
    """Simulate an auction format with independent private values (U[0,1] unless a model is given)."""
    if format not in FORMATS:
        raise usage_error(f"--format must be one of {', '.join(FORMATS)}, got {format!r}")
    if bidders < 1 or runs < 2 or reserve < 0 or increment < 0:
        raise usage_error("--bidders must be ≥ 1, --runs ≥ 2, --reserve and --increment ≥ 0")
    try:
        model = ValueModel(value_model, low=low, high=high, median=median, sigma=sigma)
        result = settle.simulate_auction(format, bidders, reserve, runs, seed, model, increment=increment)
    except (ValueError, DomainError) as exc:
        raise _rejected(exc) from None
    data = result.to_dict()
    if as_json:
        print_json(data)
        return
    table = Table(title=f"{format} auction, {bidders} bidders, reserve {reserve} ({runs} runs)")
    table.add_column("figure / 指标")
    table.add_column("value / 数值", justify="right")
    for key in ("mean_revenue", "std_error", "no_sale_rate", "revenue_std", "mean_winner_value",
                "theory_revenue", "theory_no_sale_rate"):
        value = data[key]
        table.add_row(key, "-" if value is None else f"{value:.6f}")
    console.print(table)
