from datetime import time

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

import sqlalchemy as sa

from app.auth.access import manager_required
from app.extensions import db
from app.models import Customer
from app.services import reminders
from app.services.messages import TemplateInvalid, check_template, render_message
from app.services.settings import get_setting, set_setting
from app.settings import bp
from app.settings.forms import SettingsForm

FIELDS = ("service_interval_months", "workshop_name", "message_template", "template_params", "reminder_days",
          "quiet_start", "quiet_end")


@bp.route("/", methods=["GET", "POST"])
@manager_required
def index():
    """The manager's settings: service interval, the reminder text and when reminders go out."""
    form = SettingsForm()
    if form.validate_on_submit():
        for name in FIELDS:
            value = form[name].data
            set_setting(name, value.strftime("%H:%M") if isinstance(value, time) else value)
        db.session.commit()
        flash(_("Pengaturan disimpan."), "success")
        return redirect(url_for("settings.index"))
    if not form.is_submitted():
        for name in FIELDS:
            value = get_setting(name)
            form[name].data = time.fromisoformat(value) if name.startswith("quiet_") else value
    return render_template("settings/index.html", form=form, provider=reminders.provider(),
                           **_preview(form.message_template.data))


def _sample_customer():
    """A real customer to preview the text with (the next one due), or an example."""
    customer = db.session.scalar(
        sa.select(Customer).where(Customer.next_service.isnot(None)).order_by(Customer.next_service.desc()).limit(1))
    if customer is None:
        from datetime import date

        customer = Customer(customer_name="Budi Santoso", nopol="B 1234 XYZ", no_hp="628123456789",
                            last_service=date(2026, 1, 15), next_service=date(2026, 7, 15))
    return customer


def _preview(text):
    customer = _sample_customer()
    try:
        return {"preview": render_message(customer, check_template(text)), "preview_error": None,
                "preview_customer": customer}
    except TemplateInvalid as exc:
        return {"preview": None, "preview_error": exc.message, "preview_customer": customer}


@bp.post("/preview")
@manager_required
def preview():
    """The reminder as a real customer would read it, while the manager types (htmx)."""
    return render_template("settings/partials/_preview.html", **_preview(request.form.get("message_template", "")))
