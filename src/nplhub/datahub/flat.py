"""Splitting a flat loan list (one row per loan and collateral) into the tape's tables.

Banks often export one wide sheet: the loan's columns, the borrower's columns folded in, and one
collateral per row (a loan with three collateral items takes three rows). The split keeps the
first row of each loan, counterparty and collateral, remembers the user's row numbers, and
reports a repeated id whose other columns disagree (FLAT_CONFLICT): the importer never picks
one of two contradicting values silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from nplhub.datahub.issues import TapeIssue, error, warning
from nplhub.datahub.mapping import FLAT_TABLES, flat_columns, flat_header_aliases, normalise_header
from nplhub.datahub.readers import RawTable

_KEYS = {"loans": ("loan_id",), "counterparties": ("counterparty_id",), "collateral": ("collateral_id",),
         "loan_collateral": ("loan_id", "collateral_id")}


def split_flat(flat: RawTable) -> tuple[dict[str, RawTable], list[TapeIssue]]:
    issues: list[TapeIssue] = []
    aliases = flat_header_aliases()
    layout = flat_columns()
    position: dict[str, int] = {}
    for i, header in enumerate(flat.headers):
        name = aliases.get(normalise_header(header))
        if name is None:
            if header.strip():
                issues.append(warning("UNKNOWN_COLUMN", f"column {header!r} is not part of the flat loan list; "
                                      "it was ignored", table="flat", row=1, column=header, value=header))
            continue
        if name in position:
            issues.append(error("DUPLICATE_COLUMN", f"columns {flat.headers[position[name]]!r} and {header!r} "
                                "both mean {name}", table="flat", row=1, column=header, value=header))
            continue
        position[name] = i
    frame = pd.DataFrame({name: flat.data.column(i).to_pandas() for name, i in position.items()})
    frame["__row"] = flat.row_numbers()
    tables: dict[str, RawTable] = {}
    for table in FLAT_TABLES:
        keys = _KEYS[table]
        columns = [(k, k) for k in keys if k in position] + [
            (flat_name, column) for flat_name, (t, column) in layout.items()
            if t == table and flat_name in position and column not in keys]
        if not all(k in position for k in keys):
            if table in ("loans", "counterparties"):
                for key in keys:
                    if key not in position:
                        issues.append(error("MISSING_COLUMN", f"the flat loan list has no {key} column",
                                            table="flat", row=1, column=key))
            continue
        part = frame[[flat_name for flat_name, _ in columns] + ["__row"]]
        part = part[part[list(keys)].notna().all(axis=1)] if table != "loans" else part
        distinct = part.drop_duplicates(subset=[flat_name for flat_name, _ in columns])
        clash = distinct.duplicated(subset=list(keys), keep="first") & distinct[list(keys)].notna().all(axis=1)
        for _, row in distinct[clash].head(100).iterrows():
            key_text = ", ".join(str(row[k]) for k in keys)
            issues.append(error("FLAT_CONFLICT", f"{table} {key_text} appears on several rows with different "
                                f"values; give each {keys[-1]} one set of {table} columns",
                                table="flat", row=int(row["__row"]), column=keys[-1], value=key_text))
        first = part.drop_duplicates(subset=list(keys), keep="first") if table != "loans" else \
            part[~(part["loan_id"].notna() & part.duplicated(subset=["loan_id"], keep="first"))]
        data = pa.table([pa.array(first[flat_name].to_numpy(dtype=object), pa.string()) for flat_name, _ in columns],
                        names=[f"c{i}" for i in range(len(columns))])
        tables[table] = RawTable(name=table, source=flat.source, headers=[column for _, column in columns],
                                 data=data, rows=np.asarray(first["__row"], dtype=np.int64))
    return tables, issues
