"""Importing tapes into SQLite and PostgreSQL: counts, versions, warnings, and all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from nplhub.bootstrap import Platform, bootstrap
from nplhub.config import Settings
from nplhub.datahub.issues import TapeRejected
from nplhub.datahub.readers import read_tape
from nplhub.datahub.sample import SAMPLE_META, sample_tables
from nplhub.datahub.validate import validate_tape
from nplhub.datahub.writers import write_tables
from nplhub.domain.events import TapeImported
from nplhub.services.datahub import import_tape, portfolio_summary
from nplhub.services.ports import SnapshotReader
from nplhub.storage.tables import datahub as t
from support.datahub_db import row_counts


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "flat"])
def test_a_valid_tape_imports_with_the_right_counts_in_every_container(hub: Platform, tmp_path: Path, fmt: str) -> None:
    path = write_tables(sample_tables(), SAMPLE_META, tmp_path / fmt, fmt, chinese=(fmt == "xlsx"))  # type: ignore[arg-type]
    result = import_tape(hub.uow(), path)
    assert result.snapshot_id == "SAMPLE-01@2024-06-30#v1"
    counts = row_counts(hub)
    expected = {"counterparties": 3, "loans": 4, "collateral": 2, "loan_collateral": 3}
    for table, n in expected.items():
        assert counts[table] == n == result.counts[table]
    if fmt != "flat":
        assert counts["repayments"] == 3 and counts["price_index"] == 3


def test_a_reissued_tape_for_the_same_cutoff_becomes_the_next_version(hub: Platform, tmp_path: Path) -> None:
    path = write_tables(sample_tables(), SAMPLE_META, tmp_path / "tape", "csv")
    first = import_tape(hub.uow(), path)
    second = import_tape(hub.uow(), path)
    assert (first.version, second.version) == (1, 2)
    assert second.snapshot_id == "SAMPLE-01@2024-06-30#v2"
    assert "SAME_CONTENT" in {w.code for w in second.warnings}
    assert first.content_sha256 == second.content_sha256 and len(first.content_sha256) == 64
    assert row_counts(hub)["loans"] == 8


def test_a_rejected_tape_leaves_every_table_exactly_as_it_was(hub: Platform, tmp_path: Path) -> None:
    import_tape(hub.uow(), write_tables(sample_tables(), SAMPLE_META, tmp_path / "good", "csv"))
    before = row_counts(hub)
    tables = sample_tables()
    tables["loans"].loc[3, "counterparty_id"] = "C404"
    with pytest.raises(TapeRejected) as rejected:
        import_tape(hub.uow(), write_tables(tables, SAMPLE_META, tmp_path / "bad", "csv"))
    assert [(i.code, i.row) for i in rejected.value.issues if i.is_error] == [("DANGLING_REFERENCE", 5)]
    assert row_counts(hub) == before


def test_a_failure_while_writing_rolls_back_the_whole_import(hub: Platform, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from nplhub.storage.datahub import SqlSnapshotRepository

    before = row_counts(hub)
    original = SqlSnapshotRepository.add_rows

    def failing(self: SqlSnapshotRepository, snapshot_id: str, table: str, data: object) -> int:
        if table == "repayments":
            raise RuntimeError("disk full")
        return original(self, snapshot_id, table, data)

    monkeypatch.setattr(SqlSnapshotRepository, "add_rows", failing)  # the executemany / COPY path
    with pytest.raises(RuntimeError):
        import_tape(hub.uow(), write_tables(sample_tables(), SAMPLE_META, tmp_path / "tape", "csv"))
    assert row_counts(hub) == before


def test_warnings_are_stored_with_the_snapshot_and_the_import_is_recorded_as_an_event(
        hub: Platform, tmp_path: Path) -> None:
    tables = sample_tables()
    tables["loans"].loc[0, "reported_class"] = "normal"
    uow = hub.uow()
    result = import_tape(uow, write_tables(tables, SAMPLE_META, tmp_path / "tape", "csv"))
    with hub.engine.connect() as conn:
        stored = conn.execute(select(t.import_issues.c.code, t.import_issues.c.row_number)
                              .where(t.import_issues.c.snapshot_id == result.snapshot_id)).all()
    assert ("CLASS_BELOW_DPD_FLOOR", 2) in [tuple(r) for r in stored]
    events = [e for e in uow.published if isinstance(e, TapeImported)]
    assert len(events) == 1 and events[0].snapshot_id == result.snapshot_id and events[0].counts["loans"] == 4


def test_the_snapshot_reader_gives_back_the_tables_that_were_imported(hub: Platform, tmp_path: Path) -> None:
    path = write_tables(sample_tables(), SAMPLE_META, tmp_path / "tape", "csv")
    expected = validate_tape(read_tape(path))
    result = import_tape(hub.uow(), path)
    with hub.uow() as uow:
        frames = uow.get(SnapshotReader).frames(result.snapshot_id, list(t.TAPE_TABLES))  # type: ignore[type-abstract]
    for name, frame in frames.items():
        want = expected.tables[name].to_pandas()
        assert list(frame.columns) == list(want.columns), name
        assert len(frame) == len(want), name
    loans = frames["loans"].set_index("loan_id")
    assert loans.loc["L002", "interest_rate"] == pytest.approx(0.049)
    assert loans.loc["L001", "outstanding_principal"] == 4800000.0
    assert loans.loc["L003", "restructured"] is True or bool(loans.loc["L003", "restructured"])
    assert loans["origination_date"].dtype == "datetime64[ns]"
    assert loans.loc["L001", "origination_date"] == pd.Timestamp("2021-03-15")


def test_the_portfolio_summary_adds_up_balances_by_class_region_industry_and_product(
        hub: Platform, tmp_path: Path) -> None:
    import_tape(hub.uow(), write_tables(sample_tables(), SAMPLE_META, tmp_path / "tape", "csv"))
    summary = portfolio_summary(hub.uow())
    assert summary["loans"] == 4
    assert summary["balance"] == "23730000.00"
    assert summary["npl_balance"] == "7750000.00"  # substandard 4.8m + doubtful 2.95m
    by_class = {row["key"]: row["balance"] for row in summary["by_class"]}
    assert by_class == {"normal": "15000000.00", "special_mention": "980000.00", "substandard": "4800000.00",
                        "doubtful": "2950000.00"}
    by_region = {row["key"]: row["loans"] for row in summary["by_region"]}
    assert by_region == {"11": 1, "32": 2, "33": 1}
    assert sum(row["share"] for row in summary["by_product"]) == pytest.approx(1.0)


@pytest.fixture
def staging(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every SQLite table through the ADBC staging file, however small."""
    from nplhub.storage import datahub as storage_datahub

    monkeypatch.setattr(storage_datahub, "STAGING_MIN_ROWS", 1)


@pytest.fixture
def sqlite_hub(sqlite_url: str, tmp_path: Path) -> Platform:
    platform = bootstrap(Settings(database_url=sqlite_url, data_dir=tmp_path / "var"))
    yield platform
    platform.close()


def test_the_staged_bulk_load_round_trips_and_detaches_its_staging_file(
        sqlite_hub: Platform, tmp_path: Path, staging: None) -> None:
    path = write_tables(sample_tables(), SAMPLE_META, tmp_path / "tape", "csv")
    expected = validate_tape(read_tape(path))
    result = import_tape(sqlite_hub.uow(), path)
    with sqlite_hub.uow() as uow:
        frames = uow.get(SnapshotReader).frames(result.snapshot_id, list(t.TAPE_TABLES))  # type: ignore[type-abstract]
    for name, frame in frames.items():
        want = expected.tables[name].to_pandas()
        assert len(frame) == len(want), name
    assert frames["forbearance"]["measure"].tolist() == ["extension", "capitalisation"]
    assert frames["loans"].set_index("loan_id").loc["L002", "interest_rate"] == pytest.approx(0.049)
    with sqlite_hub.engine.connect() as conn:
        attached = conn.exec_driver_sql("PRAGMA database_list").all()
    assert [row[1] for row in attached] == ["main"]


def test_a_failure_after_the_staged_copy_rolls_back_everything(sqlite_hub: Platform, tmp_path: Path, staging: None,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from nplhub.storage import datahub_bulk

    before = row_counts(sqlite_hub)
    original = datahub_bulk.copy_tables

    def copy_then_fail(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("power cut")

    monkeypatch.setattr(datahub_bulk, "copy_tables", copy_then_fail)
    with pytest.raises(RuntimeError):
        import_tape(sqlite_hub.uow(), write_tables(sample_tables(), SAMPLE_META, tmp_path / "tape", "csv"))
    assert row_counts(sqlite_hub) == before


def test_big_tables_are_staged_in_pieces_that_keep_every_row_once_and_in_order(
        sqlite_hub: Platform, tmp_path: Path, staging: None) -> None:
    """Four tables leave four spare staging files, so the biggest tables are cut into pieces; the
    row-numbered tables (forbearance, disposals) must still number their rows 1..n in tape order."""
    import dataclasses

    from nplhub.datahub.generate import generate_tape, write_tape

    tape = generate_tape(400, seed=11)
    kept = ("counterparties", "loans", "forbearance", "disposals")
    write_tape(dataclasses.replace(tape, tables={n: tape.tables[n] for n in kept}), tmp_path / "tape", "csv")
    result = import_tape(sqlite_hub.uow(), tmp_path / "tape")
    for name in kept:
        assert result.counts[name] == len(tape.tables[name]), name
    with sqlite_hub.engine.connect() as conn:
        for name in ("forbearance", "disposals"):
            rows = conn.exec_driver_sql(f"SELECT row_id, loan_id FROM {name} ORDER BY row_id").all()
            assert [r[0] for r in rows] == list(range(1, len(tape.tables[name]) + 1)), name
            assert [r[1] for r in rows] == tape.tables[name]["loan_id"].astype(str).tolist(), name
        loans = [r[0] for r in conn.exec_driver_sql("SELECT loan_id FROM loans")]
        assert sorted(loans) == sorted(tape.tables["loans"]["loan_id"].astype(str))
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
