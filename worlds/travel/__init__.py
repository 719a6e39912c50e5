"""Travel: flight booking, credit cards, insurance and a budget behind a token (BFCL's TravelAPI)."""
