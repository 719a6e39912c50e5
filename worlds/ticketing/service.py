"""TicketAPI: support tickets in one queue, created and handled by a logged-in user.

Behaviour, result shapes and messages follow the BFCL reference backend (``ticket_api``).
Tickets are plain dicts as the corpus writes them; scenarios may hold tickets without some
keys, and a lookup then fails the way the reference does (a ``KeyError`` reported by
``Service.invoke`` as ``"Error during execution: 'id'"``), so such tickets are indexed, not
``.get``-ed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simtool.service import Service, ServiceContext

__all__ = ["TicketAPI", "EDITABLE_FIELDS"]

EDITABLE_FIELDS = frozenset({"title", "description", "status", "priority"})
_MIN_PRIORITY, _MAX_PRIORITY = 1, 5


class TicketAPI(Service):
    """A ticket queue; ``ticket_counter`` is the id the next created ticket gets."""

    name = "TicketAPI"
    domain = "ticketing"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)
        self.ticket_queue: list[dict[str, Any]] = []
        self.ticket_counter: int = 1
        self.current_user: str | None = None

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        self.ticket_queue = list(scenario.get("ticket_queue", []))
        self.ticket_counter = scenario.get("ticket_counter", 1)
        self.current_user = scenario.get("current_user")

    # -- session ---------------------------------------------------------------------------

    def ticket_login(self, username: str, password: str) -> dict[str, bool]:
        # The reference accepts any non-empty credentials.
        if not (username and password):
            return {"success": False}
        self.current_user = username
        return {"success": True}

    def ticket_get_login_status(self) -> dict[str, bool]:
        return {"login_status": bool(self.current_user)}

    def logout(self) -> dict[str, bool]:
        if not self.current_user:
            return {"success": False}
        self.current_user = None
        return {"success": True}

    # -- tickets ---------------------------------------------------------------------------

    def create_ticket(self, title: str, description: str = "", priority: int = 1) -> dict[str, Any]:
        if not self.current_user:
            return {"error": "User not authenticated. Please log in to create a ticket."}
        if priority < _MIN_PRIORITY or priority > _MAX_PRIORITY:  # this order: a null fails as in the reference
            return {"error": "Invalid priority. Priority must be between 1 and 5."}
        # Key order is part of the result text, as the reference builds it.
        ticket: dict[str, Any] = {
            "id": self.ticket_counter,
            "title": title,
            "description": description,
            "status": "Open",
            "priority": priority,
            "created_by": self.current_user,
        }
        self.ticket_queue.append(ticket)
        self.ticket_counter += 1
        return ticket

    def get_ticket(self, ticket_id: int) -> dict[str, Any]:
        ticket = self._lookup(ticket_id)
        return ticket if ticket is not None else _not_found(ticket_id)

    def close_ticket(self, ticket_id: int) -> dict[str, str]:
        return self._set_status(ticket_id, "Closed", "closed")

    def resolve_ticket(self, ticket_id: int, resolution: str) -> dict[str, str]:
        return self._set_status(ticket_id, "Resolved", "resolved", resolution=resolution)

    def edit_ticket(self, ticket_id: int, updates: dict[str, Any]) -> dict[str, str]:
        ticket = self._lookup(ticket_id)
        if ticket is None:
            return _not_found(ticket_id)
        unknown = sorted(set(updates) - EDITABLE_FIELDS)  # sorted: the reference's set order is arbitrary
        if unknown:
            return {"error": f"Invalid fields for update: {', '.join(unknown)}"}
        ticket.update({key: value for key, value in updates.items() if value is not None})
        return {"status": f"Ticket {ticket_id} has been updated successfully."}

    def get_user_tickets(self, status: str | None = None) -> list[dict[str, Any]]:
        if not self.current_user:
            # A list holding the error, as the reference returns it.
            return [{"error": "User not authenticated. Please log in to view tickets."}]
        mine = [t for t in self.ticket_queue if t["created_by"] == self.current_user]
        if not status:
            return mine
        wanted = status.lower()
        return [t for t in mine if t["status"].lower() == wanted]

    # -- private ---------------------------------------------------------------------------

    def _lookup(self, ticket_id: int) -> dict[str, Any] | None:
        """The first ticket with this id (a ticket lacking ``id`` before it raises, as in the reference)."""
        return next((t for t in self.ticket_queue if t["id"] == ticket_id), None)

    def _set_status(self, ticket_id: int, status: str, verb: str, **extra: Any) -> dict[str, str]:
        ticket = self._lookup(ticket_id)
        if ticket is None:
            return _not_found(ticket_id)
        if ticket["status"] == status:
            return {"error": f"Ticket with ID {ticket_id} is already {verb}."}
        ticket["status"] = status
        ticket.update(extra)
        return {"status": f"Ticket {ticket_id} has been {verb} successfully."}


def _not_found(ticket_id: int) -> dict[str, str]:
    return {"error": f"Ticket with ID {ticket_id} not found."}
