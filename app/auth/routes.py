import math
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app import clock
from app.auth import bp
from app.auth.access import public, safe_next_url
from app.auth.forms import LanguageForm, LoginForm, SetupForm
from app.extensions import db
from app.services import login_throttle
from app.services.settings import set_workshop
from app.services.users import UserInvalid, any_user_exists, authenticate, create_first_manager, end_sessions


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign in with a username and password; back to the page that asked for it.

    Failed logins are throttled per account name and address (app/services/login_throttle.py).
    """
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            attempt = login_throttle.start(form.username.data, request.remote_addr)
        except login_throttle.LoginThrottled as exc:
            return _throttled(form, exc.retry_at)
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Nama pengguna atau kata sandi salah."), "error")
        else:
            login_throttle.succeeded(attempt)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next_url(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _throttled(form, retry_at):
    """429 with the login form and when to try again (the same whether the account exists or not)."""
    seconds = max((retry_at - clock.utcnow()).total_seconds(), 1)
    # Shown to the minute, rounded up: trying at the time shown always works.
    shown = (retry_at + timedelta(seconds=59)).astimezone(clock.local_zone())
    flash(_("Terlalu banyak percobaan masuk yang gagal. Coba lagi pukul %(time)s (%(minutes)d menit lagi).",
            time=f"{shown:%H:%M}", minutes=math.ceil(seconds / 60)), "error")
    response = current_app.make_response((render_template("auth/login.html", form=form), 429))
    response.headers["Retry-After"] = str(math.ceil(seconds))
    return response


@bp.post("/logout")
def logout():
    """Sign out, on every device: the account's sessions and remember-me cookies all stop working.

    A POST, so another site cannot sign people out with a link.
    """
    end_sessions(current_user)
    db.session.commit()
    logout_user()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """First run only: the workshop's name and reply number and the manager account, then this page is gone."""
    if any_user_exists():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = create_first_manager(form.username.data, form.password.data)
        except UserInvalid as exc:
            getattr(form, exc.field, form.username).errors.append(exc.message)
        else:
            set_workshop(form.workshop_name.data, form.workshop_whatsapp.data)
            db.session.commit()
            current_app.extensions["setup_done"] = True
            login_user(user)
            flash(_("Akun manajer dibuat. Selamat datang!"), "success")
            return redirect(url_for("customers.index"))
    return render_template("auth/setup.html", form=form)


@bp.post("/account/language")
def set_language():
    """Switch the interface language for this user."""
    form = LanguageForm()
    if form.validate_on_submit():
        current_user.locale = form.locale.data
        db.session.commit()
    return redirect(safe_next_url(request.form.get("next")))
