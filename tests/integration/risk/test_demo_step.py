"""The risk step of `nplhub demo`: runs on the imported demo tape and stores its outputs."""

from __future__ import annotations

from nplhub.bootstrap import bootstrap
from nplhub.config import Settings
from nplhub.services import datahub
from nplhub.services import risk as service
from nplhub.services.demo import DemoContext


def test_the_risk_step_reports_the_headline_figures_after_the_data_hub_step(tmp_path):
    platform = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'demo.sqlite'}"))
    try:
        ctx = DemoContext(uow_factory=platform.uow, workdir=tmp_path, loans=600, seed=20240601)
        datahub.demo_step(ctx)
        headline = service.demo_step(ctx)
    finally:
        platform.close()
    assert headline["loans classified / 分类贷款"] == 600
    for label in ("hidden NPL amount / 隐性不良金额", "NPL ratio / 不良贷款率", "provision coverage / 拨备覆盖率",
                  "normal-loan migration / 正常贷款迁徙率", "early-warning AUC (out of time) / 预警AUC"):
        assert label in headline
    stored = ctx.results["risk"]
    assert stored["snapshot_id"] == ctx.snapshot_id
    assert 0 <= stored["metrics"]["npl_ratio"] <= 1
    assert set(stored["matrix"]["states"]) >= {"normal", "special_mention", "substandard", "doubtful", "loss"}
    assert len(stored["classification_frame"]) == 600
