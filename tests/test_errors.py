"""Error pages people can act on, and logs an operator can follow: one JSON line per event."""
import json
import logging

import sqlalchemy as sa

from app.extensions import db
from app.logs import JsonLines
from app.models import Customer
from tests.conftest import HTMX


def test_not_found_page_is_friendly_and_in_indonesian(client, auth):
    auth.login_staff()
    response = client.get("/customers/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert "Tidak ditemukan" in response.text and "Kembali ke daftar pelanggan" in response.text


def test_forbidden_page_says_it_is_for_managers(client, auth):
    auth.login_staff()
    response = client.get("/audit/")
    assert response.status_code == 403
    assert "Akses ditolak" in response.text and "hanya untuk manajer" in response.text


def _failing_route(app):
    """A view that writes, then fails: the 500 page must leave nothing half-written."""

    def fail():
        db.session.add(Customer(customer_name="Setengah", nopol="B 1 ERR", no_hp="6281200000001"))
        db.session.flush()
        raise RuntimeError("boom")

    app.add_url_rule("/boom", "boom", fail, methods=["GET", "POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False


def test_server_error_page_shows_the_request_id_and_writes_nothing(app, client, auth, caplog):
    _failing_route(app)
    auth.login_staff()
    with caplog.at_level(logging.INFO):
        response = client.get("/boom", headers={"X-Request-ID": "kasir-42"})
    assert response.status_code == 500
    assert "Maaf, ada yang salah" in response.text and "kasir-42" in response.text
    assert response.headers["X-Request-ID"] == "kasir-42"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0
    error = next(record for record in caplog.records if record.exc_info)
    line = json.loads(JsonLines().format(error))
    assert line["request_id"] == "kasir-42" and line["level"] == "error" and "RuntimeError: boom" in line["error"]


def test_failed_htmx_request_gets_a_short_message_to_show_inline(app, client, auth):
    _failing_route(app)
    auth.login_staff()
    response = client.post("/boom", headers=HTMX)
    assert response.status_code == 500
    assert response.text == "Terjadi kesalahan di server. Coba lagi sebentar lagi."


def test_every_request_is_one_json_line_with_its_id(client, auth, caplog):
    auth.login_staff()
    with caplog.at_level(logging.INFO, logger="app.request"):
        response = client.get("/customers/?q=budi")
    generated = response.headers["X-Request-ID"]
    assert len(generated) == 16
    record = next(record for record in caplog.records if record.name == "app.request")
    text = JsonLines().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["event"] == "request" and line["request_id"] == generated
    assert line["method"] == "GET" and line["path"] == "/customers/" and line["status"] == 200
    assert line["duration_ms"] >= 0 and line["user_id"] is not None


def test_a_request_id_from_outside_is_kept_only_when_sane(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    forged = client.get("/healthz", headers={"X-Request-ID": "x\" onload=alert(1)"}).headers["X-Request-ID"]
    assert forged != "x\" onload=alert(1)" and forged.isalnum()
