"""The rules of reminding, whatever starts a send (a row button, the batch page, cron, the API).

- "Due": the next service falls within N days from today, workshop time; N defaults to the
  `reminder_days` setting everywhere (reminders page, customer list filter, API, cron).
- "Overdue": the next service was before today, workshop time (the customer list, the stats, the
  message text). A batch includes overdue customers when asked, only those overdue by at most M
  days (the `overdue_days` setting; 0 there means "not unless asked"), so a customer who left years
  ago is not messaged. Still one automatic reminder per service date: a customer reminded before
  the date passed is not reminded again once it is overdue.
- Who a batch reminds now, and who is left out and why (`plan_batch`).
- When unattended sends may go out (the sending hours).
- What one answer of the provider means for its message (`outcome`): sent, try again later,
  failed, or unconfirmed. A timeout is ambiguous (the provider may have accepted the message and
  answered late), so a message that timed out gets one more try in its whole life; if that is not
  a clear acceptance it ends unconfirmed, and only a person who chose to sends it again.
"""
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.models import ChatMessage, Customer, Message
from app.services import main_system
from app.services.normalize import normalize_phone
from app.services.refusal import Refused
from app.services.settings import get_setting
from app.whatsapp.base import SendResult
from app.whatsapp.cloud_api import means_undeliverable

ACCEPTED = (Message.SENT, Message.DELIVERED, Message.READ)
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


OVERDUE_DAYS_FALLBACK = 90  # how far back an explicit "include overdue" looks when the setting is 0
MAX_OVERDUE_DAYS = 365


def overdue(today: date | None = None):
    """The condition "the next service was before today" (workshop time)."""
    return Customer.next_service < (today or clock.today())


def is_overdue(service_date: date | None, today: date | None = None) -> bool:
    """The same rule as `overdue`, for one date in hand."""
    return service_date is not None and service_date < (today or clock.today())


def include_overdue_by_default() -> bool:
    """Whether a batch includes overdue customers when nobody says (the setting is above 0)."""
    return get_setting("overdue_days") > 0


def default_overdue_days() -> int:
    """How many days overdue a customer may be and still be reminded, when nobody says."""
    return get_setting("overdue_days") or OVERDUE_DAYS_FALLBACK


def overdue_within(days: int, today: date | None = None):
    """The condition "overdue by 1 to `days` days"."""
    today = today or clock.today()
    return Customer.next_service.between(today - timedelta(days=days), today - timedelta(days=1))


def outside_sending_hours(now: datetime) -> bool:
    """True when `now` (workshop time) is outside the hours unattended sends may go out.

    A window whose end is before its start runs over midnight (20:00-02:00).
    """
    start = time.fromisoformat(get_setting("quiet_start"))
    end = time.fromisoformat(get_setting("quiet_end"))
    moment = now.time()
    inside = start <= moment < end if start <= end else (moment >= start or moment < end)
    return not inside


def auto_key(customer_id, service_date, step: int = 1) -> str:
    """The send-once key of an automatic reminder: one per customer, service date and step of the sequence."""
    key = f"auto:{customer_id}:{service_date.isoformat()}"
    return key if step == 1 else f"{key}:{step}"


# A follow-up step whose day passed more than this long ago is not sent late.
FOLLOW_UP_GRACE_DAYS = 7


def follow_up_steps() -> list[tuple[int, int]]:
    """The later steps of the sequence the manager turned on: (step, days from the service date)."""
    return [(step, get_setting(f"step{step}_days")) for step in (2, 3) if get_setting(f"step{step}_on")]


def step_template(step: int) -> str | None:
    """The text of a follow-up step (None for step 1: its due or overdue text is chosen per customer)."""
    return get_setting(f"step{step}_message_template") if step > 1 else None


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
    "answered": _l("sudah membalas sejak pesan sebelumnya; langkah berikutnya tidak dikirim"),
    "serviced": _l("sudah servis sejak pesan sebelumnya"),
    "main_system": _l("ada di sistem utama; diingatkan dari sana"),
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
    overdue_days: int  # 0: overdue customers are not included
    today: date
    to_send: list = field(default_factory=list)  # customers
    retry_ids: dict = field(default_factory=dict)  # customer id -> failed message to send again
    steps: dict = field(default_factory=dict)  # customer id -> step of the sequence, when not 1
    left_out: list = field(default_factory=list)  # (customer, reason key)
    overdue_not_included: int = 0  # overdue customers within the bound, when they were not included

    def step_of(self, customer) -> int:
        return self.steps.get(customer.id, 1)

    def days_overdue(self, customer) -> int | None:
        """How many days ago the customer's service was due, or None when it is not overdue."""
        if not is_overdue(customer.next_service, self.today):
            return None
        return (self.today - customer.next_service).days

    @property
    def phones_shared(self) -> set:
        """The numbers two or more of the customers to remind share: each gets one message naming every plate."""
        counts = Counter(customer.no_hp for customer in self.to_send)
        return {phone for phone, count in counts.items() if count > 1}

    @property
    def overdue_count(self) -> int:
        return sum(1 for customer in self.to_send if is_overdue(customer.next_service, self.today))


def plan_batch(days: int, only_active: bool, overdue_days: int = 0) -> Plan:
    """Exactly who a batch would remind now, and who is left out and why.

    `overdue_days` above 0 also takes customers overdue by at most that many days.
    """
    today = clock.today()
    condition = due_within(days, today)
    if overdue_days:
        condition = sa.or_(condition, overdue_within(overdue_days, today))
    customers = db.session.scalars(
        sa.select(Customer).where(condition).order_by(Customer.next_service, Customer.customer_name)
    ).all()
    keys = [auto_key(customer.id, customer.next_service) for customer in customers]
    earlier = {}
    for start in range(0, len(keys), 500):
        for message in db.session.scalars(sa.select(Message).where(Message.dedupe_key.in_(keys[start:start + 500]))):
            earlier[message.dedupe_key] = message
    result = Plan(days=days, only_active=only_active, overdue_days=overdue_days, today=today)
    if not overdue_days:
        result.overdue_not_included = db.session.scalar(
            sa.select(sa.func.count(Customer.id)).where(overdue_within(default_overdue_days(), today)))
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
    reminded = len(result.left_out)
    for step, days in follow_up_steps():
        _plan_follow_up(result, step, days, only_active)
    # A customer reminded for this date already ("already") may be due for a later step, or left out
    # of it for a reason of its own: that says more.
    later = set(result.steps) | {customer.id for customer, _ in result.left_out[reminded:]}
    result.left_out = [(customer, reason) for index, (customer, reason) in enumerate(result.left_out)
                       if not (index < reminded and reason == "already" and customer.id in later)]
    _leave_out_main_system(result)
    return result


def _leave_out_main_system(result: Plan):
    """Customers the main system has are reminded by it: never by both."""
    known = main_system.known_ids(result.to_send)
    if not known:
        return
    result.left_out += [(customer, "main_system") for customer in result.to_send if customer.id in known]
    result.to_send = [customer for customer in result.to_send if customer.id not in known]
    for customer_id in known:
        result.steps.pop(customer_id, None)
        result.retry_ids.pop(customer_id, None)


def _messages_by_key(keys: list[str]) -> dict:
    found = {}
    for start in range(0, len(keys), 500):
        for message in db.session.scalars(sa.select(Message).where(Message.dedupe_key.in_(keys[start:start + 500]))):
            found[message.dedupe_key] = message
    return found


def _plan_follow_up(result: Plan, step: int, days: int, only_active: bool):
    """Who is due for this later step: their day has come (within the grace), the step before went out,
    and since then they have not replied, booked, opted out or been serviced."""
    last_day = result.today - timedelta(days=days)
    customers = db.session.scalars(
        sa.select(Customer).where(Customer.next_service.between(last_day - timedelta(days=FOLLOW_UP_GRACE_DAYS), last_day))
        .order_by(Customer.next_service, Customer.customer_name)
    ).all()
    planned = {customer.id for customer in result.to_send}
    customers = [customer for customer in customers if customer.id not in planned]
    before = _messages_by_key([auto_key(c.id, c.next_service, step - 1) for c in customers])
    this = _messages_by_key([auto_key(c.id, c.next_service, step) for c in customers])
    wrote = _last_replies({customer.no_hp for customer in customers})
    for customer in customers:
        previous = before.get(auto_key(customer.id, customer.next_service, step - 1))
        if previous is None or previous.sent_at is None or previous.status not in ACCEPTED:
            continue  # the step before did not go out: this customer is not in the sequence
        if previous.sent_at.astimezone(clock.local_zone()).date() >= customer.next_service + timedelta(days=days):
            continue  # the step before went out on or after this step's day (it was late): this one would repeat it
        earlier = this.get(auto_key(customer.id, customer.next_service, step))
        reason = None
        if earlier is not None and not_retried(earlier, customer.no_hp) is not None:
            continue  # this step was sent already (or must not simply be sent again)
        if customer.opted_out:
            reason = "opted_out"
        elif only_active and not customer.is_active:
            reason = "inactive"
        elif customer.no_hp in wrote and wrote[customer.no_hp] >= previous.sent_at:
            reason = "answered"  # a reply; a booking asked for by reply is one too
        elif customer.last_service and customer.last_service >= previous.sent_at.astimezone(clock.local_zone()).date():
            reason = "serviced"
        if reason:
            result.left_out.append((customer, reason))
            continue
        result.to_send.append(customer)
        result.steps[customer.id] = step
        if earlier is not None:
            result.retry_ids[customer.id] = earlier.id


def _last_replies(phones: set) -> dict:
    """{phone: when it last wrote to us}, for the phones that ever did."""
    phones, found = sorted(phones), {}
    for start in range(0, len(phones), 500):
        found.update(db.session.execute(
            sa.select(ChatMessage.phone, sa.func.max(ChatMessage.at))
            .where(ChatMessage.direction == ChatMessage.INBOUND, ChatMessage.phone.in_(phones[start:start + 500]))
            .group_by(ChatMessage.phone)).all())
    return found


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
