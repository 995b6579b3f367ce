"""Row counts of the data hub's tables: what a rejected or partial import must leave as it was."""

from __future__ import annotations

from sqlalchemy import func, select

from nplhub.bootstrap import Platform
from nplhub.storage.tables import datahub as t

ALL_TABLES = ["portfolios", "snapshots", "import_issues", *t.TAPE_TABLES]


def row_counts(hub: Platform) -> dict[str, int]:
    with hub.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(t.metadata.tables[name])).scalar_one()
                for name in ALL_TABLES}
