"""Flight fares and currency conversion: pure functions over the tables.

Both raise ``ValueError`` with the reference's words when they have no answer; a tool that
lets one escape is reported as ``"Error during execution: <message>"``, as in the reference.
"""

from __future__ import annotations

from worlds.travel.tables import CLASS_FACTORS, EXCHANGE_RATES, ROUTES

__all__ = ["flight_cost", "convert", "CLASS_CHOICES"]

_USD = "USD"

# How book_flight names the accepted classes. The reference prints a Python set here, whose
# order changes from process to process; this is one of its orders, fixed.
CLASS_CHOICES = "{" + ", ".join(repr(c) for c in sorted(CLASS_FACTORS)) + "}"


def flight_cost(travel_from: str, travel_to: str, travel_date: str, travel_class: str) -> float:
    """Base fare x class factor, doubled when the digits of the date add up to an even number."""
    base = ROUTES.get((travel_from, travel_to))
    if base is None:
        raise ValueError("No available route for the given airports.")
    factor = CLASS_FACTORS.get(travel_class)
    if factor is None:
        raise ValueError("Invalid travel class. Options are: economy, business, first.")
    digit_sum = sum(int(ch) for ch in travel_date if ch.isdigit())
    surcharge = 2 if digit_sum % 2 == 0 else 1
    return float(base * factor * surcharge)


def convert(base_currency: str, target_currency: str, value: float) -> float:
    """``value`` in ``base_currency`` expressed in ``target_currency``; one side must be USD.

    From USD the product is exact; into USD the quotient is rounded to cents, as in the reference.
    """
    if base_currency == _USD and target_currency in EXCHANGE_RATES:
        return float(value * EXCHANGE_RATES[target_currency])
    if target_currency == _USD and base_currency in EXCHANGE_RATES:
        return round(value / EXCHANGE_RATES[base_currency], 2)
    raise ValueError("No available exchange rate for the given currencies.")
