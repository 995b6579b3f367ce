"""`make demo` twice on the same machine: the second run must work on the database the first left."""

import pytest
from typer.testing import CliRunner

from nplhub.bootstrap import bootstrap
from nplhub.cli.main import app
from nplhub.config import Settings
from nplhub.services.datahub import portfolio_summary


@pytest.mark.slow
def test_the_demo_pipeline_runs_twice_on_the_same_database(tmp_path, monkeypatch):
    monkeypatch.setenv("NPLHUB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NPLHUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("NPLHUB_LEDGER_KEY", raising=False)
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--no-serve", "--loans", "5000"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["demo", "--no-serve", "--loans", "5000"])
    assert second.exit_code == 0, second.output
    platform = bootstrap(Settings(data_dir=tmp_path))
    try:
        summary = portfolio_summary(platform.uow())
    finally:
        platform.close()
    assert summary["version"] == 2  # the re-issued demo tape is a new version of the same snapshot
