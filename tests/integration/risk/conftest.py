"""One imported demo tape per database backend for the whole risk integration package."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

PG_ADMIN_URL = os.environ.get("NPLHUB_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def risk_tape():
    from nplhub.datahub.generate import generate_tape

    return generate_tape(700, 3)  # three NPLs concealed at the cut-off


@pytest.fixture(scope="package", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def risk_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            risk_tape: Any) -> Iterator[tuple[Any, str, Any]]:
    """(platform, snapshot_id, tape) on a fresh SQLite file or PostgreSQL database."""
    from sqlalchemy import create_engine, text

    from nplhub.bootstrap import bootstrap
    from nplhub.config import Settings
    from nplhub.datahub.generate import write_tape
    from nplhub.services.datahub import import_tape

    root = tmp_path_factory.mktemp("risk-db")
    name = f"nplhub_test_{uuid.uuid4().hex[:12]}"
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'nplhub.sqlite'}"
    else:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    platform = bootstrap(Settings(database_url=url))
    try:
        write_tape(risk_tape, root / "tape", "csv")
        sid = import_tape(platform.uow(), root / "tape").snapshot_id
        yield platform, sid, risk_tape
    finally:
        platform.close()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
