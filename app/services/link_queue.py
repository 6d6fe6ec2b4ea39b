"""Sending with wa.me links (the link provider): a person opens WhatsApp with the reminder typed in,
presses Send there, and comes back to say so.

- Opening goes through the same rules as every send (provider, opted out, inactive, the one-minute
  lock): a refused one never opens WhatsApp. What opening records is "opened", not "sent": nobody
  knows yet whether Send was pressed.
- The person confirms in one tap: "sent" (the customer's counter, the audit) or "not sent"
  (nothing went out; a queue's message goes back to the queue).
- The batch's click-through queue: one customer at a time, opened, skipped or confirmed.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.models import Customer, Message, ReminderBatch
from app.services import audit, grouping, reminders
from app.services.normalize import normalize_phone
from app.services.refusal import Refused

NOT_SENT = "not_sent"  # the error code of a message the person said they did not send
REFUSED = "refused"  # the error code of a queued message whose customer may no longer be reminded


def _link_sender():
    sender = reminders.provider()
    if not sender.interactive:
        raise Refused(_l("Tautan wa.me tidak dipakai; kirim dengan tombol Kirim pengingat."))
    return sender


def open_for_customer(customer: Customer, user, main_system_ok: bool = False) -> Message:
    """A person opens this customer's WhatsApp ("Kirim WA"): checked like every send, recorded as opened."""
    sender = _link_sender()
    normalize_phone(customer.no_hp)  # a number wa.me cannot open is refused before the lock is taken
    reminders.check_can_send(sender, customer, main_system_ok)
    message = Message(**reminders.message_for(customer, Message.MANUAL, user, sender.name))
    message.status, message.attempts = Message.OPENED, 1
    db.session.add(message)
    db.session.flush()
    audit.record("customer.whatsapp_opened", customer, details={"message": message.id})
    return message


def awaiting_confirmation(customer_ids=None) -> dict:
    """{customer id: their latest one-off message opened in WhatsApp and not yet confirmed}."""
    stmt = sa.select(Message).where(Message.status == Message.OPENED, Message.batch_id.is_(None)).order_by(Message.id)
    if customer_ids is not None:
        stmt = stmt.where(Message.customer_id.in_(customer_ids))
    return {message.customer_id: message for message in db.session.scalars(stmt)}


def confirm(message: Message, sent: bool):
    """The person says whether they pressed Send in WhatsApp (the caller commits).

    Sent: counted like every send (the customer's counter, the audit). Not sent: nothing went out,
    so a one-off may be tried again at once and a queue's message goes back to its queue.
    """
    now = clock.utcnow()
    if sent:
        values = {"status": Message.SENT, "sent_at": now}
    elif message.batch_id is not None:
        values = {"status": Message.QUEUED}
    else:
        values = {"status": Message.FAILED, "failed_at": now, "error_code": NOT_SENT,
                  "error_message": str(_l("Tidak jadi dikirim (kata petugas)."))}
    # Conditional: a second tap, or a colleague's, changes nothing and counts nothing twice.
    changed = db.session.execute(
        sa.update(Message).where(Message.id == message.id, Message.status == Message.OPENED)
        .values(updated_at=now, **values).execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Refused(_l("Pesan ini sudah dikonfirmasi."))
    customer = db.session.get(Customer, message.customer_id) if message.customer_id else None
    grouping.settle_grouped(message.id)
    if sent:
        reminders.count_success(message.customer_id, now)
        audit.record("reminders.link_confirmed", customer, details={"message": message.id})
    elif message.batch_id is None and customer is not None:
        reminders.release_manual_lock(customer.id)
    db.session.refresh(message)
    if customer is not None:
        db.session.refresh(customer)


# --- the batch's click-through queue -------------------------------------------------------------

def next_in_queue(batch: ReminderBatch) -> Message | None:
    """The customer the person sends to next."""
    return db.session.scalar(
        sa.select(Message).where(Message.batch_id == batch.id, Message.status == Message.QUEUED)
        .order_by(Message.id).limit(1)
    )


def opened_in_queue(batch: ReminderBatch) -> Message | None:
    """A message of the queue opened in WhatsApp and not yet confirmed: asked about before the next."""
    return db.session.scalar(
        sa.select(Message).where(Message.batch_id == batch.id, Message.status == Message.OPENED)
        .order_by(Message.id).limit(1)
    )


def _queue_refusal(message: Message, batch: ReminderBatch) -> str | None:
    """Why this queued customer may no longer be reminded (they opted out, were deactivated, deleted)."""
    customer = db.session.get(Customer, message.customer_id) if message.customer_id else None
    if customer is None:
        return str(_l("Pelanggan ini sudah dihapus; pengingat tidak dikirim."))
    if customer.opted_out:
        return str(_l("%(name)s sudah berhenti berlangganan; pengingat tidak dikirim.", name=customer.customer_name))
    if batch.only_active and not customer.is_active:
        return str(_l("%(name)s nonaktif; aktifkan dulu untuk mengirim pengingat.", name=customer.customer_name))
    return None


def open_in_queue(message: Message, batch: ReminderBatch):
    """The person opens this queued customer's WhatsApp: checked like every send, recorded as opened.

    A customer who may no longer be reminded leaves the queue (failed, with the reason), so the
    queue moves on; the caller commits.
    """
    sender = _link_sender()
    if sender.problem:
        raise Refused(reminders.provider_problem_text(sender.problem))
    reason = _queue_refusal(message, batch)
    if reason:
        db.session.execute(
            sa.update(Message).where(Message.id == message.id, Message.status == Message.QUEUED)
            .values(status=Message.FAILED, error_code=REFUSED, error_message=reason, failed_at=clock.utcnow())
            .execution_options(synchronize_session=False)
        )
        grouping.release_companions(message)  # the other plates on the phone may still be reminded
        db.session.commit()
        raise Refused(reason)
    now = clock.utcnow()
    opened = db.session.execute(
        sa.update(Message).where(Message.id == message.id, Message.status == Message.QUEUED)
        .values(status=Message.OPENED, attempts=Message.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not opened:
        raise Refused(_l("Pesan ini sudah dibuka atau dilewati."))
    db.session.refresh(message)


def skip_in_queue(message: Message):
    """The person skipped this customer (reported as failed, code "skipped")."""
    db.session.execute(
        sa.update(Message).where(Message.id == message.id, Message.status == Message.QUEUED)
        .values(status=Message.FAILED, error_code="skipped", failed_at=clock.utcnow(),
                error_message=str(_l("Dilewati oleh petugas.")))
        .execution_options(synchronize_session=False)
    )
    grouping.settle_grouped(message.id)
    db.session.commit()


def finish_queue_if_empty(batch: ReminderBatch):
    """The batch is done once nobody is left in its queue or waiting to be confirmed."""
    if next_in_queue(batch) is None and opened_in_queue(batch) is None \
            and batch.status in (ReminderBatch.PENDING, ReminderBatch.RUNNING):
        batch.status, batch.finished_at = ReminderBatch.DONE, clock.utcnow()
        db.session.commit()
