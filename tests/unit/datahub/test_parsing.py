"""Vectorised cell parsers: every spelling the contract allows, and nothing else."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from nplhub.datahub import parsing
from nplhub.datahub.mapping import code_lookup
from nplhub.datahub.schema import TABLES


def _text(values: list[str | None]) -> pa.Array:
    return parsing.clean_text(pa.array(values, pa.string()))


def test_dates_are_read_in_iso_slashed_compact_and_excel_serial_forms() -> None:
    serial = str((date(2024, 6, 30) - date(1899, 12, 30)).days)
    values, bad = parsing.parse_date(_text(["2024-06-30", "2024/6/30", "20240630", serial, "2024-06-30 00:00:00",
                                            "2024年6月30日"]))
    assert values.to_pylist() == [date(2024, 6, 30)] * 6
    assert not bad.any()


def test_impossible_dates_and_other_text_are_rejected() -> None:
    values, bad = parsing.parse_date(_text(["2024-02-30", "2023-02-29", "31/12/2024", "soon", None, "0024-01-01"]))
    assert bad.tolist() == [True, True, True, True, False, True]
    assert values.to_pylist()[4] is None


def test_money_accepts_thousands_separators_and_yuan_signs_but_not_fractions_of_a_fen() -> None:
    values, bad, imprecise = parsing.parse_decimal(_text(["1,234.56", "¥1234.5", "100元", "12.345", "abc", "7.100"]), 2)
    assert values.to_pylist()[:3] == [1234.56, 1234.5, 100.0]
    assert bad.tolist() == [False, False, False, False, True, False]
    assert imprecise.tolist() == [False, False, False, True, False, False]


def test_rates_are_decimals_or_percent_strings() -> None:
    values, bad = parsing.parse_rate(_text(["0.0435", "4.35%", "x%"]))
    assert values.to_pylist()[:2] == [0.0435, 0.0435]
    assert bad.tolist() == [False, False, True]


def test_five_category_classes_accept_english_chinese_and_numbers() -> None:
    lookup = code_lookup(TABLES["loans"].spec("reported_class"))
    values, bad = parsing.parse_code(_text(["次级", "substandard", "3", "次级类", "Substandard", "bad"]), lookup)
    assert values.to_pylist()[:5] == ["substandard"] * 5
    assert bad.tolist() == [False] * 5 + [True]


def test_enumerations_accept_the_chinese_terms_of_the_domain() -> None:
    lookup = code_lookup(TABLES["collateral"].spec("collateral_type"))
    values, bad = parsing.parse_code(_text(["住宅", "厂房", "land_use_right", "房子"]), lookup)
    assert values.to_pylist()[:3] == ["residential", "industrial", "land_use_right"]
    assert bad.tolist() == [False, False, False, True]


def test_regions_must_be_six_digits_under_a_real_province() -> None:
    values, bad = parsing.parse_region(_text(["110105", "320500", "990000", "1101", "abcdef"]))
    assert values.to_pylist()[:2] == ["110105", "320500"]
    assert bad.tolist() == [False, False, True, True, True]


def test_flags_accept_english_and_chinese_words() -> None:
    values, bad = parsing.parse_bool(_text(["true", "是", "0", "N", "maybe"]))
    assert values.to_pylist()[:4] == [True, True, False, False]
    assert bad.tolist() == [False, False, False, False, True]


def test_months_accept_year_month_and_compact_forms() -> None:
    values, bad = parsing.parse_month(_text(["2024-06", "202406", "2024/6", "2024-13"]))
    assert values.to_pylist()[:3] == ["2024-06"] * 3
    assert bad.tolist() == [False, False, False, True]
