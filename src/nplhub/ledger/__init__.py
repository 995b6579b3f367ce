"""Audit ledger: an RFC 9162 Merkle log with signed checkpoints."""

from nplhub.ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

__all__ = ["consistency_proof", "inclusion_proof", "leaf_hash", "root_hash", "verify_consistency",
           "verify_inclusion"]
