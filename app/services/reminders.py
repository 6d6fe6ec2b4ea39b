"""Sending reminders: one customer now, or every due customer as a batch, each message tracked.

Rules kept here, whatever starts the send (a row button, the batch page, cron, the API):
- a manual send takes a one-minute lock on the customer with a single conditional UPDATE, so a
  second click or a colleague's click at the same moment sends nothing;
- an automatic reminder carries the key `auto:<customer>:<next service>`, unique in the database,
  so each customer gets one per service date however many batches run at once;
- a batch's state is in the database: a runner claims it with a heartbeat, and a runner that died
  is replaced; messages it left half-sent are marked unconfirmed instead of being sent again.
"""
import json
import logging
import math
import random
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Customer, Message, ReminderBatch
from app.services import audit, clock
from app.services.messages import render_message, template_params
from app.services.normalize import InvalidValue, normalize_phone
from app.whatsapp import get_provider
from app.whatsapp.base import OutgoingMessage, SendResult

logger = logging.getLogger(__name__)

MANUAL_LOCK = timedelta(seconds=60)
MAX_ATTEMPTS = 5
HEARTBEAT_EVERY = 2.0  # seconds
STALE_SECONDS = 20  # a running batch silent this long has lost its runner (REMINDER_STALE_SECONDS)
UNCONFIRMED = "unconfirmed"


class SendRefused(Exception):
    """A send that must not happen; `message` tells the user why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def provider():
    return get_provider(current_app.config)


def provider_problem_text(problem: str) -> str:
    return str(_l("WhatsApp belum bisa mengirim: %(problem)s.", problem=problem))


def auto_key(customer_id, service_date) -> str:
    return f"auto:{customer_id}:{service_date.isoformat()}"


# --- planning a batch ------------------------------------------------------------------------

REASONS = {
    "opted_out": _l("berhenti berlangganan"),
    "inactive": _l("nonaktif"),
    "invalid_number": _l("nomor HP tidak valid"),
    "already": _l("sudah diingatkan untuk jadwal ini"),
    "undeliverable": _l("tidak bisa dikirim ke nomor ini (ganti nomornya dulu)"),
    "unconfirmed": _l("pengiriman sebelumnya belum pasti; kirim manual bila perlu"),
}
# Failures a new batch must not simply repeat: the number cannot receive WhatsApp, the customer
# stopped marketing messages, or the earlier send may have gone out after all.
NOT_RETRIED = {"131026": "undeliverable", "131050": "opted_out", "unconfirmed": "unconfirmed"}


@dataclass
class Plan:
    days: int
    only_active: bool
    to_send: list = field(default_factory=list)  # customers
    retry_ids: dict = field(default_factory=dict)  # customer id -> failed message to send again
    left_out: list = field(default_factory=list)  # (customer, reason key)


def plan_batch(days: int, only_active: bool) -> Plan:
    """Exactly who a batch would remind now, and who is left out and why."""
    today = clock.today()
    customers = db.session.scalars(
        sa.select(Customer)
        .where(Customer.next_service.between(today, today + timedelta(days=days)))
        .order_by(Customer.next_service, Customer.customer_name)
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
        elif previous is not None and previous.status != Message.FAILED:
            reason = "already"
        elif previous is not None and previous.error_code in NOT_RETRIED and previous.to_phone == customer.no_hp:
            reason = NOT_RETRIED[previous.error_code]
        else:
            try:
                normalize_phone(customer.no_hp)
            except InvalidValue:
                reason = "invalid_number"
        if reason:
            result.left_out.append((customer, reason))
        else:
            result.to_send.append(customer)
            if previous is not None:
                result.retry_ids[customer.id] = previous.id
    return result


def _message_for(customer, trigger, user, provider_name, batch_id=None, key=None) -> dict:
    return {
        "customer_id": customer.id, "batch_id": batch_id, "trigger": trigger,
        "user_id": user.id if user else None, "provider": provider_name, "status": Message.QUEUED,
        "to_phone": customer.no_hp, "customer_name": customer.customer_name, "nopol": customer.nopol,
        "body": render_message(customer), "template_params": json.dumps(template_params(customer)),
        "service_date": customer.next_service, "dedupe_key": key, "attempts": 0,
        "created_at": clock.utcnow(), "updated_at": clock.utcnow(),
    }


def _insert_ignoring_duplicates(rows: list[dict]):
    """Insert messages; one whose dedupe key exists already (another batch won) is left out."""
    if not rows:
        return
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(Message).on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)


def start_batch(days: int, only_active: bool, user, trigger: str) -> ReminderBatch:
    """Queue every due reminder as one batch (the caller commits and launches it)."""
    sender = provider()
    if sender.problem:
        raise SendRefused(provider_problem_text(sender.problem))
    batch = ReminderBatch(trigger=trigger, user_id=user.id if user else None, provider=sender.name,
                          days=days, only_active=only_active)
    db.session.add(batch)
    db.session.flush()
    plan = plan_batch(days, only_active)
    fresh = [customer for customer in plan.to_send if customer.id not in plan.retry_ids]
    _insert_ignoring_duplicates([
        _message_for(customer, trigger, user, sender.name, batch.id, auto_key(customer.id, customer.next_service))
        for customer in fresh
    ])
    retry_ids = list(plan.retry_ids.values())
    if retry_ids:
        # Only a message still failed is taken; a batch started at the same moment cannot take it too.
        db.session.execute(
            sa.update(Message).where(Message.id.in_(retry_ids), Message.status == Message.FAILED)
            .values(status=Message.QUEUED, batch_id=batch.id, next_attempt_at=None, provider=sender.name,
                    trigger=trigger, updated_at=clock.utcnow())
        )
    queued = db.session.scalar(sa.select(sa.func.count(Message.id)).where(Message.batch_id == batch.id))
    batch.skipped = len(plan.left_out) + (len(plan.to_send) - queued)
    audit.record("reminders.batch", details={"batch": batch.id, "queued": queued, "days": days})
    if queued == 0:
        batch.status = ReminderBatch.DONE
        batch.finished_at = clock.utcnow()
    return batch


def retry_failed(batch: ReminderBatch) -> int:
    """Queue the batch's failed messages again (not the ones that can never succeed)."""
    permanent = set(NOT_RETRIED)
    result = db.session.execute(
        sa.update(Message)
        .where(Message.batch_id == batch.id, Message.status == Message.FAILED,
               sa.or_(Message.error_code.is_(None), Message.error_code.not_in(permanent)))
        .values(status=Message.QUEUED, next_attempt_at=None, updated_at=clock.utcnow())
    )
    if result.rowcount:
        batch.status, batch.finished_at, batch.stop_reason = ReminderBatch.PENDING, None, None
        audit.record("reminders.retry", details={"batch": batch.id, "queued": result.rowcount})
    return result.rowcount


def resume_batch(batch: ReminderBatch):
    """A stopped batch (say, after the token was fixed) carries on with what is still queued."""
    if batch.status == ReminderBatch.STOPPED:
        batch.status, batch.stop_reason = ReminderBatch.PENDING, None


@dataclass
class Progress:
    total: int
    queued: int
    sending: int
    sent: int  # accepted by the provider (sent, delivered or read)
    failed: int
    skipped: int

    @property
    def done(self) -> int:
        return self.sent + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.done * 100 / self.total)


def batch_progress(batch: ReminderBatch) -> Progress:
    rows = dict(db.session.execute(
        sa.select(Message.status, sa.func.count(Message.id)).where(Message.batch_id == batch.id)
        .group_by(Message.status)
    ).all())
    sent = rows.get(Message.SENT, 0) + rows.get(Message.DELIVERED, 0) + rows.get(Message.READ, 0)
    return Progress(total=sum(rows.values()), queued=rows.get(Message.QUEUED, 0), sending=rows.get(Message.SENDING, 0),
                    sent=sent, failed=rows.get(Message.FAILED, 0), skipped=batch.skipped)


# --- recording what the provider said -----------------------------------------------------------

def _count_success(customer_id, now):
    """The customer's counters follow from successful sends, in one atomic UPDATE."""
    if customer_id is not None:
        db.session.execute(
            sa.update(Customer).where(Customer.id == customer_id)
            .values(reminder_sent_count=Customer.reminder_sent_count + 1, last_reminder_sent=now)
        )


def _backoff(attempts: int, result: SendResult) -> timedelta:
    if result.retry_after:
        return timedelta(seconds=result.retry_after)
    return timedelta(seconds=min(60.0, 2 ** attempts) * (0.75 + random.random() / 2))


def record_result(message: Message, result: SendResult, automatic: bool) -> str | None:
    """Store one send's outcome. Returns a reason when the whole batch must stop."""
    now = clock.utcnow()
    message.error_code, message.error_message = result.error_code, result.error_message
    if result.ok:
        message.status, message.sent_at = Message.SENT, now
        message.provider_message_id = result.provider_message_id
        message.error_code = message.error_message = None
        _count_success(message.customer_id, now)
        return None
    if result.fatal:
        # Not accepted: it stays queued and goes out when the batch is resumed after the fix.
        message.status = Message.QUEUED if automatic else Message.FAILED
        message.failed_at = None if automatic else now
        return result.error_message or result.error_code
    may_retry = result.retryable and automatic and message.attempts < MAX_ATTEMPTS
    if result.ambiguous and message.attempts >= 2:
        may_retry = False  # a timeout may have been accepted: one more try at most
    if may_retry:
        message.status, message.next_attempt_at = Message.QUEUED, now + _backoff(message.attempts, result)
        return None
    message.status, message.failed_at = Message.FAILED, now
    if result.opted_out and message.customer_id is not None:
        db.session.execute(sa.update(Customer).where(Customer.id == message.customer_id)
                           .values(opted_out=True, opted_out_at=now))
    return None


# --- one customer now ---------------------------------------------------------------------------

def _take_manual_lock(customer: Customer) -> bool:
    now = clock.utcnow()
    result = db.session.execute(
        sa.update(Customer)
        .where(Customer.id == customer.id,
               sa.or_(Customer.send_lock_until.is_(None), Customer.send_lock_until < now))
        .values(send_lock_until=now + MANUAL_LOCK)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _release_manual_lock(customer_id):
    db.session.execute(sa.update(Customer).where(Customer.id == customer_id).values(send_lock_until=None)
                       .execution_options(synchronize_session=False))


def send_now(customer: Customer, user, trigger: str = Message.MANUAL) -> Message:
    """Send this customer's reminder now (row button, detail page, API)."""
    sender = provider()
    if sender.problem:
        raise SendRefused(provider_problem_text(sender.problem))
    if customer.opted_out:
        raise SendRefused(_l("%(name)s sudah berhenti berlangganan; pengingat tidak dikirim.", name=customer.customer_name))
    if not customer.is_active:
        raise SendRefused(_l("%(name)s nonaktif; aktifkan dulu untuk mengirim pengingat.", name=customer.customer_name))
    if not _take_manual_lock(customer):
        raise SendRefused(_l("Pengingat untuk %(name)s baru saja dikirim. Tunggu satu menit sebelum mengirim lagi.",
                             name=customer.customer_name))
    message = Message(**_message_for(customer, trigger, user, sender.name))
    message.status, message.attempts = Message.SENDING, 1
    db.session.add(message)
    db.session.flush()
    audit.record("customer.remind", customer, details={"message": message.id})
    db.session.commit()
    result = sender.send(OutgoingMessage(message.to_phone, message.body, json.loads(message.template_params)))
    record_result(message, result, automatic=False)
    if not result.ok:
        _release_manual_lock(customer.id)  # nothing went out: trying again at once is fine
    db.session.commit()
    db.session.refresh(customer)
    return message


# --- the batch runner --------------------------------------------------------------------------

class RateLimiter:
    """Start at most `rate` sends a second, evenly spaced (thread-safe)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_slot = time.monotonic()
        self.lock = threading.Lock()

    def wait(self):
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def _stale_after() -> timedelta:
    return timedelta(seconds=float(current_app.config.get("REMINDER_STALE_SECONDS", STALE_SECONDS)))


def _claim_batch(batch_id: int, runner: str) -> bool:
    now = clock.utcnow()
    result = db.session.execute(
        sa.update(ReminderBatch)
        .where(ReminderBatch.id == batch_id,
               sa.or_(ReminderBatch.status == ReminderBatch.PENDING,
                      sa.and_(ReminderBatch.status == ReminderBatch.RUNNING,
                              sa.or_(ReminderBatch.heartbeat_at.is_(None),
                                     ReminderBatch.heartbeat_at < now - _stale_after()))))
        .values(status=ReminderBatch.RUNNING, runner=runner, heartbeat_at=now,
                started_at=sa.func.coalesce(ReminderBatch.started_at, now))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _beat(batch_id: int, runner: str) -> bool:
    """Keep the claim alive; False when the batch was stopped or taken over meanwhile."""
    result = db.session.execute(
        sa.update(ReminderBatch)
        .where(ReminderBatch.id == batch_id, ReminderBatch.runner == runner,
               ReminderBatch.status == ReminderBatch.RUNNING)
        .values(heartbeat_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _mark_unconfirmed(batch_id: int):
    """Messages a dead runner was sending may or may not have gone out: never resend them blindly."""
    db.session.execute(
        sa.update(Message).where(Message.batch_id == batch_id, Message.status == Message.SENDING)
        .values(status=Message.FAILED, error_code=UNCONFIRMED, failed_at=clock.utcnow(),
                error_message=str(_l("Pengiriman terputus; belum pasti terkirim. Periksa dulu sebelum mengirim ulang.")))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _claim_messages(batch_id: int, limit: int) -> list[Message]:
    now = clock.utcnow()
    messages = db.session.scalars(
        sa.select(Message)
        .where(Message.batch_id == batch_id, Message.status == Message.QUEUED,
               sa.or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now))
        .order_by(Message.id).limit(limit)
    ).all()
    for message in messages:
        message.status, message.attempts = Message.SENDING, message.attempts + 1
    db.session.commit()
    return messages


def _waiting(batch_id: int) -> tuple[int, object]:
    """How many messages still wait for a later retry, and the earliest time one is due."""
    count, earliest = db.session.execute(
        sa.select(sa.func.count(Message.id), sa.func.min(Message.next_attempt_at))
        .where(Message.batch_id == batch_id, Message.status == Message.QUEUED)
    ).one()
    return count, earliest


def run_batch(batch_id: int) -> ReminderBatch | None:
    """Send a batch's queued messages at the provider's rate, concurrently; returns when it ends.

    Safe to call from several processes: only one claims the batch at a time.
    """
    runner = uuid.uuid4().hex
    if not _claim_batch(batch_id, runner):
        return None
    sender = provider()
    batch = db.session.get(ReminderBatch, batch_id)
    if sender.interactive or sender.problem:
        # wa.me links are sent by a person, one click at a time; nothing to run here.
        batch.status = ReminderBatch.PENDING if sender.interactive else ReminderBatch.STOPPED
        batch.stop_reason = None if sender.interactive else provider_problem_text(sender.problem)
        db.session.commit()
        return batch
    _mark_unconfirmed(batch_id)
    limiter = RateLimiter(sender.rate)
    workers = max(2, min(32, math.ceil(sender.rate * 2)))
    claim_size = max(1, math.ceil(sender.rate / 5))
    stop_reason = None
    in_flight = {}
    last_beat = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"batch-{batch_id}") as pool:
        while True:
            if time.monotonic() - last_beat > HEARTBEAT_EVERY:
                if not _beat(batch_id, runner):
                    stop_reason = stop_reason or "taken over"
                last_beat = time.monotonic()
            if stop_reason is None and len(in_flight) < workers:
                # Claim only what starts within a fifth of a second: if this process dies, few
                # messages are left half-sent (they are reported as unconfirmed, not resent).
                for message in _claim_messages(batch_id, min(workers - len(in_flight), claim_size)):
                    outgoing = OutgoingMessage(message.to_phone, message.body, json.loads(message.template_params or "[]"))
                    limiter.wait()
                    in_flight[pool.submit(sender.send, outgoing)] = message.id
            if in_flight:
                done, _ = wait(list(in_flight), timeout=0.05, return_when=FIRST_COMPLETED)
                for future in done:
                    message = db.session.get(Message, in_flight.pop(future))
                    reason = record_result(message, future.result(), automatic=True)
                    stop_reason = stop_reason or reason
                if done:
                    db.session.commit()
                continue
            if stop_reason is not None:
                break
            waiting, earliest = _waiting(batch_id)
            if not waiting:
                break
            pause = (earliest - clock.utcnow()).total_seconds() if earliest else 0.05
            time.sleep(min(max(pause, 0.05), HEARTBEAT_EVERY))
    batch = db.session.get(ReminderBatch, batch_id)
    db.session.refresh(batch)
    if batch.runner == runner and batch.status == ReminderBatch.RUNNING:
        if stop_reason and stop_reason != "taken over":
            batch.status, batch.stop_reason = ReminderBatch.STOPPED, stop_reason
        else:
            batch.status = ReminderBatch.DONE
        batch.finished_at = clock.utcnow()
        db.session.commit()
    return batch


def stale_batches() -> list[int]:
    """Running batches whose runner went quiet, and pending ones nobody started."""
    cutoff = clock.utcnow() - _stale_after()
    return list(db.session.scalars(
        sa.select(ReminderBatch.id).where(
            sa.or_(sa.and_(ReminderBatch.status == ReminderBatch.RUNNING, ReminderBatch.heartbeat_at < cutoff),
                   sa.and_(ReminderBatch.status == ReminderBatch.PENDING, ReminderBatch.created_at < cutoff)))
    ))


# --- the click-through queue (wa.me links) ---------------------------------------------------

def next_in_queue(batch: ReminderBatch) -> Message | None:
    return db.session.scalar(
        sa.select(Message).where(Message.batch_id == batch.id, Message.status == Message.QUEUED)
        .order_by(Message.id).limit(1)
    )


def mark_link_opened(message: Message) -> bool:
    """The person opened this customer's wa.me link: recorded once, however often it is clicked."""
    now = clock.utcnow()
    result = db.session.execute(
        sa.update(Message).where(Message.id == message.id, Message.status == Message.QUEUED)
        .values(status=Message.SENT, sent_at=now, attempts=Message.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        _count_success(message.customer_id, now)
    db.session.commit()
    return result.rowcount == 1


def skip_in_queue(message: Message):
    db.session.execute(
        sa.update(Message).where(Message.id == message.id, Message.status == Message.QUEUED)
        .values(status=Message.FAILED, error_code="skipped", failed_at=clock.utcnow(),
                error_message=str(_l("Dilewati oleh petugas.")))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def finish_queue_if_empty(batch: ReminderBatch):
    if next_in_queue(batch) is None and batch.status in (ReminderBatch.PENDING, ReminderBatch.RUNNING):
        batch.status, batch.finished_at = ReminderBatch.DONE, clock.utcnow()
        db.session.commit()


# --- lists -------------------------------------------------------------------------------------

def recent_messages(status: str | None = None, limit: int = 100) -> list[Message]:
    stmt = sa.select(Message).order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Message.status == status)
    return db.session.scalars(stmt).all()


def customer_history(customer_id) -> list[Message]:
    return db.session.scalars(
        sa.select(Message).where(Message.customer_id == customer_id)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(50)
    ).all()


def recent_batches(limit: int = 10) -> list[ReminderBatch]:
    return db.session.scalars(sa.select(ReminderBatch).order_by(ReminderBatch.id.desc()).limit(limit)).all()
