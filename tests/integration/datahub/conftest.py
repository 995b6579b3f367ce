"""A platform on a fresh database (SQLite and PostgreSQL, via `database_url`) for the import tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nplhub.bootstrap import Platform, bootstrap
from nplhub.config import Settings


@pytest.fixture
def hub(database_url: str, tmp_path: Path) -> Iterator[Platform]:
    platform = bootstrap(Settings(database_url=database_url, data_dir=tmp_path / "var"))
    yield platform
    platform.close()
