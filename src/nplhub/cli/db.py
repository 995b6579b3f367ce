"""`nplhub db ...`: the database schema."""

from __future__ import annotations

import typer

from nplhub.cli.common import console
from nplhub.config import Settings
from nplhub.storage.db import current_tables, make_engine, upgrade

app = typer.Typer(help="Database schema (Alembic migrations) / 数据库结构", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to the database at NPLHUB_DATABASE_URL (default: the SQLite file)."""
    url = Settings().resolved_database_url
    upgrade(url)
    engine = make_engine(url)
    console.print(f"database at {engine.url.render_as_string(hide_password=True)} is up to date "
                  f"({len(current_tables(engine))} tables)")
    engine.dispose()
