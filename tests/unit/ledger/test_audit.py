"""Full verification names the first bad entry for each way rows can be changed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nplhub.ledger import merkle
from nplhub.ledger.audit import audit_log
from nplhub.ledger.canonical import entry_bytes
from nplhub.ledger.checkpoint import Checkpoint, NoteSigner
from nplhub.ledger.log import Frontier


@dataclass(frozen=True)
class Row:
    leaf_index: int
    entry: bytes
    leaf_hash: bytes


@dataclass(frozen=True)
class Cp:
    origin: str
    tree_size: int
    root_hash: bytes
    note: str


SIGNER = NoteSigner.generate("audit.test")


def honest_log(n: int = 20):
    rows, nodes, frontier = [], [], Frontier.empty()
    for i in range(n):
        data = entry_bytes(i, "2026-01-01T00:00:00.000000Z", {"type": "case.step", "step": i})
        rows.append(Row(i, data, merkle.leaf_hash(data)))
        frontier, new = frontier.append([rows[-1].leaf_hash])
        nodes.extend(new)
    nodes.sort(key=lambda t: (t[0], t[1]))
    cp = Cp("audit.test", n, frontier.root(), Checkpoint("audit.test", n, frontier.root()).sign(SIGNER))
    return rows, nodes, frontier, [cp]


def audit(rows, nodes, frontier, cps):
    return audit_log(iter(rows), iter(nodes), frontier, cps, SIGNER.verifier)


def test_an_untouched_log_verifies():
    report = audit(*honest_log())
    assert report.ok and report.entries == 20 and report.checkpoints == 1
    assert report.first_bad_entry is None


def test_an_altered_entry_is_named():
    rows, nodes, frontier, cps = honest_log()
    rows[6] = dataclasses.replace(rows[6], entry=rows[6].entry.replace(b'"step":6', b'"step":60'))
    assert audit(rows, nodes, frontier, cps).first_bad_entry == 6


def test_an_entry_rewritten_with_its_leaf_hash_is_caught_by_the_interior_hashes_and_the_checkpoint():
    rows, nodes, frontier, cps = honest_log()
    data = rows[9].entry.replace(b'"step":9', b'"step":90')
    rows[9] = Row(9, data, merkle.leaf_hash(data))
    report = audit(rows, nodes, frontier, cps)
    assert not report.ok
    assert report.first_bad_entry == 8  # the pair (8, 9) under the first interior hash that fails
    assert any("no longer produce the root signed" in p.message for p in report.problems)


def test_a_deleted_entry_is_named():
    rows, nodes, frontier, cps = honest_log()
    del rows[13]
    report = audit(rows, nodes, frontier, cps)
    assert report.first_bad_entry == 13
    assert "13..13 are missing" in report.as_dict()["problems"][0]["message"]


def test_swapped_entries_are_named_at_the_first_position():
    rows, nodes, frontier, cps = honest_log()
    rows[3], rows[11] = (dataclasses.replace(rows[11], leaf_index=3), dataclasses.replace(rows[3], leaf_index=11))
    report = audit(rows, nodes, frontier, cps)
    assert report.first_bad_entry == 3
    assert "says it is entry 11" in report.as_dict()["problems"][0]["message"]


def test_a_deleted_tail_is_caught_by_the_head_and_the_checkpoint():
    rows, nodes, frontier, cps = honest_log()
    report = audit(rows[:-2], nodes, frontier, cps)
    assert report.first_bad_entry == 18


def test_a_forged_checkpoint_signature_is_reported():
    rows, nodes, frontier, cps = honest_log()
    forged = NoteSigner.generate("audit.test")
    cps = [dataclasses.replace(cps[0], note=Checkpoint("audit.test", 20, frontier.root()).sign(forged))]
    report = audit(rows, nodes, frontier, cps)
    assert not report.ok and report.first_bad_entry is None
