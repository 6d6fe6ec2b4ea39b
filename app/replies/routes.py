"""Customers' replies for the front desk: the threads waiting, one thread, handling and answering."""
import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import safe_next_url
from app.extensions import db
from app.replies import bp
from app.services import conversations, reminders
from app.services.refusal import Refused

_PHONE = re.compile(r"[0-9]{6,16}")


def _phone_or_404(phone: str) -> str:
    if not _PHONE.fullmatch(phone):
        abort(404)
    return phone


@bp.get("/")
def index():
    """Threads with replies nobody has handled yet (or every thread, `?semua=1`), newest first."""
    waiting_only = request.args.get("semua") != "1"
    return render_template("replies/index.html", threads=conversations.threads(waiting_only=waiting_only),
                           waiting_only=waiting_only)


@bp.get("/<phone>")
def thread(phone):
    """One phone's conversation: its customers (or "add as customer"), the replies and the answers."""
    view = conversations.thread_view(_phone_or_404(phone), reminders.provider())
    if not view.entries:
        abort(404)
    return render_template("replies/thread.html", thread=view)


@bp.post("/<phone>/handled")
def handled(phone):
    """Mark the phone's replies as dealt with: they leave the waiting list and the count."""
    phone = _phone_or_404(phone)
    if conversations.mark_handled(phone, current_user):
        db.session.commit()
        flash(_("Balasan ditandai sudah ditangani."), "success")
    return redirect(safe_next_url(request.form.get("next")) if request.form.get("next")
                    else url_for("replies.index"))


@bp.post("/<phone>/answer")
def answer(phone):
    """Answer in the thread: sent through the provider, or WhatsApp opened with it typed (wa.me)."""
    phone = _phone_or_404(phone)
    back = safe_next_url(request.form.get("next")) if request.form.get("next") else url_for("replies.thread", phone=phone)
    try:
        result = conversations.answer(phone, request.form.get("text", ""), current_user, reminders.provider())
    except Refused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    db.session.commit()
    if result.link:
        return redirect(result.link)
    message = result.message
    if message.status == message.SENT:
        flash(_("Jawaban terkirim."), "success")
    elif message.status == message.UNCONFIRMED:
        flash(_("WhatsApp tidak menjawab tepat waktu; belum pasti jawaban sampai. Periksa dulu sebelum mengirim "
                "lagi."), "warning")
    else:
        flash(_("Jawaban tidak terkirim: %(reason)s", reason=message.error_message or "?"), "error")
    return redirect(back)
