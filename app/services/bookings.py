"""Booking requests: what a customer's reply asks the front desk to do, until a person has done it.

A reply meaning "book me" ("1", "ya") opens a booking request; one meaning "already serviced" ("2",
"sudah") opens a request to record the service. Neither changes anything by itself: staff schedule
the booking (the customer gets a confirmation) or record the service date, or dismiss the request.
A phone asks once at a time: while its request is open, the same answer again adds nothing.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.models import BookingRequest, ChatMessage, Customer
from app.services import audit, conversations, customers, reply_words
from app.services.formats import format_day
from app.services.refusal import Refused
from app.services.settings import get_setting

KINDS = {reply_words.BOOKING: BookingRequest.BOOKING, reply_words.SERVICED: BookingRequest.SERVICED}
# How far ahead a booking may be set: a typo in the year is caught, a busy season is not.
MAX_DAYS_AHEAD = 180


def open_from_reply(reply: ChatMessage) -> BookingRequest | None:
    """The request a new reply asks for, or None (no such meaning, or the phone's request is still open)."""
    kind = KINDS.get(reply.meaning)
    if kind is None:
        return None
    already = db.session.scalar(sa.select(BookingRequest.id).where(
        BookingRequest.phone == reply.phone, BookingRequest.kind == kind, BookingRequest.status == BookingRequest.OPEN))
    if already:
        return None
    owners = conversations.customers_with_phone(reply.phone)
    request = BookingRequest(kind=kind, phone=reply.phone, reply_id=reply.id,
                             customer_id=owners[0].id if len(owners) == 1 else None)
    db.session.add(request)
    return request


def open_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(BookingRequest)
                             .where(BookingRequest.status == BookingRequest.OPEN))


@dataclass
class Pending:
    request: BookingRequest
    owners: list  # the customers with the request's phone (empty: an unknown number)

    @property
    def reply_day(self) -> date:
        """The workshop's calendar day of the reply (the service date it most likely means)."""
        return min(self.request.reply.at.astimezone(clock.local_zone()).date(), clock.today())


def pending(kind: str) -> list[Pending]:
    """Open requests of one kind, oldest first (the customer who asked first is answered first)."""
    requests = db.session.scalars(
        sa.select(BookingRequest).where(BookingRequest.status == BookingRequest.OPEN, BookingRequest.kind == kind)
        .order_by(BookingRequest.created_at, BookingRequest.id).options(sa.orm.joinedload(BookingRequest.reply))
    ).all()
    owners: dict[str, list] = {}
    for customer in db.session.scalars(sa.select(Customer).where(Customer.no_hp.in_({r.phone for r in requests}))
                                       .order_by(Customer.customer_name)):
        owners.setdefault(customer.no_hp, []).append(customer)
    return [Pending(request, owners.get(request.phone, [])) for request in requests]


def recent(limit: int = 20) -> list[BookingRequest]:
    """Requests handled lately, newest first (what was scheduled or recorded, and by whom)."""
    return db.session.scalars(
        sa.select(BookingRequest).where(BookingRequest.status != BookingRequest.OPEN)
        .order_by(BookingRequest.handled_at.desc()).limit(limit)).all()


def _find(request_id: int, kind: str | None = None) -> BookingRequest:
    request = db.session.get(BookingRequest, request_id)
    if request is None or (kind and request.kind != kind):
        raise LookupError(request_id)
    if request.status != BookingRequest.OPEN:
        raise Refused(ALREADY_HANDLED)
    return request


def _claim(request: BookingRequest, status: str, user):
    """Take the open request in one conditional UPDATE: of two people pressing at once, one gets it."""
    taken = db.session.execute(
        sa.update(BookingRequest).where(BookingRequest.id == request.id, BookingRequest.status == BookingRequest.OPEN)
        .values(status=status, handled_at=clock.utcnow(), handled_by_id=user.id if user else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise Refused(ALREADY_HANDLED)
    db.session.refresh(request)


ALREADY_HANDLED = _l("Permintaan ini sudah ditangani orang lain.")


def _customer_for(request: BookingRequest, customer_id) -> Customer:
    """The customer the request is for: its own, or the one staff chose among the phone's customers."""
    chosen = str(customer_id or request.customer_id or "")
    for customer in conversations.customers_with_phone(request.phone):
        if str(customer.id) == chosen:
            return customer
    if not conversations.customers_with_phone(request.phone):
        raise Refused(_l("Nomor ini belum ada di daftar pelanggan. Tambahkan dulu sebagai pelanggan."))
    raise Refused(_l("Pilih mobil/motor yang dimaksud."))


# What the customer receives, in Indonesian whatever language the person at the counter reads.
CONFIRMATION = "Booking servis {nopol} kami catat: {day} pukul {time} di {workshop}. Sampai jumpa!"


def confirmation_text(customer: Customer, when: datetime) -> str:
    local = when.astimezone(clock.local_zone())
    return CONFIRMATION.format(nopol=customer.nopol, day=format_day(local.date(), "id"), time=f"{local:%H:%M}",
                               workshop=get_setting("workshop_name"))


def _booking_moment(day: date | None, at: time | None) -> datetime:
    if day is None or at is None:
        raise Refused(_l("Isi tanggal dan jam booking."))
    moment = datetime.combine(day, at, tzinfo=clock.local_zone())
    now = clock.utcnow()
    if moment < now:
        raise Refused(_l("Tanggal dan jam booking sudah lewat. Pilih waktu yang akan datang."))
    if moment > now + timedelta(days=MAX_DAYS_AHEAD):
        raise Refused(_l("Booking paling jauh %(days)d hari dari sekarang.", days=MAX_DAYS_AHEAD))
    return moment.astimezone(UTC)


def schedule(request_id: int, day: date | None, at: time | None, customer_id, user, sender) -> conversations.Answer | None:
    """Set the booking's date and time and send the customer the confirmation (audited, in the thread).

    The request is taken and committed before the message goes out, so a second person pressing at
    the same time gets "already handled" instead of sending a second confirmation; if the message
    cannot go, the request is open again. With the Cloud API more than 24 hours after the customer
    wrote, no free text can reach them: the booking is kept without a message (None), and the page
    tells the person to let the customer know another way.
    """
    request = _find(request_id, BookingRequest.BOOKING)
    customer = _customer_for(request, customer_id)
    moment = _booking_moment(day, at)
    can_message = not (sender.name == "cloud_api" and not conversations.window_open(request.phone))
    _claim(request, BookingRequest.SCHEDULED, user)
    request.customer_id, request.scheduled_for = customer.id, moment
    db.session.commit()
    sent = None
    if can_message:
        try:
            sent = conversations.answer(request.phone, confirmation_text(customer, moment), user, sender, audited=False)
            if sent.message.status == ChatMessage.FAILED:
                raise Refused(_l("Konfirmasi tidak terkirim: %(reason)s", reason=sent.message.error_message or "?"))
        except Exception:
            db.session.rollback()
            _reopen(request)
            raise
    else:
        conversations.mark_handled(request.phone, user)
    audit.record("bookings.schedule", customer, details={
        "booking": moment.astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M"), "reply": request.reply.body[:200]})
    return sent


def _reopen(request: BookingRequest):
    db.session.execute(sa.update(BookingRequest).where(BookingRequest.id == request.id).values(
        status=BookingRequest.OPEN, handled_at=None, handled_by_id=None, scheduled_for=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def record_service(request_id: int, day: date | None, customer_id, user) -> Customer:
    """The customer said the car was serviced: staff confirm the date, and the next service follows."""
    request = _find(request_id, BookingRequest.SERVICED)
    customer = _customer_for(request, customer_id)
    if day is None:
        raise Refused(_l("Isi tanggal servisnya."))
    if day > clock.today():
        raise Refused(_l("Tanggal servis tidak boleh di masa depan."))
    if day < clock.today() - timedelta(days=366):
        raise Refused(_l("Tanggal servis terlalu lama; ubah data pelanggan kalau memang begitu."))
    _claim(request, BookingRequest.RECORDED, user)
    request.customer_id, request.service_date = customer.id, day
    customers.mark_serviced_on(customer, day, details={"reply": request.reply.body[:200]})
    conversations.mark_handled(request.phone, user)
    return customer


def dismiss(request_id: int, user) -> BookingRequest:
    """Nothing to do after all (a person read the reply and decided)."""
    request = _find(request_id)
    _claim(request, BookingRequest.DISMISSED, user)
    customer = db.session.get(Customer, request.customer_id) if request.customer_id else None
    audit.record("bookings.dismiss", customer, details={"reply": request.reply.body[:200]})
    return request
