"""Friendly error pages in the user's language; htmx requests get a short text the page shows inline."""
from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.htmx import is_htmx


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
    }


API_PREFIX = "/manual-whatsapp"


def _titles():
    return {
        403: _("Akses ditolak"),
        404: _("Tidak ditemukan"),
        429: _("Tunggu sebentar"),
        500: _("Maaf, ada yang salah"),
    }


def _render_error(code, message):
    if request.path.startswith(API_PREFIX):
        return {"detail": message}, code
    if is_htmx():
        return message, code  # app.js shows it next to the button that was pressed
    title = _titles().get(code, _("Permintaan tidak bisa diproses"))
    return render_template("errors/error.html", code=code, title=title, message=message,
                           request_id=g.get("request_id")), code


def handle_http_error(error: HTTPException):
    return _render_error(error.code, _messages().get(error.code, error.name))


def handle_csrf_error(error: CSRFError):
    return _render_error(400, _("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi."))


def handle_server_error(error):
    db.session.rollback()
    return _render_error(500, _messages()[500])


def register(app):
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
