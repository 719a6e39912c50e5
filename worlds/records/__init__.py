"""A record store with named collections, optional per-collection validation and counter ids."""
