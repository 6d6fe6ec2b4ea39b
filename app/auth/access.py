"""Who may see what: login for every page unless marked public, manager-only views, first run."""
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app import clock
from app.htmx import is_htmx
from app.services.users import any_user_exists, user_for_session


def public(view):
    """Mark a view as reachable without logging in (login, first run, health, webhooks)."""
    view.is_public = True
    return view


def manager_required(view):
    """Only managers; staff get 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_manager:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def load_user(session_id):
    """Flask-Login's loader, for the session and the remember-me cookie alike: a cookie of an account
    signed out everywhere (logout, new password, deactivation) finds nobody."""
    return user_for_session(session_id)


def _setup_done():
    # Once an account exists it never goes away (accounts are deactivated, not deleted),
    # so the answer is remembered per process instead of asked on every request.
    if not current_app.extensions.get("setup_done"):
        current_app.extensions["setup_done"] = any_user_exists()
    return current_app.extensions["setup_done"]


def require_login_and_setup():
    """Before every request: first run leads to /setup; everything not public needs a login."""
    view = current_app.view_functions.get(request.endpoint)
    # Assets and the health check answer whatever the state (even with the database down).
    if view is None or request.endpoint in ("static", "main.healthz"):
        return None
    is_public = getattr(view, "is_public", False)
    if not _setup_done():
        # Webhooks keep working; people are led to create the first account.
        if request.endpoint == "auth.setup" or (is_public and request.endpoint != "auth.login"):
            return None
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated and _idle_too_long():
        logout_user()
        flash(_("Sesi berakhir karena lama tidak dipakai. Silakan masuk lagi."), "info")
        return unauthorized()
    if is_public or current_user.is_authenticated:
        return None
    return unauthorized()


# The time seen is rewritten at most this often (seconds).
SEEN_RESOLUTION_SECONDS = 60


def _idle_too_long() -> bool:
    """Signed-in sessions end after SESSION_IDLE_MINUTES without a request (checked on the server).

    The time seen is written back at most once a minute: rewriting the signed cookie on every
    request cost each page a new cookie for no gain in precision.
    """
    now = int(clock.utcnow().timestamp())
    last_seen = session.get("seen")
    if last_seen is None or now - last_seen >= SEEN_RESOLUTION_SECONDS:
        session.permanent = True
        session["seen"] = now
    return last_seen is not None and now - last_seen > current_app.config["SESSION_IDLE_MINUTES"] * 60


def unauthorized():
    """Not logged in: to the login page, coming back here afterwards (htmx follows too)."""
    # Only a page can be come back to; a POST (say, a row action) cannot be replayed by a redirect.
    come_back = request.full_path.rstrip("?") if request.method == "GET" else None
    login_url = url_for("auth.login", next=come_back)
    if is_htmx():
        response = make_response(_("Sesi Anda berakhir. Silakan masuk lagi."), 401)
        response.headers["HX-Redirect"] = login_url
        return response
    if request.accept_mimetypes.best == "application/json":
        return {"detail": "Not authenticated"}, 401
    return redirect(login_url)


def safe_next_url(target: str | None) -> str:
    """Only a path on this site; anything else (another host, a scheme) goes to the list."""
    if target:
        parts = urlsplit(target)
        on_this_site = not parts.scheme and not parts.netloc and target.startswith("/")
        if on_this_site and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("customers.index")
