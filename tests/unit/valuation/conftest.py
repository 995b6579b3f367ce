"""Fixtures of the valuation unit tests."""

from __future__ import annotations

import pytest

from nplhub.valuation.assumptions import AssumptionSet, load_assumptions


@pytest.fixture(scope="session")
def assumptions() -> AssumptionSet:
    return load_assumptions()
