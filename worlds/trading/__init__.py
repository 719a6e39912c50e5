"""Trading: a brokerage account, its orders, a watch list and a small stock market (BFCL's TradingBot)."""
