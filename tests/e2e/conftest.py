"""A platform on a fresh SQLite file, loaded by running the demo pipeline's own steps on a small book."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest

from nplhub.bootstrap import Platform, bootstrap
from nplhub.config import Settings
from nplhub.services.demo import DemoContext

PIPELINE = [
    "nplhub.services.datahub:demo_step",
    "nplhub.services.valuation:demo_step",
    "nplhub.services.strategy:demo_step",
    "nplhub.services.marketplace:demo_step",
    "nplhub.services.securitization:demo_step",
    "nplhub.services.ledger:demo_step",
]


@pytest.fixture(scope="session")
def loaded_platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    data_dir: Path = tmp_path_factory.mktemp("platform")
    platform = bootstrap(Settings(data_dir=data_dir, ledger_key=data_dir / "key"))
    ctx = DemoContext(uow_factory=platform.uow, workdir=data_dir / "demo", seed=7, loans=400,
                      settings=platform.settings)
    ctx.workdir.mkdir()
    for target in PIPELINE:
        module, func = target.split(":")
        getattr(import_module(module), func)(ctx)
    platform.demo_context = ctx  # type: ignore[attr-defined]
    return platform
