from __future__ import annotations

import pytest
from survey_helpers import ID_OK, USCC_OK

from govassess.forms.validators import (
    check_credit_code,
    check_id_card,
    check_org_code,
    check_phone,
    check_uscc,
    org_code_check_char,
)


def test_uscc_published_example_is_valid():
    assert check_uscc(USCC_OK) is None


def test_uscc_wrong_check_character():
    # Same 17 characters, last character changed: a single check character can only match one value.
    assert "校验码" in check_uscc("91110000600037341M")


def test_uscc_wrong_length_and_letters():
    assert "18位" in check_uscc("12345")
    # I, O, Z, S, V are not used by GB 32100.
    assert check_uscc("91110000600037341I") is not None


def test_org_code_embedded_in_published_uscc():
    # Positions 9–17 of 91110000600037341L are the organisation code 60003734-1.
    # By hand: 6*3 + 0*7 + 0*9 + 0*10 + 3*5 + 7*8 + 3*4 + 4*2 = 18+15+56+12+8 = 109; 109 mod 11 = 10; 11-10 = 1.
    assert org_code_check_char("60003734") == "1"
    assert check_org_code("60003734-1") is None
    assert check_org_code("600037341") is None
    assert "校验码" in check_org_code("60003734-2")


def test_org_code_letters_and_special_check_values():
    # D=13: 13*3 + 2*7 + 1*9 + 4*10 + 3*5 + 5*8 + 6*4 + 9*2 = 39+14+9+40+15+40+24+18 = 199;
    # 199 mod 11 = 1; 11-1 = 10 → written "X".
    assert org_code_check_char("D2143569") == "X"
    assert check_org_code("D2143569-X") is None
    # All zeros: sum 0, 11-0 = 11 → written "0".
    assert org_code_check_char("00000000") == "0"
    assert "8位" in check_org_code("1234-5")


def test_credit_code_accepts_either_code():
    assert check_credit_code(USCC_OK) is None
    assert check_credit_code("60003734-1") is None
    assert "18位" in check_credit_code("1234567")


def test_id_card_published_example():
    assert check_id_card(ID_OK) is None
    assert check_id_card("110105194912310021") is not None  # check character changed from X


@pytest.mark.parametrize(
    "number", ["13800138000", "+8613800138000", "0431-88888888-123", "0439-3222222", "010-62345678"]
)
def test_phone_valid(number):
    assert check_phone(number) is None


@pytest.mark.parametrize(
    "number", ["12345", "1380013800", "04318888888", "0431-888-1", "10-62345678", "0431—88888888"]
)
def test_phone_invalid(number):
    assert check_phone(number) is not None
