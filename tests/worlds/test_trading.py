"""TradingBot: the account, orders and watch list, its seeded timestamps, its schema and data against BFCL's."""

from __future__ import annotations

import json
import random

import pytest
from bfcl_partial import gold_refusals, schema_differences

from worlds.trading.clock import draw_timestamp
from worlds.trading.service import TradingBot
from worlds.trading.tables import SECTORS, SYMBOLS, default_state


@pytest.fixture
def bot() -> TradingBot:
    service = TradingBot()
    service.load_scenario({})
    return service


@pytest.fixture
def logged_in(bot: TradingBot) -> TradingBot:
    assert bot.trading_login("ana", "pw") == {"status": "Logged in successfully"}
    return bot


def test_default_state_is_the_reference_default(bot):
    state = bot.state()
    assert state["orders"]["12446"]["status"] == "Pending"
    assert (state["order_counter"], state["market_status"], state["watch_list"]) == (12446, "Closed", ["NVDA"])
    assert state["long_context"] is False
    assert "random_seed" not in state


def test_clock_is_fixed(bot):
    assert bot.get_current_time() == {"current_time": "10:30 AM"}


def test_place_order_stores_open_but_reports_pending(logged_in):
    placed = logged_in.place_order("Buy", "AAPL", 150, 10)
    assert placed == {"order_id": 12446, "order_type": "Buy", "status": "Pending", "price": 150.0, "amount": 10}
    assert list(placed) == ["order_id", "order_type", "status", "price", "amount"]
    assert logged_in.get_order_details(12446)["status"] == "Open"
    assert logged_in.order_counter == 12447


def test_place_order_refusals(bot):
    assert bot.place_order("Buy", "AAPL", 1, 1) == {"error": "User not authenticated. Please log in to place an order."}
    bot.trading_login("a", "b")
    assert bot.place_order("Buy", "AMZN", 1, 1) == {"error": "Invalid stock symbol: AMZN"}
    assert bot.place_order("Buy", "AAPL", 0, 1) == {"error": "Price and amount must be positive values."}


def test_unknown_order_lists_known_ids_without_a_space(bot):
    assert bot.get_order_details(7) == {"error": "Order with ID 7 not found.Here is the list of orders_id: [12345, 12446]"}


def test_completed_order_cannot_be_cancelled(bot):
    assert bot.cancel_order(12345) == {"error": "Can't cancel order 12345. Order is already completed."}
    assert bot.cancel_order(12446) == {"order_id": 12446, "status": "Cancelled"}
    assert bot.cancel_order(1) == {"error": "Order with ID 1 not found."}


def test_scenario_order_ids_become_ints_and_other_keys_stay(bot):
    # The corpus's scenarios put a stray "order_type" key among the orders; the reference keeps it.
    bot.load_scenario({"orders": {"12345": {"symbol": "AAPL", "status": "Completed"}, "order_type": "Buy"}, "authenticated": True})
    assert bot.get_order_history() == {"history": [12345, "order_type"]}


def test_logged_out_listings_are_lists(bot):
    assert bot.get_watchlist() == ["Error: User not authenticated. Please log in to view the watchlist."]
    assert bot.get_order_history() == [{"error": "User not authenticated. Please log in to view order history."}]
    assert bot.get_transaction_history() == [{"error": "User not authenticated. Please log in to view transaction history."}]


def test_withdrawal_needs_an_open_market_and_funds(logged_in):
    assert logged_in.withdraw_funds(10) == {"error": "Market is closed. Transactions are not allowed."}
    logged_in.market_status = "Open"
    assert logged_in.withdraw_funds(-1) == {"error": "Transaction amount must be positive."}
    assert logged_in.withdraw_funds(10**6) == {"error": "Insufficient funds for withdrawal."}
    assert logged_in.withdraw_funds(500) == {"status": "Withdrawal successful", "new_balance": 9500.0}


def test_transactions_are_stamped_from_the_seeded_generator_in_utc(logged_in):
    logged_in.market_status = "Open"
    logged_in.fund_account(100)
    logged_in.withdraw_funds(40)
    # Seed 1053520, draws within [2024-09-01 10:30, 2024-09-02 10:30] UTC, in call order.
    assert [t["timestamp"] for t in logged_in.transaction_history] == ["2024-09-02 05:40:15", "2024-09-01 12:26:34"]
    assert [t["type"] for t in logged_in.transaction_history] == ["deposit", "withdrawal"]


def test_scenario_random_seed_overrides_the_default(logged_in):
    logged_in.load_scenario({"random_seed": 7, "authenticated": True})
    logged_in.fund_account(1)
    assert logged_in.transaction_history[0]["timestamp"] == draw_timestamp(random.Random(7))


def test_transaction_history_filters_by_midnight_bounds(logged_in):
    logged_in.market_status = "Open"
    logged_in.fund_account(100)  # 2024-09-02 05:40:15
    logged_in.withdraw_funds(40)  # 2024-09-01 12:26:34
    assert len(logged_in.get_transaction_history("2024-09-02")["transaction_history"]) == 1
    assert len(logged_in.get_transaction_history(None, "2024-09-02")["transaction_history"]) == 1
    assert len(logged_in.get_transaction_history()["transaction_history"]) == 2


def test_funding_refusals(bot):
    assert bot.fund_account(5) == {"error": "User not authenticated. Please log in to fund the account."}
    bot.trading_login("a", "b")
    assert bot.fund_account(0) == {"error": "Funding amount must be positive."}


def test_watch_list_adds_only_listed_stocks_and_needs_login_to_remove(bot):
    assert bot.add_to_watchlist("AAPL") == {"watchlist": ["NVDA", "AAPL"]}
    assert bot.add_to_watchlist("NOPE") == {"watchlist": ["NVDA", "AAPL"]}
    assert bot.remove_stock_from_watchlist("AAPL") == {"error": "User not authenticated. Please log in to modify the watchlist."}
    bot.trading_login("a", "b")
    assert bot.remove_stock_from_watchlist("TSLA") == {"error": "Stock TSLA not found in watchlist."}
    assert bot.remove_stock_from_watchlist("AAPL") == {"status": "Stock AAPL removed from watchlist successfully."}


def test_session_messages(bot):
    assert bot.trading_logout() == {"status": "No user is currently logged in"}
    bot.trading_login("a", "b")
    assert bot.trading_login("a", "b") == {"status": "Already logged in"}
    assert bot.trading_get_login_status() == {"status": True}
    assert bot.trading_logout() == {"status": "Logged out successfully"}


def test_market_lookups(bot):
    assert bot.get_symbol_by_name("Zeta Corp") == {"symbol": "ZETA"}
    assert bot.get_symbol_by_name("Acme") == {"symbol": "Stock not found"}
    assert bot.get_stock_info("AMZN") == {"error": "Stock with symbol 'AMZN' not found."}
    assert bot.get_available_stocks("Energy") == {"stock_list": []}
    # An unlisted symbol counts as priced 0.
    assert bot.filter_stocks_by_price(["AAPL", "ZETA", "XX"], 0, 300) == {"filtered_stocks": ["AAPL", "ZETA", "XX"]}
    assert bot.notify_price_change(["NVDA", "QUAS"], 0.3) == {"notification": "Stocks NVDA have significant price changes."}
    assert bot.notify_price_change(["QUAS"], 0.3) == {"notification": "No significant price changes in the selected stocks."}


def test_tools_yaml_agrees_with_bfcl_func_doc(bfcl_dir):
    assert schema_differences(TradingBot, bfcl_dir / "multi_turn_func_doc" / "trading_bot.json") == []


def test_tables_agree_with_bfcl_facts(bfcl_dir):
    facts = json.loads((bfcl_dir / "facts.json").read_text(encoding="utf-8"))
    expected = dict(facts["default_states"]["TradingBot"])
    assert expected.pop("random_seed") == facts["seeded_randomness"]["TradingBot"]["seed"]
    assert default_state() == expected
    assert SYMBOLS == facts["tables"]["trading_bot.get_symbol_by_name.symbol_map"]
    assert SECTORS == facts["trading.get_available_stocks.sector_map"]


def test_gold_paths_replay_without_refusals(bfcl_dir):
    # Entries 100-199 have no reference lines; their gold paths should at least run clean.
    assert gold_refusals(TradingBot, bfcl_dir) == []
