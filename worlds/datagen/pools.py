"""Word pools the generators draw from (fixed tuples: their order is part of the seeded output)."""

from __future__ import annotations

__all__ = ["FIRST_NAMES", "LAST_NAMES"]

FIRST_NAMES = (
    "Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal",
    "Keiko", "Liam", "Maria", "Nikolai", "Olivia", "Pedro", "Qin", "Rosa", "Samir", "Tara",
    "Umar", "Valentina", "Wei", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Carmen", "Dmitri",
    "Esther", "Felix", "Gita", "Hugo", "Ingrid", "Jonas", "Kofi", "Lucia", "Mateo", "Nadia",
)

LAST_NAMES = (
    "Adams", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Singh", "Tanaka",
    "Usman", "Varga", "Wang", "Xu", "Yilmaz", "Zhang", "Almeida", "Novak", "Schmidt", "Ruiz",
)
