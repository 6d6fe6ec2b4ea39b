"""Text the database cannot store: the one rule for NUL characters in any input.

PostgreSQL refuses U+0000 in text columns (the whole transaction fails), and SQLite stores a value
the other database could never hold, so every text a user sends — form fields, searches, JSON
fields, import cells — is checked with `has_nul` at its boundary and refused with NUL_MESSAGE.
"""
from flask_babel import lazy_gettext as _l

NUL = "\x00"
NUL_MESSAGE = _l("Berisi karakter NUL (\\0) yang tidak diizinkan. Hapus karakter itu lalu coba lagi.")


def has_nul(value) -> bool:
    return isinstance(value, str) and NUL in value


def nul_paths(value, path: str = "") -> list[str]:
    """Where a parsed JSON document holds a NUL (`notes`, `[3].customer_name`), keys included."""
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            found += [here] if has_nul(key) else nul_paths(item, here)
        return found
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in nul_paths(item, f"{path}[{index}]")]
    return [path or "body"] if has_nul(value) else []
