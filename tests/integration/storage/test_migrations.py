from nplhub.storage.db import current_tables, make_engine, upgrade


def test_migrations_create_the_tape_tables_and_can_be_run_twice(database_url):
    upgrade(database_url)
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        tables = set(current_tables(engine))
    finally:
        engine.dispose()
    assert {"portfolios", "snapshots", "loans", "counterparties", "loan_states", "disposals"} <= tables


def _at(url: str, target: str, downgrade: bool = False) -> None:
    from alembic import command

    from nplhub.storage.db import alembic_config

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = connection
            (command.downgrade if downgrade else command.upgrade)(cfg, target)
    finally:
        engine.dispose()


def _clustered(url: str) -> dict[str, bool]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name IN ('loans', 'loan_collateral')").all()
    finally:
        engine.dispose()
    return {name: sql.rstrip().upper().endswith("WITHOUT ROWID") for name, sql in rows}


def test_the_clustering_migration_keeps_the_rows_and_their_indexes_both_ways(sqlite_url: str) -> None:
    _at(sqlite_url, "0001_datahub")
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO portfolios (portfolio_id, name, currency) VALUES ('P', 'P', 'CNY')")
        conn.exec_driver_sql("INSERT INTO snapshots (snapshot_id, portfolio_id, cutoff_date, version, source, "
                             "content_sha256, imported_at, counts) VALUES "
                             "('S', 'P', '2025-12-31', 1, 'x', 'h', '2026-01-01 00:00:00', '{}')")
        conn.exec_driver_sql("INSERT INTO loan_collateral (snapshot_id, loan_id, collateral_id) VALUES "
                             "('S', 'L1', 'C1'), ('S', 'L1', 'C2'), ('S', 'L2', 'C1')")
    engine.dispose()
    assert _clustered(sqlite_url) == {"loans": False, "loan_collateral": False}

    upgrade(sqlite_url)
    assert _clustered(sqlite_url) == {"loans": True, "loan_collateral": True}
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT loan_id, collateral_id FROM loan_collateral ORDER BY 1, 2").all() == [
            ("L1", "C1"), ("L1", "C2"), ("L2", "C1")]
        indexes = {row[1] for row in conn.exec_driver_sql("PRAGMA index_list('loans')")}
        assert "ix_loans_snapshot_counterparty" in indexes
    engine.dispose()

    _at(sqlite_url, "0001_datahub", downgrade=True)
    assert _clustered(sqlite_url) == {"loans": False, "loan_collateral": False}
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM loan_collateral").scalar() == 3
    engine.dispose()


def test_a_bulk_load_unit_of_work_skips_foreign_key_checks_only_for_its_own_transaction(sqlite_url: str) -> None:
    from nplhub.storage.unit_of_work import SqlAlchemyUnitOfWork

    upgrade(sqlite_url)
    engine = make_engine(sqlite_url, poolclass=__import__("sqlalchemy").pool.StaticPool)
    try:
        uow = SqlAlchemyUnitOfWork(engine, audit=False)
        with uow.for_bulk_load():
            assert uow.conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
        with uow:
            assert uow.conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        try:
            with uow.for_bulk_load():
                raise KeyError("fails inside")
        except KeyError:
            pass
        with uow:
            assert uow.conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
