"""Conversations with customers: their replies, kept per phone, and the front desk's answers.

A reply is stored once however often the provider repeats the event (the provider's message id
is a unique key), against its phone: every customer with that phone sees it on their page, and a
number no customer has is listed as unknown until someone adds it as a customer.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.models import ChatMessage, Customer, Message
from app.services import audit, customers, reply_words
from app.services.refusal import Refused
from app.whatsapp.cloud_api import means_outside_window
from app.whatsapp.link import wa_link

# Meta delivers free text only within 24 hours of the customer's last message.
ANSWER_WINDOW = timedelta(hours=24)
MAX_ANSWER_LENGTH = 1000
# Non-text replies are stored with their kind; the thread names it.
KINDS = {"text", "image", "audio", "voice", "video", "document", "sticker", "location", "contacts", "reaction"}


def record_reply(provider: str, phone: str, body: str, *, kind: str = "text", message_id: str | None = None,
                 sender_name: str | None = None, at: datetime | None = None) -> ChatMessage | None:
    """Store one reply; None when the provider already told us about it (nothing is done twice).

    The reply's meaning is kept with it; an opt-out stops the phone's automatic reminders.
    """
    reply = ChatMessage(
        direction=ChatMessage.INBOUND, phone=phone, provider=provider,
        dedupe_key=f"{provider}:{message_id}"[:200] if message_id else None, provider_message_id=message_id,
        kind=kind if kind in KINDS else "other", body=body[:4000], sender_name=(sender_name or None) and sender_name[:120],
        meaning=reply_words.meaning(body) if kind == "text" else None, at=at or clock.utcnow(),
    )
    try:
        with db.session.begin_nested():  # two deliveries of one event at once: the second is a repeat
            db.session.add(reply)
    except sa.exc.IntegrityError:
        return None
    if reply.meaning == reply_words.OPT_OUT:
        for customer in customers_with_phone(phone):
            customers.opt_out(customer, body[:200])
    return reply


def waiting_count() -> int:
    """Replies nobody has handled yet (the number beside "Balasan" in the navigation)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage).where(
        ChatMessage.handled_at.is_(None), ChatMessage.direction == ChatMessage.INBOUND))


def waiting_count_for(phone: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage).where(
        ChatMessage.phone == phone, ChatMessage.handled_at.is_(None), ChatMessage.direction == ChatMessage.INBOUND))


@dataclass
class Thread:
    """One phone's conversation as the replies page lists it."""

    phone: str
    latest: ChatMessage
    waiting: int
    customers: list = field(default_factory=list)

    @property
    def known(self) -> bool:
        return bool(self.customers)


def threads(waiting_only: bool = True, limit: int = 100) -> list[Thread]:
    """Phones with replies, the latest first: only those waiting for the front desk, or all."""
    latest_id = sa.func.max(ChatMessage.id)
    waiting = sa.func.count().filter(ChatMessage.handled_at.is_(None), ChatMessage.direction == ChatMessage.INBOUND)
    query = (sa.select(ChatMessage.phone, latest_id, waiting).group_by(ChatMessage.phone)
             .order_by(latest_id.desc()).limit(limit))
    if waiting_only:
        query = query.having(waiting > 0)
    rows = db.session.execute(query).all()
    if not rows:
        return []
    latest = {message.id: message for message in
              db.session.scalars(sa.select(ChatMessage).where(ChatMessage.id.in_([row[1] for row in rows])))}
    owners: dict[str, list[Customer]] = {}
    for customer in db.session.scalars(sa.select(Customer).where(Customer.no_hp.in_([row[0] for row in rows]))
                                       .order_by(Customer.customer_name)):
        owners.setdefault(customer.no_hp, []).append(customer)
    return [Thread(phone, latest[latest_id], count, owners.get(phone, [])) for phone, latest_id, count in rows]


@dataclass
class Entry:
    """One line of a customer's timeline: a reminder we sent, a reply, or an answer."""

    at: datetime
    reminder: Message | None = None
    chat: ChatMessage | None = None


def conversation(phone: str, customer_ids=(), limit: int = 100) -> list[Entry]:
    """The phone's replies and answers, and the reminders sent to those customers, oldest first."""
    chats = db.session.scalars(sa.select(ChatMessage).where(ChatMessage.phone == phone)
                               .order_by(ChatMessage.at.desc(), ChatMessage.id.desc()).limit(limit)).all()
    entries = [Entry(chat.at, chat=chat) for chat in chats]
    if customer_ids:
        reminders = db.session.scalars(
            sa.select(Message).where(Message.customer_id.in_(list(customer_ids)), Message.sent_at.isnot(None))
            .order_by(Message.sent_at.desc()).limit(limit)).all()
        entries += [Entry(message.sent_at, reminder=message) for message in reminders]
    entries.sort(key=lambda entry: entry.at)
    return entries[-limit:]


def customers_with_phone(phone: str) -> list[Customer]:
    """Every customer with this phone (a family's or a small fleet's cars share one)."""
    return db.session.scalars(sa.select(Customer).where(Customer.no_hp == phone).order_by(Customer.customer_name)).all()


def mark_handled(phone: str, user) -> int:
    """The front desk has dealt with this phone's replies; returns how many were waiting."""
    now = clock.utcnow()
    handled = db.session.execute(
        sa.update(ChatMessage)
        .where(ChatMessage.phone == phone, ChatMessage.direction == ChatMessage.INBOUND,
               ChatMessage.handled_at.is_(None))
        .values(handled_at=now, handled_by_id=user.id if user else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if handled:
        for customer in customers_with_phone(phone) or [None]:
            audit.record("replies.handled", customer, details={"replies": handled})
    return handled


def last_reply_at(phone: str) -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(ChatMessage.at)).where(
        ChatMessage.phone == phone, ChatMessage.direction == ChatMessage.INBOUND))


def window_open(phone: str) -> bool:
    """Whether free text can still reach this phone through the Cloud API (it wrote within 24 hours)."""
    last = last_reply_at(phone)
    return last is not None and clock.utcnow() - last < ANSWER_WINDOW


@dataclass
class ThreadView:
    """What a thread shows: its customers, the timeline, replies waiting, and whether an answer can go."""

    phone: str
    owners: list
    entries: list
    waiting: int
    answer_refused: str | None  # why the answer form cannot send now (outside the window, no provider)

    @property
    def sender_name(self) -> str | None:
        """The WhatsApp profile name the phone last wrote with (to fill in "add as customer")."""
        names = [entry.chat.sender_name for entry in self.entries
                 if entry.chat and entry.chat.direction == ChatMessage.INBOUND and entry.chat.sender_name]
        return names[-1] if names else None


def thread_view(phone: str, sender, owners=None) -> ThreadView:
    owners = customers_with_phone(phone) if owners is None else owners
    refused = None
    if sender.problem:
        from app.services.reminders import provider_problem_text

        refused = provider_problem_text(sender.problem)
    elif sender.name == "cloud_api" and not window_open(phone):
        refused = str(OUTSIDE_WINDOW)
    return ThreadView(phone, owners, conversation(phone, [customer.id for customer in owners]),
                      waiting_count_for(phone), refused)


OUTSIDE_WINDOW = _l("Pelanggan terakhir menulis lebih dari 24 jam lalu. WhatsApp Business hanya mengantar teks bebas "
                    "dalam 24 jam itu; kirim pengingat (templat yang disetujui) sebagai gantinya.")


@dataclass
class Answer:
    message: ChatMessage
    link: str | None = None  # wa.me: the person sends it in WhatsApp


def answer(phone: str, text: str, user, sender, audited: bool = True) -> Answer:
    """Send the front desk's answer to this phone, store and audit it, and mark the replies handled.

    Cloud API: free text inside the 24-hour window only. wa.me links: WhatsApp opens with the
    answer typed in, and the person presses send there.
    """
    text = (text or "").strip()
    if not text:
        raise Refused(_l("Tulis jawabannya dulu."))
    if len(text) > MAX_ANSWER_LENGTH:
        raise Refused(_l("Jawaban terlalu panjang (paling banyak %(count)d huruf).", count=MAX_ANSWER_LENGTH))
    if sender.problem:
        from app.services.reminders import provider_problem_text

        raise Refused(provider_problem_text(sender.problem))
    if sender.name == "cloud_api" and not window_open(phone):
        raise Refused(OUTSIDE_WINDOW)
    message = ChatMessage(direction=ChatMessage.OUTBOUND, phone=phone, provider=sender.name, body=text,
                          user_id=user.id if user else None, at=clock.utcnow())
    link = None
    if sender.interactive:
        message.status, link = ChatMessage.OPENED, wa_link(phone, text)
    else:
        result = sender.send_text(phone, text)
        if not result.ok and means_outside_window(result.error_code):
            raise Refused(OUTSIDE_WINDOW)
        message.status = (ChatMessage.SENT if result.ok else
                          ChatMessage.UNCONFIRMED if result.ambiguous else ChatMessage.FAILED)
        message.provider_message_id = result.provider_message_id
        message.error_message = None if result.ok else result.error_message
    db.session.add(message)
    db.session.flush()
    if message.status != ChatMessage.FAILED:
        mark_handled(phone, user)
    if audited:  # a booking's confirmation is audited as the booking
        for customer in customers_with_phone(phone) or [None]:
            audit.record("replies.answer", customer, details={"reply": text[:200]})
    return Answer(message, link)
