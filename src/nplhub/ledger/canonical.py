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
import json
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


_MAX_SAFE_INTEGER = 2**53 - 1
_NOT_PLAIN, _PERSONAL = 1, 2
# The C JSON encoder gives RFC 8785 bytes for "plain" values (below): keys sorted by code point equal
# keys sorted by UTF-16 unit below U+D800; strings are escaped alike (quote, backslash, controls as
# short escapes or lowercase u00xx); integers within +-(2**53 - 1) print alike. Anything else (floats, larger
# integers, characters from U+D800 up) goes through `rfc8785`, the reference. A property test
# holds the two equal on arbitrary JSON values.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _plain_text(text: str) -> bool:
    return text.isascii() or max(text) < "\ud800"


def _scan(value: Any) -> int:
    """Flags: _NOT_PLAIN if the fast encoder may differ from RFC 8785, _PERSONAL if a personal field is set."""
    kind = type(value)
    if kind is str:
        return 0 if _plain_text(value) else _NOT_PLAIN
    if kind is dict:
        flags = 0
        for key, item in value.items():
            if type(key) is not str or not _plain_text(key):
                flags |= _NOT_PLAIN
            elif item is not None and key.lower() in PERSONAL_FIELDS and not _is_masked(item):
                flags |= _PERSONAL
            flags |= _scan(item)
        return flags
    if kind is list or kind is tuple:
        flags = 0
        for item in value:
            flags |= _scan(item)
        return flags
    if kind is int:
        return 0 if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER else _NOT_PLAIN
    return 0 if value is None or kind is bool else _NOT_PLAIN


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
    if not _scan(value) & _NOT_PLAIN:
        return _ENCODER.encode(value).encode("utf-8")
    return _reference_bytes(value)


def _reference_bytes(value: Any) -> bytes:
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


def record_bytes(record: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an event record, personal fields hashed: what waits in the queue."""
    if _scan(record) & _PERSONAL:
        record = mask_personal_data(record)
    return canonical_bytes(record)


def entry_from_record(index: int, recorded_at: str, record: bytes) -> bytes:
    """The entry's canonical bytes from the record's canonical bytes, by splicing: the keys "event" <
    "index" < "recorded_at" are already in RFC 8785 order, an RFC 8785 value stays canonical inside
    another, and the index and timestamp are canonicalised here."""
    if type(index) is int and 0 <= index <= _MAX_SAFE_INTEGER:
        index_bytes = str(index).encode()
    else:
        index_bytes = canonical_bytes(index)
    if recorded_at.isascii() and recorded_at.isprintable() and '"' not in recorded_at and "\\" not in recorded_at:
        stamp_bytes = b'"' + recorded_at.encode() + b'"'
    else:
        stamp_bytes = canonical_bytes(recorded_at)
    return b"".join((b'{"event":', record, b',"index":', index_bytes, b',"recorded_at":', stamp_bytes, b"}"))


def entry_bytes(index: int, recorded_at: str, record: Mapping[str, Any]) -> bytes:
    """The canonical bytes of the entry at leaf `index` (the leaf's data d)."""
    if _scan(record) & _PERSONAL:
        record = mask_personal_data(record)
    return canonical_bytes({"event": record, "index": index, "recorded_at": recorded_at})
