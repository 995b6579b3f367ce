"""The data hub's demo step generates the demo tape, imports it and reports headline figures."""

from __future__ import annotations

from pathlib import Path

from nplhub.bootstrap import bootstrap
from nplhub.config import Settings
from nplhub.services.datahub import demo_step
from nplhub.services.demo import DemoContext


def test_the_demo_step_imports_the_generated_book_and_sets_the_snapshot(sqlite_url: str, tmp_path: Path) -> None:
    hub = bootstrap(Settings(database_url=sqlite_url, data_dir=tmp_path / "var"))
    try:
        ctx = DemoContext(uow_factory=hub.uow, workdir=tmp_path / "demo", seed=20240601, loans=400)
        headline = demo_step(ctx)
    finally:
        hub.close()
    assert ctx.snapshot_id is not None and ctx.snapshot_id.startswith("DEMO-")
    assert headline["loans / 贷款笔数"] == 400
    summary = ctx.results["datahub"]["summary"]
    assert summary["snapshot_id"] == ctx.snapshot_id
    assert sum(row["loans"] for row in summary["by_class"]) == 400
    assert (tmp_path / "demo" / "tape" / "loans.csv").exists()
