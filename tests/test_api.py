"""The JSON API of the original service: every endpoint, its errors, tokens and the OpenAPI file."""
import re
import uuid
from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.models import Customer, Message
from app.services.users import find_user

# --- the original's curl examples, as written ------------------------------------------------

def test_create_with_a_national_phone_number(api):
    response = api.post("/", json={"customer_name": "Budi Santoso", "nopol": "b1234xyz", "no_hp": "08123456789",
                                   "last_service": "2026-01-15"})
    assert response.status_code == 201
    body = response.json
    assert body["nopol"] == "B 1234 XYZ" and body["no_hp"] == "628123456789"
    assert body["next_service"] == "2026-07-15" and body["is_active"] is True and body["reminder_sent_count"] == 0
    assert uuid.UUID(body["id"]) and body["last_reminder_sent"] is None
    assert set(body) >= {"id", "customer_name", "nopol", "no_hp", "last_service", "next_service", "is_active",
                         "reminder_sent_count", "last_reminder_sent", "notes", "created_at", "updated_at"}


def test_bulk_import_creates_the_valid_ones_and_reports_the_rest(api, app):
    response = api.post("/bulk-import", json=[
        {"customer_name": "Budi", "nopol": "B 1 A", "no_hp": "08123456789"},
        {"customer_name": "Siti", "nopol": "D 2 B", "no_hp": "021-5551234"},
        {"customer_name": "Joko", "nopol": "b1a", "no_hp": "08129998888"},
        {"customer_name": "Andi", "nopol": "F 3 C", "no_hp": "+62 813 1111 2222", "last_service": "kemarin"},
        "not an object",
        {"customer_name": "Dewi", "nopol": "L 4567 KM", "no_hp": "62 811 2233 4455"},
    ])
    assert response.status_code == 200
    body = response.json
    assert (body["created"], body["failed"]) == (2, 4)
    assert [item["nopol"] for item in body["items"]] == ["B 1 A", "L 4567 KM"]
    errors = {error["index"]: error for error in body["errors"]}
    assert "Ini bukan nomor HP" in errors[1]["detail"]
    assert errors[2]["status"] == 409 and "sudah dipakai" in errors[2]["detail"]
    assert "last_service" in errors[3]["detail"]
    assert 4 in errors
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Customer.id))) == 2


def test_list_with_search_filter_and_paging(api):
    for index, (name, active) in enumerate([("Budi", True), ("Siti", False), ("Budiman", True)]):
        api.post("/", json={"customer_name": name, "nopol": f"B {index + 1} A", "no_hp": f"0812000000{index}1",
                            "is_active": active})
    body = api.get("/?search=budi&limit=1").json
    assert (body["total"], body["skip"], body["limit"], len(body["items"])) == (2, 0, 1, 1)
    assert api.get("/?search=budi&skip=1&limit=1").json["items"][0]["customer_name"] in ("Budi", "Budiman")
    assert [c["customer_name"] for c in api.get("/?is_active=false").json["items"]] == ["Siti"]
    assert api.get("/?search=0812 0000 0021").json["total"] == 1  # phone in any format
    assert api.get("/?limit=5000").status_code == 422
    assert api.get("/?is_active=maybe").status_code == 422


def test_get_by_id_and_by_plate_in_any_spacing(api):
    created = api.post("/", json={"customer_name": "Budi", "nopol": "B 1234 XYZ", "no_hp": "08123456789"}).json
    assert api.get(f"/{created['id']}").json["nopol"] == "B 1234 XYZ"
    assert api.get("/by-nopol/b1234xyz").json["id"] == created["id"]
    assert api.get("/by-nopol/B%201234%20XYZ").json["id"] == created["id"]
    assert api.get("/by-nopol/Z 9 Z").status_code == 404
    missing = api.get(f"/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json == {"detail": "Customer not found"}


def test_update_toggle_and_delete(api, app):
    created = api.post("/", json={"customer_name": "Budi", "nopol": "B 1 A", "no_hp": "08123456789"}).json
    updated = api.put(f"/{created['id']}", json={"no_hp": "+62 813 1111 2222", "notes": "pindah nomor"}).json
    assert (updated["no_hp"], updated["notes"], updated["customer_name"]) == ("6281311112222", "pindah nomor", "Budi")
    assert api.patch(f"/{created['id']}/toggle-active").json["is_active"] is False
    assert api.delete(f"/{created['id']}").status_code == 204
    assert api.get(f"/{created['id']}").status_code == 404
    assert api.delete(f"/{created['id']}").status_code == 404


def test_validation_errors_are_422_and_duplicates_409(api):
    api.post("/", json={"customer_name": "Budi", "nopol": "B 1 A", "no_hp": "08123456789"})
    duplicate = api.post("/", json={"customer_name": "Joko", "nopol": "b 1 a", "no_hp": "08129998888"})
    assert duplicate.status_code == 409 and "sudah dipakai pelanggan Budi" in duplicate.json["detail"]
    invalid = api.post("/", json={"customer_name": "", "nopol": "1234", "no_hp": "abc"})
    assert invalid.status_code == 422
    assert set(invalid.json["errors"]) == {"customer_name", "nopol", "no_hp"}
    assert api.post("/", json=["not", "an", "object"]).status_code == 422
    assert api.post("/", data="not json", content_type="application/json").status_code == 422
    other = api.post("/", json={"customer_name": "Siti", "nopol": "D 2 B", "no_hp": "08131111222"}).json
    assert api.put(f"/{other['id']}", json={"nopol": "B 1 A"}).status_code == 409
    assert api.put(f"/{other['id']}", json={"last_service": "15/01/2026"}).status_code == 422


# --- tokens --------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_missing_or_unknown_token_is_401(client, users, header):
    response = client.get("/manual-whatsapp/", headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.json == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_logged_in_browser_session_is_not_accepted(client, auth):
    auth.login_manager()
    assert client.get("/manual-whatsapp/").status_code == 401
    assert client.post("/manual-whatsapp/", json={}).status_code == 401  # no CSRF token, no session either


def test_revoked_token_is_401(app, client, tokens, auth):
    assert client.get("/manual-whatsapp/", headers=tokens["staff"]).status_code == 200
    from app.models import ApiToken

    with app.app_context():
        token = db.session.scalar(db.select(ApiToken).join(ApiToken.user).where(ApiToken.user.has(username="staf")))
        token_id = token.id
        assert token.last_used_at is not None
    auth.login_manager()
    client.post(f"/users/tokens/{token_id}/revoke")
    assert client.get("/manual-whatsapp/", headers=tokens["staff"]).status_code == 401


def test_token_of_a_deactivated_user_is_401(app, client, tokens):
    with app.app_context():
        find_user("staf").active = False
        db.session.commit()
    assert client.get("/manual-whatsapp/", headers=tokens["staff"]).status_code == 401


def test_staff_token_gets_403_on_manager_actions(api, tokens):
    for method, path in (("post", "/send-reminders"), ("get", "/stats/summary")):
        response = getattr(api, method)(path, headers=tokens["staff"], json={})
        assert response.status_code == 403 and response.json == {"detail": "Manager role required"}
    assert api.get("/", headers=tokens["staff"]).status_code == 200


def test_cli_prints_a_token_that_works(app, runner, client, users):
    result = runner.invoke(args=["users", "token", "staf"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("mw_")
    assert client.get("/manual-whatsapp/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert runner.invoke(args=["users", "token", "nobody"]).exit_code != 0


def test_manager_creates_a_token_that_is_shown_once(client, auth, app):
    auth.login_manager()
    with app.app_context():
        staff_id = find_user("staf").id
    page = client.post("/users/tokens", data={"user_id": staff_id, "name": "sistem kasir"}).text
    token = re.search(r"<code>(mw_[^<]+)</code>", page).group(1)
    assert client.get("/manual-whatsapp/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in client.get("/users/").text  # only its prefix from now on
    assert token[:10] in client.get("/users/").text


# --- reminders through the API --------------------------------------------------------------

def test_send_reminders_runs_the_batch_and_returns_counts(app, api, cloud_api, due_customers):
    phones = due_customers(3)
    cloud_api.script("+" + phones[0], ("error", 131026, 400))
    response = api.post("/send-reminders", json={"days_threshold": 3, "only_active": True})
    assert response.status_code == 200
    assert {k: response.json[k] for k in ("status", "sent", "failed", "skipped")} == \
        {"status": "done", "sent": 2, "failed": 1, "skipped": 0}
    again = api.post("/send-reminders", json={"days_threshold": 3, "only_active": True}).json
    assert (again["sent"], again["skipped"]) == (0, 3)  # the same send-once rule as the page
    with app.app_context():
        assert {m.trigger for m in db.session.scalars(db.select(Message))} == {"api"}


def test_send_reminders_validates_and_needs_a_usable_provider(app, api, cloud_api):
    assert api.post("/send-reminders", json={"days_threshold": "tiga"}).status_code == 422
    assert api.post("/send-reminders", json={"only_active": "ya"}).status_code == 422
    app.config["WHATSAPP_ACCESS_TOKEN"] = None
    response = api.post("/send-reminders", json={"days_threshold": 3})
    assert response.status_code == 503 and "belum diatur" in response.json["detail"]


def test_send_reminders_with_link_provider_is_refused(api):
    response = api.post("/send-reminders", json={"days_threshold": 3, "only_active": True})
    assert response.status_code == 409 and "link" in response.json["detail"]


def test_send_one_returns_the_message_status_id_and_error(api, cloud_api, due_customers, app):
    [phone] = due_customers(1)
    with app.app_context():
        customer_id = db.session.scalar(db.select(Customer.id).where(Customer.no_hp == phone))
    body = api.post(f"/{customer_id}/send-reminder").json
    assert body["status"] == "sent" and body["message_id"].startswith("wamid.") and body["error"] is None
    assert body["customer"]["reminder_sent_count"] == 1
    again = api.post(f"/{customer_id}/send-reminder")
    assert again.status_code == 409 and "baru saja dikirim" in again.json["detail"]
    assert api.post(f"/{uuid.uuid4()}/send-reminder").status_code == 404


def test_stats_summary_has_the_figures(api, make_customer, app):
    with app.app_context():
        today = clock.today()
    make_customer(nopol="B 1 A", no_hp="081200000001", next_service=today - timedelta(days=1))
    body = api.get("/stats/summary").json
    assert body["customers_total"] == 1 and body["services_overdue"] == 1
    assert api.get("/stats/summary?from=kemarin").status_code == 422


# --- the OpenAPI description -------------------------------------------------------------------

def test_every_documented_operation_answers_as_documented(api, client, tokens, cloud_api, app, due_customers):
    spec = client.get("/manual-whatsapp/openapi.json").json
    assert spec["openapi"].startswith("3.")
    due_customers(1)
    with app.app_context():
        customer_id = str(db.session.scalar(db.select(Customer.id)))
    examples = {"/": {"customer_name": "Rina", "nopol": "B 77 RM", "no_hp": "0812 7777 6666"},
                "/bulk-import": [{"customer_name": "Agus", "nopol": "D 88 AS", "no_hp": "081388887777"}],
                "/{id}": {"notes": "catatan"}, "/send-reminders": {"days_threshold": 3}}
    checked = 0
    order = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 9}
    operations = sorted(((path, method, operation) for path, item in spec["paths"].items()
                         for method, operation in item.items()), key=lambda op: order[op[1]])
    for path, method, operation in operations:
        url = path.replace("{id}", customer_id).replace("{nopol}", "B 1 RM")
        kwargs = {"json": examples[path]} if path in examples and method in ("post", "put") else {}
        response = getattr(api, method)(url, **kwargs)
        assert str(response.status_code) in operation["responses"], (method, path, response.status_code)
        assert response.status_code < 300, (method, path, response.status_code, response.get_data(as_text=True))
        unauthenticated = client.open("/manual-whatsapp" + url, method=method.upper())
        assert unauthenticated.status_code == 401 and "401" in operation["responses"]
        checked += 1
    assert checked == 11
