"""How values read for people, on screen and in what goes out (exports, messages).

Dates read `15 Agu 2026`; moments are shown in the workshop's zone; phones, stored as `628…`,
read as people write them: `0812-3456-7890`.
"""
from datetime import date, datetime
from functools import cache

from babel.dates import get_month_names


@cache
def _month_names(locale: str, width: str) -> tuple[str, ...]:
    names = get_month_names(width, context="format", locale=locale)
    return tuple(names[month] for month in range(1, 13))


def format_day(value: date, locale: str, width: str = "abbreviated") -> str:
    """Babel's `d MMM yyyy` (`d MMMM yyyy` with width="wide") from Babel's month names.

    A list page shows a hundred and fifty dates; reading the pattern for each was a fifth of its
    rendering time. tests/test_i18n.py checks the result against Babel's own for every month.
    """
    return f"{value.day} {_month_names(locale, width)[value.month - 1]} {value.year:04d}"


def format_moment(value: datetime, locale: str, zone) -> str:
    """A UTC moment as `15 Agu 2026 09:30` in `zone`."""
    local = value.astimezone(zone)
    return f"{format_day(local.date(), locale)} {local:%H:%M}"


def local_phone(stored: str | None) -> str:
    """A stored Indonesian number (`6281234567890`) as people write it: `0812-3456-7890`.

    Two groups of four, then the rest (two to five digits). Anything that is not a stored
    Indonesian number (an old or foreign value) is shown unchanged.
    """
    if not stored or not stored.startswith("62") or not stored.isascii() or not stored.isdigit():
        return stored or ""
    national = "0" + stored[2:]
    return f"{national[:4]}-{national[4:8]}-{national[8:]}"
