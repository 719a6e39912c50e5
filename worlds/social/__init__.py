"""Social posting: one user's tweets, comments, retweets and follows (BFCL's TwitterAPI)."""
