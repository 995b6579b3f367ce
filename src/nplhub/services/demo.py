"""The demo pipeline's shared context: each area contributes one step (`demo_step(ctx) -> dict`).

A step reads what earlier steps left in `ctx.results`, does its work through units of work, and
returns its headline figures (a flat mapping of label to value) for the summary table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nplhub.services.ports import AbstractUnitOfWork


@dataclass
class DemoContext:
    uow_factory: Callable[..., AbstractUnitOfWork]
    workdir: Path
    seed: int = 20240601
    loans: int = 5000
    snapshot_id: str | None = None
    results: dict[str, Any] = field(default_factory=dict)
    settings: Any = None  # nplhub.config.Settings of the platform (data dir, ledger key)
