"""Ledger entries as canonical bytes: RFC 8785 (JSON Canonicalization Scheme) via `rfc8785`.

An entry is the JSON object

    {"event": <the event's record>, "index": <leaf index>, "recorded_at": "<UTC ISO 8601>"}

canonicalised, so the same entry always has the same bytes and the same leaf hash, whoever
serialises it. The entry names its own leaf index, so a row moved to another position (a reorder
or a deletion with renumbering) no longer matches its place in the log.

Personal data never enters a leaf in clear: events are meant to carry none (see
`nplhub.domain.events`), and as a second line of defence any field whose name is a known personal
field (names, identity numbers, phones, addresses...) is replaced by `"sha256:<hex>"` of its value
before canonicalisation. The hash is a reference, not encryption: low-entropy values such as
identity numbers can be guessed, which is why events should reference records by id instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import rfc8785

PERSONAL_FIELDS = frozenset({
    "name", "full_name", "borrower_name", "guarantor_name", "counterparty_name", "contact_name",
    "id_number", "id_card", "identity_number", "passport_number",
    "phone", "mobile", "telephone", "email", "address", "home_address",
    "bank_account", "account_number",
})


class CanonicalisationError(ValueError):
    """A record cannot be written as RFC 8785 JSON (NaN, infinity, a non-JSON type...)."""


def mask_personal_data(value: Any) -> Any:
    """A copy of `value` in which every personal field holds the SHA-256 of its value instead."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if str(key).lower() in PERSONAL_FIELDS and item is not None and not _is_masked(item):
                out[str(key)] = "sha256:" + hashlib.sha256(str(item).encode("utf-8")).hexdigest()
            else:
                out[str(key)] = mask_personal_data(item)
        return out
    if isinstance(value, list | tuple):
        return [mask_personal_data(v) for v in value]
    return value


def _is_masked(item: Any) -> bool:
    return isinstance(item, str) and item.startswith("sha256:") and len(item) == 71


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON-ready value."""
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalisationError(f"cannot canonicalise ledger record: {exc}") from exc


def timestamp(moment: datetime | None = None) -> str:
    """UTC, ISO 8601 with microseconds and a Z: the form every entry uses."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_bytes(index: int, recorded_at: str, record: Mapping[str, Any]) -> bytes:
    """The canonical bytes of the entry at leaf `index` (the leaf's data d)."""
    return canonical_bytes({"event": mask_personal_data(record), "index": index, "recorded_at": recorded_at})
