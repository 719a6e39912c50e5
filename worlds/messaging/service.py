"""MessageAPI: users of a workspace send messages into one shared inbox.

Behaviour, result shapes and messages follow the BFCL reference backend (``message_api``).
The inbox is a list of one-entry dicts ``{receiver_id: content}``; like the reference it
records no sender, so "messages sent" are all messages in the inbox. Only an entry's first
pair is read, and the corpus's odd entries (lists, nested dicts, empty dicts) fail where the
reference's do, through the same indexing.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simtool.service import Service, ServiceContext

__all__ = ["MessageAPI", "DEFAULT_SEED", "DEFAULT_USERS", "DEFAULT_INBOX"]

DEFAULT_SEED = 200191
DEFAULT_USERS = {"Alice": "USR001", "Bob": "USR002", "Catherine": "USR003", "Daniel": "USR004"}
DEFAULT_INBOX = [
    {"USR002": "My name is Alice. I want to connect."},
    {"USR003": "Could you upload the file?"},
    {"USR004": "Could you upload the file?"},
]
_ID_LOW, _ID_HIGH = 10000, 99999
_NOT_LOGGED_IN = {"error": "No user is currently logged in."}


def _entry(message: Mapping[str, Any]) -> tuple[str, Any]:
    """An inbox entry's (receiver, content): its first pair (an empty entry raises IndexError, as in the reference)."""
    return list(message.items())[0]


class MessageAPI(Service):
    """A workspace: ``user_map`` (name -> user id), the ``inbox`` and the ids drawn so far."""

    name = "MessageAPI"
    domain = "messaging"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)
        self.generated_ids: set[int] = set()
        self.user_count: int = 4
        self.user_map: dict[str, str] = dict(DEFAULT_USERS)
        self.inbox: list[dict[str, Any]] = copy.deepcopy(DEFAULT_INBOX)
        self.message_count: int = 3
        self.current_user: str | None = None
        self._random = random.Random(DEFAULT_SEED)  # deterministic: instance-local seeded generator, as the reference

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        seed = scenario.get("random_seed", DEFAULT_SEED)
        self._random = random.Random(seed)  # deterministic: instance-local seeded generator, as the reference
        self.generated_ids = set(scenario.get("generated_ids", ()))
        self.user_count = scenario.get("user_count", 4)
        self.user_map = dict(scenario.get("user_map", DEFAULT_USERS))
        self.inbox = copy.deepcopy(list(scenario.get("inbox", DEFAULT_INBOX)))
        self.message_count = scenario.get("message_count", 3)
        self.current_user = scenario.get("current_user")

    # -- users -----------------------------------------------------------------------------

    def list_users(self) -> dict[str, list[str]]:
        return {"user_list": list(self.user_map)}

    def get_user_id(self, user: str) -> dict[str, str]:
        if user not in self.user_map:
            return {"error": f"User '{user}' not found in the workspace."}
        return {"user_id": self.user_map[user]}

    def add_contact(self, user_name: str) -> dict[str, Any]:
        if user_name in self.user_map:
            return {"error": f"User name '{user_name}' already exists."}
        # The reference counts the user before checking the new id, so a clash still bumps it.
        self.user_count += 1
        user_id = f"USR{self.user_count:03d}"
        if user_id in self.user_map.values():
            return {"error": f"User ID '{user_id}' already exists."}
        self.user_map[user_name] = user_id
        return {"added_status": True, "user_id": user_id, "message": f"Contact '{user_name}' added successfully."}

    # -- session ---------------------------------------------------------------------------

    def message_login(self, user_id: str) -> dict[str, Any]:
        if user_id not in self.user_map.values():
            return {"login_status": False, "message": f"User ID '{user_id}' not found."}
        self.current_user = user_id
        return {"login_status": True, "message": f"User '{user_id}' logged in successfully."}

    def message_get_login_status(self) -> dict[str, bool]:
        return {"login_status": bool(self.current_user)}

    # -- messages --------------------------------------------------------------------------

    def send_message(self, receiver_id: str, message: str) -> dict[str, Any]:
        if not self.current_user:
            return dict(_NOT_LOGGED_IN)
        if receiver_id not in self.user_map.values():
            return {"error": f"Receiver ID '{receiver_id}' not found."}
        new_id = self._draw_message_id()
        self.inbox.append({receiver_id: message})
        self.message_count += 1
        # The reference nests the id: "message_id": {"new_id": <id>}.
        return {
            "sent_status": True,
            "message_id": {"new_id": new_id},
            "message": f"Message sent to '{receiver_id}' successfully.",
        }

    def delete_message(self, receiver_id: str) -> dict[str, Any]:
        """Delete the latest message to ``receiver_id``; ``message_count`` stays, as in the reference."""
        if not self.current_user:
            return dict(_NOT_LOGGED_IN)
        latest = next((m for m in reversed(self.inbox) if _entry(m)[0] == receiver_id), None)
        if latest is None:
            return {"error": f"Receiver ID {receiver_id} not found."}
        # list.remove drops the first *equal* entry, which is what the reference removes too.
        self.inbox.remove(latest)
        return {
            "deleted_status": True,
            "receiver_id": receiver_id,
            "message": f"Receiver {receiver_id}'s latest message deleted successfully.",
        }

    def view_messages_sent(self) -> dict[str, Any]:
        if not self.current_user:
            return dict(_NOT_LOGGED_IN)
        by_receiver: dict[str, list[Any]] = {}
        for message in self.inbox:
            receiver, content = _entry(message)
            by_receiver.setdefault(receiver, []).append(content)
        return {"messages": by_receiver}

    def search_messages(self, keyword: str) -> dict[str, Any]:
        if not self.current_user:
            return dict(_NOT_LOGGED_IN)
        needle = keyword.lower()
        hits = []
        for message in self.inbox:
            receiver, content = _entry(message)
            if needle in content.lower():
                hits.append({"receiver_id": receiver, "message": content})
        return {"results": hits}

    def get_message_stats(self) -> dict[str, Any]:
        if not self.current_user:
            return dict(_NOT_LOGGED_IN)
        receivers = [_entry(message)[0] for message in self.inbox]
        return {"stats": {"received_count": len(receivers), "total_contacts": len(set(receivers))}}

    # -- private ---------------------------------------------------------------------------

    def _draw_message_id(self) -> int:
        """A new id in [10000, 99999], redrawn while already used (same draws as the reference)."""
        new_id = self._random.randint(_ID_LOW, _ID_HIGH)  # deterministic: instance-local seeded generator, as the reference
        while new_id in self.generated_ids:
            new_id = self._random.randint(_ID_LOW, _ID_HIGH)  # deterministic: instance-local seeded generator, as the reference
        self.generated_ids.add(new_id)
        return new_id
