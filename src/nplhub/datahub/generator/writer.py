"""Writing a tape: a CSV folder, one XLSX workbook, a Parquet folder, or one flat loan list.

Money is rounded to cents, dates are written as ISO 8601, metadata goes to `tape.yaml` (or the
`_meta` sheet of a workbook). The output is a pure function of the tape: same tape, same bytes.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from nplhub.datahub.generator.frames import as_text, where_or_none
from nplhub.datahub.generator.truth import Tape

FORMATS = ("csv", "xlsx", "parquet", "flat")
FLAT_NAME = "loan_list.csv"
WORKBOOK_NAME = "tape.xlsx"
# collateral columns renamed in the flat loan list where they clash with loan/counterparty columns
FLAT_COLLATERAL_RENAMES = {"region": "collateral_region", "address": "collateral_address"}


def _meta_yaml(meta: dict[str, Any]) -> str:
    return yaml.safe_dump(dict(meta), allow_unicode=True, sort_keys=False)


def _for_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO strings (empty when missing) so every container shows the same text."""
    out = frame.copy()
    for col in out.columns:
        if str(out[col].dtype).startswith("datetime64"):
            days = out[col].to_numpy().astype("datetime64[D]")
            text = days.astype(str)
            out[col] = as_text(where_or_none(~np.isnat(days), text))
    return out


def _for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if str(out[col].dtype).startswith("datetime64"):
            out[col] = out[col].dt.date.astype(object).where(out[col].notna(), None)
    return out


def flat_loan_list(tape: Tape) -> pd.DataFrame:
    """One row per loan: the loan, its counterparty, and its first collateral folded in."""
    loans = tape.tables["loans"]
    cps = tape.tables["counterparties"]
    flat = loans.merge(cps, on="counterparty_id", how="left", validate="many_to_one")
    links = tape.tables.get("loan_collateral")
    coll = tape.tables.get("collateral")
    if links is not None and coll is not None and len(links):
        first = links.drop_duplicates("loan_id", keep="first")
        first_coll = first.merge(coll.rename(columns=FLAT_COLLATERAL_RENAMES), on="collateral_id", how="left")
        flat = flat.merge(first_coll, on="loan_id", how="left", validate="one_to_one")
    return flat


def write_tape(tape: Tape, out_dir: str | Path, fmt: str = "csv") -> list[Path]:
    """Write `tape` under `out_dir` in the given container; returns the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown tape format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if fmt == "xlsx":
        path = out / WORKBOOK_NAME
        meta = pd.DataFrame({"key": list(tape.meta), "value": [
            v.isoformat() if isinstance(v, date | datetime) else v for v in tape.meta.values()]})
        with pd.ExcelWriter(path, engine="xlsxwriter") as xl:
            # xlsxwriter stamps the creation time: pin it so the same tape gives the same bytes
            xl.book.set_properties({"created": datetime.combine(tape.cutoff, datetime.min.time())})
            meta.to_excel(xl, sheet_name="_meta", index=False)
            for name, frame in tape.tables.items():
                _for_text(frame).to_excel(xl, sheet_name=name, index=False)
        return [path]
    meta_path = out / "tape.yaml"
    meta_path.write_text(_meta_yaml(tape.meta), encoding="utf-8")
    written.append(meta_path)
    if fmt == "flat":
        path = out / FLAT_NAME
        _for_text(flat_loan_list(tape)).to_csv(path, index=False, lineterminator="\n")
        written.append(path)
        return written
    for name, frame in tape.tables.items():
        if fmt == "csv":
            path = out / f"{name}.csv"
            _for_text(frame).to_csv(path, index=False, lineterminator="\n")
        else:
            path = out / f"{name}.parquet"
            _for_parquet(frame).to_parquet(path, index=False, engine="pyarrow", compression="zstd")
        written.append(path)
    return written
