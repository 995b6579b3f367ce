"""The append-only log as stored: leaf hashes, the interior hashes of complete subtrees, a frontier.

A node `(level, index)` is the hash of the complete subtree over leaves
`[index * 2**level, (index + 1) * 2**level)`; level 0 is the leaf hash itself. A complete subtree
never changes once its last leaf is appended, so every node is written exactly once (n - 1 interior
nodes for n leaves: O(1) amortised per append) and never updated.

The *frontier* of a tree of size n is the list of the complete subtrees of its binary decomposition,
largest (leftmost) first: one per set bit of n. Appending folds the new leaf into it like a binary
counter; the root is the right fold of the frontier (O(log n) hashes, computed on demand).

Any proof for any size n is a list of MTH(D[a:b]) over ranges that are either complete subtrees
or the ragged right edge of a tree; both are folds of at most log2(n) stored nodes. `*_plan`
functions name the nodes a proof needs, so storage can fetch them in one query, and `assemble`
builds the proof from them: O(log n) reads, no recomputation of the tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256

from nplhub.ledger.merkle import EMPTY_ROOT, HASH_SIZE, node_hash, split_point

NodeId = tuple[int, int]  # (level, index)
# One proof element: the nodes to fold, left to right, into MTH of one range.
Plan = list[list[NodeId]]


def decompose(start: int, end: int) -> list[NodeId]:
    """The complete subtrees covering [start, end), left to right, where `start` is aligned
    (a multiple of the largest power of two <= end - start, as every range of an RFC 9162 tree is)."""
    nodes: list[NodeId] = []
    size = end - start
    pos = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            if pos % (1 << level):
                raise ValueError(f"range [{start}, {end}) is not aligned at level {level}")
            nodes.append((level, pos >> level))
            pos += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its complete subtrees (largest first): a right fold."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


@dataclass(frozen=True)
class Frontier:
    """The complete subtrees of a tree of `size` leaves, largest first (one per set bit of size)."""

    size: int
    hashes: tuple[bytes, ...]

    @classmethod
    def empty(cls) -> Frontier:
        return cls(0, ())

    @classmethod
    def from_bytes(cls, size: int, blob: bytes) -> Frontier:
        count = bin(size).count("1")
        if len(blob) != count * HASH_SIZE:
            raise ValueError(f"a frontier of size {size} has {count} hashes, got {len(blob)} bytes")
        return cls(size, tuple(blob[i * HASH_SIZE:(i + 1) * HASH_SIZE] for i in range(count)))

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    def node_ids(self) -> list[NodeId]:
        return decompose(0, self.size)

    def root(self) -> bytes:
        return fold(self.hashes)

    def append(self, leaf_hashes: Iterable[bytes]) -> tuple[Frontier, list[tuple[int, int, bytes]]]:
        """Append leaf hashes; returns the new frontier and the interior nodes completed on the way,
        as (level, index, hash)."""
        stack = list(self.hashes)
        size = self.size
        new_nodes: list[tuple[int, int, bytes]] = []
        for h in leaf_hashes:
            size += 1
            level, carry = 0, size
            while not carry & 1:  # one merge per trailing zero bit of the new size, like a binary counter
                h = sha256(b"\x01" + stack.pop() + h).digest()
                level += 1
                carry >>= 1
                new_nodes.append((level, (size >> level) - 1, h))
            stack.append(h)
        return Frontier(size, tuple(stack)), new_nodes


def _range_plan(start: int, end: int) -> list[NodeId]:
    return decompose(start, end)


def inclusion_plan(index: int, tree_size: int) -> Plan:
    """The nodes of PATH(index, D[tree_size]), element by element (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} is outside a tree of {tree_size} leaves")
    plan: Plan = []
    start, end, m = 0, tree_size, index
    while end - start > 1:
        k = split_point(end - start)
        if m < k:
            plan.append(_range_plan(start + k, end))
            end = start + k
        else:
            plan.append(_range_plan(start, start + k))
            start, m = start + k, m - k
    plan.reverse()  # the path lists the siblings from the leaf upwards
    return plan


def consistency_plan(old_size: int, new_size: int) -> Plan:
    """The nodes of PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1)."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    plan: Plan = []
    start, end, m, complete = 0, new_size, old_size, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            plan.append(_range_plan(start + k, end))
            end = start + k
        else:
            plan.append(_range_plan(start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        plan.append(_range_plan(start, end))
    plan.reverse()
    return plan


def plan_nodes(plan: Plan) -> set[NodeId]:
    return {node for element in plan for node in element}


def assemble(plan: Plan, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """Build the proof from the stored node hashes the plan names."""
    return [fold([nodes[node] for node in element]) for element in plan]
