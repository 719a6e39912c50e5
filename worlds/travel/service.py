"""TravelAPI: book flights on registered credit cards, behind an access token.

Behaviour, result shapes and messages follow the BFCL reference backend (``travel_booking``).
``authenticate_travel`` hands out the token; most tools then want it back verbatim. Ids
(token, card id, booking and transaction ids, insurance id) and a new card's balance are
drawn from the instance's own seeded generator, in call order, because the gold paths quote
them. Fares and exchange rates live in ``fares.py``; the lookups in ``tables.yaml``.

The reference's checks are kept in its order and with its gaps: a ``None`` token passes
where only an expired one (``0``) is refused, a card number is compared with card *ids*, and
the budget limit is compared with the card's balance, not the fare.
"""

from __future__ import annotations

import copy
import functools
import random
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from simtool.service import Service, ServiceContext, plain_copy
from worlds.travel.fares import CLASS_CHOICES, convert, flight_cost
from worlds.travel.tables import (
    AGE_REFERENCE_DATE,
    AIRPORTS,
    BUDGET_FISCAL_YEAR,
    CLASS_FACTORS,
    DEFAULT_SEED,
    MINIMUM_AGE,
    NEAREST_AIRPORT,
)

__all__ = ["TravelAPI"]

_TOKEN_LIFETIME = 2  # what the reference reports as expires_in; it never counts down
_SUPPORT_REPLY = (
    "Thank you for contacting customer support. Your message has been received and we will get back to you shortly."
)
# Scenario keys read as they are, with their defaults.
_FIELDS: dict[str, Any] = {
    "credit_card_list": {},
    "booking_record": {},
    "access_token": None,
    "token_type": None,
    "token_expires_in": None,
    "token_scope": None,
    "user_first_name": None,
    "user_last_name": None,
    "budget_limit": None,
}


def _age_on(day: date, born: datetime) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))



@functools.lru_cache(maxsize=4096)
def _parsed_day(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return None


def _day(text: Any) -> datetime:
    """``datetime.strptime(text, "%Y-%m-%d")``, the same value or error, parsed once per text
    (``strptime`` is slow and a run checks the same few dates over and over)."""
    if type(text) is not str:
        return datetime.strptime(text, "%Y-%m-%d")  # its own TypeError, as the reference's
    day = _parsed_day(text)
    if day is None:
        return datetime.strptime(text, "%Y-%m-%d")  # raises the ValueError again, with its message
    return day

class TravelAPI(Service):
    """Cards by id (``credit_card_list``), bookings by id (``booking_record``), the token and the budget."""

    name = "TravelAPI"
    domain = "travel"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)
        self.credit_card_list: dict[str, dict[str, Any]] = {}
        self.booking_record: dict[str, dict[str, Any]] = {}
        self.access_token: str | None = None
        self.token_type: str | None = None
        self.token_expires_in: int | None = None
        self.token_scope: str | None = None
        self.user_first_name: str | None = None
        self.user_last_name: str | None = None
        self.budget_limit: float | None = None
        # Public in the reference (so part of the compared state); this service has no long-context mode.
        self.long_context: bool = False
        self._random: random.Random  # seeded by load_scenario (the reference's instance-local generator)
        self.load_scenario({})

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        seed = scenario.get("random_seed", DEFAULT_SEED)
        self._random = random.Random(seed)  # deterministic: instance-local seeded generator, as the reference
        for field, default in _FIELDS.items():
            setattr(self, field, plain_copy(scenario.get(field, default)))
        self.long_context = False

    def _draw_id(self, low: int, high: int) -> str:
        return str(self._random.randint(low, high))  # deterministic: instance-local seeded generator, as the reference

    def _token_refusal(self, access_token: str) -> str | None:
        """Why a token-guarded tool refuses ``access_token``, or None. A never-issued token (None) is not "expired"."""
        if self.token_expires_in == 0:
            return "Token expired"
        if access_token != self.access_token:
            return "Invalid access token"
        return None

    # -- session ---------------------------------------------------------------------------

    def authenticate_travel(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        grant_type: str,
        user_first_name: str,
        user_last_name: str,
    ) -> dict[str, Any]:
        # Credentials are not checked; the token is six random digits.
        self.token_expires_in = _TOKEN_LIFETIME
        self.access_token = self._draw_id(100000, 999999)
        self.token_type = "Bearer"
        self.token_scope = grant_type
        self.user_first_name = user_first_name
        self.user_last_name = user_last_name
        return {"expires_in": _TOKEN_LIFETIME, "access_token": self.access_token, "token_type": "Bearer", "scope": grant_type}

    def travel_get_login_status(self) -> dict[str, bool]:
        return {"status": self.token_expires_in not in (None, 0)}

    def get_budget_fiscal_year(self, lastModifiedAfter: str | None = None, includeRemoved: str | None = None) -> dict[str, str]:
        return {"budget_fiscal_year": BUDGET_FISCAL_YEAR}

    # -- cards -----------------------------------------------------------------------------

    def register_credit_card(
        self,
        access_token: str,
        card_number: str,
        expiration_date: str,
        cardholder_name: str,
        card_verification_number: int,
    ) -> dict[str, Any]:
        # Unlike the other guarded tools, this one refuses a token that was never issued.
        if self.token_expires_in is None:
            return {"error": "Token not initialized"}
        refusal = self._token_refusal(access_token)
        if refusal:
            return {"error": refusal}
        if card_number in self.credit_card_list:  # compared with card ids, as the reference does
            return {"error": "Card already registered"}
        card_id = self._draw_id(100000000000, 999999999999)
        self.credit_card_list[card_id] = {
            "card_number": card_number,
            "expiration_date": expiration_date,
            "cardholder_name": cardholder_name,
            "card_verification_number": card_verification_number,
            "balance": self._random.randint(10000, 99999),  # deterministic: instance-local seeded generator, as the reference
        }
        return {"card_id": card_id}

    def get_credit_card_balance(self, access_token: str, card_id: str) -> dict[str, Any]:
        refusal = self._token_refusal(access_token)
        if refusal:
            return {"error": refusal}
        if card_id not in self.credit_card_list:
            return {"error": f"Card not registered. Here are a list of card_id's: {list(self.credit_card_list)}"}
        return {"card_balance": self.credit_card_list[card_id]["balance"]}

    def get_all_credit_cards(self) -> dict[str, Any]:
        return {"credit_card_list": self.credit_card_list}

    def set_budget_limit(self, access_token: str, budget_limit: float) -> dict[str, Any]:
        refusal = self._token_refusal(access_token)
        if refusal:
            return {"error": refusal}
        self.budget_limit = float(budget_limit)
        return {"budget_limit": self.budget_limit}

    # -- flights ---------------------------------------------------------------------------

    def list_all_airports(self) -> list[str]:
        return list(AIRPORTS)

    def get_nearest_airport_by_city(self, location: str) -> dict[str, str]:
        return {"nearest_airport": NEAREST_AIRPORT.get(location, "Unknown")}

    def get_flight_cost(self, travel_from: str, travel_to: str, travel_date: str, travel_class: str) -> dict[str, list[float]]:
        return {"travel_cost_list": [flight_cost(travel_from, travel_to, travel_date, travel_class)]}

    def book_flight(
        self,
        access_token: str,
        card_id: str,
        travel_date: str,
        travel_from: str,
        travel_to: str,
        travel_class: str,
    ) -> dict[str, Any]:
        refusal = self._booking_refusal(access_token, card_id, travel_date, travel_from, travel_to, travel_class)
        if refusal:
            return {"booking_status": False, "error": refusal}
        try:
            cost = flight_cost(travel_from, travel_to, travel_date, travel_class)
        except ValueError as exc:
            return {"booking_status": False, "error": str(exc)}
        card = self.credit_card_list[card_id]
        if card["balance"] < cost:
            return {"booking_status": False, "error": "Insufficient funds"}
        if self.budget_limit is not None and card["balance"] < self.budget_limit:
            return {"booking_status": False, "error": "Balance is less than budget limit"}
        card["balance"] -= cost
        booking_id = self._draw_id(1000000, 9999999)
        transaction_id = self._draw_id(10000000, 99999999)
        self.booking_record[booking_id] = {
            "card_id": card_id,
            "travel_date": travel_date,
            "travel_from": travel_from,
            "travel_to": travel_to,
            "travel_class": travel_class,
            "travel_cost": cost,
            "transaction_id": transaction_id,
        }
        return {"booking_id": booking_id, "transaction_id": transaction_id, "booking_status": True, "booking_history": {}}

    def _booking_refusal(
        self, access_token: str, card_id: str, travel_date: str, travel_from: str, travel_to: str, travel_class: str
    ) -> str | None:
        """The first of book_flight's checks that fails, in the reference's order, or None."""
        refusal = self._token_refusal(access_token)
        if refusal:
            return refusal
        if card_id not in self.credit_card_list:
            return "Card not registered"
        if "balance" not in self.credit_card_list[card_id]:
            return "Balance not found"
        if travel_from not in AIRPORTS:
            return f"Invalid departure airport code: {travel_from}"
        if travel_to not in AIRPORTS:
            return f"Invalid destination airport code: {travel_to}"
        try:
            _day(travel_date)
        except ValueError:
            return "Invalid date format. Use YYYY-MM-DD."
        if travel_class not in CLASS_FACTORS:
            return f"Invalid travel class. Must be one of {CLASS_CHOICES}"
        return None

    def retrieve_invoice(self, access_token: str, booking_id: str | None = None, insurance_id: str | None = None) -> dict[str, Any]:
        refusal = self._token_refusal(access_token)
        if refusal:
            return {"error": refusal}
        if booking_id not in self.booking_record:
            return {"error": "Booking not found"}
        booking = self.booking_record[booking_id]
        invoice = {"booking_id": booking_id}
        for key in ("travel_date", "travel_from", "travel_to", "travel_class", "travel_cost", "transaction_id"):
            invoice[key] = booking[key]
        return {"invoice": invoice}

    def get_booking_history(self, access_token: str) -> dict[str, Any]:
        refusal = self._token_refusal(access_token)
        if refusal:
            return {"error": refusal}
        return {"booking_history": copy.deepcopy(self.booking_record)}

    def cancel_booking(self, access_token: str, booking_id: str) -> dict[str, Any]:
        refusal = self._token_refusal(access_token)
        if refusal:
            return {"cancel_status": False, "error": refusal}
        if booking_id not in self.booking_record:
            return {"cancel_status": False, "error": "Booking not found"}
        booking = self.booking_record[booking_id]
        # Refund first: if the card is gone, the KeyError leaves the booking in place, as in the reference.
        self.credit_card_list[booking["card_id"]]["balance"] += booking["travel_cost"]
        del self.booking_record[booking_id]
        return {"cancel_status": True}

    def purchase_insurance(
        self,
        access_token: str,
        insurance_type: str,
        insurance_cost: float,
        booking_id: str,
        card_id: str,
    ) -> dict[str, Any]:
        refusal = self._token_refusal(access_token)
        if refusal:
            return {"insurance_status": False, "error": refusal}
        if self.budget_limit is not None and self.budget_limit < insurance_cost:
            return {"insurance_status": False, "error": "Exceeded budget limit"}
        if booking_id not in self.booking_record:
            return {"insurance_status": False, "error": "Booking not found"}
        if card_id not in self.credit_card_list:
            return {"insurance_status": False, "error": "Credit card not registered"}
        # The policy is charged but not recorded anywhere, as in the reference.
        self.credit_card_list[card_id]["balance"] -= insurance_cost
        return {"insurance_id": self._draw_id(100000000, 999999999), "insurance_status": True}

    def contact_customer_support(self, booking_id: str, message: str) -> dict[str, str]:
        if booking_id not in self.booking_record:
            return {"error": "Booking not found"}
        return {"customer_support_message": _SUPPORT_REPLY}

    # -- money and travelers ---------------------------------------------------------------

    def compute_exchange_rate(self, base_currency: str, target_currency: str, value: float) -> dict[str, float]:
        return {"exchanged_value": convert(base_currency, target_currency, value)}

    def verify_traveler_information(self, first_name: str, last_name: str, date_of_birth: str, passport_number: str) -> dict[str, Any]:
        if (first_name, last_name) != (self.user_first_name, self.user_last_name):
            # No space after "user." in the reference's message.
            return {
                "verification_status": False,
                "verification_failure": "Cannot book flight information for another user."
                f"Expected {self.user_first_name} {self.user_last_name}, got {first_name} {last_name}",
            }
        try:
            born = _day(date_of_birth)
        except ValueError:
            return {"verification_status": False, "verification_failure": "Invalid date of birth format. Please use YYYY-MM-DD."}
        if _age_on(AGE_REFERENCE_DATE, born) < MINIMUM_AGE:
            return {"verification_status": False, "verification_failure": "Traveler must be at least 18 years old."}
        if not passport_number.startswith("US"):
            return {"verification_status": False, "verification_failure": "Passport must be issued by the United States."}
        return {"verification_status": True}
