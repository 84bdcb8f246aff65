"""Identifier validators: unified social credit codes (GB 32100-2015), permit numbers, resident IDs."""

import pytest
from django.core.exceptions import ValidationError

from shuiquan.registry.validators import (
    PERMIT_NUMBER_RE,
    credit_code_check_char,
    validate_credit_code,
    validate_gb2260,
    validate_permit_number,
    validate_resident_id,
)

# Published codes of real companies (public registration data): Huawei Technologies, Tencent.
REAL_CODES = ["914403001922038216", "91440300708461136T", "91110000802100433B", "91310000MA1FL1MMXL"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_are_valid(code):
    validate_credit_code(code)
    assert credit_code_check_char(code[:17]) == code[17]


def test_lowercase_and_surrounding_spaces_are_accepted():
    validate_credit_code(" 91440300708461136t ")


def test_the_demo_generator_makes_valid_codes():
    import random

    from shuiquan.registry.demo import credit_code

    rng = random.Random(1)
    for _ in range(200):
        validate_credit_code(credit_code(rng, "411325"))


@pytest.mark.parametrize("code", ["914403001922038217", "91440300708461136A", "91110000802100433C"])
def test_wrong_check_character(code):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == "credit_code_check"


@pytest.mark.parametrize("bad", ["I", "O", "Z", "S", "V"])
def test_letters_outside_the_31_character_set(bad):
    code = "9144030070846113" + bad + "T"
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == "credit_code_chars"


@pytest.mark.parametrize("code", ["", "91440300708461136", "91440300708461136TT", "9144-0300708461136"])
def test_wrong_length(code):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code in ("credit_code_length", "credit_code_chars")


@pytest.mark.parametrize("number", ["411325-2023-0012", "411300-2026-9999", "411381-2021-0001"])
def test_permit_numbers_valid(number):
    validate_permit_number(number)
    assert PERMIT_NUMBER_RE.match(number).group("code") == number[:6]


@pytest.mark.parametrize("number", ["411325-23-0012", "41132-2023-0012", "411325-2023-012", "411325/2023/0012",
                                    "取水(豫宛)字[2023]第0012号", "411325-2023-00120", "", "A11325-2023-0012"])
def test_permit_numbers_invalid(number):
    with pytest.raises(ValidationError) as exc:
        validate_permit_number(number)
    assert exc.value.code == "permit_number_format"


def test_gb2260():
    validate_gb2260("411325")
    with pytest.raises(ValidationError):
        validate_gb2260("41132")


@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x", "440524188001010014"])
def test_resident_ids_valid(number):
    validate_resident_id(number)


@pytest.mark.parametrize("number", ["110105194912310021", "11010519491231002", "1101051949123100XX", "A10105194912310021"])
def test_resident_ids_invalid(number):
    with pytest.raises(ValidationError):
        validate_resident_id(number)
