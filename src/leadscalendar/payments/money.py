"""Money: which currencies a price may be in, minor units, and how amounts are shown.

One place for every currency rule, so the booking type form, the host API,
the checkout and the pages cannot disagree on what ``9000`` means.

Two sources, kept apart on purpose:

* ISO 4217 (the ``iso4217`` data package, which tracks ISO's published table):
  which codes are currencies at all, their names and their minor units.
* Stripe's documented rules (docs.stripe.com/currencies), which are the
  provider's and cannot come from ISO: the presentment currencies Stripe
  charges in, the currencies its API counts differently from ISO, and the
  minimum charge per currency.

A code is usable only if both agree it exists, so a withdrawn ISO code that
Stripe still lists (or a typo) is refused with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

import iso4217

from leadscalendar.errors import LeadsCalendarError


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Stripe's presentment currencies ("Supported presentment currencies").
STRIPE_CURRENCIES = _codes(
    """
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob
    brl bsd bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb
    eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod
    jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt
    mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln
    pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd szl thb tjs tnd top
    try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw
    """
)
# "Zero-decimal currencies": the API amount is the whole amount (500 JPY is 500).
STRIPE_ZERO_DECIMAL = _codes("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf")
# "Three-decimal currencies": amounts in thousandths whose last digit must be 0.
STRIPE_THREE_DECIMAL = _codes("bhd jod kwd omr tnd")
# "Special cases": ISK stays two-decimal in the API but charges whole krónur only.
STRIPE_WHOLE_UNITS_ONLY = frozenset({"isk"})
# "Minimum and maximum charge amounts", in the currency's API minor units. Stripe also
# requires the equivalent of 0.50 USD in the settlement currency, which depends on the
# day's exchange rate and the host's account: Stripe itself refuses those at checkout.
STRIPE_MINIMUM_CHARGE = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}
# Stripe's largest amount for a charge: eight digits of minor units.
MAX_AMOUNT_MINOR = 99_999_999


class MoneyError(LeadsCalendarError, ValueError):
    """A currency or amount we cannot charge; a ``ValueError`` too, so forms and
    pydantic validators report it beside the field that caused it."""

    status_code = 400


@dataclass(frozen=True)
class Currency:
    """How one currency is counted by the payment provider and shown to people."""

    code: str  # lowercase, as Stripe wants it
    name: str
    # Digits of the minor unit in API amounts: 2 for EUR (cents), 0 for JPY, 3 for KWD.
    exponent: int
    # API amounts must be a multiple of this: 10 for KWD, 100 for ISK, else 1.
    step: int
    # Stripe's documented minimum in minor units; None when Stripe documents none.
    minimum_minor: int | None

    @property
    def display_digits(self) -> int:
        """Decimals people see: the API's, less those that can only be zero (ISK)."""
        return self.exponent - (2 if self.step == 100 else 0)


@cache
def _iso_table() -> dict[str, tuple[str, int | None]]:
    return {entry.code.lower(): (entry.currency_name, entry.exponent) for entry in iso4217.Currency}


def _rules(code: str) -> Currency | None:
    # ISO's own minor units are not used here: Stripe's API counts MGA in whole units
    # and ISK in hundredths, against ISO; the tests cross-check the lists with ISO.
    iso = _iso_table().get(code)
    if iso is None or code not in STRIPE_CURRENCIES:
        return None
    name = iso[0]
    if code in STRIPE_ZERO_DECIMAL:
        exponent, step = 0, 1
    elif code in STRIPE_THREE_DECIMAL:
        exponent, step = 3, 10
    elif code in STRIPE_WHOLE_UNITS_ONLY:
        exponent, step = 2, 100
    else:
        # Everything else is two-decimal in Stripe's API, whatever ISO says.
        exponent, step = 2, 1
    return Currency(code, name, exponent, step, STRIPE_MINIMUM_CHARGE.get(code))


@cache
def supported_currencies() -> tuple[Currency, ...]:
    """Every currency a price may be in, sorted by code."""
    found = (_rules(code) for code in sorted(STRIPE_CURRENCIES))
    return tuple(currency for currency in found if currency is not None)


@cache
def _by_code() -> dict[str, Currency]:
    return {currency.code: currency for currency in supported_currencies()}


def currency(code: str) -> Currency:
    """The rules of ``code`` (any case), or ``MoneyError`` if we cannot charge in it."""
    found = _by_code().get(code.strip().lower()) if isinstance(code, str) else None
    if found is None:
        raise MoneyError(
            f"{str(code).strip().upper()[:8] or 'That'} is not a currency we can charge in; "
            "use a three-letter ISO 4217 code such as EUR, USD or JPY."
        )
    return found


def is_supported(code: str) -> bool:
    return code.lower() in _by_code()


def check_charge(amount_minor: int, code: str) -> None:
    """Refuse a price the provider would refuse: off its step, below its minimum, too large.

    Zero is allowed: it makes a booking type free and never reaches the provider.
    """
    rules = currency(code)
    if amount_minor == 0:
        return
    if amount_minor < 0:
        raise MoneyError("A price cannot be negative.")
    if amount_minor > MAX_AMOUNT_MINOR:
        raise MoneyError(f"A price can be at most {format_money(MAX_AMOUNT_MINOR, code)}.")
    if amount_minor % rules.step:
        unit = (
            "whole amounts"
            if rules.display_digits == 0
            else f"multiples of {format_amount(rules.step, code)}"
        )
        raise MoneyError(
            f"{rules.code.upper()} prices must be {unit}, such as "
            f"{format_amount(amount_minor - amount_minor % rules.step, code)}."
        )
    if rules.minimum_minor is not None and amount_minor < rules.minimum_minor:
        raise MoneyError(
            "The payment provider's smallest charge in "
            f"{rules.code.upper()} is {format_money(rules.minimum_minor, code)}."
        )


def to_decimal(amount_minor: int, code: str) -> Decimal:
    """``9000, "eur"`` -> ``Decimal("90.00")``; ``5120, "kwd"`` -> ``Decimal("5.120")``."""
    return Decimal(amount_minor).scaleb(-currency(code).exponent)


def parse_amount(text: str, code: str) -> int:
    """``"90"``, ``"90.00"`` or ``"90,5"`` in ``code`` -> minor units; blank is 0.

    Raises ``MoneyError`` for text that is not an amount, or one with more
    decimals than the currency has (a 3-decimal KWD price keeps all three).
    """
    rules = currency(code)
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return 0
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError("Enter an amount such as 90.00.") from None
    if not value.is_finite() or value < 0:
        raise MoneyError("Enter an amount of zero or more.")
    shown = value.scaleb(rules.display_digits)
    if shown != shown.to_integral_value():
        raise MoneyError(_decimals_message(rules))
    if value.adjusted() > 12:
        raise MoneyError(f"A price can be at most {format_money(MAX_AMOUNT_MINOR, code)}.")
    return int(value.scaleb(rules.exponent))


def _decimals_message(rules: Currency) -> str:
    code = rules.code.upper()
    if rules.display_digits == 0:
        return f"{code} has no decimal places."
    return f"{code} has {rules.display_digits} decimal places."


def _shown(code: str) -> Currency:
    """The rules for display: a stored amount in a currency we no longer accept (or
    a provider's odd event) is still shown, as two-decimal, rather than breaking a page."""
    found = _by_code().get(code.lower())
    return found or Currency(code.lower(), code.upper(), 2, 1, None)


def format_amount(amount_minor: int, code: str) -> str:
    """The number alone, as a price field shows it: ``"90.00"``, ``"5000"``, ``"5.120"``."""
    rules = _shown(code)
    value = Decimal(amount_minor).scaleb(-rules.exponent)
    return f"{value:.{rules.display_digits}f}"


def format_money(amount_minor: int, code: str) -> str:
    """For people: ``"1,234.56 USD"``, ``"5,000 JPY"``, ``"5.120 KWD"``."""
    rules = _shown(code)
    value = Decimal(amount_minor).scaleb(-rules.exponent)
    return f"{value:,.{rules.display_digits}f} {rules.code.upper()}"


def format_price(amount_minor: int, code: str) -> str:
    """A booking's price as a lead reads it: ``"Free"`` or ``format_money``."""
    if amount_minor <= 0:
        return "Free"
    return format_money(amount_minor, code)
