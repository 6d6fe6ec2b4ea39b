from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.auth.access import manager_required
from app.extensions import db
from app.htmx import is_htmx, redirect_page, render
from app.models import Message, ReminderBatch
from app.reminders import bp
from app.reminders.forms import BatchForm
from app.services import link_queue, reminder_rules, reminders, safe_sending
from app.services.batch_runner import launch, resume_stale
from app.services.refusal import Refused
from app.services.reminder_rules import REASONS
from app.whatsapp.link import wa_link


@bp.before_request
@manager_required
def only_managers():
    """Every page here is the manager's."""


@bp.get("/")
def index():
    """Who is due: the exact list a batch would send, who is left out and why; recent messages."""
    # Opened without a choice: the default window (the setting), active customers only, and
    # overdue customers within the setting's bound (unless the setting is 0).
    reminders.settle_abandoned_sends()
    _carry_on_batches()
    args = MultiDict(request.args)
    if "days" not in args:
        args = MultiDict({"days": str(reminder_rules.default_days()), "only_active": "y"})
        if reminder_rules.include_overdue_by_default():
            args["include_overdue"] = "y"
    args.setdefault("overdue_days", str(reminder_rules.default_overdue_days()))
    form = BatchForm(args, meta={"csrf": False})
    plan = reminder_rules.plan_batch(form.days.data, form.only_active.data, form.overdue_bound()) \
        if form.validate() else None
    status = request.args.get("status")
    status = status if status in (Message.FAILED, Message.UNCONFIRMED) else None
    return render_template(
        "reminders/index.html", form=form, plan=plan, reasons=REASONS, provider=reminders.provider(),
        batches=reminders.recent_batches(), messages=reminders.recent_messages(status),
        unconfirmed=reminders.recent_messages(Message.UNCONFIRMED), status_filter=status,
        opened=reminders.recent_messages(Message.OPENED),
        unconfirmed_explanation=reminders.UNCONFIRMED_EXPLANATION,
    )


@bp.post("/batches")
def start():
    """Queue every due reminder and start sending them in the background."""
    form = BatchForm()
    if not form.validate_on_submit():
        flash(_("Periksa jumlah hari dan batas lewat jadwal."), "error")
        return redirect(url_for("reminders.index"))
    try:
        batch = reminders.start_batch(form.days.data, form.only_active.data, current_user, Message.BATCH,
                                      form.overdue_bound())
    except Refused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("reminders.index", days=form.days.data, only_active=form.only_active.data or None,
                                include_overdue=form.include_overdue.data or None,
                                overdue_days=form.overdue_days.data))
    db.session.commit()
    if batch.status != ReminderBatch.DONE:
        launch(batch.id)
    return redirect(url_for("reminders.batch", batch_id=batch.id))


def _carry_on_batches():
    """Take over batches whose runner died and go on with those paused until now (a personal number's
    cap or sending hours): the cron does it too, but a workshop without cron must not wait forever."""
    if not reminders.provider().interactive:
        resume_stale()


def _batch_or_404(batch_id) -> ReminderBatch:
    return db.get_or_404(ReminderBatch, batch_id)


def _batch_context(batch):
    provider = reminders.provider()
    progress = reminders.batch_progress(batch)
    context = {"batch": batch, "progress": progress, "provider": provider,
               "unconfirmed_explanation": reminders.UNCONFIRMED_EXPLANATION}
    if batch.status in (ReminderBatch.PENDING, ReminderBatch.RUNNING) or batch.resume_after:
        # A personal number sends slowly on purpose: say when it should be done.
        context["finish"] = safe_sending.estimated_finish(provider, progress.queued + progress.sending)
    if provider.interactive and batch.provider == provider.name:
        context["opened"] = link_queue.opened_in_queue(batch)
        context["current"] = link_queue.next_in_queue(batch)
    return context


@bp.get("/batches/<int:batch_id>")
def batch(batch_id):
    """One batch: its progress bar (it keeps going when the page is reloaded), or the wa.me queue."""
    batch = _batch_or_404(batch_id)
    _carry_on_batches()
    return render_template("reminders/batch.html", **_batch_context(batch))


@bp.get("/batches/<int:batch_id>/progress")
def progress(batch_id):
    """The progress fragment htmx polls; a batch whose runner died is taken over here."""
    batch = _batch_or_404(batch_id)
    if batch.status in (ReminderBatch.PENDING, ReminderBatch.RUNNING) or batch.resume_after:
        _carry_on_batches()
    return render("reminders/batch.html", "reminders/partials/_progress.html", **_batch_context(batch))


@bp.post("/batches/<int:batch_id>/retry")
def retry(batch_id):
    """Send the batch's failed messages again (not the undeliverable or unconfirmed ones)."""
    batch = _batch_or_404(batch_id)
    count = reminders.retry_failed(batch)
    db.session.commit()
    if count:
        launch(batch.id)
    flash(_("%(n)d pesan dikirim ulang.", n=count), "success" if count else "info")
    return redirect_page(url_for("reminders.batch", batch_id=batch.id))


@bp.post("/batches/<int:batch_id>/resume")
def resume(batch_id):
    """Carry on with a stopped batch after the problem (a token, a template) was fixed."""
    batch = _batch_or_404(batch_id)
    problem = reminders.provider().problem
    if problem:
        flash(reminders.provider_problem_text(problem), "error")
    else:
        reminders.resume_batch(batch)
        db.session.commit()
        launch(batch.id)
    return redirect_page(url_for("reminders.batch", batch_id=batch.id))


@bp.post("/messages/<int:message_id>/resend")
def resend(message_id):
    """Send an unconfirmed message again, after the manager checked it did not arrive (confirmed in the page)."""
    message = db.get_or_404(Message, message_id)
    try:
        reminders.resend_unconfirmed(message, current_user)
    except Refused as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        if message.status == Message.SENT:
            flash(_("Pengingat untuk %(name)s dikirim ulang.", name=message.customer_name), "success")
        elif message.status == Message.UNCONFIRMED:
            flash(_("WhatsApp lagi-lagi tidak menjawab tepat waktu; belum pasti pesan untuk %(name)s sampai.",
                    name=message.customer_name), "error")
        else:
            flash(_("Gagal mengirim: %(error)s", error=message.error_message or message.error_code), "error")
    return redirect_page(url_for("reminders.index", status=Message.UNCONFIRMED, _anchor="messages"))


def _queue_message(message_id) -> Message:
    message = db.get_or_404(Message, message_id)
    if message.batch_id is None:
        abort(404)
    return message


@bp.get("/messages/<int:message_id>/open")
def link_open(message_id):
    """wa.me queue: open this customer's WhatsApp if the send rules allow it, recorded as opened.

    Without script: a redirect to wa.me, or the reason on the batch page. With htmx: the queue
    card (asking "sent?", or the reason) and the X-WhatsApp-Url the script opens.
    """
    message = _queue_message(message_id)
    batch = _batch_or_404(message.batch_id)
    try:
        link_queue.open_in_queue(message, batch)
    except Refused as exc:
        db.session.rollback()
        return _next_in_queue(batch.id, exc.message)
    db.session.commit()
    url = wa_link(message.to_phone, message.body)
    if not is_htmx():
        return redirect(url)
    response = make_response(_next_in_queue(batch.id))
    response.headers["X-WhatsApp-Url"] = url
    return response


@bp.post("/messages/<int:message_id>/<any(sent, not_sent):answer>")
def link_confirm(message_id, answer):
    """wa.me queue: the person says whether they pressed Send; then the next customer."""
    message = _queue_message(message_id)
    try:
        link_queue.confirm(message, answer == "sent")
    except Refused as exc:
        db.session.rollback()
        return _next_in_queue(message.batch_id, exc.message)
    db.session.commit()
    return _next_in_queue(message.batch_id)


@bp.post("/messages/<int:message_id>/skip")
def link_skip(message_id):
    """wa.me queue: skip this customer; show the next one."""
    message = _queue_message(message_id)
    link_queue.skip_in_queue(message)
    return _next_in_queue(message.batch_id)


def _next_in_queue(batch_id, notice=None):
    """The queue card htmx swaps in (with why a click was refused), or the batch page without script."""
    batch = _batch_or_404(batch_id)
    link_queue.finish_queue_if_empty(batch)
    if is_htmx():
        return render_template("reminders/partials/_queue.html", notice=notice, **_batch_context(batch))
    if notice:
        flash(notice, "error")
    return redirect(url_for("reminders.batch", batch_id=batch.id))
