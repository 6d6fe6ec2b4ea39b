from dataclasses import replace

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import safe_next_url
from app.customers import bp
from app.customers.forms import CustomerForm
from app.customers.listing import list_args_of, list_query_from_request
from app.extensions import db
from app.htmx import is_htmx, render
from app.models import Customer, Message
from app.services import audit, conversations, link_queue, main_system, reminders
from app.services import customers as service
from app.services.customers import CustomerInvalid
from app.services.formats import format_day, local_phone
from app.services.refusal import Refused
from app.whatsapp.link import wa_link


@bp.get("/")
def index():
    """The customer list: search as you type, filters, sort and pages (htmx swaps the results)."""
    query = list_query_from_request()
    result = service.list_customers(query)
    g.listed_customers = result.items  # the rows ask, once for the page, which the main system has
    return render(
        "customers/index.html",
        "customers/partials/_results.html",
        query=query,
        result=result,
        list_args=request.args.to_dict(),
        next_url=request.full_path.rstrip("?"),
    )


@bp.get("/<uuid:customer_id>/whatsapp")
def whatsapp_link(customer_id):
    """Open WhatsApp with this customer's reminder typed in ("Kirim WA"), if the send rules allow it.

    The link leads here, not to wa.me: a refused send never opens WhatsApp and says why; an allowed
    one is recorded as opened (not sent) and redirects to wa.me. With htmx the row (or, for the
    customer's page, a flash) answers and the script opens the X-WhatsApp-Url it is given.
    """
    customer = db.get_or_404(Customer, customer_id)
    ask = False
    try:
        message = link_queue.open_for_customer(customer, current_user, main_system_ok=_main_system_ok())
    except Refused as exc:
        db.session.rollback()
        notice, url, ask = exc.message, None, isinstance(exc, main_system.InMainSystem)
    else:
        db.session.commit()
        notice, url = None, wa_link(message.to_phone, message.body)
    if is_htmx():
        response = make_response(_link_answer(customer, notice, ask=ask))
        if url:
            response.headers["X-WhatsApp-Url"] = url
        return response
    if url:
        return redirect(url)
    return render_template("customers/whatsapp_refused.html", customer=customer, notice=notice), 409


def _main_system_ok() -> bool:
    """The person confirmed sending to a customer the main system has ("Tetap kirim")."""
    return request.values.get("main_system_ok") == "1"


def _link_answer(customer, notice, ok=False, ask=False):
    """The row that was clicked, or (from the customer's page, which reloads) a flash."""
    next_url = safe_next_url(request.values.get("next"))
    if request.headers.get("HX-Target") == f"customer-{customer.id}":
        return render_template("customers/partials/_row.html", customer=customer, next_url=next_url,
                               notice=notice, notice_ok=ok, ask_main_system=ask)
    if notice:
        flash(notice, "success" if ok else "error")
    return ""


@bp.post("/<uuid:customer_id>/whatsapp/<int:message_id>/<any(sent, not_sent):answer>")
def whatsapp_confirm(customer_id, message_id, answer):
    """The person says whether they pressed Send in WhatsApp ("Sudah terkirim" / "Tidak jadi")."""
    customer = db.get_or_404(Customer, customer_id)
    message = db.get_or_404(Message, message_id)
    if message.customer_id != customer.id or message.batch_id is not None:
        abort(404)
    sent = answer == "sent"
    try:
        link_queue.confirm(message, sent)
    except Refused as exc:
        db.session.rollback()
        notice, ok = exc.message, False
    else:
        db.session.commit()
        notice = _("Dicatat: pengingat terkirim ke %(name)s.", name=customer.customer_name) if sent else \
            _("Dicatat: pengingat untuk %(name)s tidak jadi dikirim.", name=customer.customer_name)
        ok = True
    if is_htmx():
        return _link_answer(customer, notice, ok)
    flash(notice, "success" if ok else "error")
    return redirect(safe_next_url(request.form.get("next")))


@bp.route("/new", methods=["GET", "POST"])
def create():
    """Add a customer; `?no_hp=…&customer_name=…` fill the form in (adding a number that wrote to us)."""
    form = CustomerForm(data={name: request.args[name][:120] for name in ("no_hp", "customer_name")
                              if name in request.args})
    duplicate = None
    if form.validate_on_submit():
        try:
            customer = service.create_customer(form.customer_fields())
        except CustomerInvalid as exc:
            db.session.rollback()
            form.show_errors(exc.errors)
            duplicate = exc.duplicate_of
        else:
            db.session.commit()
            flash(_("Pelanggan %(name)s ditambahkan.", name=customer.customer_name), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    status = 422 if form.is_submitted() else 200
    return render_template("customers/form.html", form=form, customer=None, duplicate=duplicate), status


@bp.get("/<uuid:customer_id>")
def detail(customer_id):
    """One customer's data, reminders and changes; a deleted customer's archived copy, read-only."""
    customer = db.session.get(Customer, customer_id)
    template = "customers/detail.html"
    if customer is None:
        customer = service.archived_customer(customer_id)
        template = "customers/archived.html"
    if customer is None:
        abort(404)
    live = template == "customers/detail.html"
    thread = conversations.thread_view(customer.no_hp, reminders.provider()) if live else None
    return render_template(template, customer=customer, history=reminders.customer_history(customer.id),
                           changes=audit.customer_events(customer.id), thread=thread,
                           in_main_system=live and main_system.is_known(customer))


@bp.route("/<uuid:customer_id>/edit", methods=["GET", "POST"])
def edit(customer_id):
    """Change a customer's data."""
    customer = db.get_or_404(Customer, customer_id)
    form = CustomerForm(obj=customer)
    duplicate = None
    if form.validate_on_submit():
        try:
            service.update_customer(customer, form.customer_fields())
        except CustomerInvalid as exc:
            db.session.rollback()
            form.show_errors(exc.errors)
            duplicate = exc.duplicate_of
        else:
            db.session.commit()
            flash(_("Data %(name)s disimpan.", name=customer.customer_name), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    status = 422 if form.is_submitted() else 200
    return render_template("customers/form.html", form=form, customer=customer, duplicate=duplicate), status


def _row_action(customer_id, action, message, notice=None):
    """Run a row action; htmx gets the updated row (with `notice` under it), a plain form goes back to where it was.

    `message` and `notice` are formatted with the customer's name and next service date after the action;
    either may be a function of the changed customer that gives the text.
    """
    customer = db.get_or_404(Customer, customer_id)
    action(customer)
    db.session.commit()
    message, notice = (text(customer) if callable(text) else text for text in (message, notice))
    next_url = safe_next_url(request.form.get("next"))
    values = {"name": customer.customer_name,
              "date": format_day(customer.next_service, str(get_locale())) if customer.next_service else "—"}
    if is_htmx():
        return render_template("customers/partials/_row.html", customer=customer, next_url=next_url,
                               notice=notice % values if notice else None, notice_ok=True)
    flash(message % values, "success")
    return redirect(next_url)


@bp.post("/<uuid:customer_id>/toggle")
def toggle(customer_id):
    """Switch a customer active or inactive (inactive customers get no reminders)."""
    return _row_action(
        customer_id, service.toggle_active,
        lambda customer: _("%(name)s diaktifkan lagi.") if customer.is_active
        else _("%(name)s dinonaktifkan: tidak akan dikirimi pengingat."),
        notice=lambda customer: _("Diaktifkan lagi.") if customer.is_active
        else _("Dinonaktifkan: tidak akan dikirimi pengingat."))


@bp.post("/<uuid:customer_id>/serviced")
def serviced(customer_id):
    """The car was serviced today: last service today, next one a service interval later."""
    return _row_action(customer_id, service.mark_serviced_today,
                       _("Servis %(name)s dicatat hari ini; servis berikutnya %(date)s."),
                       notice=_("Servis dicatat hari ini; servis berikutnya %(date)s."))


def _list_results(next_url, **context):
    """The list's results for the list state held in `next_url` (after a delete or an undo, htmx)."""
    args = list_args_of(next_url)
    query = list_query_from_request(args)
    result = service.list_customers(query)
    if not result.items and result.page > 1:  # the last row of the last page went: show the page before
        query = replace(query, page=result.pages or 1)
        result = service.list_customers(query)
        args["page"] = str(query.page)
    g.listed_customers = result.items
    return render_template("customers/partials/_results.html", query=query, result=result,
                           list_args=args.to_dict(), next_url=next_url, **context)


@bp.post("/<uuid:customer_id>/delete")
def delete(customer_id):
    """Delete a customer, once confirmed (hx-confirm, or the confirmation page without JavaScript).

    htmx gets the list's results again (count, empty state, the next page's rows) with an undo toast.
    """
    customer = db.get_or_404(Customer, customer_id)
    next_url = safe_next_url(request.form.get("next"))
    if not (is_htmx() or request.form.get("confirmed")):
        # A plain form (no JavaScript, so no hx-confirm) asks first and deletes nothing yet.
        return render_template("customers/confirm_delete.html", customer=customer, next_url=next_url)
    name = customer.customer_name
    archived = service.delete_customer(customer)
    db.session.commit()
    if is_htmx():
        return _list_results(next_url, deleted=archived)
    flash(_("Pelanggan %(name)s dihapus.", name=name), "success")
    return redirect(next_url)


@bp.post("/<uuid:customer_id>/restore")
def restore(customer_id):
    """Bring a deleted customer back (the list's "Batalkan", the archive page's "Pulihkan")."""
    next_url = safe_next_url(request.form.get("next"))
    try:
        customer = service.restore_customer(customer_id)
    except Refused as exc:
        db.session.rollback()
        if is_htmx():
            return str(exc.message), 409  # app.js shows it as a toast
        flash(exc.message, "error")
        return redirect(url_for("customers.detail", customer_id=customer_id))
    db.session.commit()
    message = _("Pelanggan %(name)s dipulihkan.", name=customer.customer_name)
    if is_htmx():
        return _list_results(next_url, restored=message)
    flash(message, "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


@bp.post("/<uuid:customer_id>/remind")
def remind(customer_id):
    """Send this customer's reminder now; the row (or detail page) shows the outcome."""
    customer = db.get_or_404(Customer, customer_id)
    ask = False
    try:
        message = reminders.send_now(customer, current_user, main_system_ok=_main_system_ok())
    except Refused as exc:
        db.session.rollback()
        notice, ok, ask = exc.message, False, isinstance(exc, main_system.InMainSystem)
    else:
        ok = message.status == message.SENT
        if ok:
            notice = _("Pengingat terkirim ke %(phone)s.", phone=local_phone(customer.no_hp))
        elif message.status == message.UNCONFIRMED:
            notice = _("Belum pasti terkirim ke %(phone)s: WhatsApp tidak menjawab tepat waktu. Periksa dulu di "
                       "WhatsApp atau tanyakan ke pelanggan sebelum mengirim lagi.", phone=local_phone(customer.no_hp))
        else:
            notice = _("Gagal mengirim: %(error)s", error=message.error_message or message.error_code)
    next_url = safe_next_url(request.form.get("next"))
    if is_htmx():
        return render_template("customers/partials/_row.html", customer=customer, next_url=next_url,
                               notice=notice, notice_ok=ok, ask_main_system=ask)
    flash(notice, "success" if ok else "error")
    return redirect(next_url)


@bp.post("/<uuid:customer_id>/opt-in")
def opt_in(customer_id):
    """Record that an opted-out customer agreed to receive reminders again."""
    customer = db.get_or_404(Customer, customer_id)
    try:
        service.opt_in(customer, request.form.get("note", ""), current_user)
    except CustomerInvalid as exc:
        db.session.rollback()
        flash(exc.errors["note"], "error")
    else:
        db.session.commit()
        flash(_("%(name)s akan menerima pengingat lagi.", name=customer.customer_name), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))
