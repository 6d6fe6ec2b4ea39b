"""Friendly error pages in the user's language; htmx requests get a short text the page shows inline."""
import contextlib
import logging

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.extensions import db, login_manager
from app.htmx import is_htmx

logger = logging.getLogger(__name__)


def _messages():
    return {
        400: _("Permintaan tidak bisa diproses."),
        403: _("Anda tidak punya akses ke halaman ini."),
        404: _("Halaman atau data tidak ditemukan."),
        405: _("Permintaan tidak bisa diproses."),
        413: _("File terlalu besar (maks. %(mb)d MB).",
               mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)),
        429: _("Terlalu banyak percobaan. Tunggu beberapa menit lalu coba lagi."),
        500: _("Terjadi kesalahan di server. Coba lagi sebentar lagi."),
        503: _("Database sedang tidak bisa dihubungi. Coba lagi sebentar lagi."),
    }


API_PREFIX = "/manual-whatsapp"
# Machines call these: they get {"detail": …} JSON, never a page.
JSON_PREFIXES = (API_PREFIX, "/webhooks/")


def _titles():
    return {
        403: _("Akses ditolak"),
        404: _("Tidak ditemukan"),
        429: _("Tunggu sebentar"),
        500: _("Maaf, ada yang salah"),
        503: _("Layanan sedang terganggu"),
    }


def render_error(code, message, headers=None):
    headers = headers or {}
    if request.path.startswith(JSON_PREFIXES):
        return {"detail": message}, code, headers
    if is_htmx():
        return message, code, headers  # app.js shows it next to the button that was pressed
    title = _titles().get(code, _("Permintaan tidak bisa diproses"))
    return render_template("errors/error.html", code=code, title=title, message=message,
                           request_id=g.get("request_id")), code, headers


def handle_http_error(error: HTTPException):
    # The exception's own headers matter to clients: Allow on a 405, WWW-Authenticate on a 401.
    headers = {key: value for key, value in error.get_headers() if key.lower() != "content-type"}
    return render_error(error.code, _messages().get(error.code, error.name), headers)


def handle_csrf_error(error: CSRFError):
    return render_error(400, _("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi."))


def handle_server_error(error):
    db.session.rollback()
    return render_error(500, _messages()[500])


def handle_database_unavailable(error):
    """The database cannot be reached (or stays locked): 503, with a page that needs no database."""
    logger.error("database unavailable: %s", error.__class__.__name__, exc_info=error)
    with contextlib.suppress(SQLAlchemyError):  # the connection is gone; the session ends with the request
        db.session.rollback()
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()  # the page must not ask the database who is signed in
    return render_error(503, _messages()[503])


def register(app):
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InterfaceError, handle_database_unavailable)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
