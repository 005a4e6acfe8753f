"""Currencies, minor units and display (``payments.money``), against ISO 4217 and Stripe's rules."""

from __future__ import annotations

import iso4217
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadscalendar.payments import money
from leadscalendar.payments.money import (
    MoneyError,
    check_charge,
    currency,
    format_amount,
    format_money,
    format_price,
    parse_amount,
    supported_currencies,
)

ISO = {entry.code.lower(): entry.exponent for entry in iso4217.Currency}


@pytest.mark.parametrize(
    ("text", "code", "minor"),
    [
        ("90", "eur", 9000),
        ("90.00", "EUR", 9000),
        ("120,5", "eur", 12050),
        ("", "eur", 0),
        ("500", "jpy", 500),
        (" 0.99 ", "usd", 99),
        # Three-decimal: 5.125 KWD is 5125 thousandths, not 513 (or 512) "cents".
        ("5.12", "kwd", 5120),
        ("5.125", "kwd", 5125),
        # ISK is two-decimal in Stripe's API although ISO gives it none.
        ("5000", "isk", 500000),
        # MGA is zero-decimal at Stripe although ISO gives it two.
        ("5000", "mga", 5000),
    ],
)
def test_amounts_become_the_providers_minor_units(text: str, code: str, minor: int) -> None:
    assert parse_amount(text, code) == minor


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("ninety", "eur", "such as 90.00"),
        ("-1", "eur", "zero or more"),
        ("1.005", "eur", "2 decimal places"),
        ("500.5", "jpy", "no decimal places"),
        ("inf", "eur", "zero or more"),
        ("1.0005", "kwd", "3 decimal places"),
        ("5000.5", "isk", "no decimal places"),
        ("1e400", "eur", "at most"),
    ],
)
def test_bad_amounts_say_why(text: str, code: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        parse_amount(text, code)


def test_money_is_shown_in_major_units_with_the_code() -> None:
    assert format_money(9000, "eur") == "90.00 EUR"
    assert format_money(1905, "usd") == "19.05 USD"
    assert format_money(123456, "usd") == "1,234.56 USD"
    assert format_money(5000, "jpy") == "5,000 JPY"
    assert format_money(5120, "kwd") == "5.120 KWD"
    assert format_money(500000, "isk") == "5,000 ISK"
    assert format_price(0, "eur") == "Free"
    assert format_price(9000, "eur") == "90.00 EUR"


def test_a_price_field_shows_the_number_it_will_read_back() -> None:
    assert format_amount(9000, "eur") == "90.00"
    assert format_amount(5125, "kwd") == "5.125"
    assert format_amount(500000, "isk") == "5000"
    assert format_amount(5000, "jpy") == "5000"


def test_an_amount_in_a_currency_no_longer_accepted_is_still_shown() -> None:
    assert format_money(12345, "bgn") == "123.45 BGN"


@given(
    code=st.sampled_from([rules.code for rules in supported_currencies()]),
    units=st.integers(min_value=0, max_value=99_999),
)
def test_what_is_shown_reads_back_to_the_same_amount(code: str, units: int) -> None:
    minor = units * currency(code).step
    assert parse_amount(format_amount(minor, code), code) == minor


@pytest.mark.parametrize("code", ["xyz", "eu", "euro", "", "e1r", "bgn", "xau", "xts"])
def test_only_iso_4217_codes_stripe_charges_in_are_accepted(code: str) -> None:
    with pytest.raises(MoneyError, match="not a currency we can charge in"):
        currency(code)


def test_the_accepted_currencies_are_iso_4217_codes_stripe_lists() -> None:
    codes = {rules.code for rules in supported_currencies()}
    assert codes <= money.STRIPE_CURRENCIES
    assert codes <= set(ISO)
    # Withdrawn from ISO 4217 (Bulgaria joined the euro; the guilder became XCG).
    assert {"bgn", "ang"}.isdisjoint(codes)
    assert {"eur", "usd", "jpy", "kwd", "isk", "chf"} <= codes
    assert currency("EUR").name == "Euro"


def test_stripes_decimal_lists_differ_from_iso_only_where_stripe_documents_it() -> None:
    stripe_codes = {rules.code for rules in supported_currencies()}
    iso_zero = {code for code in stripe_codes if ISO[code] == 0}
    iso_three = {code for code in stripe_codes if ISO[code] == 3}
    assert iso_zero ^ money.STRIPE_ZERO_DECIMAL == {"isk", "mga"}
    assert iso_three == money.STRIPE_THREE_DECIMAL
    for rules in supported_currencies():
        if rules.code not in {"isk", "mga"}:
            assert rules.display_digits == ISO[rules.code], rules.code


@pytest.mark.parametrize(
    ("minor", "code", "message"),
    [
        (49, "usd", "smallest charge in USD is 0.50 USD"),
        (29, "gbp", "0.30 GBP"),
        (49, "jpy", "50 JPY"),
        (999, "mxn", "10.00 MXN"),
        (17499, "huf", "175.00 HUF"),
        (5125, "kwd", "multiples of 0.010, such as 5.120"),
        (500050, "isk", "whole amounts"),
        (100_000_000, "eur", "at most 999,999.99 EUR"),
        (-100, "eur", "negative"),
    ],
)
def test_prices_stripe_would_refuse_are_refused(minor: int, code: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        check_charge(minor, code)


@pytest.mark.parametrize(
    ("minor", "code"), [(0, "eur"), (50, "eur"), (30, "gbp"), (5120, "kwd"), (1, "kes")]
)
def test_prices_stripe_accepts_pass(minor: int, code: str) -> None:
    check_charge(minor, code)


def test_every_documented_minimum_is_for_a_listed_currency() -> None:
    assert set(money.STRIPE_MINIMUM_CHARGE) <= money.STRIPE_CURRENCIES
