"""The twelve task categories, and which one each BFCL entry belongs to.

A suite composes instances by category (a task's ``domain``): the eight domains of BFCL's
classes and the four of our authored tasks, each task in exactly one (``CATEGORIES``; the
titles are AsyncTool's names where it has one).

A BFCL entry involves one to three classes, and its category is the one that best describes
its user's goal, by this rule (``category_of``):

1. Each turn serves the class of its **last** gold call: what the user asked for last in that
   turn; the turn's earlier calls gather what it needs (a lookup, a login, a conversion).
   A turn without gold calls serves nothing.
2. The entry's category is the domain of the class that serves the **most turns**.
3. A tie is decided by ``DECIDED``, a table written by reading each tied entry (the list
   in ``docs/bfcl-categories.md``); every tie of the base corpus is in it, and a test keeps it
   so. A tie outside the table (another corpus) goes to the class serving the latest of the
   tied turns: the goal the conversation ends on.

So an entry whose user works in the file system and then asks for the mean of some numbers in
two of three turns is Number Operations (entry 47), and one that books a trip and then tells a
companion in one message stays Travel Booking.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from simtool.registry import service_class

__all__ = ["CATEGORIES", "CATEGORY_SERVICES", "DECIDED", "anchor_class", "turn_goals", "votes", "tied", "category_of"]

# category (a task's domain) -> title; BFCL's eight classes first, then the authored domains
CATEGORIES: dict[str, str] = {
    "filesystem": "File System",
    "math": "Number Operations",
    "messaging": "MessageAPI",
    "social": "SocialConnect",
    "ticketing": "TicketPurchase",
    "trading": "Trading",
    "travel": "Travel Booking",
    "vehicle": "Vehicle Control",
    "records": "Records",
    "datagen": "Data Generation",
    "strings": "String Operations",
    "formats": "Data Formats",
}

# category -> the service class its tasks are about (latency profiles give each its figures)
CATEGORY_SERVICES: dict[str, str] = {
    "filesystem": "GorillaFileSystem",
    "math": "MathAPI",
    "messaging": "MessageAPI",
    "social": "TwitterAPI",
    "ticketing": "TicketAPI",
    "trading": "TradingBot",
    "travel": "TravelAPI",
    "vehicle": "VehicleControlAPI",
    "records": "RecordStore",
    "datagen": "DataGenerator",
    "strings": "StringTools",
    "formats": "FormatTools",
}

# Every base-corpus entry whose turns split evenly between two classes, decided by reading it
# (entry number -> category). docs/bfcl-categories.md gives the votes and the reason for each.
DECIDED: dict[int, str] = {
    5: "social",        # archive files, read a summary; then tweet the achievement and comment on it
    8: "social",        # grep and diff a log; the deliverable is the diff posted and commented on
    11: "social",       # list files only to post their names
    24: "ticketing",    # two file chores, then look up and resolve a support ticket
    30: "social",       # read a file only to broadcast its content
    31: "math",         # file chores, then the mean of the files' character counts
    52: "social",       # start the engine, check tires; then tweet and comment about it
    57: "math",         # a distance, then its logarithm
    62: "messaging",    # the distance is texted to a cousin; ends reviewing sent messages
    65: "social",       # fill, check and tweet in one turn; then retweet and comment
    69: "vehicle",      # nine of ten calls drive the car; the tweet closes a turn as an aside
    76: "social",       # lock and start; then a tweet with tags and a mention
    78: "social",       # tire check; then a business tweet
    90: "social",       # fill, start, distance; then a tweet and a mention on it: two turns each
    106: "ticketing",   # buy and check an order; then find and resolve a ticket
    111: "messaging",   # watchlist and order lookup feed a message to a partner, then sent messages
    129: "ticketing",   # buy and check an order; then fetch and resolve the ticket about it
    140: "ticketing",   # watchlist and balance; then create and resolve a ticket
    144: "math",        # stock details fetched only to average four of their figures
    172: "messaging",   # log in and book; then message the companion and review sent messages
    175: "social",      # book and invoice a flight; then tweet and retweet about it
    176: "ticketing",   # book; then cancel and file a priority ticket about the cancellation
    184: "messaging",   # book, invoice, cancel; then message, review and delete the message
    195: "social",      # book and cancel; then post and retweet
}


def anchor_class(entry: Mapping[str, Any]) -> str:
    """The class the entry is built around: the first class on its ``path``, else its last involved class."""
    for step in entry.get("path") or []:
        name = str(step).split(".", 1)[0]
        if name in entry["involved_classes"]:
            return name
    return str(entry["involved_classes"][-1])


def _owners(classes: Sequence[str]) -> dict[str, str]:
    return {tool: name for name in classes for tool in service_class(name).schemas()}


def turn_goals(entry: Mapping[str, Any], gold: Sequence[Sequence[str]]) -> list[str | None]:
    """Per turn, the class its last gold call belongs to (None for a turn without calls)."""
    owners = _owners(entry["involved_classes"])
    return [owners.get(turn[-1].split("(", 1)[0].strip()) if turn else None for turn in gold]


def votes(entry: Mapping[str, Any], gold: Sequence[Sequence[str]]) -> Counter[str]:
    """How many turns each class serves."""
    return Counter(g for g in turn_goals(entry, gold) if g is not None)


def _number(entry_id: str) -> int | None:
    head, _, number = str(entry_id).rpartition("_")
    return int(number) if head == "multi_turn_base" and number.isdigit() else None


def tied(entry: Mapping[str, Any], gold: Sequence[Sequence[str]]) -> bool:
    """True when two classes serve the most turns equally."""
    counts = sorted(votes(entry, gold).values(), reverse=True)
    return len(counts) > 1 and counts[0] == counts[1]


def category_of(entry: Mapping[str, Any], gold: Sequence[Sequence[str]]) -> str:
    """The entry's category (a domain in ``CATEGORIES``), by the rule in this module's docstring."""
    goals = turn_goals(entry, gold)
    counts = votes(entry, gold)
    if not counts:  # no gold call at all: the class the entry is built around
        return service_class(anchor_class(entry)).domain
    top = max(counts.values())
    leaders = [c for c in counts if counts[c] == top]
    if len(leaders) > 1:
        number = _number(entry["id"])
        if number is not None and number in DECIDED:
            return DECIDED[number]
        latest = max(i for i, g in enumerate(goals) if g in leaders)
        return service_class(str(goals[latest])).domain
    return service_class(leaders[0]).domain
