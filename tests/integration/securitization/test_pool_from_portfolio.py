"""A deal whose pool is a selection from the portfolio: the latest valuation run, via the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nplhub.cli.main import app
from nplhub.services.demo import DemoContext

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.slow
def test_a_deal_takes_its_pool_from_the_latest_valuation_of_the_portfolio(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NPLHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'nplhub.sqlite'}")
    monkeypatch.setenv("NPLHUB_DATA_DIR", str(tmp_path))
    from nplhub.bootstrap import bootstrap
    from nplhub.services import datahub, valuation

    platform = bootstrap()
    try:
        ctx = DemoContext(uow_factory=platform.uow, workdir=tmp_path, seed=5, loans=300)
        datahub.demo_step(ctx)
        valuation.demo_step(ctx)
    finally:
        platform.close()
    spec = yaml.safe_load((EXAMPLES / "cn_npl_two_tranche.yaml").read_text(encoding="utf-8"))
    spec["pool"] = {"cutoff_date": spec["pool"]["cutoff_date"], "portfolio": {"max_loans": 40}}
    spec["tranches"][0]["balance"] = "1000000.00"
    spec["tranches"][1]["balance"] = "300000.00"
    spec["reserve"]["initial_balance"] = "10000.00"
    deal = tmp_path / "portfolio_deal.yaml"
    deal.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(app, ["abs", "run", str(deal), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert sum(p["collections"] for p in out["periods"]) > 0
    assert out["tranches"]["senior"]["principal_paid"] > 0

    spec["pool"]["portfolio"] = {"routes": ["no_such_route"]}
    deal.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    rejected = CliRunner().invoke(app, ["abs", "run", str(deal), "--json"])
    assert rejected.exit_code == 1
    assert "no eligible route" in rejected.output
