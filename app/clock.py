"""Time in one place: stored in UTC, 'today' is the workshop's day in APP_TIMEZONE.

Every part of the app asks this module for the time, never the machine directly, so the clock can
be set: `CLOCK_SHIFT` (a timedelta in the app's config, used by the tests) moves the app's "now"
away from the machine's while it keeps ticking. In production it is unset and "now" is the
machine's time. Like config.py it sits below every layer: the tables' default times come from it.
"""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

NO_SHIFT = timedelta(0)


def _shift() -> timedelta:
    if has_app_context():
        return current_app.config.get("CLOCK_SHIFT") or NO_SHIFT
    return NO_SHIFT


def utcnow() -> datetime:
    return datetime.now(UTC) + _shift()


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def local_now() -> datetime:
    """The moment at the workshop: its wall clock, in its zone."""
    return utcnow().astimezone(local_zone())


def today() -> date:
    """The calendar day at the workshop, which is what service dates mean."""
    return local_now().date()


# The days a date filter may name. Beyond them the app cannot compute a day's UTC bounds or the
# day after (0001-01-01 in Asia/Jakarta is in year 0 in UTC; 9999-12-31 has no next day).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def within_calendar(day: date) -> date:
    """`day`, moved to FIRST_DAY or LAST_DAY when a filter asks for a day beyond them."""
    return min(max(day, FIRST_DAY), LAST_DAY)


def local_midnight(day: date) -> datetime:
    """The moment the workshop's calendar day `day` begins (aware, in the workshop's zone)."""
    return datetime.combine(day, time.min, local_zone())


def shift_to_local_time(hour: int, minute: int = 0) -> timedelta:
    """The CLOCK_SHIFT that makes the workshop's clock read hour:minute now, on the machine's date there."""
    real = datetime.now(UTC).astimezone(local_zone())
    wanted = real.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return wanted - real


def sleep(seconds: float):
    """Wait on the app's clock: the machine's, or (CLOCK_SLEEPS_BY_SHIFTING, the tests) by moving
    the app's clock forward at once, so a batch paced over minutes runs in milliseconds."""
    import time as machine_time

    if seconds <= 0:
        return
    if has_app_context() and current_app.config.get("CLOCK_SLEEPS_BY_SHIFTING"):
        current_app.config["CLOCK_SHIFT"] = _shift() + timedelta(seconds=seconds)
        return
    machine_time.sleep(seconds)
