"""Shared fixtures: real databases (a SQLite file and a fresh PostgreSQL database per test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests search the same examples on every run (derandomised, seeded by the test's name), so
# the suite that decides whether a change lands gives the same verdict twice. To search afresh, as a
# developer hunting for new counterexamples: HYPOTHESIS_PROFILE=explore make test (or pytest).
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

PG_ADMIN_URL = os.environ.get("NPLHUB_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def shared_path(*parts: str) -> Path:
    """A file of the steering repo's shared/ folder (read-only test data such as the Merkle vectors)."""
    candidate = Path(__file__).resolve().parents[2].joinpath("shared", *parts)
    if candidate.exists():
        return candidate
    raise FileNotFoundError(f"shared/{'/'.join(parts)} not found beside the repository")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'nplhub.sqlite'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped (with FORCE) after the test."""
    from sqlalchemy import create_engine, text

    name = f"nplhub_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def migrated_url(database_url: str) -> str:
    from nplhub.storage.db import upgrade

    upgrade(database_url)
    return database_url
