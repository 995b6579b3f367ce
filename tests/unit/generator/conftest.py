"""Generated tapes shared by the generator's tests (generation is deterministic, so module scope is safe)."""

from __future__ import annotations

import pytest

from nplhub.datahub.generate import Tape, generate_tape


@pytest.fixture(scope="session")
def demo_tape() -> Tape:
    """The size of the demo portfolio."""
    return generate_tape(loans=5000, seed=20240601)


@pytest.fixture(scope="session")
def large_tape() -> Tape:
    """Large enough for the sampling-error checks (every enforcement stage, migration estimates)."""
    return generate_tape(loans=30000, seed=11)
