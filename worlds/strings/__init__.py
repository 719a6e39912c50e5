"""Stateless text tools: case changes, search and replace, splitting, padding, slugs, counts."""
