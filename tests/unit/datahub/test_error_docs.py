"""Every issue code the data hub can emit is documented in docs/tape-errors.md, and no other."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [p for p in (ROOT / "src/nplhub/datahub").glob("*.py") if p.name != "generate.py"] + [
    ROOT / "src/nplhub/services/datahub.py"]


def _emitted_codes() -> set[str]:
    codes: set[str] = set()
    for path in SOURCES:
        codes |= set(re.findall(r'"([A-Z][A-Z_]{4,})"', path.read_text(encoding="utf-8")))
    return codes


def test_every_issue_code_in_the_source_has_a_documented_example() -> None:
    documented = set(re.findall(r"^### ([A-Z_]+) \((?:error|warning)\)$",
                                (ROOT / "docs/tape-errors.md").read_text(encoding="utf-8"), re.M))
    emitted = _emitted_codes()
    assert emitted - documented == set()
    assert documented - emitted == set()


def test_the_field_reference_in_the_docs_is_the_schema() -> None:
    from nplhub.datahub.schema import schema_markdown

    assert schema_markdown().strip() in (ROOT / "docs/datahub.md").read_text(encoding="utf-8")
