"""Ticketing: a support-ticket queue with a logged-in user (BFCL's TicketAPI)."""
