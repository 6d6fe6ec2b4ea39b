"""The front desk's list of what customers' replies asked for: bookings to schedule, services to record."""
from datetime import date, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import clock
from app.bookings import bp
from app.extensions import db
from app.i18n import date_short
from app.models import BookingRequest
from app.services import bookings, reminders
from app.services.refusal import Refused


def _parsed(text: str, kind, message):
    """A date or time from the form (the browser sends ISO), or None when empty; a clear refusal otherwise."""
    if not text:
        return None
    try:
        return kind.fromisoformat(text.strip())
    except ValueError:
        raise Refused(message) from None


BAD_DAY = _l("Tanggal tidak valid. Pilih dari kalender.")
BAD_TIME = _l("Jam tidak valid. Tulis seperti 09:30.")


@bp.get("/")
def index():
    """Bookings asked for by reply (to schedule), services customers said were done (to record), and the latest handled."""
    return render_template("bookings/index.html", bookings=bookings.pending(BookingRequest.BOOKING),
                           services=bookings.pending(BookingRequest.SERVICED), recent=bookings.recent(),
                           today=clock.today())


_FAILED = object()  # the action was refused (the flash says why)


def _act(action):
    try:
        result = action()
    except LookupError:
        abort(404)
    except Refused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _FAILED
    db.session.commit()
    return result


@bp.post("/<int:request_id>/schedule")
def schedule(request_id):
    """Set the booking's day and time; the customer gets the confirmation (wa.me: WhatsApp opens with it)."""
    def action():
        day = _parsed(request.form.get("day"), date, BAD_DAY)
        at = _parsed(request.form.get("time"), time, BAD_TIME)
        return bookings.schedule(request_id, day, at, request.form.get("customer_id"), current_user,
                                 reminders.provider())

    sent = _act(action)
    if sent is _FAILED:
        return redirect(url_for("bookings.index"))
    if sent is None:
        flash(_("Booking dijadwalkan. Pelanggan terakhir menulis lebih dari 24 jam lalu, jadi konfirmasi tidak bisa "
                "dikirim lewat WhatsApp Business: kabari pelanggan lewat telepon."), "warning")
    elif sent.link:
        return redirect(sent.link)
    else:
        flash(_("Booking dijadwalkan dan konfirmasi terkirim ke pelanggan."), "success")
    return redirect(url_for("bookings.index"))


@bp.post("/<int:request_id>/serviced")
def record_service(request_id):
    """The customer said the car was serviced: record that day as the last service."""
    def action():
        day = _parsed(request.form.get("day"), date, BAD_DAY)
        return bookings.record_service(request_id, day, request.form.get("customer_id"), current_user)

    customer = _act(action)
    if customer is not _FAILED:
        flash(_("Servis %(nopol)s dicatat %(day)s; servis berikutnya %(next)s.", nopol=customer.nopol,
                day=date_short(customer.last_service), next=date_short(customer.next_service)),
              "success")
    return redirect(url_for("bookings.index"))


@bp.post("/<int:request_id>/dismiss")
def dismiss(request_id):
    """Nothing to do for this request after all."""
    if _act(lambda: bookings.dismiss(request_id, current_user)) is not _FAILED:
        flash(_("Permintaan diabaikan."), "info")
    return redirect(url_for("bookings.index"))
