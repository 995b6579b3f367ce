"""The stored log gives the same roots and proofs as the reference tree, from stored nodes only."""

from __future__ import annotations

import pytest

from nplhub.ledger import merkle
from nplhub.ledger.log import Frontier, assemble, consistency_plan, decompose, inclusion_plan, plan_nodes


def build(leaves: list[bytes], batches: int = 3) -> tuple[Frontier, dict[tuple[int, int], bytes]]:
    hashes = [merkle.leaf_hash(d) for d in leaves]
    store = {(0, i): h for i, h in enumerate(hashes)}
    frontier = Frontier.empty()
    step = max(1, len(hashes) // batches)
    for start in range(0, len(hashes), step):
        frontier, nodes = frontier.append(hashes[start:start + step])
        for level, index, value in nodes:
            assert (level, index) not in store, "a node is written once and never rewritten"
            store[(level, index)] = value
    return frontier, store


def test_every_proof_of_every_tree_up_to_40_leaves_comes_from_stored_nodes():
    leaves = [f"entry {i}".encode() for i in range(40)]
    frontier, store = build(leaves)
    for n in range(1, 41):
        for m in range(n):
            plan = inclusion_plan(m, n)
            assert assemble(plan, store) == merkle.inclusion_proof(m, leaves[:n])
            assert len(plan_nodes(plan)) <= 2 * n.bit_length()
        for old in range(1, n + 1):
            assert assemble(consistency_plan(old, n), store) == merkle.consistency_proof(old, leaves[:n])


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 100, 1023, 1024, 1025])
def test_a_tree_of_n_leaves_stores_n_minus_popcount_interior_nodes_and_its_root_folds_the_frontier(n):
    leaves = [i.to_bytes(4, "big") for i in range(n)]
    frontier, store = build(leaves)
    assert len(store) - n == n - bin(n).count("1")
    assert frontier.root() == merkle.root_hash(leaves)
    assert Frontier.from_bytes(n, frontier.to_bytes()) == frontier
    assert frontier.node_ids() == decompose(0, n)


def test_a_frontier_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="a frontier of size 3 has 2 hashes"):
        Frontier.from_bytes(3, b"\x00" * 32)


def test_the_empty_log_has_the_hash_of_nothing_as_its_root():
    assert Frontier.empty().root() == merkle.EMPTY_ROOT
