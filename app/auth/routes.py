from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import bp
from app.auth.access import public, safe_next_url
from app.auth.forms import LanguageForm, LoginForm, SetupForm
from app.extensions import db, limiter
from app.services.users import UserInvalid, any_user_exists, authenticate, create_first_manager

# Failed logins allowed before a pause: per address, and per account name (whoever tries it).
LOGIN_LIMIT_PER_ADDRESS = "20 per 15 minutes"
LOGIN_LIMIT_PER_USER = "10 per 15 minutes"


def _login_name():
    return "user:" + (request.form.get("username") or "").strip().lower()


def _failed(response):
    # Only failed attempts count: a successful login redirects.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(LOGIN_LIMIT_PER_ADDRESS, methods=["POST"], deduct_when=_failed)
@limiter.limit(LOGIN_LIMIT_PER_USER, methods=["POST"], key_func=_login_name, deduct_when=_failed)
def login():
    """Sign in with a username and password; back to the page that asked for it."""
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Nama pengguna atau kata sandi salah."), "error")
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next_url(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (a POST, so another site cannot sign people out with a link)."""
    logout_user()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """First run only: create the manager account, then this page is gone."""
    if any_user_exists():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = create_first_manager(form.username.data, form.password.data)
        except UserInvalid as exc:
            getattr(form, exc.field, form.username).errors.append(exc.message)
        else:
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
