"""`nplhub market ...` and `nplhub auction simulate` through the Typer runner."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from nplhub.bootstrap import bootstrap
from nplhub.cli.main import app
from nplhub.config import Settings
from nplhub.marketplace.investors import Channel, Investor, InvestorType
from nplhub.marketplace.listing import AssetClass, PoolAsset
from nplhub.services import marketplace as svc

runner = CliRunner()
DOCS = frozenset({"business_licence", "qualification", "board_resolution", "kyc"})


@pytest.fixture
def listed(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("NPLHUB_DATABASE_URL", url)
    p = bootstrap(Settings(database_url=url))
    now = datetime.now(UTC)
    assets = [PoolAsset(f"L{i}", AssetClass.CORPORATE, Decimal(100000), Decimal(5000), 500, "110105", None, f"C{i}")
              for i in range(4)]
    draft = svc.ListingDraft(title="测试资产包", seller="Bank", seller_code="BK", channel=Channel.COMMERCIAL,
                             assets=assets, starting_price=Decimal(100000), increment=Decimal(1000),
                             opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=2))
    lid = svc.register_listing(p.uow(), draft)
    for i in ("A", "B"):
        svc.onboard_investor(p.uow(), Investor(i, i, InvestorType.NATIONAL_AMC, documents=DOCS))
        svc.register_bidder(p.uow(), lid, i)
    yield p, lid
    p.close()


def test_market_bid_list_and_show_report_the_live_lot(listed):
    _, lid = listed
    r = runner.invoke(app, ["market", "bid", lid, "--bidder", "A", "--amount", "100000", "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["market", "bid", lid, "--bidder", "B", "--max", "150000", "--json"])
    out = json.loads(r.output)
    assert out["leader"] == "B" and out["price"] == "101000.00" and len(out["accepted"]) == 1
    listing = json.loads(runner.invoke(app, ["market", "list", "--json"]).output)
    assert [(x["listing_id"], x["price"], x["leader"], x["bids"]) for x in listing] == [(lid, "101000.00", "B", 2)]
    shown = json.loads(runner.invoke(app, ["market", "show", lid, "--json"]).output)
    assert shown["stage"] == "teaser" and shown["teaser"]["asset_count"] == 4
    assert [b["bidder"] for b in shown["bid_history"]] == ["A", "B"]


def test_a_rejected_bid_exits_with_one_and_a_usage_error_with_two(listed):
    _, lid = listed
    r = runner.invoke(app, ["market", "bid", lid, "--bidder", "A", "--amount", "50000", "--json"])
    assert r.exit_code == 1 and "below the starting price" in r.output
    r = runner.invoke(app, ["market", "bid", lid, "--bidder", "Z", "--amount", "100000"])
    assert r.exit_code == 1 and "no frozen deposit" in r.output
    r = runner.invoke(app, ["market", "bid", lid, "--bidder", "A"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["market", "bid", lid, "--bidder", "A", "--amount", "lots"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["market", "close", lid, "--json"])
    assert r.exit_code == 1 and "runs until" in r.output


def test_a_suspended_investor_cannot_bid_until_reinstated(listed):
    _, lid = listed
    r = runner.invoke(app, ["market", "investor", "suspend", "B", "--reason", "sanctioned", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"investor_id": "B", "status": "suspended", "reason": "sanctioned"}
    r = runner.invoke(app, ["market", "bid", lid, "--bidder", "B", "--amount", "100000"])
    assert r.exit_code == 1 and "suspended" in r.output
    r = runner.invoke(app, ["market", "investor", "suspend", "B", "--reason", "again"])
    assert r.exit_code == 1 and "already suspended" in r.output
    r = runner.invoke(app, ["market", "investor", "suspend", "NOBODY", "--reason", "x"])
    assert r.exit_code == 1 and "not found" in r.output
    assert runner.invoke(app, ["market", "investor", "reinstate", "B", "--reason", "lifted"]).exit_code == 0
    r = runner.invoke(app, ["market", "bid", lid, "--bidder", "B", "--amount", "100000", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["accepted"][0]["amount"] == "100000.00"


def test_auction_simulate_prints_the_output_contract():
    r = runner.invoke(app, ["auction", "simulate", "--format", "first_price", "--bidders", "3", "--reserve", "0.5",
                            "--runs", "20000", "--seed", "5", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert {"mean_revenue", "std_error", "no_sale_rate"} <= out.keys()
    assert abs(out["mean_revenue"] - 17 / 32) <= 4 * out["std_error"]
    assert runner.invoke(app, ["auction", "simulate", "--format", "vickrey", "--json"]).exit_code == 2
    assert runner.invoke(app, ["auction", "simulate", "--bidders", "0", "--json"]).exit_code == 2


def test_market_rules_lists_every_article():
    r = runner.invoke(app, ["market", "rules", "--json"])
    rows = json.loads(r.output)
    assert {"第10条", "第17条", "第20条", "第26条"} <= {row["article"] for row in rows}
