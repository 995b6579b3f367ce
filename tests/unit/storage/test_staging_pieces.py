"""How the SQLite bulk load cuts tables into staging pieces (nplhub.storage.datahub_bulk._pieces)."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from nplhub.storage import datahub_bulk


@given(st.lists(st.integers(min_value=0, max_value=5_000), min_size=1, max_size=datahub_bulk.MAX_STAGED_FILES))
def test_pieces_cover_every_row_once_in_order_within_the_attach_limit(sizes: list[int]) -> None:
    tables = {f"t{i}": pa.table({"x": pa.array(range(n), pa.int64())}) for i, n in enumerate(sizes)}
    pieces = datahub_bulk._pieces(tables)
    assert len(pieces) <= datahub_bulk.MAX_STAGED_FILES
    for name, table in tables.items():
        mine = [(offset, piece) for n, offset, piece in pieces if n == name]
        assert mine, name  # every table is staged, even an empty one
        assert [o for o, _ in mine] == sorted(o for o, _ in mine)
        rebuilt = [v for _, piece in mine for v in piece["x"].to_pylist()]
        assert rebuilt == table["x"].to_pylist()
        assert all(offset == sum(p.num_rows for o, p in mine if o < offset) for offset, _ in mine)


def test_the_spare_files_go_to_the_biggest_table() -> None:
    tables = {"small": pa.table({"x": list(range(10))}), "big": pa.table({"x": list(range(1_000))})}
    pieces = datahub_bulk._pieces(tables)
    assert [n for n, _, _ in pieces].count("big") == datahub_bulk.MAX_STAGED_FILES - 1
