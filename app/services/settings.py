"""Settings the manager edits on /settings/, with their defaults."""
import sqlalchemy as sa
from flask import g, has_app_context

from app.extensions import db
from app.models import AppSetting
from app.services import audit

DEFAULT_MESSAGE = (
    "Halo {nama}, kendaraan Anda {nopol} dijadwalkan servis berikutnya pada {servis_berikutnya}. "
    "Servis terakhir: {servis_terakhir}. Balas 1 untuk booking, 2 jika sudah servis, "
    "atau STOP bila tidak ingin menerima pengingat lagi. Salam, {bengkel}."
)

# For a customer whose next service date has passed: "is scheduled for" a past day reads wrong.
DEFAULT_OVERDUE_MESSAGE = (
    "Halo {nama}, servis kendaraan {nopol} sudah lewat jadwal sejak {servis_berikutnya}. "
    "Servis terakhir: {servis_terakhir}. Balas 1 untuk booking secepatnya, 2 jika sudah servis, "
    "atau STOP bila tidak ingin menerima pengingat lagi. Salam, {bengkel}."
)

# The reminder sequence's later steps, off until the manager turns them on: step 1 is the reminder above.
DEFAULT_STEP2_MESSAGE = (
    "Halo {nama}, hari ini jadwal servis kendaraan {nopol}. Balas 1 untuk booking, 2 jika sudah servis, "
    "atau STOP bila tidak ingin menerima pengingat lagi. Salam, {bengkel}."
)
DEFAULT_STEP3_MESSAGE = (
    "Halo {nama}, servis kendaraan {nopol} sudah lewat dari jadwal {servis_berikutnya}. Balas 1 untuk booking, "
    "2 jika sudah servis, atau STOP bila tidak ingin menerima pengingat lagi. Salam, {bengkel}."
)

DEFAULTS = {
    # How long after a service the next one is due, when the next date is not given.
    "service_interval_months": 6,
    "workshop_name": "Bengkel Kami",
    # The number customers reply to ({wa_bengkel}), stored normalised (`628…`); empty until given.
    "workshop_whatsapp": "",
    "message_template": DEFAULT_MESSAGE,
    # Which values fill the approved Cloud API template's body parameters {{1}}, {{2}}, ...
    "template_params": "nama,nopol,servis_berikutnya",
    # Unattended sends (cron) only go out between these times, workshop time.
    "quiet_start": "08:00",
    "quiet_end": "20:00",
    "reminder_days": 3,
    # Sent instead of message_template when the next service date is before today.
    "overdue_message_template": DEFAULT_OVERDUE_MESSAGE,
    # Batches include customers overdue by at most this many days (0: only when asked).
    "overdue_days": 90,
    # Steps 2 and 3: on (1) or off (0), days from the service date (negative: before it), their text.
    "step2_on": 0,
    "step2_days": 0,
    "step2_message_template": DEFAULT_STEP2_MESSAGE,
    "step3_on": 0,
    "step3_days": 7,
    "step3_message_template": DEFAULT_STEP3_MESSAGE,
    # Sending from the workshop's own number (WAHA, Fonnte): a random pause between messages, in
    # seconds, and at most this many messages a day from the number (app/services/safe_sending.py).
    "pause_min_seconds": 8,
    "pause_max_seconds": 20,
    "daily_cap": 200,
    # The main system's database and the query returning its plates and phones (empty: the
    # environment's MAIN_DATABASE_URL / MAIN_SYSTEM_QUERY, see app/services/main_system.py).
    "main_database_url": "",
    "main_system_query": "",
}


def _stored() -> dict:
    """Every stored setting, read once per request (a page may render fifty reminders)."""
    if has_app_context() and "settings" in g:
        return g.settings
    stored = dict(db.session.execute(sa.select(AppSetting.key, AppSetting.value)).all())
    if has_app_context():
        g.settings = stored
    return stored


def get_setting(key):
    """The stored value of a setting, typed like its default."""
    default = DEFAULTS[key]
    value = _stored().get(key)
    return default if value is None else type(default)(value)


def set_setting(key, value):
    """Store a setting in the current transaction (the caller commits)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(AppSetting, key) or AppSetting(key=key)
    row.value = str(value)
    db.session.add(row)
    g.pop("settings", None)


def update_settings(values: dict):
    """Store the settings page's values and record what changed (the caller commits)."""
    before = {key: get_setting(key) for key in values}
    for key, value in values.items():
        set_setting(key, value)
    after = {key: get_setting(key) for key in values}
    changes = audit.differences(before, after)
    if changes:
        audit.record("settings.update", changes=changes)


def set_workshop(name: str, whatsapp: str | None):
    """The workshop's name and reply number, from the first-run form (the caller commits).

    `whatsapp` is already normalised (`628…`) or empty.
    """
    set_setting("workshop_name", name)
    set_setting("workshop_whatsapp", whatsapp or "")


def service_interval_months() -> int:
    return get_setting("service_interval_months")
