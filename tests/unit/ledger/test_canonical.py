"""Entries are RFC 8785 bytes, with personal fields hashed before they reach a leaf."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785

from nplhub.ledger.canonical import CanonicalisationError, canonical_bytes, entry_bytes, timestamp


def test_keys_are_sorted_by_utf16_code_units_as_rfc8785_section_3_2_3_shows():
    record = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"}
    keys = list(json.loads(canonical_bytes(record)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_numbers_print_as_ecmascript_does():
    assert canonical_bytes([1.0, 1e21, 1e-7, -0.0, 333333333.33333329]) == b"[1,1e+21,1e-7,0,333333333.3333333]"


def test_the_common_plain_record_gives_the_same_bytes_as_the_reference_package():
    record = {"type": "market.bid_placed", "subject": "LOT-1", "data": {"amount": "1000.00", "n": 3,
              "ok": True, "none": None, "text": "出价 \"quoted\"\n\t\u0001"}}
    assert canonical_bytes(record) == rfc8785.dumps(record)


def test_an_entry_names_its_index_and_time_and_hashes_personal_fields():
    data = entry_bytes(7, "2026-01-02T03:04:05.000006Z",
                       {"type": "tape.imported", "borrower": {"name": "张三", "id_number": "110101199001011234"}})
    entry = json.loads(data)
    assert entry["index"] == 7 and entry["recorded_at"] == "2026-01-02T03:04:05.000006Z"
    assert "张三" not in data.decode() and "110101199001011234" not in data.decode()
    assert entry["event"]["borrower"]["name"].startswith("sha256:")


def test_a_value_json_cannot_hold_is_refused_with_the_reason():
    with pytest.raises(CanonicalisationError, match="cannot canonicalise"):
        canonical_bytes({"amount": float("nan")})
    with pytest.raises(CanonicalisationError):
        canonical_bytes({"when": datetime(2026, 1, 1, tzinfo=UTC)})


def test_timestamps_are_utc_with_microseconds_and_naive_times_are_refused():
    moment = datetime(2026, 1, 2, 11, 4, 5, 6, tzinfo=timezone(timedelta(hours=8)))
    assert timestamp(moment) == "2026-01-02T03:04:05.000006Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        timestamp(datetime(2026, 1, 2))
