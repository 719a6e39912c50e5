"""Built-in world specs (YAML), installed as package data."""
