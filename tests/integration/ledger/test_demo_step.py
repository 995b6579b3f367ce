"""The demo's last step signs a checkpoint over every event the pipeline recorded."""

from __future__ import annotations

from nplhub.bootstrap import bootstrap
from nplhub.config import Settings
from nplhub.domain.events import GenericEvent
from nplhub.ledger.checkpoint import open_checkpoint
from nplhub.services import ledger as service
from nplhub.services.demo import DemoContext


def test_the_demo_step_signs_the_log_with_the_platforms_key_and_reports_its_size_and_root(tmp_path, monkeypatch):
    monkeypatch.delenv("NPLHUB_DATABASE_URL", raising=False)
    monkeypatch.setenv("NPLHUB_LEDGER_KEY", str(tmp_path / "elsewhere.key"))  # not the platform's settings
    platform = bootstrap(Settings(data_dir=tmp_path / "var", ledger_key=tmp_path / "keys" / "demo.key"))
    try:
        for i in range(5):
            with platform.uow() as uow:
                uow.record(GenericEvent(kind="plan.chosen", subject=f"LOAN-{i}", data={"route": "bulk_transfer"}))
                uow.commit()
        ctx = DemoContext(uow_factory=platform.uow, workdir=tmp_path, settings=platform.settings)
        headline = service.demo_step(ctx)
    finally:
        platform.close()
    assert headline["entries / 账本条目"] == 5
    signed = ctx.results["ledger"]
    checkpoint = open_checkpoint(signed["note"], service.signer_from_settings(platform.settings).verifier)
    assert checkpoint.tree_size == 5 and checkpoint.root_hash.hex() == signed["root"]
    assert (tmp_path / "keys" / "demo.key").exists() and not (tmp_path / "elsewhere.key").exists()


def test_the_demo_step_reports_a_refusal_instead_of_crashing_when_the_key_belongs_to_another_log(tmp_path,
                                                                                             monkeypatch):
    monkeypatch.delenv("NPLHUB_DATABASE_URL", raising=False)
    key = tmp_path / "keys" / "demo.key"
    for run in ("first", "second"):  # a second database with the same key is a second log
        platform = bootstrap(Settings(data_dir=tmp_path / run, ledger_key=key))
        try:
            with platform.uow() as uow:
                uow.record(GenericEvent(kind="plan.chosen", subject=run, data={}))
                uow.commit()
            ctx = DemoContext(uow_factory=platform.uow, workdir=tmp_path, settings=platform.settings)
            headline = service.demo_step(ctx)
        finally:
            platform.close()
    assert "refused" in ctx.results["ledger"] and "a new database is a new log" in ctx.results["ledger"]["refused"]
    assert list(headline.values()) == ["refused / 拒绝签名 (see `nplhub ledger checkpoint`)"]
