from datetime import time

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.access import manager_required
from app.extensions import db
from app.services import reminders
from app.services.formats import local_phone
from app.services.messages import check_template, preview_customer, preview_group, render_group_message, render_message
from app.services.refusal import Refused
from app.services.settings import get_setting, update_settings
from app.settings import bp
from app.settings.forms import SettingsForm

FIELDS = ("service_interval_months", "workshop_name", "message_template", "template_params", "reminder_days",
          "quiet_start", "quiet_end", "overdue_message_template", "overdue_days",
          "workshop_whatsapp", "step2_on", "step2_days", "step2_message_template", "step3_on", "step3_days",
          "step3_message_template", "pause_min_seconds", "pause_max_seconds", "daily_cap")
PERSONAL_NUMBER_FIELDS = ("pause_min_seconds", "pause_max_seconds", "daily_cap")
# Each reminder text and the field it is typed in: a live preview for each.
TEXTS = {"due": "message_template", "overdue": "overdue_message_template", "step2": "step2_message_template",
         "step3": "step3_message_template"}


@bp.route("/", methods=["GET", "POST"])
@manager_required
def index():
    """The manager's settings: service interval, the reminder text and when reminders go out."""
    form = SettingsForm()
    provider = reminders.provider()
    # The Cloud API template's parameters are asked only when the Cloud API sends: kept as they are otherwise.
    fields = FIELDS if provider.name == "cloud_api" else tuple(name for name in FIELDS if name != "template_params")
    # The pace of a personal number is asked only when one sends (WAHA, Fonnte).
    if not provider.personal_number:
        fields = tuple(name for name in fields if name not in PERSONAL_NUMBER_FIELDS)
        for name in PERSONAL_NUMBER_FIELDS:  # not on the page: neither asked nor checked
            del form[name]
    if form.validate_on_submit():
        values = {name: form[name].data for name in fields}
        update_settings({name: value.strftime("%H:%M") if isinstance(value, time) else
                         int(value) if isinstance(value, bool) else value for name, value in values.items()})
        db.session.commit()
        flash(_("Pengaturan disimpan."), "success")
        return redirect(url_for("settings.index"))
    if not form.is_submitted():
        for name in fields:
            value = get_setting(name)
            form[name].data = time.fromisoformat(value) if name.startswith("quiet_") else value
        form.workshop_whatsapp.data = local_phone(form.workshop_whatsapp.data)  # as people write it
    return render_template("settings/index.html", form=form, provider=provider, gateway=_gateway_state(provider),
                           previews={kind: _preview(kind, form[name].data) for kind, name in TEXTS.items()})


def _gateway_state(provider):
    """Whether the workshop's phone is connected to WAHA (asked live), or None for other providers."""
    if provider.name != "waha" or provider.problem:
        return None
    from app.whatsapp.waha import session_problem

    state = provider.session_state()
    return {"state": state, "problem": session_problem(state), "phone": local_phone(state.phone) if state.phone else None}


def _preview(kind, text):
    """The text for one customer, and for the vehicles sharing one phone (one message names them all)."""
    customer = preview_customer(overdue=kind == "overdue")
    group = preview_group(overdue=kind == "overdue")
    try:
        checked = check_template(text)
        return {"kind": kind, "preview": render_message(customer, checked), "preview_error": None,
                "preview_customer": customer, "group": group, "group_preview": render_group_message(group, checked)}
    except Refused as exc:
        return {"kind": kind, "preview": None, "preview_error": exc.message, "preview_customer": customer}


@bp.post("/preview")
@manager_required
def preview():
    """A reminder text as a real customer would read it, while the manager types (htmx).

    `?text=overdue` previews the overdue text with a customer whose service date has passed.
    """
    kind = request.args.get("text", "due")
    kind = kind if kind in TEXTS else "due"
    return render_template("settings/partials/_preview.html", p=_preview(kind, request.form.get(TEXTS[kind], "")))
