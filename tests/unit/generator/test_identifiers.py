"""Identity numbers and credit codes carry valid check digits (GB 11643, GB 32100)."""

from __future__ import annotations

import numpy as np

from nplhub.datahub.generator.identifiers import (
    credit_codes,
    is_valid_credit_code,
    is_valid_resident_id,
    resident_ids,
)


def test_published_examples_validate():
    # GB 11643 example number and a GB 32100 example code as printed in the standards' guides
    assert is_valid_resident_id("11010519491231002X")
    assert is_valid_credit_code("91350100M000100Y43")


def test_a_changed_digit_breaks_the_check():
    assert not is_valid_resident_id("11010519491231003X")
    assert not is_valid_credit_code("91350100M000100Y44")


def test_generated_resident_ids_carry_region_birth_date_sex_and_check_digit():
    rng = np.random.default_rng(3)
    region = np.array(["320500"] * 200)
    birth = np.array(["1980-02-29"] * 100 + ["1999-12-31"] * 100, dtype="datetime64[D]")
    male = np.arange(200) % 2 == 0
    ids = resident_ids(rng, region, birth, male)
    assert all(is_valid_resident_id(x) for x in ids)
    assert all(x.startswith("320500") for x in ids)
    assert ids[0][6:14] == "19800229" and ids[150][6:14] == "19991231"
    assert all((int(x[16]) % 2 == 1) == m for x, m in zip(ids, male))


def test_generated_credit_codes_validate_including_the_organisation_code_check():
    rng = np.random.default_rng(4)
    codes = credit_codes(rng, np.array(["440300"] * 500), np.ones(500, dtype=np.int64))
    assert all(is_valid_credit_code(c) for c in codes)
    for c in codes[:50]:
        org = c[8:17]
        weights = [3, 7, 9, 10, 5, 8, 4, 2]
        check = (11 - sum(int(d) * w for d, w in zip(org[:8], weights)) % 11) % 11
        assert org[8] == ("X" if check == 10 else str(check))
        assert c[2:8] == "440300"
