"""The standalone verifier accepts an honest bundle and rejects every altered one."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nplhub.ledger import merkle, verifier
from nplhub.ledger.canonical import entry_bytes
from nplhub.ledger.checkpoint import Checkpoint, NoteSigner

ORIGIN = "nplhub.test/ledger"
SIGNER = NoteSigner.generate(ORIGIN)


def make_bundle(index: int = 5, size: int = 11, signer: NoteSigner = SIGNER) -> dict:
    leaves = [entry_bytes(i, "2026-01-01T00:00:00.000000Z", {"type": "market.bid_placed", "n": i})
              for i in range(size)]
    root = merkle.root_hash(leaves)
    return {
        "format": verifier.BUNDLE_FORMAT,
        "leaf_index": index,
        "entry": json.loads(leaves[index]),
        "entry_b64": base64.b64encode(leaves[index]).decode(),
        "tree_size": size,
        "inclusion_proof": [base64.b64encode(p).decode() for p in merkle.inclusion_proof(index, leaves)],
        "checkpoint": Checkpoint(signer.name, size, root).sign(signer),
        "public_key": signer.verifier.encode(),
    }


def test_an_honest_bundle_verifies_for_every_entry_of_the_tree():
    for index in range(11):
        result = verifier.check_bundle(make_bundle(index))
        assert result["ok"], result["reason"]
        assert result["tree_size"] == 11 and result["leaf_index"] == index


def flip_entry(b):
    data = bytearray(base64.b64decode(b["entry_b64"]))
    data[-3] ^= 1
    b["entry_b64"] = base64.b64encode(bytes(data)).decode()


def flip_proof(b):
    data = bytearray(base64.b64decode(b["inclusion_proof"][1]))
    data[0] ^= 0x80
    b["inclusion_proof"][1] = base64.b64encode(bytes(data)).decode()


def other_index(b):
    b["leaf_index"] = 4


def grow_checkpoint(b):
    b["checkpoint"] = b["checkpoint"].replace("\n11\n", "\n12\n", 1)


def foreign_key(b):
    b["public_key"] = NoteSigner.generate(ORIGIN).verifier.encode()


def drop_proof_element(b):
    b["inclusion_proof"].pop()


def missing_field(b):
    del b["checkpoint"]


@pytest.mark.parametrize("tamper", [flip_entry, flip_proof, other_index, grow_checkpoint, foreign_key,
                                    drop_proof_element, missing_field])
def test_an_altered_bundle_is_rejected_with_a_reason(tamper):
    bundle = make_bundle()
    tamper(bundle)
    result = verifier.check_bundle(copy.deepcopy(bundle))
    assert not result["ok"]
    assert result["reason"]


def test_a_checkpoint_signed_under_another_origin_is_rejected():
    signer = NoteSigner.generate("someone.else/log")
    bundle = make_bundle(signer=signer)
    bundle["checkpoint"] = bundle["checkpoint"].replace("someone.else/log\n11", "nplhub.test/ledger\n11", 1)
    assert not verifier.check_bundle(bundle)["ok"]


def test_the_verifier_runs_as_a_plain_script_without_nplhub(tmp_path):
    bundle_file = tmp_path / "bundle.json"
    bundle_file.write_text(json.dumps(make_bundle()))
    script = tmp_path / "verifier.py"
    script.write_text(Path(verifier.__file__).read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(script), str(bundle_file)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: entry 5")


def make_consistency_bundle(old: int = 6, new: int = 11) -> dict:
    leaves = [entry_bytes(i, "2026-01-01T00:00:00.000000Z", {"type": "case.step", "n": i}) for i in range(new)]
    return {
        "format": verifier.CONSISTENCY_FORMAT,
        "consistency_proof": [base64.b64encode(p).decode() for p in merkle.consistency_proof(old, leaves)],
        "old_checkpoint": Checkpoint(ORIGIN, old, merkle.root_hash(leaves[:old])).sign(SIGNER),
        "checkpoint": Checkpoint(ORIGIN, new, merkle.root_hash(leaves)).sign(SIGNER),
        "public_key": SIGNER.verifier.encode(),
    }


@pytest.mark.parametrize(("old", "new"), [(1, 1), (1, 11), (4, 11), (6, 11), (8, 9), (11, 11)])
def test_a_consistency_bundle_shows_the_old_log_is_a_prefix_of_the_new(old, new):
    result = verifier.check_bundle(make_consistency_bundle(old, new))
    assert result["ok"], result["reason"]
    assert (result["old_tree_size"], result["tree_size"]) == (old, new)


def test_a_rewritten_history_fails_the_consistency_check():
    bundle = make_consistency_bundle()
    forged = [entry_bytes(i, "2026-01-01T00:00:00.000000Z", {"type": "case.step", "n": i + (i == 2)})
              for i in range(6)]
    bundle["old_checkpoint"] = Checkpoint(ORIGIN, 6, merkle.root_hash(forged)).sign(SIGNER)
    assert not verifier.check_bundle(bundle)["ok"]


def test_swapped_checkpoints_fail_the_consistency_check():
    bundle = make_consistency_bundle()
    bundle["old_checkpoint"], bundle["checkpoint"] = bundle["checkpoint"], bundle["old_checkpoint"]
    assert not verifier.check_bundle(bundle)["ok"]


def test_a_flipped_bit_in_a_consistency_proof_fails():
    bundle = make_consistency_bundle()
    flip_proof_element = bytearray(base64.b64decode(bundle["consistency_proof"][0]))
    flip_proof_element[5] ^= 4
    bundle["consistency_proof"][0] = base64.b64encode(bytes(flip_proof_element)).decode()
    assert not verifier.check_bundle(bundle)["ok"]


def test_the_standalone_consistency_check_agrees_with_the_reference_on_every_small_pair():
    leaves = [bytes([i]) for i in range(17)]
    for new in range(1, 18):
        for old in range(0, new + 1):
            old_root = merkle.root_hash(leaves[:old])
            proof = merkle.consistency_proof(old, leaves[:new]) if old else []
            assert verifier.consistent(old, new, old_root, merkle.root_hash(leaves[:new]), proof) == \
                merkle.verify_consistency(old, new, old_root, merkle.root_hash(leaves[:new]), proof)
