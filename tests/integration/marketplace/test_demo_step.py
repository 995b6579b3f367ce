"""The demo step lists packages built from a generated snapshot and runs auctions on them."""

from __future__ import annotations

import pytest

from nplhub.bootstrap import bootstrap
from nplhub.config import Settings
from nplhub.services.demo import DemoContext
from nplhub.services.market_ports import MarketRepository


@pytest.mark.slow
def test_the_demo_step_lists_packages_runs_auctions_and_keeps_the_deposits_balanced(tmp_path):
    from nplhub.services import datahub, marketplace

    p = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'demo.sqlite'}", data_dir=tmp_path))
    try:
        ctx = DemoContext(uow_factory=p.uow, workdir=tmp_path, loans=2000)
        datahub.demo_step(ctx)
        headline = marketplace.demo_step(ctx)
        out = ctx.results["marketplace"]
        assert headline["packages listed / 挂牌资产包"] == len(out["listings"]) >= 1
        assert headline["deposit ledger balances / 保证金平衡"] is True
        with p.uow() as uow:
            repo = uow.get(MarketRepository)
            lots = repo.lots()
            for item, result in zip(out["listings"], out["results"]):
                lot = repo.get_lot(item["listing_id"])
                assert lot is not None and lot.status == result["status"]
                if result["status"] == "sold":
                    assert lot.state.price is not None and lot.state.price >= lot.rules.reserve
        assert len(lots) == len(out["listings"])
        # the loan-level data room shows the data hub's borrowers, masked; the seller sees them in clear
        from nplhub.marketplace.disclosure import Role
        from nplhub.services import marketplace as svc

        personal = 0
        for item in out["listings"]:
            lid, bidder = item["listing_id"], next(iter(item["values"]))
            svc.accept_nda(p.uow(), lid, bidder)
            svc.grant_loan_level(p.uow(), lid, bidder)
            masked = svc.view_listing(p.uow(), lid, bidder, Role.BUYER)["loans"]
            clear = svc.view_listing(p.uow(), lid, "nplhub demo bank", Role.SELLER)["loans"]
            for m, c in zip(masked, clear):
                if not c.get("name"):
                    continue
                if any(w in c["name"] for w in ("公司", "有限", "集团")):
                    assert m["name"] == c["name"]  # a company's name is not personal data
                    continue
                personal += 1
                assert m["name"] != c["name"] and m["name"].endswith("**") and m["name"][0] == c["name"][0]
                if c.get("id_number"):
                    assert m["id_number"][:6] == c["id_number"][:6] and m["id_number"][-4:] == c["id_number"][-4:]
                    assert m["id_number"] != c["id_number"]
                if c.get("address"):
                    assert len(m["address"]) < len(c["address"])
        assert personal > 0, "the demo packages include personal borrowers"
    finally:
        p.close()


@pytest.mark.slow
def test_the_demo_step_lists_the_strategy_packages_at_their_reserve(tmp_path):
    from nplhub.services import datahub, marketplace
    from nplhub.services.market_demo import _assets, _frames

    p = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'demo.sqlite'}", data_dir=tmp_path))
    try:
        ctx = DemoContext(uow_factory=p.uow, workdir=tmp_path, loans=1000)
        datahub.demo_step(ctx)
        npl = _assets(_frames(ctx))
        corporate = npl[npl["asset_class"] == "corporate"]["loan_id"].tolist()
        assert corporate, "the generated portfolio has corporate NPLs"
        ctx.results["strategy"] = {"packages": [
            {"package_id": "PKG-0001", "channel": "pilot_single_corporate", "loan_ids": corporate[:1],
             "expected_price": 100_000.0, "reserve_price": 70_000.0},
            {"package_id": "PKG-0002", "channel": "amc_batch", "loan_ids": corporate[1:2],  # too small: skipped
             "expected_price": 10.0, "reserve_price": 5.0}]}
        marketplace.demo_step(ctx)
        (item,) = ctx.results["marketplace"]["listings"]
        with p.uow() as uow:
            lot = uow.get(MarketRepository).get_lot(item["listing_id"])
        assert lot is not None and lot.channel == "single_corporate"
        assert lot.rules.starting_price == 70_000 and item["recovery"] == 100_000.0
    finally:
        p.close()
