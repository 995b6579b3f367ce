"""The demo step structures a deal from the valuation results, or from the loans' collateral."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nplhub.services import securitization as svc
from nplhub.services.demo import DemoContext
from nplhub.services.ports import SnapshotReader


def route_values(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = [f"L{i:05d}" for i in range(n)]
    rows = []
    for i, loan in enumerate(ids):
        claim = float(rng.lognormal(13, 0.7))
        for route, rate, months in (("litigation", 0.45, 24), ("bulk_transfer", 0.30, 4)):
            rec = claim * rate * float(rng.uniform(0.6, 1.4))
            rows.append({"loan_id": loan, "route": route, "eligible": bool(i % 7 or route == "bulk_transfer"),
                         "npv": rec / (1.08 ** (months / 12)), "gross_recovery": rec, "costs": rec * 0.05,
                         "months_to_recovery": months * float(rng.uniform(0.7, 1.3)),
                         "p10": rec * 0.5 if i % 3 == 0 else float("nan"), "p50": rec,
                         "p90": rec * 1.6 if i % 3 == 0 else float("nan")})
    return pd.DataFrame(rows)


class FakeReader(SnapshotReader):
    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self._frames = frames

    def latest_snapshot_id(self, portfolio_id: str | None = None) -> str | None:
        return "snap"

    def frames(self, snapshot_id: str, tables: Any) -> dict[str, Any]:
        return {t: self._frames[t] for t in tables if t in self._frames}


class FakeUow:
    def __init__(self, reader: SnapshotReader) -> None:
        self.reader = reader

    def __enter__(self) -> FakeUow:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def get(self, port: type) -> Any:
        assert port is SnapshotReader
        return self.reader


def test_the_demo_structures_a_deal_from_the_valuation_results(tmp_path: Path) -> None:
    ctx = DemoContext(uow_factory=lambda: None, workdir=tmp_path, seed=1)  # type: ignore[arg-type,return-value]
    ctx.results["valuation"] = {"route_values": route_values()}
    headline = svc.demo_step(ctx)
    out = ctx.results["securitization"]
    assert out["source"] == "valuation results"
    deal = out["deal"]
    assert deal.tranche("senior").balance > 0 and deal.tranche("sub").balance > 0
    replay_options = svc.RunOptions(scenarios=2000, seed=1)
    replay = svc.run_deal(svc.load_deal(tmp_path / "demo_deal.yaml"), replay_options)
    assert replay["tranches"] == out["result"]["tranches"]
    assert replay["monte_carlo"] == out["result"]["monte_carlo"]  # the loans' own volatilities travel too
    pool = pd.read_csv(tmp_path / "demo_pool.csv")
    assert pool["level_sigma"].notna().any() and pool["level_sigma"].isna().any()
    assert "senior / 优先档 (yuan)" in headline
    for p in out["result"]["periods"]:
        assert p["inflow_total"] == p["outflow_total"]


def test_without_valuation_results_the_demo_falls_back_to_the_loans_collateral(tmp_path: Path) -> None:
    loans = pd.DataFrame({"loan_id": [f"L{i}" for i in range(200)],
                          "outstanding_principal": np.linspace(1e5, 3e6, 200), "accrued_interest": 1000.0})
    collateral = pd.DataFrame({"collateral_id": [f"C{i}" for i in range(100)],
                               "appraisal_value": np.linspace(2e5, 5e6, 100), "prior_claims": 0.0})
    links = pd.DataFrame({"loan_id": [f"L{i}" for i in range(100)], "collateral_id": [f"C{i}" for i in range(100)]})
    reader = FakeReader({"loans": loans, "collateral": collateral, "loan_collateral": links})
    ctx = DemoContext(uow_factory=lambda: FakeUow(reader), workdir=tmp_path, seed=1)  # type: ignore[arg-type,return-value]
    ctx.snapshot_id = "snap"
    svc.demo_step(ctx)
    assert ctx.results["securitization"]["source"] == "loans' collateral"
    rec = svc.recoveries_from_collateral(reader.frames("snap", ["loans", "collateral", "loan_collateral"]))
    secured = rec.months == 18
    assert secured.sum() == 100 and (rec.amount[~secured] < rec.amount[secured].max()).all()


def test_with_a_strategy_plan_the_demo_securitises_the_loans_kept_in_workout(tmp_path: Path) -> None:
    frame = route_values(300)
    loans = frame["loan_id"].unique()
    assignments = pd.DataFrame({"loan_id": loans,
                                "route": ["litigation" if i % 2 else "bulk_transfer" for i in range(len(loans))]})
    frame["route"] = frame["route"].replace({"litigation": "judicial_auction"})
    assignments["route"] = assignments["route"].replace({"litigation": "judicial_auction"})
    ctx = DemoContext(uow_factory=lambda: None, workdir=tmp_path, seed=1)  # type: ignore[arg-type,return-value]
    ctx.results["valuation"] = {"route_values": frame}
    ctx.results["strategy"] = {"plan": {"assignments": assignments}}
    rec, source = svc.demo_recoveries(ctx)
    assert source == "strategy plan's workout loans"
    kept = set(assignments.loc[assignments["route"] == "judicial_auction", "loan_id"])
    assert set(rec.loan_id) <= kept and len(rec) > len(kept) * 0.8  # a few have no eligible auction route
    as_records = assignments.to_dict("records")  # the optimiser hands a list of {"loan_id", "route"}
    ctx.results["strategy"] = {"plan": {"assignments": as_records}}
    assert svc.demo_recoveries(ctx)[1] == "strategy plan's workout loans"
    ctx.results["strategy"] = {"plan": {"assignments": assignments.assign(route="bulk_transfer")}}
    assert svc.demo_recoveries(ctx)[1] == "valuation results"  # nothing kept in workout: every loan
