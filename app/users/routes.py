import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_remembered, login_user

from app.auth.access import manager_required
from app.extensions import db
from app.models import ApiToken, User
from app.services import api_tokens
from app.services.users import UserInvalid, create_user, reset_password, set_active
from app.users import bp
from app.users.forms import NewUserForm, ResetPasswordForm


def _page(form=None, new_token=None):
    users = db.session.scalars(sa.select(User).order_by(User.active.desc(), User.username)).all()
    return render_template("users/index.html", users=users, form=form or NewUserForm(),
                           tokens=api_tokens.tokens(), new_token=new_token)


@bp.get("/")
@manager_required
def index():
    """The manager's list of accounts, with a form to add one."""
    return _page()


@bp.post("/")
@manager_required
def create():
    """Add a staff or manager account."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.username.data, form.password.data, form.role.data)
        except UserInvalid as exc:
            getattr(form, exc.field, form.username).errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Akun %(name)s dibuat.", name=user.username), "success")
            return redirect(url_for("users.index"))
    return _page(form), 422


@bp.post("/<int:user_id>/active")
@manager_required
def toggle_active(user_id):
    """Deactivate an account (signed out everywhere at its next request) or bring it back."""
    user = db.get_or_404(User, user_id)
    try:
        set_active(user, not user.active, acting=current_user)
    except UserInvalid as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        message = _("Akun %(name)s diaktifkan.") if user.active else _("Akun %(name)s dinonaktifkan.")
        flash(message % {"name": user.username}, "success")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>/password")
@manager_required
def change_password(user_id):
    """Give an account a new password (for staff who forgot theirs); it is signed out everywhere.

    A manager changing their own password stays signed in here, and only here.
    """
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        reset_password(user, form.password.data)
        db.session.commit()
        if user.id == current_user.id:
            login_user(user, remember=login_remembered())
        flash(_("Kata sandi %(name)s diganti.", name=user.username), "success")
    else:
        for error in form.password.errors:
            flash(error, "error")
    return redirect(url_for("users.index"))


@bp.post("/tokens")
@manager_required
def create_token():
    """A new API token for an account, shown on this page once and never again."""
    user = db.get_or_404(User, request.form.get("user_id", type=int))
    if not user.active:
        flash(_("Akun %(name)s nonaktif.", name=user.username), "error")
        return redirect(url_for("users.index"))
    token, plain = api_tokens.create_token(user, request.form.get("name", ""))
    db.session.commit()
    return _page(new_token=(token, plain))


@bp.post("/tokens/<int:token_id>/revoke")
@manager_required
def revoke_token(token_id):
    """Revoke a token: requests with it get 401 from now on."""
    token = db.get_or_404(ApiToken, token_id)
    api_tokens.revoke(token)
    db.session.commit()
    flash(_("Token %(prefix)s… dicabut.", prefix=token.prefix), "success")
    return redirect(url_for("users.index"))
