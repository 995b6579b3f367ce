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
    finally:
        p.close()
