"""Bad input gets a clear answer, never a 500, and changes nothing (issue #11).

Each test names the input a client or a user could really send: non-text JSON fields, JSON nested
a thousand levels deep, dates at the calendar's edges, ids no database can hold, NUL characters
(PostgreSQL refuses them), webhooks of unexpected shapes and a database that cannot be reached.
Server errors are answered as a browser would see them (the 500 page), not raised into the test.
"""
import hashlib
import hmac
import json

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import Customer
from tests.conftest import HTMX, settings_form
from tests.test_import import preview_statuses, upload

NUL_MESSAGE = "Berisi karakter NUL (\\0) yang tidak diizinkan."
BUDI = {"customer_name": "Budi", "nopol": "B 1 A", "no_hp": "08123456789"}
DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.fixture(autouse=True)
def server_errors_as_pages(app):
    """A crash is answered with the 500 page, as in production, so the test sees the status."""
    app.config["PROPAGATE_EXCEPTIONS"] = False


@pytest.fixture
def token(tokens):
    return tokens["manager"]


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Customer.id)))


# --- the API: fields of the wrong JSON type ---------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("notes", 7), ("notes", ["x"]), ("notes", {"a": 1}), ("customer_name", ["x"]), ("customer_name", {"a": 1}),
    ("customer_name", 7), ("nopol", 1234), ("no_hp", True), ("last_service", 20260115), ("next_service", ["2026"]),
])
def test_api_refuses_a_field_of_the_wrong_type(app, client, token, field, value):
    response = client.post("/manual-whatsapp/", json={**BUDI, field: value}, headers=token)
    assert response.status_code == 422
    assert field in response.json["errors"] and response.json["detail"]
    assert stored(app) == 0


def test_bulk_import_reports_a_wrong_type_by_index_and_creates_the_others(app, client, token):
    response = client.post("/manual-whatsapp/bulk-import", headers=token, json=[
        BUDI, {"customer_name": "Siti", "nopol": "D 2 B", "no_hp": "08129998888", "notes": 7}])
    assert response.status_code == 200
    assert (response.json["created"], response.json["failed"]) == (1, 1)
    assert response.json["errors"][0]["index"] == 1 and "notes" in response.json["errors"][0]["errors"]
    assert stored(app) == 1


# --- JSON nested a thousand levels deep ------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("post", "/"), ("post", "/bulk-import"), ("post", "/send-reminders"),
    ("put", "/00000000-0000-0000-0000-000000000001"),
])
@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_api_refuses_deeply_nested_json(app, client, token, method, path, body):
    response = getattr(client, method)("/manual-whatsapp" + path, data=body, content_type="application/json",
                                       headers=token)
    assert response.status_code == 400
    assert "JSON bersarang terlalu dalam" in response.json["detail"]


def _signed_meta(client, body: bytes):
    signature = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    return client.post("/webhooks/whatsapp", data=body, content_type="application/json",
                       headers={"X-Hub-Signature-256": signature})


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_webhooks_refuse_deeply_nested_json_with_json(app, client, users, body):
    app.config.update(WHATSAPP_APP_SECRET="app-secret", FONNTE_WEBHOOK_SECRET="s3cret")
    for response in (_signed_meta(client, body.encode()),
                     client.post("/webhooks/fonnte?secret=s3cret", data=body, content_type="application/json")):
        assert response.status_code == 400 and "JSON bersarang terlalu dalam" in response.json["detail"]


# --- dates at the calendar's edges -----------------------------------------------------------

def test_api_last_service_whose_next_service_overflows_is_a_field_error(app, client, token):
    response = client.post("/manual-whatsapp/", json={**BUDI, "last_service": "9999-07-01"}, headers=token)
    assert response.status_code == 422
    assert "melewati tahun 9999" in response.json["errors"]["last_service"]
    assert stored(app) == 0


def test_form_last_service_whose_next_service_overflows_is_a_field_error(app, client, auth):
    auth.login_staff()
    response = client.post("/customers/new", data={**BUDI, "last_service": "9999-07-01"})
    assert response.status_code == 422
    assert "Servis terakhir terlalu jauh di masa depan: servis berikutnya melewati tahun 9999." in response.text
    assert stored(app) == 0


def test_import_row_whose_next_service_overflows_is_refused_alone(app, client, auth):
    auth.login_staff()
    data = "Nama;Nopol;No HP;Servis terakhir\nBudi;B 1 A;08123456789;01/07/9999\nSiti;D 2 B;08129998888;\n"
    response = upload(client, "tepi.csv", data.encode())
    preview = client.get(response.headers["Location"])
    assert preview.status_code == 200 and preview_statuses(preview.text) == {2: "error", 3: "new"}
    assert "melewati tahun 9999" in preview.text
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    assert stored(app) == 1


@pytest.mark.parametrize("path", ["/stats/", "/stats/export.csv", "/audit/"])
@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=0001-01-01&to=9999-12-31",
                                   "from=9999-12-31&to=0001-01-01"])
def test_pages_date_ranges_at_the_calendars_edges(client, auth, path, query):
    auth.login_manager()
    assert client.get(f"{path}?{query}").status_code == 200


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=0001-01-01&to=9999-12-31"])
def test_api_stats_date_ranges_at_the_calendars_edges(client, token, query):
    response = client.get(f"/manual-whatsapp/stats/summary?{query}", headers=token)
    assert response.status_code == 200
    assert response.json["period_start"] <= response.json["period_end"]


# --- ids no database can hold ----------------------------------------------------------------

HUGE = "99999999999999999999"


@pytest.mark.parametrize("method, path", [
    ("get", f"/reminders/batches/{HUGE}"), ("get", f"/reminders/batches/{HUGE}/progress"),
    ("post", f"/users/{HUGE}/active"), ("post", f"/users/tokens/{HUGE}/revoke"),
    ("post", f"/users/{2**63}/password"),
])
def test_huge_ids_in_paths_are_not_found(client, auth, method, path):
    auth.login_manager()
    response = getattr(client, method)(path)
    assert response.status_code == 404
    assert "Halaman atau data tidak ditemukan." in response.text


@pytest.mark.parametrize("query", [f"user={HUGE}", "user=²", f"before={HUGE}", "before=²", "user=-1"])
def test_audit_filters_with_numbers_no_row_can_have(client, auth, make_customer, query):
    auth.login_manager()
    make_customer()
    response = client.get(f"/audit/?{query}")
    assert response.status_code == 200


# --- NUL characters (PostgreSQL refuses them in text) ----------------------------------------

@pytest.mark.parametrize("fields", [{"customer_name": "Bu\x00di"}, {"notes": "catatan\x00"},
                                    {"nopol": "B 1\x00 A"}, {"no_hp": "0812\x0034567890"}])
def test_api_refuses_nul_in_any_field(app, client, token, fields):
    response = client.post("/manual-whatsapp/", json={**BUDI, **fields}, headers=token)
    assert response.status_code == 422
    assert set(response.json["errors"]) == set(fields) and NUL_MESSAGE in response.json["detail"]
    assert stored(app) == 0


def test_api_refuses_nul_in_search_plate_and_bulk_items(app, client, token, make_customer):
    make_customer(**BUDI)
    assert client.get("/manual-whatsapp/?search=Bu%00di", headers=token).status_code == 422
    assert client.get("/manual-whatsapp/by-nopol/B%001%00A", headers=token).status_code == 422
    customer_id = client.get("/manual-whatsapp/", headers=token).json["items"][0]["id"]
    update = client.put(f"/manual-whatsapp/{customer_id}", json={"notes": "x\x00"}, headers=token)
    assert update.status_code == 422 and "notes" in update.json["errors"]
    bulk = client.post("/manual-whatsapp/bulk-import", json=[{"customer_name": "Siti\x00", "nopol": "D 2 B",
                                                               "no_hp": "08129998888"}], headers=token)
    assert bulk.status_code == 422 and "[0].customer_name" in bulk.json["errors"]
    assert stored(app) == 1


@pytest.mark.parametrize("field", ["customer_name", "notes", "nopol"])
def test_customer_form_refuses_nul_with_a_message(app, client, auth, field):
    auth.login_staff()
    response = client.post("/customers/new", data={**BUDI, "notes": "", field: BUDI.get(field, "x") + "\x00"})
    assert response.status_code == 400
    assert NUL_MESSAGE in response.text and field in response.text
    assert stored(app) == 0


@pytest.mark.parametrize("path", ["/customers/?q=Bu%00di", "/import/export.csv?q=%00", "/audit/?q=%00"])
def test_searches_refuse_nul_with_a_message(client, auth, path):
    auth.login_manager()
    page = client.get(path)
    assert page.status_code == 400 and NUL_MESSAGE in page.text
    inline = client.get(path, headers=HTMX)
    assert inline.status_code == 400 and NUL_MESSAGE in inline.text


def test_settings_texts_refuse_nul(app, client, auth):
    auth.login_manager()
    response = client.post("/settings/", data=settings_form(workshop_name="Bengkel\x00Maju"))
    assert response.status_code == 400 and NUL_MESSAGE in response.text
    assert "Bengkel\x00Maju" not in client.get("/settings/").text


def test_upload_whose_file_name_has_nul_is_refused(app, client, auth):
    auth.login_staff()
    response = upload(client, "pelanggan\x00.csv", b"Nama;Nopol;No HP\nBudi;B 1 A;08123456789\n")
    assert response.status_code == 400 and NUL_MESSAGE in response.text


def test_import_cell_with_nul_refuses_that_row_and_commits_the_rest(app, client, auth):
    auth.login_staff()
    data = "Nama;Nopol;No HP;Catatan\nBudi;B 1 A;08123456789;rusak\x00\nSiti;D 2 B;08129998888;baik\n"
    response = upload(client, "nul.csv", data.encode())
    preview = client.get(response.headers["Location"]).text
    assert preview_statuses(preview) == {2: "error", 3: "new"}
    assert NUL_MESSAGE in preview
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    with app.app_context():
        assert db.session.scalars(sa.select(Customer.nopol)).all() == ["D 2 B"]


# --- signed webhooks of unexpected shapes ----------------------------------------------------

@pytest.mark.parametrize("payload", [
    {"entry": "x"}, {"entry": ["x", 1, None]}, {"entry": [{"changes": "x"}]}, {"entry": [{"changes": [{"value": 7}]}]},
    {"entry": [{"changes": [{"value": {"statuses": "x", "messages": {"a": 1}}}]}]},
    {"entry": [{"changes": [{"value": {"statuses": [{"id": ["x"], "status": {"a": 1}, "errors": "x"}]}}]}]},
    {"entry": [{"changes": [{"value": {"messages": [{"type": "text", "from": 628123456789, "text": "halo"}]}}]}]},
    {"entry": [{"changes": [{"value": {"messages": [{"type": "text", "from": None, "text": {"body": 7}}]}}]}]},
    {"entry": [{"changes": [{"value": {"messages": [{"type": "text", "from": "6281", "text": "ha\x00lo"}]}}]}]},
])
def test_signed_meta_webhook_of_any_shape_is_acknowledged(app, client, users, payload):
    app.config["WHATSAPP_APP_SECRET"] = "app-secret"
    response = _signed_meta(client, json.dumps(payload).encode())
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_meta_reply_with_a_number_as_sender_and_text_as_a_string_still_opts_out(app, client, make_customer):
    app.config["WHATSAPP_APP_SECRET"] = "app-secret"
    make_customer(no_hp="08123456789")
    payload = {"entry": [{"changes": [{"value": {"messages": [
        {"type": "text", "from": 628123456789, "text": "STOP"}]}}]}]}
    assert _signed_meta(client, json.dumps(payload).encode()).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(Customer.opted_out)) is True


@pytest.mark.parametrize("payload", [
    {"sender": 628123456789, "message": ["STOP"]}, {"sender": {"a": 1}, "message": "halo"},
    {"id": {"a": 1}, "state": ["read"]}, {"id": "x", "status": 7}, {"sender": "62812", "message": "ha\x00lo"},
])
def test_fonnte_callback_of_any_shape_is_acknowledged(app, client, users, payload):
    app.config["FONNTE_WEBHOOK_SECRET"] = "s3cret"
    response = client.post("/webhooks/fonnte?secret=s3cret", json=payload)
    assert response.status_code == 200


# --- the database cannot be reached -----------------------------------------------------------

@pytest.mark.parametrize("method, path, headers, kind", [
    ("get", "/login", {}, "page"), ("get", "/customers/", {}, "page"), ("get", "/stats/", {}, "page"),
    ("get", "/customers/", HTMX, "text"),
    ("get", "/manual-whatsapp/", {"Authorization": "Bearer x"}, "json"),
    ("post", "/webhooks/whatsapp", {"X-Hub-Signature-256": "sha256=0"}, "json"),
    ("post", "/webhooks/fonnte?secret=x", {}, "json"),
])
def test_unreachable_database_answers_503_with_the_apps_own_message(method, path, headers, kind):
    app = create_app(TestConfig("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = getattr(app.test_client(), method)(path, headers=headers, json={} if method == "post" else None)
    assert response.status_code == 503
    message = "Database sedang tidak bisa dihubungi. Coba lagi sebentar lagi."
    if kind == "json":
        assert response.json == {"detail": message}
    elif kind == "text":
        assert response.text == message
    else:
        assert "Layanan sedang terganggu" in response.text and message in response.text
        assert 'href="/login"' in response.text


# --- 405 answers say what is allowed ---------------------------------------------------------

@pytest.mark.parametrize("method, path, allowed", [
    ("delete", "/manual-whatsapp/", {"GET", "POST"}), ("patch", "/manual-whatsapp/bulk-import", {"POST"}),
    ("post", "/stats/", {"GET"}), ("put", "/webhooks/whatsapp", {"GET", "POST"}),
])
def test_method_not_allowed_carries_allow(client, token, method, path, allowed):
    response = getattr(client, method)(path, headers=token)
    assert response.status_code == 405
    assert allowed <= {method.strip() for method in response.headers["Allow"].split(",")}
