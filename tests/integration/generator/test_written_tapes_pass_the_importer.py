"""A generated tape, written in each container, passes the importer's validation with its counts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nplhub.datahub.generate import Tape, generate_tape, write_tape
from nplhub.datahub.readers import read_tape
from nplhub.datahub.validate import validate_tape

FLAT_TABLES = ("loans", "counterparties", "collateral", "loan_collateral")


@pytest.fixture(scope="module")
def small_tape() -> Tape:
    return generate_tape(loans=400, seed=42)


def _path(out: Path, fmt: str) -> Path:
    return {"csv": out, "parquet": out, "xlsx": out / "tape.xlsx", "flat": out / "loan_list.csv"}[fmt]


def _digest(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "flat"])
def test_every_container_validates_without_errors_and_with_the_right_counts(tmp_path: Path, small_tape: Tape,
                                                                            fmt: str):
    write_tape(small_tape, tmp_path, fmt=fmt)
    checked = validate_tape(read_tape(_path(tmp_path, fmt)))
    errors = [i for i in checked.issues if i.severity == "error"]
    assert not errors, errors[:5]
    assert checked.meta is not None and checked.meta.cutoff_date == small_tape.cutoff
    names = FLAT_TABLES if fmt == "flat" else tuple(small_tape.tables)
    for name in names:
        expected = len(small_tape.tables[name])
        if fmt == "flat" and name == "collateral":  # only each loan's first collateral is folded in
            expected = small_tape.tables["loan_collateral"].drop_duplicates("loan_id")["collateral_id"].nunique()
        if fmt == "flat" and name == "loan_collateral":
            expected = small_tape.tables["loan_collateral"]["loan_id"].nunique()
        assert checked.counts[name] == expected, name


def test_warnings_are_the_intended_findings_only(tmp_path: Path, small_tape: Tape):
    write_tape(small_tape, tmp_path, fmt="csv")
    checked = validate_tape(read_tape(tmp_path))
    codes = {i.code for i in checked.issues}
    assert codes <= {"STALE_APPRAISAL", "CLASS_BELOW_DPD_FLOOR", "PRIOR_CLAIMS_EXCEED_VALUE"}, codes


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "flat"])
def test_the_same_seed_writes_the_same_bytes(tmp_path: Path, fmt: str):
    a, b = tmp_path / "a", tmp_path / "b"
    write_tape(generate_tape(loans=150, seed=3), a, fmt=fmt)
    write_tape(generate_tape(loans=150, seed=3), b, fmt=fmt)
    assert _digest(a) == _digest(b)


def test_an_unknown_format_is_refused(tmp_path: Path, small_tape: Tape):
    with pytest.raises(ValueError, match="unknown tape format"):
        write_tape(small_tape, tmp_path, fmt="json")
