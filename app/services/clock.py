"""Time in one place: stored in UTC, 'today' is the workshop's day in APP_TIMEZONE."""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def today() -> date:
    """The calendar day at the workshop, which is what service dates mean."""
    return datetime.now(local_zone()).date()


def local_midnight(day: date) -> datetime:
    """The moment the workshop's calendar day `day` begins (aware, in the workshop's zone)."""
    return datetime.combine(day, time.min, local_zone())
