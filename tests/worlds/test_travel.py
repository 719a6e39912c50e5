"""TravelAPI: tokens, cards, fares and bookings, its seeded ids, its schema and data against BFCL's."""

from __future__ import annotations

import json

import pytest
from bfcl_partial import gold_refusals, schema_differences

from worlds.travel.fares import convert, flight_cost
from worlds.travel.service import TravelAPI
from worlds.travel.tables import CLASS_FACTORS, EXCHANGE_RATES, NEAREST_AIRPORT, ROUTES


@pytest.fixture
def api() -> TravelAPI:
    service = TravelAPI()
    service.load_scenario({})
    return service


@pytest.fixture
def token(api: TravelAPI) -> str:
    return api.authenticate_travel("id", "secret", "refresh", "read_write", "Ana", "Lee")["access_token"]


@pytest.fixture
def card(api: TravelAPI, token: str) -> str:
    return api.register_credit_card(token, "4111", "12/2030", "Ana Lee", 123)["card_id"]


def test_default_state_is_the_reference_default(api):
    assert api.state() == {
        "access_token": None,
        "booking_record": {},
        "budget_limit": None,
        "credit_card_list": {},
        "long_context": False,
        "token_expires_in": None,
        "token_scope": None,
        "token_type": None,
        "user_first_name": None,
        "user_last_name": None,
    }


def test_ids_are_drawn_from_the_seeded_generator_in_call_order(api, token, card):
    # Seed 141053. The corpus's gold path 172 books on card "391310425148" right after registering it.
    assert token == "251675"
    assert card == "391310425148"
    assert api.credit_card_list[card]["balance"] == 58617
    booked = api.book_flight(token, card, "2024-12-15", "SFO", "LAX", "business")
    assert booked == {"booking_id": "4191922", "transaction_id": "56121276", "booking_status": True, "booking_history": {}}


def test_scenario_random_seed_overrides_the_default(api):
    api.load_scenario({"random_seed": 1})
    assert api.authenticate_travel("a", "b", "c", "read", "A", "B")["access_token"] != "251675"


def test_authentication_sets_the_token_and_login_status(api, token):
    assert api.travel_get_login_status() == {"status": True}
    assert (api.token_type, api.token_scope, api.token_expires_in) == ("Bearer", "read_write", 2)


def test_register_card_refusals(api):
    assert api.register_credit_card("x", "1", "01/2030", "A", 1) == {"error": "Token not initialized"}
    api.load_scenario({"token_expires_in": 0, "access_token": "t"})
    assert api.register_credit_card("t", "1", "01/2030", "A", 1) == {"error": "Token expired"}


def test_register_card_compares_the_number_with_card_ids(api, token, card):
    assert api.register_credit_card(token, card, "01/2030", "A", 1) == {"error": "Card already registered"}


def test_fare_is_base_times_class_doubled_on_even_digit_sums():
    assert flight_cost("SFO", "LAX", "2024-12-15", "business") == 400.0  # digit sum 15: odd
    assert flight_cost("SFO", "LAX", "2024-12-16", "first") == 2000.0  # digit sum 16: even
    with pytest.raises(ValueError, match="No available route for the given airports."):
        flight_cost("LAX", "CDG", "2024-12-15", "economy")


def test_unknown_route_is_an_execution_error(api):
    result = api.invoke("get_flight_cost", {"travel_from": "BOS", "travel_to": "SFO", "travel_date": "2024-01-01", "travel_class": "economy"})
    assert (result.value, result.error) == ("Error during execution: No available route for the given airports.", True)


def test_book_flight_checks_in_order(api, token, card):
    def refusal(**changes: str) -> str:
        args = {"access_token": token, "card_id": card, "travel_date": "2024-12-15", "travel_from": "SFO", "travel_to": "LAX", "travel_class": "economy"}
        return api.book_flight(**{**args, **changes})["error"]

    assert refusal(access_token="bad") == "Invalid access token"
    assert refusal(card_id="none") == "Card not registered"
    assert refusal(travel_from="XXX") == "Invalid departure airport code: XXX"
    assert refusal(travel_to="PVG") == "Invalid destination airport code: PVG"
    assert refusal(travel_date="15/12/2024") == "Invalid date format. Use YYYY-MM-DD."
    assert refusal(travel_class="premium") == "Invalid travel class. Must be one of {'business', 'economy', 'first'}"
    assert refusal(travel_from="BOS", travel_to="SFO") == "No available route for the given airports."
    assert api.booking_record == {}


def test_book_flight_money_checks(api, token, card):
    api.credit_card_list[card]["balance"] = 100
    assert api.book_flight(token, card, "2024-12-15", "SFO", "LAX", "economy")["error"] == "Insufficient funds"
    api.credit_card_list[card]["balance"] = 1000
    api.set_budget_limit(token, 2000)
    # The budget limit is compared with the card's balance, not with the fare.
    assert api.book_flight(token, card, "2024-12-15", "SFO", "LAX", "economy")["error"] == "Balance is less than budget limit"


def test_cancel_refunds_the_fare(api, token, card):
    before = api.credit_card_list[card]["balance"]
    booking = api.book_flight(token, card, "2024-12-15", "SFO", "LAX", "business")["booking_id"]
    assert api.credit_card_list[card]["balance"] == before - 400.0
    assert api.cancel_booking(token, booking) == {"cancel_status": True}
    assert api.credit_card_list[card]["balance"] == before
    assert api.cancel_booking(token, booking) == {"cancel_status": False, "error": "Booking not found"}


def test_invoice_and_history(api, token, card):
    booking = api.book_flight(token, card, "2024-12-15", "SFO", "LAX", "business")["booking_id"]
    invoice = api.retrieve_invoice(token, booking)["invoice"]
    assert list(invoice) == ["booking_id", "travel_date", "travel_from", "travel_to", "travel_class", "travel_cost", "transaction_id"]
    assert api.retrieve_invoice(token) == {"error": "Booking not found"}
    history = api.get_booking_history(token)["booking_history"]
    history[booking]["travel_cost"] = 0
    assert api.booking_record[booking]["travel_cost"] == 400.0


def test_insurance_charges_the_card_and_draws_an_id(api, token, card):
    booking = api.book_flight(token, card, "2024-12-15", "SFO", "LAX", "business")["booking_id"]
    before = api.credit_card_list[card]["balance"]
    assert api.purchase_insurance(token, "travel", 50, booking, card) == {"insurance_id": "789652479", "insurance_status": True}
    assert api.credit_card_list[card]["balance"] == before - 50
    api.set_budget_limit(token, 10)
    assert api.purchase_insurance(token, "travel", 50, booking, card) == {"insurance_status": False, "error": "Exceeded budget limit"}


def test_never_issued_token_only_fails_on_mismatch(api):
    # Guarded tools refuse an expired token (0), not a missing one (None): a None token matches None.
    assert api.get_credit_card_balance(None, "x") == {"error": "Card not registered. Here are a list of card_id's: []"}
    assert api.set_budget_limit("t", 5) == {"error": "Invalid access token"}


def test_exchange_goes_to_or_from_usd():
    assert convert("USD", "EUR", 100) == 80.0
    assert convert("RMB", "USD", 20000.0) == 2857.14
    with pytest.raises(ValueError, match="No available exchange rate for the given currencies."):
        convert("EUR", "GBP", 1)


def test_traveler_verification(api, token):
    assert api.verify_traveler_information("Bob", "Lee", "1990-01-01", "US1") == {
        "verification_status": False,
        "verification_failure": "Cannot book flight information for another user.Expected Ana Lee, got Bob Lee",
    }
    assert api.verify_traveler_information("Ana", "Lee", "01/01/1990", "US1")["verification_failure"] == (
        "Invalid date of birth format. Please use YYYY-MM-DD."
    )
    assert api.verify_traveler_information("Ana", "Lee", "2015-01-01", "US1")["verification_failure"] == "Traveler must be at least 18 years old."
    assert api.verify_traveler_information("Ana", "Lee", "1990-01-01", "P1")["verification_failure"] == (
        "Passport must be issued by the United States."
    )
    assert api.verify_traveler_information("Ana", "Lee", "1990-01-01", "US1") == {"verification_status": True}


def test_lookups(api):
    assert api.get_nearest_airport_by_city("Tokyo") == {"nearest_airport": "HND"}
    assert api.get_nearest_airport_by_city("Atlantis") == {"nearest_airport": "Unknown"}
    assert api.get_budget_fiscal_year() == {"budget_fiscal_year": "2018"}
    assert api.contact_customer_support("none", "hi") == {"error": "Booking not found"}
    assert len(api.list_all_airports()) == 23


def test_tools_yaml_agrees_with_bfcl_func_doc(bfcl_dir):
    assert schema_differences(TravelAPI, bfcl_dir / "multi_turn_func_doc" / "travel_booking.json") == []


def test_tables_agree_with_bfcl_facts(bfcl_dir):
    facts = json.loads((bfcl_dir / "facts.json").read_text(encoding="utf-8"))
    tables = facts["tables"]
    assert {f"{a}|{b}": cost for (a, b), cost in ROUTES.items()} == tables["travel_booking.get_flight_cost.base_costs"]
    assert sorted(CLASS_FACTORS) == tables["travel_booking.book_flight.valid_classes"]
    assert {f"USD|{c}": rate for c, rate in EXCHANGE_RATES.items()} == tables["travel_booking.compute_exchange_rate.exchange_rates"]
    assert NEAREST_AIRPORT == tables["travel_booking.get_nearest_airport_by_city.airport_map"]
    assert TravelAPI().state() == {**{k: v for k, v in facts["default_states"]["TravelAPI"].items() if k != "random_seed"}, "long_context": False}


def test_gold_paths_replay_without_refusals(bfcl_dir):
    # Entries 100-199 have no reference lines; their gold paths should at least run clean. They quote
    # drawn ids (booking "3426812", insurance "498276044", card "262919693687"): a wrong draw would
    # turn a later call into a "not found" refusal.
    assert gold_refusals(TravelAPI, bfcl_dir) == []
