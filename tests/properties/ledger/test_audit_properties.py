"""Whatever single row is altered, deleted or swapped, the full verification fails and names it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from nplhub.ledger import merkle
from nplhub.ledger.audit import audit_log
from nplhub.ledger.canonical import entry_bytes
from nplhub.ledger.log import Frontier


@dataclass(frozen=True)
class Row:
    leaf_index: int
    entry: bytes
    leaf_hash: bytes


def honest(n: int):
    rows, nodes, frontier = [], [], Frontier.empty()
    for i in range(n):
        data = entry_bytes(i, "2026-01-01T00:00:00.000000Z", {"type": "market.bid_placed", "amount": f"{i}.00"})
        rows.append(Row(i, data, merkle.leaf_hash(data)))
        frontier, new = frontier.append([rows[-1].leaf_hash])
        nodes.extend(new)
    return rows, sorted(nodes), frontier


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 70), st.data())
def test_an_untouched_log_passes_and_any_single_tamper_is_named(n, data):
    rows, nodes, frontier = honest(n)
    assert audit_log(iter(rows), iter(nodes), frontier, []).ok
    kind = data.draw(st.sampled_from(["alter", "rehash", "delete", "swap"]))
    i = data.draw(st.integers(0, n - 1))
    if kind == "alter":
        rows[i] = replace(rows[i], entry=rows[i].entry.replace(b'.00"', b'.01"'))
        expected = {i}
    elif kind == "rehash":  # altered together with its leaf hash: named as the pair under the first bad node
        forged = rows[i].entry.replace(b'.00"', b'.01"')
        rows[i] = Row(i, forged, merkle.leaf_hash(forged))
        expected = {i, i ^ 1} if (i ^ 1) < n else {i}
    elif kind == "delete":
        del rows[i]
        expected = {i}
    else:
        j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
        a, b = min(i, j), max(i, j)
        rows[a], rows[b] = replace(rows[b], leaf_index=a), replace(rows[a], leaf_index=b)
        expected = {a}
    report = audit_log(iter(rows), iter(nodes), frontier, [])
    assert not report.ok
    assert report.first_bad_entry in expected
