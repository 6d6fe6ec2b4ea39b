from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.auth.access import manager_required
from app.extensions import db
from app.services.settings import get_setting, set_setting
from app.settings import bp
from app.settings.forms import SettingsForm


@bp.route("/", methods=["GET", "POST"])
@manager_required
def index():
    """The manager's settings: the service interval that fills a blank next service."""
    form = SettingsForm()
    if form.validate_on_submit():
        set_setting("service_interval_months", form.service_interval_months.data)
        db.session.commit()
        flash(_("Pengaturan disimpan."), "success")
        return redirect(url_for("settings.index"))
    if not form.is_submitted():
        form.service_interval_months.data = get_setting("service_interval_months")
    return render_template("settings/index.html", form=form)
