"""The transparency-dev/merkle proof vectors (RFC 6962/9162), read from shared/ and never copied."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from tests.conftest import shared_path

from nplhub.ledger import merkle

VECTORS = shared_path("testdata", "merkle-vectors", "testdata")
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))


def b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def test_the_vector_folders_hold_every_case():
    assert len(INCLUSION) + len(CONSISTENCY) == 196
    assert any(json.loads(p.read_text())["wantErr"] for p in INCLUSION)
    assert any(not json.loads(p.read_text())["wantErr"] for p in CONSISTENCY)


@pytest.mark.parametrize("path", INCLUSION, ids=case_id)
def test_inclusion_vector_gets_the_expected_answer(path: Path):
    case = json.loads(path.read_text())
    proof = [b64(p) for p in case["proof"] or []]
    accepted = merkle.verify_inclusion(case["leafIdx"], case["treeSize"], b64(case["leafHash"]), proof,
                                       b64(case["root"]))
    assert accepted is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("path", CONSISTENCY, ids=case_id)
def test_consistency_vector_gets_the_expected_answer(path: Path):
    case = json.loads(path.read_text())
    proof = [b64(p) for p in case["proof"] or []]
    accepted = merkle.verify_consistency(case["size1"], case["size2"], b64(case["root1"]), b64(case["root2"]),
                                         proof)
    assert accepted is not case["wantErr"], case["desc"]
