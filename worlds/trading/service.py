"""TradingBot: one brokerage account trading on a small, static stock market.

Behaviour, result shapes and messages follow the BFCL reference backend (``trading_bot``).
Its clock is fixed (``clock.py``) and no tool opens or closes the market: ``market_status``
is whatever the scenario set (BFCL's tool list has no ``update_market_status``). A placed
order is stored as "Open" but reported as "Pending": the reference's way of showing that
execution lags placement. Deposits and withdrawals are stamped with a time drawn from the
instance's own seeded generator.

Some refusals are not ``{"error": ...}`` dicts but lists (``get_watchlist``,
``get_order_history``, ``get_transaction_history`` when logged out): the reference returns
them that way and the result text shows it, so they are kept.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from simtool.service import Service, ServiceContext, plain_copy
from worlds.trading.clock import TIMESTAMP_FORMAT, clock_text, draw_timestamp
from worlds.trading.tables import DEFAULT_SEED, SECTORS, SYMBOLS, default_value

__all__ = ["TradingBot"]

# Scenario keys that are read as they are; "orders" is read apart (its keys become ints).
_PLAIN_FIELDS = (
    "account_info",
    "authenticated",
    "market_status",
    "order_counter",
    "stocks",
    "watch_list",
    "transaction_history",
)


def _order_key(key: Any) -> Any:
    """Order ids are ints; a scenario (JSON) spells them as digit strings. Other keys stay as given."""
    return int(key) if isinstance(key, str) and key.isdigit() else key


class TradingBot(Service):
    """The account (``account_info``), its ``orders`` by id, the ``stocks`` on offer and a watch list."""

    name = "TradingBot"
    domain = "trading"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)
        self.orders: dict[Any, dict[str, Any]] = {}
        self.account_info: dict[str, Any] = {}
        self.authenticated: bool = False
        self.market_status: str = "Closed"
        self.order_counter: int = 0
        self.stocks: dict[str, dict[str, Any]] = {}
        self.watch_list: list[str] = []
        self.transaction_history: list[dict[str, Any]] = []
        # Public in the reference (so part of the compared state); this service has no long-context mode.
        self.long_context: bool = False
        self._random: random.Random  # seeded by load_scenario (the reference's instance-local generator)
        self.load_scenario({})

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        orders = plain_copy(scenario["orders"]) if "orders" in scenario else default_value("orders")
        self.orders = {_order_key(k): v for k, v in orders.items()}
        for field in _PLAIN_FIELDS:
            value = plain_copy(scenario[field]) if field in scenario else default_value(field)
            setattr(self, field, value)
        self.long_context = False
        seed = scenario.get("random_seed", DEFAULT_SEED)
        self._random = random.Random(seed)  # deterministic: instance-local seeded generator, as the reference

    # -- clock and stocks ------------------------------------------------------------------

    def get_current_time(self) -> dict[str, str]:
        return {"current_time": clock_text()}

    def get_symbol_by_name(self, name: str) -> dict[str, str]:
        return {"symbol": SYMBOLS.get(name, "Stock not found")}

    def get_stock_info(self, symbol: str) -> dict[str, Any]:
        if symbol not in self.stocks:
            return {"error": f"Stock with symbol '{symbol}' not found."}
        return self.stocks[symbol]

    def get_available_stocks(self, sector: str) -> dict[str, list[str]]:
        return {"stock_list": list(SECTORS.get(sector, []))}

    def filter_stocks_by_price(self, stocks: list[str], min_price: float, max_price: float) -> dict[str, list[str]]:
        # An unknown symbol counts as priced 0, so it passes a range that includes 0.
        def price(symbol: str) -> float:
            return self.stocks.get(symbol, {}).get("price", 0)

        return {"filtered_stocks": [s for s in stocks if min_price <= price(s) <= max_price]}

    def notify_price_change(self, stocks: list[str], threshold: float) -> dict[str, str]:
        moved = [s for s in stocks if s in self.stocks and abs(self.stocks[s]["percent_change"]) >= threshold]
        if not moved:
            return {"notification": "No significant price changes in the selected stocks."}
        return {"notification": f"Stocks {', '.join(moved)} have significant price changes."}

    # -- session ---------------------------------------------------------------------------

    def trading_login(self, username: str, password: str) -> dict[str, str]:
        # The reference checks no credentials.
        if self.authenticated:
            return {"status": "Already logged in"}
        self.authenticated = True
        return {"status": "Logged in successfully"}

    def trading_get_login_status(self) -> dict[str, bool]:
        return {"status": bool(self.authenticated)}

    def trading_logout(self) -> dict[str, str]:
        if not self.authenticated:
            return {"status": "No user is currently logged in"}
        self.authenticated = False
        return {"status": "Logged out successfully"}

    # -- orders ----------------------------------------------------------------------------

    def place_order(self, order_type: str, symbol: str, price: float, amount: int) -> dict[str, Any]:
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to place an order."}
        if symbol not in self.stocks:
            return {"error": f"Invalid stock symbol: {symbol}"}
        if price <= 0 or amount <= 0:
            return {"error": "Price and amount must be positive values."}
        if order_type.lower() == "buy":  # a buy must be covered by the balance, as in the reference
            cost = float(price) * int(amount)
            balance = self.account_info.get("balance", 0)
            if cost > balance:
                return {"error": f"Insufficient funds: required ${cost:.2f} but only ${balance:.2f} available."}
        order_id = self.order_counter
        price = float(price)
        self.orders[order_id] = {
            "id": order_id,
            "order_type": order_type,
            "symbol": symbol,
            "price": price,
            "amount": amount,
            "status": "Open",
        }
        self.order_counter += 1
        # Stored "Open", reported "Pending": placement is acknowledged before the order is live.
        return {"order_id": order_id, "order_type": order_type, "status": "Pending", "price": price, "amount": amount}

    def get_order_details(self, order_id: int) -> dict[str, Any]:
        if order_id not in self.orders:
            # No space after "found." in the reference's message.
            known = list(self.orders)
            return {"error": f"Order with ID {order_id} not found.Here is the list of orders_id: {known}"}
        return self.orders[order_id]

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        if order_id not in self.orders:
            return {"error": f"Order with ID {order_id} not found."}
        order = self.orders[order_id]
        if order["status"] == "Completed":
            return {"error": f"Can't cancel order {order_id}. Order is already completed."}
        order["status"] = "Cancelled"
        return {"order_id": order_id, "status": "Cancelled"}

    def get_order_history(self) -> dict[str, list[Any]] | list[dict[str, str]]:
        if not self.authenticated:
            return [{"error": "User not authenticated. Please log in to view order history."}]
        return {"history": list(self.orders)}

    # -- account ---------------------------------------------------------------------------

    def get_account_info(self) -> dict[str, Any]:
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to view account information."}
        return self.account_info

    def fund_account(self, amount: float) -> dict[str, Any]:
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to fund the account."}
        if amount <= 0:
            return {"error": "Funding amount must be positive."}
        self.account_info["balance"] += amount
        self._record("deposit", amount)
        return {"status": "Account funded successfully", "new_balance": self.account_info["balance"]}

    def withdraw_funds(self, amount: float) -> dict[str, Any]:
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to make a transaction."}
        if self.market_status != "Open":
            return {"error": "Market is closed. Transactions are not allowed."}
        if amount <= 0:
            return {"error": "Transaction amount must be positive."}
        if amount > self.account_info["balance"]:
            return {"error": "Insufficient funds for withdrawal."}
        self.account_info["balance"] -= amount
        self._record("withdrawal", amount)
        return {"status": "Withdrawal successful", "new_balance": self.account_info["balance"]}

    def get_transaction_history(
        self, start_date: str | None = None, end_date: str | None = None
    ) -> dict[str, list[dict[str, Any]]] | list[dict[str, str]]:
        if not self.authenticated:
            return [{"error": "User not authenticated. Please log in to view transaction history."}]
        # Dates are midnights: a transaction later on end_date falls outside, as in the reference.
        start = datetime.strptime(start_date, "%Y-%m-%d") if start_date else datetime.min
        end = datetime.strptime(end_date, "%Y-%m-%d") if end_date else datetime.max
        within = [t for t in self.transaction_history if start <= datetime.strptime(t["timestamp"], TIMESTAMP_FORMAT) <= end]
        return {"transaction_history": within}

    def _record(self, kind: str, amount: float) -> None:
        self.transaction_history.append({"type": kind, "amount": amount, "timestamp": draw_timestamp(self._random)})

    # -- watch list ------------------------------------------------------------------------

    def add_to_watchlist(self, stock: str) -> dict[str, list[str]]:
        # No login needed; an unlisted symbol is silently skipped. The whole list comes back
        # under "watchlist", as the reference returns it (gold results of entries 100-149).
        if stock not in self.watch_list and stock in self.stocks:
            self.watch_list.append(stock)
        return {"watchlist": self.watch_list}

    def remove_stock_from_watchlist(self, symbol: str) -> dict[str, str]:
        if not self.authenticated:
            return {"error": "User not authenticated. Please log in to modify the watchlist."}
        if symbol not in self.watch_list:
            return {"error": f"Stock {symbol} not found in watchlist."}
        self.watch_list.remove(symbol)
        return {"status": f"Stock {symbol} removed from watchlist successfully."}

    def get_watchlist(self) -> dict[str, list[str]] | list[str]:
        if not self.authenticated:
            return ["Error: User not authenticated. Please log in to view the watchlist."]
        return {"watchlist": self.watch_list}
