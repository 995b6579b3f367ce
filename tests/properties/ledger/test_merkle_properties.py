"""Every proof verifies for all m <= n <= 256, and any flipped bit makes it fail."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from nplhub.ledger import merkle
from nplhub.ledger.canonical import canonical_bytes
from nplhub.ledger.log import Frontier, assemble, consistency_plan, inclusion_plan

LEAVES = [f"leaf {i}".encode() for i in range(256)]
HASHES = [merkle.leaf_hash(d) for d in LEAVES]


def _stored_tree() -> dict[tuple[int, int], bytes]:
    frontier, nodes = Frontier.empty().append(HASHES)
    store = {(0, i): h for i, h in enumerate(HASHES)}
    store.update({(lv, ix): h for lv, ix, h in nodes})
    return store


STORE = _stored_tree()
ROOTS = [merkle.root_hash(LEAVES[:n]) for n in range(257)]


@st.composite
def sizes(draw):
    n = draw(st.integers(1, 256))
    m = draw(st.integers(1, n))
    return m, n


def flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[bit // 8 % len(data)] ^= 1 << bit % 8
    return bytes(data)


@settings(max_examples=150, deadline=None)
@given(sizes(), st.integers(0, 255), st.data())
def test_an_inclusion_proof_verifies_and_any_flipped_bit_breaks_it(mn, bit, data):
    _, n = mn
    index = data.draw(st.integers(0, n - 1))
    proof = merkle.inclusion_proof(index, LEAVES[:n])
    assert assemble(inclusion_plan(index, n), STORE) == proof
    assert merkle.verify_inclusion(index, n, HASHES[index], proof, ROOTS[n])
    assert not merkle.verify_inclusion(index, n, flip(HASHES[index], bit), proof, ROOTS[n])
    assert not merkle.verify_inclusion(index, n, HASHES[index], proof, flip(ROOTS[n], bit))
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        broken = [*proof[:which], flip(proof[which], bit), *proof[which + 1:]]
        assert not merkle.verify_inclusion(index, n, HASHES[index], broken, ROOTS[n])


@settings(max_examples=150, deadline=None)
@given(sizes(), st.integers(0, 255), st.data())
def test_a_consistency_proof_verifies_and_any_flipped_bit_breaks_it(mn, bit, data):
    m, n = mn
    proof = merkle.consistency_proof(m, LEAVES[:n])
    assert assemble(consistency_plan(m, n), STORE) == proof
    assert merkle.verify_consistency(m, n, ROOTS[m], ROOTS[n], proof)
    assert not merkle.verify_consistency(m, n, flip(ROOTS[m], bit), ROOTS[n], proof)
    assert not merkle.verify_consistency(m, n, ROOTS[m], flip(ROOTS[n], bit), proof)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        broken = [*proof[:which], flip(proof[which], bit), *proof[which + 1:]]
        assert not merkle.verify_consistency(m, n, ROOTS[m], ROOTS[n], broken)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_appending_in_any_batches_gives_the_reference_root(n, batches):
    leaves = [i.to_bytes(2, "big") for i in range(n)]
    frontier, start = Frontier.empty(), 0
    for size in batches * (n // sum(batches) + 1):
        frontier, _ = frontier.append(merkle.leaf_hash(d) for d in leaves[start:start + size])
        start += size
        if start >= n:
            break
    assert frontier.size == n and frontier.root() == merkle.root_hash(leaves)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_the_fast_canonical_encoder_agrees_with_the_rfc8785_reference(value):
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return
    assert canonical_bytes(value) == expected


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=6), JSON, max_size=5), st.integers(0, 2**40))
def test_an_entry_spliced_from_a_queued_record_equals_the_canonical_entry(record, index):
    from nplhub.ledger.canonical import CanonicalisationError, entry_bytes, entry_from_record, record_bytes

    try:
        expected = entry_bytes(index, "2026-01-01T00:00:00.000000Z", record)
    except (CanonicalisationError, UnicodeEncodeError):
        return
    assert entry_from_record(index, "2026-01-01T00:00:00.000000Z", record_bytes(record)) == expected
