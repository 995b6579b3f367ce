"""RFC 9162 §2.1 tree: the RFC 6962 test constants of transparency-dev/merkle, byte for byte."""

from __future__ import annotations

import pytest

from nplhub.ledger import merkle

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def abbreviated(hashes: list[bytes]) -> list[tuple[str, str]]:
    return [(h.hex()[:8], h.hex()[-8:]) for h in hashes]


@pytest.mark.parametrize("size", range(9))
def test_root_of_the_first_leaves_matches_the_rfc6962_constant(size):
    assert merkle.root_hash(LEAVES[:size]).hex() == ROOTS[size]


def test_leaf_and_node_hashes_match_the_rfc6962_hasher_values():
    assert merkle.leaf_hash(b"").hex().startswith("6e340b9c")
    assert merkle.leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert merkle.node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")


def test_audit_paths_match_the_published_samples():
    assert abbreviated(merkle.inclusion_proof(0, LEAVES)) == [
        ("96a296d2", "0a09cfc7"), ("5f083f0a", "0de3031e"), ("6b47aaf2", "a39bf6e4")]
    assert abbreviated(merkle.inclusion_proof(5, LEAVES)) == [
        ("bc1a0643", "88599e6b"), ("ca854ea1", "975a0ae0"), ("d37ee418", "209614b7")]
    assert abbreviated(merkle.inclusion_proof(2, LEAVES[:3])) == [("fac54203", "00e3c125")]


def test_consistency_proofs_match_the_published_samples():
    assert abbreviated(merkle.consistency_proof(6, LEAVES)) == [
        ("0ebc5d34", "c558ef6a"), ("ca854ea1", "975a0ae0"), ("d37ee418", "209614b7")]
    assert abbreviated(merkle.consistency_proof(6, LEAVES[:7])) == [
        ("0ebc5d34", "c558ef6a"), ("b08693ec", "6ffb1a5f"), ("d37ee418", "209614b7")]
    assert [h.hex()[:8] for h in merkle.consistency_proof(2, LEAVES[:5])] == ["5f083f0a", "bc1a0643"]


def test_every_sample_proof_verifies_against_the_published_root():
    for size in range(1, 9):
        root = bytes.fromhex(ROOTS[size])
        for index in range(size):
            proof = merkle.inclusion_proof(index, LEAVES[:size])
            assert merkle.verify_inclusion(index, size, merkle.leaf_hash(LEAVES[index]), proof, root)
        for old in range(1, size + 1):
            proof = merkle.consistency_proof(old, LEAVES[:size])
            assert merkle.verify_consistency(old, size, bytes.fromhex(ROOTS[old]), root, proof)


def test_a_proof_from_an_empty_tree_is_refused_even_to_an_empty_tree():
    empty = bytes.fromhex(ROOTS[0])
    assert not merkle.verify_consistency(0, 0, empty, empty, [])
    assert not merkle.verify_consistency(0, 3, empty, bytes.fromhex(ROOTS[3]), [])


def test_an_index_outside_the_tree_is_rejected_with_a_clear_error():
    with pytest.raises(ValueError, match="outside a tree of 8"):
        merkle.inclusion_proof(8, LEAVES)
    with pytest.raises(ValueError, match="need 0 < old <= new"):
        merkle.consistency_proof(9, LEAVES)
    assert not merkle.verify_inclusion(8, 8, merkle.leaf_hash(b""), [], bytes.fromhex(ROOTS[8]))


def test_hashes_of_the_wrong_length_never_verify():
    root = bytes.fromhex(ROOTS[8])
    proof = merkle.inclusion_proof(0, LEAVES)
    assert not merkle.verify_inclusion(0, 8, merkle.leaf_hash(LEAVES[0]) + b"\x00", proof, root)
    assert not merkle.verify_inclusion(0, 8, merkle.leaf_hash(LEAVES[0]), [proof[0][:31], *proof[1:]], root)
