"""Sending reminders: one customer now, or every due customer as a batch, each message tracked.

Rules kept here, whatever starts the send (a row button, the batch page, cron, the API):
- a manual send takes a one-minute lock on the customer with a single conditional UPDATE, so a
  second click or a colleague's click at the same moment sends nothing; it retries a rate limit or
  a temporary fault within the request (a few seconds at most) before it reports;
- an automatic reminder carries the key `auto:<customer>:<next service>`, unique in the database,
  so each customer gets one per service date however many batches run at once;
- a message that may have gone out (no answer in time) is unconfirmed: only a person resends it.

Who is due and what an answer means are in `reminder_rules`; running a batch in `batch_runner`;
the wa.me click-through queue in `link_queue`.
"""
import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.models import Customer, Message, ReminderBatch
from app.services import audit, grouping, main_system, safe_sending
from app.services import customers as customer_service
from app.services.messages import render_message, template_params
from app.services.refusal import Refused
from app.services.reminder_rules import MAX_ATTEMPTS, auto_key, not_retried, outcome, plan_batch, step_template
from app.whatsapp import get_provider
from app.whatsapp.base import OutgoingMessage, SendResult

logger = logging.getLogger(__name__)

MANUAL_LOCK = timedelta(seconds=60)
ONE_OFF_RETRY_SECONDS = 5.0  # how long a one-off send keeps retrying a rate limit (ONE_OFF_RETRY_SECONDS)




def provider():
    return get_provider(current_app.config)


def provider_problem_text(problem: str) -> str:
    return str(_l("WhatsApp belum bisa mengirim: %(problem)s.", problem=problem))


UNCONFIRMED_EXPLANATION = _l(
    "WhatsApp tidak menjawab tepat waktu, jadi belum pasti pesan ini sampai ke pelanggan. Pesan ini tidak "
    "dikirim ulang otomatis. Tanyakan dulu ke pelanggan atau periksa WhatsApp sebelum mengirim lagi."
)


# --- a batch -----------------------------------------------------------------------------------

def message_for(customer, trigger, user, provider_name, batch_id=None, key=None, step: int = 1) -> dict:
    return {
        "customer_id": customer.id, "batch_id": batch_id, "trigger": trigger,
        "user_id": user.id if user else None, "provider": provider_name, "status": Message.QUEUED,
        "to_phone": customer.no_hp, "customer_name": customer.customer_name, "nopol": customer.nopol,
        "body": render_message(customer, step_template(step)), "template_params": json.dumps(template_params(customer)),
        "service_date": customer.next_service, "dedupe_key": key, "attempts": 0, "step": step,
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


def start_batch(days: int, only_active: bool, user, trigger: str, overdue_days: int = 0) -> ReminderBatch:
    """Queue every due reminder as one batch (the caller commits and launches it).

    `overdue_days` above 0 also reminds customers overdue by at most that many days.
    """
    sender = provider()
    if sender.problem:
        raise Refused(provider_problem_text(sender.problem))
    safe_sending.check_batch_start(sender)
    batch = ReminderBatch(trigger=trigger, user_id=user.id if user else None, provider=sender.name,
                          days=days, only_active=only_active)
    db.session.add(batch)
    db.session.flush()
    plan = plan_batch(days, only_active, overdue_days)
    fresh = [customer for customer in plan.to_send if customer.id not in plan.retry_ids]
    _insert_ignoring_duplicates([
        message_for(customer, trigger, user, sender.name, batch.id,
                    auto_key(customer.id, customer.next_service, plan.step_of(customer)), plan.step_of(customer))
        for customer in fresh
    ])
    for customer in plan.to_send:
        if customer.id not in plan.retry_ids:
            continue
        # Only a message still failed is taken (a batch started at the same moment cannot take it
        # too); it goes to the customer's number and text as they are now.
        current = message_for(customer, trigger, user, sender.name, batch.id, step=plan.step_of(customer))
        db.session.execute(
            sa.update(Message).where(Message.id == plan.retry_ids[customer.id], Message.status == Message.FAILED)
            .values(status=Message.QUEUED, batch_id=batch.id, next_attempt_at=None, provider=sender.name,
                    trigger=trigger, updated_at=clock.utcnow(), sent_with_id=None,
                    **{name: current[name] for name in ("to_phone", "customer_name", "nopol", "body", "template_params")})
            .execution_options(synchronize_session=False)
        )
    grouping.group_by_phone(batch.id)
    queued = db.session.scalar(sa.select(sa.func.count(Message.id)).where(Message.batch_id == batch.id))
    batch.skipped = len(plan.left_out) + (len(plan.to_send) - queued)
    audit.record("reminders.batch", details={"batch": batch.id, "queued": queued, "days": days,
                                                  "overdue_days": overdue_days})
    if queued == 0:
        batch.status = ReminderBatch.DONE
        batch.finished_at = clock.utcnow()
    return batch


def retry_failed(batch: ReminderBatch) -> int:
    """Queue the batch's failed messages again ("kirim ulang yang gagal").

    Not the ones that cannot succeed or may have gone out: undeliverable numbers, customers who
    opted out, messages tried as often as a message may be; unconfirmed ones are not failed.
    """
    candidates = db.session.scalars(
        sa.select(Message).where(Message.batch_id == batch.id, Message.status == Message.FAILED)
    ).all()
    opted_out = set(db.session.scalars(sa.select(Customer.id).where(
        Customer.id.in_({m.customer_id for m in candidates if m.customer_id}), Customer.opted_out.is_(True))))
    ids = [message.id for message in candidates
           if message.customer_id not in opted_out and not_retried(message, message.to_phone) is None]
    if not ids:
        return 0
    result = db.session.execute(
        sa.update(Message).where(Message.id.in_(ids), Message.status == Message.FAILED)
        .values(status=Message.QUEUED, next_attempt_at=None, updated_at=clock.utcnow(), sent_with_id=None)
        .execution_options(synchronize_session=False)
    )
    grouping.group_by_phone(batch.id)
    if result.rowcount:
        batch.status, batch.finished_at, batch.stop_reason = ReminderBatch.PENDING, None, None
        audit.record("reminders.retry", details={"batch": batch.id, "queued": result.rowcount})
    return result.rowcount


def no_longer_due(message: Message) -> str | None:
    """Why a batch's queued message must not go out now after all, or None.

    A batch may wait for days (a personal number's cap, a stop): meanwhile the customer may have
    opted out, been deactivated, deleted, serviced (a new date), given another number or turned up
    in the main system.
    """
    if message.customer_id is None:
        return None
    customer = db.session.get(Customer, message.customer_id)
    if customer is None:
        return "deleted"
    if customer.opted_out:
        return "opted_out"
    batch = db.session.get(ReminderBatch, message.batch_id) if message.batch_id else None
    if batch is not None and batch.only_active and not customer.is_active:
        return "inactive"
    if message.service_date is not None and customer.next_service != message.service_date:
        return "rescheduled"
    if customer.no_hp != message.to_phone:
        return "number_changed"
    if main_system.is_known(customer):
        return "main_system"
    return None


def drop_queued(message: Message, reason: str):
    """Take a claimed message out of its batch unsent (the caller commits).

    A fresh one is removed, so a later plan may queue it again; one queued again after failing goes
    back to failed, its history kept. The plates it would have named are regrouped without it.
    """
    logger.info("message %s not sent: %s", message.id, reason)
    grouping.release_companions(message)
    batch = db.session.get(ReminderBatch, message.batch_id) if message.batch_id else None
    if batch is not None:
        batch.skipped += 1
    if message.attempts <= 1 and not message.error_code:
        db.session.delete(message)
    else:
        message.status, message.attempts, message.updated_at = Message.FAILED, message.attempts - 1, clock.utcnow()


def resume_batch(batch: ReminderBatch):
    """A stopped batch (say, after the token was fixed) carries on with what is still queued."""
    if batch.status == ReminderBatch.STOPPED:
        batch.status, batch.stop_reason, batch.resume_after = ReminderBatch.PENDING, None, None


@dataclass
class Progress:
    total: int
    queued: int
    sending: int
    sent: int  # accepted by the provider (sent, delivered or read)
    failed: int
    skipped: int
    unconfirmed: int = 0  # may or may not have gone out; not resent automatically
    opened: int = 0  # wa.me: opened in WhatsApp, not yet confirmed sent

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.unconfirmed + self.opened

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
                    sent=sent, failed=rows.get(Message.FAILED, 0), skipped=batch.skipped,
                    unconfirmed=rows.get(Message.UNCONFIRMED, 0), opened=rows.get(Message.OPENED, 0))


def batch_steps(batch: ReminderBatch) -> dict:
    """{step of the sequence: messages} of a batch."""
    return dict(db.session.execute(sa.select(Message.step, sa.func.count()).where(Message.batch_id == batch.id)
                                   .group_by(Message.step)).all())


# --- recording what the provider said -----------------------------------------------------------

def count_success(customer_id, now):
    """The customer's counters follow from successful sends, in one atomic UPDATE."""
    if customer_id is not None:
        db.session.execute(
            sa.update(Customer).where(Customer.id == customer_id)
            .values(reminder_sent_count=Customer.reminder_sent_count + 1, last_reminder_sent=now)
        )


def _opt_out(message: Message, result: SendResult):
    """The provider says the customer stopped these messages: the same opt-out as a STOP reply
    (for every customer the message was for, when it named several plates)."""
    ids = [message.customer_id, *(companion.customer_id for companion in grouping.companions_of(message))]
    reason = result.error_message or result.error_code or ""
    for customer in db.session.scalars(sa.select(Customer).where(Customer.id.in_([i for i in ids if i]))):
        if has_request_context():
            customer_service.opt_out(customer, reason)
        else:
            with audit.acting_as(audit.WEBHOOK):  # WhatsApp's answer, not a person's doing
                customer_service.opt_out(customer, reason)


def record_result(message: Message, result: SendResult, automatic: bool) -> str | None:
    """Store one send's outcome (its attempt already counted). Returns why the batch must stop."""
    now = clock.utcnow()
    decision = outcome(result, message.attempts, message.unanswered_attempts, automatic)
    if result.ambiguous:
        message.unanswered_attempts += 1
    message.status, message.updated_at = decision.status, now
    if decision.status == Message.SENT:
        message.sent_at, message.provider_message_id = now, result.provider_message_id
        message.error_code = message.error_message = None
        count_success(message.customer_id, now)
        grouping.settle_grouped(message.id)
        return None
    message.error_code, message.error_message = result.error_code, result.error_message
    if decision.status == Message.QUEUED:
        message.next_attempt_at = now + decision.wait if decision.wait else None
        message.failed_at = None
    else:
        message.failed_at = now
    if result.opted_out:
        _opt_out(message, result)
    grouping.settle_grouped(message.id)
    return decision.stop_reason


# --- sends whose process died ---------------------------------------------------------------------

INTERRUPTED = "interrupted"  # the error code of a message whose sender died while it was in flight


def mark_interrupted(*conditions) -> int:
    """Messages still "sending" whose sender died: they may or may not have gone out (unconfirmed)."""
    interrupted = db.session.execute(
        sa.update(Message).where(Message.status == Message.SENDING, *conditions)
        .values(status=Message.UNCONFIRMED, error_code=INTERRUPTED, failed_at=clock.utcnow(),
                error_message=str(_l("Pengiriman terputus; belum pasti terkirim. Periksa dulu sebelum mengirim ulang.")))
        .execution_options(synchronize_session=False)
    ).rowcount
    if interrupted:
        grouping.settle_grouped()
    return interrupted


def settle_abandoned_sends() -> int:
    """One-off sends left "sending" by a request that died (a worker killed, a restart) become unconfirmed.

    A one-off send takes at most the provider's timeout per attempt within the retry budget; one
    still sending long after that was abandoned, and the manager must see it, not a row stuck in
    "sending" for ever. Called by the reminders page and by cron.
    """
    config = current_app.config
    longest = MAX_ATTEMPTS * float(config.get("WHATSAPP_HTTP_TIMEOUT", 10)) + \
        float(config.get("ONE_OFF_RETRY_SECONDS", ONE_OFF_RETRY_SECONDS))
    cutoff = clock.utcnow() - timedelta(seconds=2 * longest + 60)
    # A batch message a person sent again (resend) belongs to a batch nobody runs any more.
    not_running = Message.batch_id.in_(sa.select(ReminderBatch.id).where(ReminderBatch.status != ReminderBatch.RUNNING))
    settled = mark_interrupted(sa.or_(Message.batch_id.is_(None), not_running), Message.updated_at < cutoff)
    db.session.commit()
    return settled


# --- one message now, retried within the request ------------------------------------------------

def _send_within_request(sender, message: Message) -> SendResult:
    """Send `message`, retrying rate limits and temporary faults for a few seconds.

    Honours Retry-After when it fits in the time left. A timeout is not retried: the provider may
    have accepted the message, and a second copy is worse than a question to the customer.
    """
    budget = float(current_app.config.get("ONE_OFF_RETRY_SECONDS", ONE_OFF_RETRY_SECONDS))
    deadline = time.monotonic() + budget
    outgoing = OutgoingMessage(message.to_phone, message.body, json.loads(message.template_params or "[]"))
    while True:
        result = sender.send(outgoing)
        if result.ok or result.ambiguous or not result.retryable or message.attempts >= MAX_ATTEMPTS:
            return result
        pause = result.retry_after or 0.5 * 2 ** (message.attempts - 1)  # 0.5 s, 1 s, 2 s
        if time.monotonic() + pause > deadline:
            return result
        time.sleep(pause)
        message.attempts += 1
        db.session.commit()  # the attempt is counted before it is made


def _deliver_now(sender, message: Message, customer: Customer | None):
    message.status, message.attempts = Message.SENDING, message.attempts + 1
    db.session.commit()
    result = _send_within_request(sender, message)
    record_result(message, result, automatic=False)
    if message.status == Message.FAILED and customer is not None:
        release_manual_lock(customer.id)  # nothing went out: trying again at once is fine
    db.session.commit()
    if customer is not None:
        db.session.refresh(customer)


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


def release_manual_lock(customer_id):
    db.session.execute(sa.update(Customer).where(Customer.id == customer_id).values(send_lock_until=None)
                       .execution_options(synchronize_session=False))


def check_can_send(sender, customer: Customer, main_system_ok: bool = False):
    """The rules of every send a person starts (provider, opted out, inactive, in the main system unless
    confirmed); takes the one-minute lock."""
    if sender.problem:
        raise Refused(provider_problem_text(sender.problem))
    if customer.opted_out:
        raise Refused(_l("%(name)s sudah berhenti berlangganan; pengingat tidak dikirim.", name=customer.customer_name))
    if not customer.is_active:
        raise Refused(_l("%(name)s nonaktif; aktifkan dulu untuk mengirim pengingat.", name=customer.customer_name))
    safe_sending.check_send_now(sender)
    if not main_system_ok:
        main_system.ask_before_sending(customer)
    if not _take_manual_lock(customer):
        raise Refused(_l("Pengingat untuk %(name)s baru saja dikirim. Tunggu satu menit sebelum mengirim lagi.",
                             name=customer.customer_name))


def send_now(customer: Customer, user, trigger: str = Message.MANUAL, main_system_ok: bool = False) -> Message:
    """Send this customer's reminder now (row button, detail page, API).

    The message ends sent, failed (nothing went out) or unconfirmed (no answer in time).
    """
    sender = provider()
    if sender.interactive:
        # With wa.me links a person sends in WhatsApp: only "Kirim WA" (opened, then confirmed)
        # may record it, never a request that claims it went out.
        raise Refused(_l("Dengan mode tautan wa.me, kirim lewat tombol Kirim WA lalu konfirmasi terkirim."))
    check_can_send(sender, customer, main_system_ok)
    message = Message(**message_for(customer, trigger, user, sender.name))
    db.session.add(message)
    db.session.flush()
    audit.record("customer.remind", customer, details={"message": message.id})
    _deliver_now(sender, message, customer)
    return message


def resend_unconfirmed(message: Message, user) -> Message:
    """A person checked and chose to send an unconfirmed message again (audited).

    A message that named several plates on one phone is sent again as that one message, and all of
    them take its outcome.
    """
    if message.sent_with_id is not None:
        lead = db.session.get(Message, message.sent_with_id)
        owner = db.session.get(Customer, lead.customer_id) if lead is not None and lead.customer_id else None
        # The lead's customer may no longer be reminded: then this customer's own message goes alone.
        if lead is not None and lead.status == Message.UNCONFIRMED and owner is not None and not owner.opted_out \
                and owner.is_active:
            message = lead
    if message.status != Message.UNCONFIRMED:
        raise Refused(_l("Pesan ini tidak berstatus belum pasti; tidak dikirim ulang."))
    customer = db.session.get(Customer, message.customer_id) if message.customer_id else None
    if customer is None:
        raise Refused(_l("Pelanggan ini sudah dihapus; pesan tidak dikirim ulang."))
    sender = provider()
    # The same message again, decided when it was first sent: the main system is not asked about twice.
    check_can_send(sender, customer, main_system_ok=True)
    # Claimed with a conditional UPDATE: a second click, or a colleague's, sends nothing.
    claimed = db.session.execute(
        sa.update(Message).where(Message.id == message.id, Message.status == Message.UNCONFIRMED)
        .values(status=Message.SENDING, provider=sender.name, user_id=user.id if user else None,
                updated_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise Refused(_l("Pesan ini sedang atau sudah dikirim ulang."))
    grouping.regroup_unconfirmed(message)
    audit.record("reminders.resend", customer, details={"message": message.id})
    db.session.commit()
    db.session.refresh(message)
    _deliver_now(sender, message, customer)
    return message


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
