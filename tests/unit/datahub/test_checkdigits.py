"""Check digits of resident identity numbers (GB 11643) and unified social credit codes (GB 32100)."""

from __future__ import annotations

from nplhub.datahub.checkdigits import (
    is_valid_resident_id,
    is_valid_uscc,
    resident_check_char,
    uscc_check_char,
    valid_resident_ids,
    valid_usccs,
)


def test_the_standard_example_identity_number_is_valid_and_one_mistyped_digit_is_caught() -> None:
    assert is_valid_resident_id("11010519491231002X")  # the example printed in GB 11643-1999
    assert not is_valid_resident_id("11010519491231003X")
    assert not is_valid_resident_id("110105194912310021")


def test_a_published_credit_code_is_valid_and_a_changed_check_character_is_caught() -> None:
    assert is_valid_uscc("91350100M000100Y43")
    assert not is_valid_uscc("91350100M000100Y44")
    assert uscc_check_char("91350100M000100Y4") == "3"


def test_credit_codes_may_not_use_the_letters_i_o_z_s_v() -> None:
    assert not is_valid_uscc("91350100M000100I43")
    assert not is_valid_uscc("9135010OM000100Y43")


def test_the_vectorised_checks_agree_with_the_scalar_ones() -> None:
    ids = ["11010519491231002X", "110105194912310021", resident_check_char("44030619900101123") and
           "44030619900101123" + resident_check_char("44030619900101123")]
    assert valid_resident_ids(ids).tolist() == [True, False, True]
    codes = ["91350100M000100Y43", "91350100M000100Y44", "91320500MA1MXXXX0" + uscc_check_char("91320500MA1MXXXX0")]
    assert valid_usccs(codes).tolist() == [True, False, True]


def test_numbers_of_the_wrong_length_or_with_chinese_characters_are_invalid() -> None:
    assert valid_resident_ids(["1101051949123100"]).tolist() == [False]
    assert valid_usccs(["91350100M000100Y4中"]).tolist() == [False]


def test_an_identity_number_needs_a_real_province_and_birth_date_besides_its_check_character() -> None:
    assert not is_valid_resident_id("99010519491231002" + resident_check_char("99010519491231002"))
    assert not is_valid_resident_id("11010519490231002" + resident_check_char("11010519490231002"))  # 31 Feb
    assert is_valid_resident_id("11010520000229002" + resident_check_char("11010520000229002"))  # leap day


def test_arrow_columns_are_checked_in_place_with_the_same_answers() -> None:
    import pyarrow as pa

    codes = ["91350100M000100Y43", "91350100M000100Y44", "11010519491231002X", "11010519491231003X"]
    column = pa.array(["padding", *codes]).slice(1)  # a sliced array: offsets do not start at 0
    assert valid_usccs(column).tolist() == valid_usccs(codes).tolist() == [True, False, False, False]
    assert valid_resident_ids(column).tolist() == valid_resident_ids(codes).tolist() == [False, False, True, False]
