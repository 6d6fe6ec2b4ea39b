"""One reminder per phone: the plates that share a number and are due in the same batch get one message.

A family's cars or a small fleet often share one phone. Each customer keeps a message row of its
own (its send-once key, its history, its counters), but only the first, the lead, is sent: its text
names every plate. The others are GROUPED, point at the lead, and take its outcome once it has one.
"""
import json

import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Customer, Message
from app.services.messages import group_template_params, render_group_message
from app.services.reminder_rules import step_template

# A lead's outcomes its companions take (a lead queued again, sending or opened keeps them waiting).
SETTLED = (Message.SENT, Message.DELIVERED, Message.READ, Message.FAILED, Message.UNCONFIRMED)
ACCEPTED = (Message.SENT, Message.DELIVERED, Message.READ)
# Attempts too: a phone tried as often as a message may be is not tried again through a companion.
COPIED = ("status", "sent_at", "delivered_at", "read_at", "failed_at", "provider_message_id", "error_code",
          "error_message", "attempts", "unanswered_attempts")


def companions_of(message: Message) -> list[Message]:
    return db.session.scalars(sa.select(Message).where(Message.sent_with_id == message.id)).all()


def group_by_phone(batch_id: int) -> int:
    """Join the batch's queued messages that go to one phone into one; returns how many were folded in.

    Messages already grouped under a lead that is still queued are joined again too, so a group
    that gains a member (a refused lead's customer queued again) stays one group with one lead.
    """
    lead = sa.orm.aliased(Message)
    waiting_lead = sa.select(lead.id).where(lead.id == Message.sent_with_id, lead.status == Message.QUEUED).exists()
    joinable = sa.and_(Message.batch_id == batch_id,
                       sa.or_(Message.status == Message.QUEUED, sa.and_(Message.status == Message.GROUPED, waiting_lead)))
    # Within one step of the sequence: a first reminder and a follow-up do not share a text.
    groups = db.session.execute(
        sa.select(Message.to_phone, Message.step).where(joinable)
        .group_by(Message.to_phone, Message.step).having(sa.func.count() > 1)
    ).all()
    folded = 0
    for phone, step in groups:
        messages = db.session.scalars(
            sa.select(Message).where(joinable, Message.to_phone == phone, Message.step == step)
            .order_by(Message.service_date.is_(None), Message.service_date, Message.nopol, Message.id)
        ).all()
        customers = {customer.id: customer for customer in db.session.scalars(
            sa.select(Customer).where(Customer.id.in_([message.customer_id for message in messages])))}
        messages = [message for message in messages if message.customer_id in customers]
        if len(messages) < 2:
            continue
        lead_message, *companions = messages
        together = [customers[message.customer_id] for message in messages]
        lead_message.body = render_group_message(together, step_template(step))
        lead_message.template_params = json.dumps(group_template_params(together))
        lead_message.status, lead_message.sent_with_id = Message.QUEUED, None
        for companion in companions:
            companion.status, companion.sent_with_id = Message.GROUPED, lead_message.id
        folded += len(companions)
    db.session.flush()
    return folded


def settle_grouped(lead_id: int | None = None) -> int:
    """Give grouped messages their lead's outcome (all leads, or one), and count each customer's success."""
    from app.services.reminders import count_success

    lead = sa.orm.aliased(Message)
    waiting = db.session.execute(
        sa.select(Message.id, Message.customer_id, lead.status, lead.sent_at)
        .join(lead, lead.id == Message.sent_with_id)
        .where(Message.status == Message.GROUPED, lead.status.in_(SETTLED),
               *([Message.sent_with_id == lead_id] if lead_id is not None else []))
    ).all()
    if not waiting:
        return 0
    ids = [row.id for row in waiting]
    copied = {name: sa.select(getattr(lead, name)).where(lead.id == Message.sent_with_id).scalar_subquery()
              for name in COPIED}
    db.session.execute(sa.update(Message).where(Message.id.in_(ids), Message.status == Message.GROUPED)
                       .values(updated_at=clock.utcnow(), **copied).execution_options(synchronize_session=False))
    for row in waiting:
        if row.status in ACCEPTED:
            count_success(row.customer_id, row.sent_at or clock.utcnow())
    return len(ids)


def release_companions(lead: Message) -> None:
    """The lead's customer may no longer be reminded: its companions go back to the queue, regrouped."""
    companions = companions_of(lead)
    for companion in companions:
        if companion.status == Message.GROUPED:
            companion.status, companion.sent_with_id = Message.QUEUED, None
    if companions and lead.batch_id is not None:
        db.session.flush()
        group_by_phone(lead.batch_id)


def regroup_unconfirmed(lead: Message) -> None:
    """The lead is sent again on purpose: its unconfirmed companions wait for that send's outcome."""
    db.session.execute(sa.update(Message).where(Message.sent_with_id == lead.id, Message.status == Message.UNCONFIRMED)
                       .values(status=Message.GROUPED, updated_at=clock.utcnow())
                       .execution_options(synchronize_session=False))
