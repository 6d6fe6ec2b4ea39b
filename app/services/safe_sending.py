"""Sending from the workshop's own WhatsApp number (WAHA, Fonnte) the way a person would.

WhatsApp bans ordinary accounts that send like a machine: many identical messages, evenly spaced,
at any hour. For a provider on such a number (`Provider.personal_number`) every send keeps to:

- a random pause between messages (settings pause_min_seconds to pause_max_seconds, 8-20 s);
- at most `daily_cap` messages a day from the number (200), counted over batches, cron and
  sends started by a person;
- the sending hours, for batches a person starts too (the Cloud API keeps them for cron only).

A batch that reaches the cap or the end of the sending hours stops with the reason and resumes by
itself at the next sending hour (`ReminderBatch.resume_after`). Alternatives in the text
(`{Halo|Hai}`, app/services/messages.py) make the messages differ.
"""
import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.models import Message
from app.services.refusal import Refused
from app.services.reminder_rules import outside_sending_hours
from app.services.settings import get_setting

# A message the gateway took (or may have taken) today counts against the day's cap.
COUNTED = (Message.SENDING, Message.SENT, Message.DELIVERED, Message.READ, Message.UNCONFIRMED)


def pause_seconds() -> float:
    """A random pause before the next message, within the manager's range."""
    low, high = get_setting("pause_min_seconds"), get_setting("pause_max_seconds")
    return random.uniform(low, max(low, high))


def wait_for_the_number(provider_name: str) -> float:
    """Seconds to wait so that at least the shortest pause has passed since the number's last message,
    whichever batch sent it (two batches at once must not double the pace)."""
    last = db.session.scalar(sa.select(sa.func.max(Message.sent_at)).where(
        Message.provider == provider_name, Message.sent_at >= clock.utcnow() - timedelta(hours=1)))
    if last is None:
        return 0.0
    return max(0.0, get_setting("pause_min_seconds") - (clock.utcnow() - last).total_seconds())


def mean_pause() -> float:
    return (get_setting("pause_min_seconds") + get_setting("pause_max_seconds")) / 2


def sent_today(provider_name: str) -> int:
    """Messages the number sent since the workshop's midnight (one per phone: grouped plates are one message)."""
    midnight = clock.local_midnight(clock.today())
    return db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.provider == provider_name, Message.status.in_(COUNTED), Message.sent_with_id.is_(None),
        sa.func.coalesce(Message.sent_at, Message.updated_at) >= midnight))


def left_today(provider_name: str) -> int:
    return max(0, get_setting("daily_cap") - sent_today(provider_name))


def next_sending_start(after: datetime | None = None) -> datetime:
    """The next moment (UTC) inside the sending hours: now when inside, else the next start."""
    moment = (after or clock.utcnow()).astimezone(clock.local_zone())
    if not outside_sending_hours(moment):
        return moment
    start = datetime.strptime(get_setting("quiet_start"), "%H:%M").time()
    candidate = datetime.combine(moment.date(), start, clock.local_zone())
    return candidate if candidate > moment else datetime.combine(moment.date() + timedelta(days=1), start,
                                                                   clock.local_zone())


def next_day_start() -> datetime:
    """The first sending moment of tomorrow (the cap is per day)."""
    tomorrow = clock.local_midnight(clock.today() + timedelta(days=1))
    return next_sending_start(tomorrow)


def hours_text() -> str:
    return f"{get_setting('quiet_start')}–{get_setting('quiet_end')}"


def check_send_now(sender):
    """A person's send from a personal number: inside the sending hours and under the day's cap."""
    if not sender.personal_number:
        return
    if outside_sending_hours(clock.local_now()):
        raise Refused(_l("Di luar jam kirim (%(hours)s). Dari nomor bengkel sendiri pesan hanya dikirim di jam kirim, "
                         "supaya nomor tidak diblokir WhatsApp.", hours=hours_text()))
    if left_today(sender.name) <= 0:
        raise Refused(_l("Batas %(cap)d pesan sehari dari nomor ini sudah tercapai. Kirim lagi besok, supaya nomor "
                         "tidak diblokir WhatsApp.", cap=get_setting("daily_cap")))


def check_batch_start(sender):
    """A batch from a personal number is started only inside the sending hours (by a person too)."""
    if sender.personal_number and outside_sending_hours(clock.local_now()):
        raise Refused(_l("Di luar jam kirim (%(hours)s): dari nomor bengkel sendiri pengiriman massal hanya di jam "
                         "kirim, supaya nomor tidak diblokir WhatsApp. Mulai lagi setelah pukul %(start)s.",
                         hours=hours_text(), start=get_setting("quiet_start")))


def _window_end(moment: datetime) -> datetime:
    """The end of the sending hours that `moment` (inside them) is in."""
    end = datetime.combine(moment.date(), datetime.strptime(get_setting("quiet_end"), "%H:%M").time(), moment.tzinfo)
    return end if end > moment else end + timedelta(days=1)


def estimated_finish(sender, waiting: int) -> datetime | None:
    """When a batch with `waiting` messages left should be done: pauses, the day's cap and the sending hours counted."""
    if not sender.personal_number or waiting <= 0:
        return None
    pause = mean_pause()
    moment = next_sending_start()
    left = left_today(sender.name)
    for _day in range(366):
        fits = min(left, int((_window_end(moment) - moment).total_seconds() // pause) + 1)
        if waiting <= fits:
            return moment + timedelta(seconds=pause * waiting)
        waiting -= max(0, fits)
        moment = next_sending_start(clock.local_midnight(moment.date() + timedelta(days=1)))
        left = get_setting("daily_cap")
    return None
