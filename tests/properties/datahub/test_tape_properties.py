"""Properties of import: any valid tape round-trips; any single corruption is caught."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nplhub.bootstrap import Platform, bootstrap
from nplhub.config import Settings
from nplhub.datahub.issues import errors_of
from nplhub.datahub.readers import read_tape
from nplhub.datahub.sample import resident_id, uscc
from nplhub.datahub.validate import validate_tape
from nplhub.datahub.writers import write_tables
from nplhub.domain.classification import ORDERED_CLASSES
from nplhub.domain.codes import CollateralType, CounterpartyType, Product
from nplhub.services.datahub import import_tape
from nplhub.services.ports import SnapshotReader

CUTOFF = date(2024, 6, 30)
REGIONS = ["110105", "320500", "330100", "440300", "510100"]

cents = st.integers(min_value=0, max_value=10**11).map(lambda c: f"{c // 100}.{c % 100:02d}")
day = st.integers(min_value=0, max_value=3000).map(lambda d: CUTOFF - timedelta(days=d))


@st.composite
def tapes(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    n_cp = draw(st.integers(1, 5))
    cps = []
    for i in range(n_cp):
        kind = draw(st.sampled_from([c.value for c in CounterpartyType]))
        if kind == "individual":
            born = draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2005, 12, 31)))
            number = resident_id("110105" + born.strftime("%Y%m%d") + draw(st.text("0123456789", min_size=3,
                                                                                       max_size=3)))
        else:  # 91: an enterprise registered with the market regulator (GB 32100)
            number = uscc("913201" + draw(st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=11, max_size=11)))
        cps.append({"counterparty_id": f"C{i}", "id_number": number, "counterparty_type": kind,
                    "region": draw(st.sampled_from(REGIONS)), "industry": draw(st.sampled_from(["C", "F", "K", None])),
                    "annual_revenue": draw(st.none() | cents), "employees": draw(st.none() | st.integers(0, 5000))})
    n_loans = draw(st.integers(1, 8))
    loans = []
    for i in range(n_loans):
        start = draw(day)
        loans.append({
            "loan_id": f"L{i}", "counterparty_id": f"C{draw(st.integers(0, n_cp - 1))}",
            "product": draw(st.sampled_from([p.value for p in Product])),
            "origination_date": start.isoformat(),
            "maturity_date": (start + timedelta(days=draw(st.integers(0, 4000)))).isoformat(),
            "original_principal": draw(cents), "outstanding_principal": draw(cents),
            "interest_rate": f"{draw(st.integers(0, 2400)) / 10000:.4f}",
            "days_past_due": draw(st.integers(0, 2000)),
            "reported_class": draw(st.sampled_from([c.value for c in ORDERED_CLASSES])),
            "restructured": draw(st.none() | st.booleans()),
            "extension_count": draw(st.none() | st.integers(0, 5)),
        })
    n_coll = draw(st.integers(0, 3))
    coll = [{"collateral_id": f"K{i}", "collateral_type": draw(st.sampled_from([c.value for c in CollateralType])),
             "appraisal_value": draw(cents), "appraisal_date": draw(day).isoformat(),
             "region": draw(st.none() | st.sampled_from(REGIONS))} for i in range(n_coll)]
    pairs = draw(st.sets(st.tuples(st.integers(0, n_loans - 1), st.integers(0, max(n_coll - 1, 0))), max_size=6)) \
        if n_coll else set()
    links = [{"loan_id": f"L{a}", "collateral_id": f"K{b}", "allocated_amount": draw(st.none() | cents)}
             for a, b in sorted(pairs)]
    tables = {"counterparties": pd.DataFrame(cps), "loans": pd.DataFrame(loans)}
    if coll:
        tables["collateral"] = pd.DataFrame(coll)
        tables["loan_collateral"] = pd.DataFrame(links, columns=["loan_id", "collateral_id", "allocated_amount"])
    return tables


def _meta(pid: str) -> dict[str, str]:
    return {"portfolio_id": pid, "cutoff_date": CUTOFF.isoformat()}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    folder = tmp_path_factory.mktemp("props")
    platform = bootstrap(Settings(database_url=f"sqlite:///{folder / 'p.sqlite'}", data_dir=folder))
    yield platform
    platform.close()


def _expected(frame: pd.DataFrame, column: str, kind: str) -> list[object]:
    values = frame[column]
    if kind == "money":
        return [None if pd.isna(v) else float(v) for v in values]
    if kind == "date":
        return [pd.Timestamp(v) for v in values]
    if kind == "int":
        return [None if pd.isna(v) else int(v) for v in values]
    if kind == "bool":
        return [None if v is None or (isinstance(v, float) and np.isnan(v)) else bool(v) for v in values]
    if kind == "rate":
        return [float(v) for v in values]
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]


KINDS = {"annual_revenue": "money", "original_principal": "money", "outstanding_principal": "money",
         "appraisal_value": "money", "allocated_amount": "money", "origination_date": "date",
         "maturity_date": "date", "appraisal_date": "date", "days_past_due": "int", "employees": "int",
         "extension_count": "int", "restructured": "bool", "interest_rate": "rate"}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=tapes(), fmt=st.sampled_from(["csv", "xlsx", "parquet"]), staged=st.booleans())
def test_any_valid_tape_round_trips_through_the_database(hub: Platform, tables: dict[str, pd.DataFrame],
                                                         fmt: str, staged: bool,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from nplhub.storage import datahub as storage_datahub

    monkeypatch.setattr(storage_datahub, "STAGING_MIN_ROWS", 1 if staged else 10**9)
    with tempfile.TemporaryDirectory() as folder:
        path = write_tables(tables, _meta("PROP"), Path(folder), fmt)  # type: ignore[arg-type]
        result = import_tape(hub.uow(), path)
    with hub.uow() as uow:
        frames = uow.get(SnapshotReader).frames(result.snapshot_id, list(tables))  # type: ignore[type-abstract]
    for name, given_frame in tables.items():
        stored = frames[name]
        assert len(stored) == len(given_frame), name
        key = given_frame.columns[0] if name != "loan_collateral" else ["loan_id", "collateral_id"]
        want = given_frame.sort_values(key).reset_index(drop=True)
        got = stored.sort_values(key).reset_index(drop=True)
        for column in given_frame.columns:
            kind = KINDS.get(column, "text")
            got_values = [None if v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v
                          for v in got[column].tolist()]
            if kind == "rate":
                assert got_values == pytest.approx(_expected(want, column, kind)), (name, column)
            else:
                assert got_values == _expected(want, column, kind), (name, column)


CORRUPTIONS = {
    "wrong type": ("loans", "days_past_due", "many", "INVALID_INTEGER"),
    "unknown code": ("loans", "product", "yacht", "UNKNOWN_CODE"),
    "dangling borrower": ("loans", "counterparty_id", "C404", "DANGLING_REFERENCE"),
    "negative balance": ("loans", "outstanding_principal", "-1.00", "NEGATIVE_AMOUNT"),
    "dates out of order": ("loans", "maturity_date", "1990-01-01", "DATE_ORDER"),
    "after the cut-off": ("loans", "origination_date", "2030-01-01", "DATE_AFTER_CUTOFF"),
    "bad region": ("counterparties", "region", "000000", "INVALID_REGION"),
    "bad date": ("loans", "origination_date", "2023-02-30", "INVALID_DATE"),
    "fractions of a fen": ("loans", "original_principal", "1.005", "MONEY_PRECISION"),
    "empty required cell": ("loans", "reported_class", None, "REQUIRED_VALUE"),
}


@settings(max_examples=30, deadline=None)
@given(tables=tapes(), corruption=st.sampled_from(sorted(CORRUPTIONS)) | st.sampled_from(["duplicate id",
                                                                                         "check digit"]),
       pick=st.integers(min_value=0, max_value=100))
def test_any_single_corruption_is_caught_at_its_row(tables: dict[str, pd.DataFrame], corruption: str,
                                                    pick: int) -> None:
    if corruption == "duplicate id":
        table, column, code = "loans", "loan_id", "DUPLICATE_KEY"
        frame = tables[table]
        frame = pd.concat([frame, frame.iloc[[pick % len(frame)]]], ignore_index=True)
        tables[table] = frame
        row = len(frame) - 1
    elif corruption == "check digit":
        table, column, code = "counterparties", "id_number", "BAD_CHECK_DIGIT"
        frame = tables[table]
        row = pick % len(frame)
        number = frame.loc[row, column]
        wrong = "0" if number[-1] != "0" else "1"
        frame.loc[row, column] = number[:-1] + wrong
    else:
        table, column, value, code = CORRUPTIONS[corruption]
        frame = tables[table]
        row = pick % len(frame)
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
    with tempfile.TemporaryDirectory() as folder:
        tape = validate_tape(read_tape(write_tables(tables, _meta("CORRUPT"), Path(folder), "csv")))
    assert not tape.ok
    found = {(i.code, i.table, i.row, i.column) for i in errors_of(tape.issues)}
    assert (code, table, row + 2, column) in found, found


@settings(max_examples=40, deadline=None)
@given(tables=tapes(), picks=st.lists(st.tuples(st.sampled_from(sorted(CORRUPTIONS) + ["duplicate id"]),
                                                st.integers(min_value=0, max_value=100)), min_size=1, max_size=4))
def test_a_partial_import_sets_aside_exactly_the_corrupted_rows_and_their_dependants(
        tables: dict[str, pd.DataFrame], picks: list[tuple[str, int]]) -> None:
    from nplhub.datahub.quarantine import file_level_errors, set_aside
    from nplhub.datahub.schema import TABLE_ORDER

    bad: dict[str, set[int]] = {"counterparties": set(), "loans": set()}
    for corruption, pick in picks:
        if corruption == "duplicate id":
            frame = tables["loans"]
            tables["loans"] = pd.concat([frame, frame.iloc[[pick % len(frame)]]], ignore_index=True)
            continue
        table, column, value, _code = CORRUPTIONS[corruption]
        frame = tables[table]
        frame[column] = frame[column].astype(object)
        frame.loc[pick % len(frame), column] = value
        bad[table].add(pick % len(frame))
    loans, cps = tables["loans"], tables["counterparties"]
    # what a data team expects, worked out from the tables alone
    repeated = loans["loan_id"].duplicated(keep=False)
    bad["loans"] |= set(np.flatnonzero(repeated.to_numpy()).tolist())
    bad_cps = set(cps.loc[sorted(bad["counterparties"]), "counterparty_id"])
    aside_loans = bad["loans"] | {i for i, cp in enumerate(loans["counterparty_id"]) if cp in bad_cps}
    aside_ids = set(loans.loc[sorted(aside_loans), "loan_id"])
    links = tables.get("loan_collateral", pd.DataFrame(columns=["loan_id"]))
    expected = {"counterparties": bad["counterparties"], "loans": aside_loans,
                "loan_collateral": {i for i, loan in enumerate(links["loan_id"]) if loan in aside_ids}}

    with tempfile.TemporaryDirectory() as folder:
        tape = validate_tape(read_tape(write_tables(tables, _meta("PART"), Path(folder), "csv")), keep_text=True)
    assert not tape.ok and file_level_errors(tape.issues) == []
    kept, quarantine = set_aside(tape)
    for name in TABLE_ORDER:
        total = len(tables[name]) if name in tables else 0
        assert kept.counts[name] + quarantine.counts[name] == total, name
        aside = {row.row - 2 for row in quarantine.rows if row.table == name}
        assert aside == expected.get(name, set()), name
        assert len(aside) == quarantine.counts[name], name
    emptied = [name for name in ("counterparties", "loans") if len(expected[name]) == len(tables[name])]
    assert [(i.code, i.table) for i in errors_of(kept.issues)] == [("NOTHING_TO_IMPORT", name) for name in emptied]
