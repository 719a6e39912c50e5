"""Seeded synthetic data: names, emails, ids, dates, numbers, picks and named datasets."""
