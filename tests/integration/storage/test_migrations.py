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
