"""Languages, and how values read on screen: dates, times and phones (`15 Agu 2026`, Asia/Jakarta time)."""
from datetime import date, datetime

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.clock import local_zone
from app.services.formats import format_day, format_moment


def select_locale():
    """The user's chosen language; Bahasa Indonesia for everyone else."""
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def date_short(value):
    """A calendar date as `15 Agu 2026` (or `15 Aug 2026` in English); empty for none."""
    return format_day(value, str(get_locale())) if value else ""


def datetime_short(value):
    """A UTC moment shown in the workshop's time zone: `15 Agu 2026 09:30`."""
    return format_moment(value, str(get_locale()), local_zone()) if value else ""


def iso_date_short(value):
    """An ISO date held as text (as import previews keep them) shown like any other date."""
    return date_short(date.fromisoformat(value)) if value else ""


def iso_datetime_short(value):
    return datetime_short(datetime.fromisoformat(value)) if value else ""


# How a message or a batch was started.
TRIGGERS = {"manual": _l("oleh petugas"), "batch": _l("massal"), "cron": _l("jadwal otomatis"), "api": _l("lewat API")}


def trigger_label(trigger: str) -> str:
    return str(TRIGGERS.get(trigger, trigger))


def recorded_value(value):
    """A value from the audit trail as the page shows it: dates as `15 Jan 2026`, yes/no, a dash for empty."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Ya") if value else _("Tidak")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return iso_date_short(value)
        except ValueError:
            return value
    return value
