"""The wa.me click-through queue: with the link provider a person sends a batch one customer at a
time, opening each customer's WhatsApp with the reminder typed in, or skipping them.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.models import Message, ReminderBatch
from app.services.reminders import count_success


def next_in_queue(batch: ReminderBatch) -> Message | None:
    """The customer the person sends to next."""
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
        count_success(message.customer_id, now)
    db.session.commit()
    return result.rowcount == 1


def skip_in_queue(message: Message):
    """The person skipped this customer (reported as failed, code "skipped")."""
    db.session.execute(
        sa.update(Message).where(Message.id == message.id, Message.status == Message.QUEUED)
        .values(status=Message.FAILED, error_code="skipped", failed_at=clock.utcnow(),
                error_message=str(_l("Dilewati oleh petugas.")))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def finish_queue_if_empty(batch: ReminderBatch):
    """The batch is done once nobody is left in its queue."""
    if next_in_queue(batch) is None and batch.status in (ReminderBatch.PENDING, ReminderBatch.RUNNING):
        batch.status, batch.finished_at = ReminderBatch.DONE, clock.utcnow()
        db.session.commit()
