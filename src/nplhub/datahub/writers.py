"""Writing tables as a tape in any container: CSV folder, XLSX workbook, Parquet folder, flat list.

Used to export a snapshot back to a tape, and by the tests to feed the readers every container,
header language and encoding the contract allows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
import yaml

from nplhub.datahub.mapping import flat_columns
from nplhub.datahub.schema import TABLES

Container = Literal["csv", "xlsx", "parquet", "flat"]


def chinese_headers(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    labels = {f.name: f.label_zh for f in TABLES[table].fields}
    return frame.rename(columns=labels)


def flatten(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The flat loan list: loans left-joined to their borrower and (one row per) collateral."""
    layout = flat_columns()
    loans = tables["loans"]
    cps = tables["counterparties"].drop(columns=[c for c in ("counterparty_id",) if False])
    flat = loans.merge(cps, on="counterparty_id", how="left", suffixes=("", "__cp"))
    if "loan_collateral" in tables and "collateral" in tables:
        coll = tables["collateral"].rename(columns={"region": "collateral_region", "address": "collateral_address"})
        links = tables["loan_collateral"].merge(coll, on="collateral_id", how="left")
        flat = flat.merge(links, on="loan_id", how="left")
    return flat[[c for c in layout if c in flat.columns]]


def write_tables(tables: dict[str, pd.DataFrame], meta: dict[str, str], out: str | Path,
                 fmt: Container = "csv", *, chinese: bool = False, encoding: str = "utf-8") -> Path:
    """Write `tables` at `out` (a folder; for xlsx and flat, the file inside it) and return the path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    named = {name: (chinese_headers(name, frame) if chinese else frame) for name, frame in tables.items()}
    if fmt == "csv":
        for name, frame in named.items():
            frame.to_csv(out / f"{name}.csv", index=False, encoding=encoding)
        (out / "tape.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
        return out
    if fmt == "parquet":
        for name, frame in named.items():
            frame.to_parquet(out / f"{name}.parquet", index=False)
        (out / "tape.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
        return out
    if fmt == "xlsx":
        path = out / "tape.xlsx"
        with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
            pd.DataFrame({"key": list(meta), "value": list(meta.values())}).to_excel(
                writer, sheet_name="_meta", index=False)
            for name, frame in named.items():
                frame.to_excel(writer, sheet_name=name, index=False)
        return path
    flat = flatten(tables)
    path = out / "loan_list.csv"
    flat.to_csv(path, index=False, encoding=encoding)
    (out / "loan_list.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return path
