"""The rules of reminding, whatever starts a send (a row button, the batch page, cron, the API).

- "Due": the next service falls within N days from today, workshop time; N defaults to the
  `reminder_days` setting everywhere (reminders page, customer list filter, API, cron).
- Who a batch reminds now, and who is left out and why (`plan_batch`).
- When unattended sends may go out (the sending hours).
- What one answer of the provider means for its message (`outcome`): sent, try again later,
  failed, or unconfirmed. A timeout is ambiguous (the provider may have accepted the message and
  answered late), so a message that timed out gets one more try in its whole life; if that is not
  a clear acceptance it ends unconfirmed, and only a person who chose to sends it again.
"""
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.models import Customer, Message
from app.services.normalize import normalize_phone
from app.services.refusal import Refused
from app.services.settings import get_setting
from app.whatsapp.base import SendResult
from app.whatsapp.cloud_api import means_undeliverable

MAX_ATTEMPTS = 5  # every attempt of a message counts, across batches, cron runs and retries
RETRIES_AFTER_TIMEOUT = 1


# --- due ---------------------------------------------------------------------------------------

def default_days() -> int:
    """How many days ahead "due" looks when nobody says otherwise (the setting)."""
    return get_setting("reminder_days")


def due_within(days: int | None = None, today: date | None = None):
    """The condition "the next service is within `days` days from today" (inclusive)."""
    days = default_days() if days is None else days
    today = today or clock.today()
    return Customer.next_service.between(today, today + timedelta(days=days))


def outside_sending_hours(now: datetime) -> bool:
    """True when `now` (workshop time) is outside the hours unattended sends may go out.

    A window whose end is before its start runs over midnight (20:00-02:00).
    """
    start = time.fromisoformat(get_setting("quiet_start"))
    end = time.fromisoformat(get_setting("quiet_end"))
    moment = now.time()
    inside = start <= moment < end if start <= end else (moment >= start or moment < end)
    return not inside


def auto_key(customer_id, service_date) -> str:
    return f"auto:{customer_id}:{service_date.isoformat()}"


# --- who a batch reminds -----------------------------------------------------------------------

REASONS = {
    "opted_out": _l("berhenti berlangganan"),
    "inactive": _l("nonaktif"),
    "invalid_number": _l("nomor HP tidak valid"),
    "already": _l("sudah diingatkan untuk jadwal ini"),
    "undeliverable": _l("tidak bisa dikirim ke nomor ini (ganti nomornya dulu)"),
    "unconfirmed": _l("pengiriman sebelumnya belum pasti; kirim manual bila perlu"),
    "opened": _l("sudah dibuka di WhatsApp, belum dikonfirmasi terkirim"),
    "gave_up": _l("sudah dicoba berkali-kali tanpa hasil; kirim manual bila perlu"),
}


def not_retried(message: Message, phone: str) -> str | None:
    """Why an earlier automatic message must not simply be sent again, or None.

    It may have gone out after all (unconfirmed), the number cannot receive WhatsApp (until the
    number is changed), or it was tried as often as a message may be.
    """
    if message.status == Message.UNCONFIRMED:
        return "unconfirmed"
    if message.status == Message.OPENED:
        return "opened"
    if message.status != Message.FAILED:
        return "already"
    if means_undeliverable(message.error_code) and message.to_phone == phone:
        return "undeliverable"
    if message.attempts >= MAX_ATTEMPTS:
        return "gave_up"
    return None


@dataclass
class Plan:
    days: int
    only_active: bool
    to_send: list = field(default_factory=list)  # customers
    retry_ids: dict = field(default_factory=dict)  # customer id -> failed message to send again
    left_out: list = field(default_factory=list)  # (customer, reason key)


def plan_batch(days: int, only_active: bool) -> Plan:
    """Exactly who a batch would remind now, and who is left out and why."""
    customers = db.session.scalars(
        sa.select(Customer).where(due_within(days)).order_by(Customer.next_service, Customer.customer_name)
    ).all()
    keys = [auto_key(customer.id, customer.next_service) for customer in customers]
    earlier = {}
    for start in range(0, len(keys), 500):
        for message in db.session.scalars(sa.select(Message).where(Message.dedupe_key.in_(keys[start:start + 500]))):
            earlier[message.dedupe_key] = message
    result = Plan(days=days, only_active=only_active)
    for customer in customers:
        previous = earlier.get(auto_key(customer.id, customer.next_service))
        reason = None
        if customer.opted_out:
            reason = "opted_out"
        elif only_active and not customer.is_active:
            reason = "inactive"
        elif previous is not None:
            reason = not_retried(previous, customer.no_hp)
        if reason is None:
            try:
                normalize_phone(customer.no_hp)
            except Refused:
                reason = "invalid_number"
        if reason:
            result.left_out.append((customer, reason))
        else:
            result.to_send.append(customer)
            if previous is not None:
                result.retry_ids[customer.id] = previous.id
    return result


# --- what an answer means ----------------------------------------------------------------------

@dataclass
class Outcome:
    status: str  # the message's new status
    wait: timedelta | None = None  # QUEUED: when to try again (None: as soon as the batch resumes)
    stop_reason: str | None = None  # the whole batch must stop (account, token, template)


def backoff(attempts: int, result: SendResult) -> timedelta:
    if result.retry_after:
        return timedelta(seconds=result.retry_after)
    return timedelta(seconds=min(60.0, 2 ** attempts) * (0.75 + random.random() / 2))


def outcome(result: SendResult, attempts: int, timeouts_before: int, automatic: bool) -> Outcome:
    """What one answer means for its message.

    `attempts` counts every attempt of the message so far, this one included; `timeouts_before`
    the earlier attempts that got no answer. Only automatic sends are queued again: a person's
    one-off send retries within the request and then reports.
    """
    if result.ok:
        return Outcome(Message.SENT)
    stop = (result.error_message or result.error_code) if result.fatal else None
    if timeouts_before >= RETRIES_AFTER_TIMEOUT:
        # An earlier attempt may have reached the customer and this one did not clearly go out.
        return Outcome(Message.UNCONFIRMED, stop_reason=stop)
    if result.ambiguous:
        if automatic and attempts < MAX_ATTEMPTS and not result.fatal:
            return Outcome(Message.QUEUED, wait=backoff(attempts, result))
        return Outcome(Message.UNCONFIRMED)
    if result.fatal:
        # Not accepted: an automatic one stays queued and goes out when the batch is resumed.
        return Outcome(Message.QUEUED if automatic else Message.FAILED, stop_reason=stop)
    if result.retryable and automatic and attempts < MAX_ATTEMPTS:
        return Outcome(Message.QUEUED, wait=backoff(attempts, result))
    return Outcome(Message.FAILED)
