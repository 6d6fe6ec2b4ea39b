"""Settings the manager edits on /settings/, with their defaults."""
from app.extensions import db
from app.models import AppSetting

DEFAULTS = {
    # How long after a service the next one is due, when the next date is not given.
    "service_interval_months": 6,
}


def get_setting(key):
    """The stored value of a setting, typed like its default."""
    default = DEFAULTS[key]
    row = db.session.get(AppSetting, key)
    if row is None:
        return default
    return type(default)(row.value)


def set_setting(key, value):
    """Store a setting in the current transaction (the caller commits)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(AppSetting, key) or AppSetting(key=key)
    row.value = str(value)
    db.session.add(row)


def service_interval_months() -> int:
    return get_setting("service_interval_months")
