"""Messaging: a workspace's users, a shared inbox and seeded message ids (BFCL's MessageAPI)."""
