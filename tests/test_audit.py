"""The audit trail: every change to a customer, by whom and when, and the manager's page to read it."""
import hashlib
import hmac
import json
import re
from datetime import timedelta

import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import AuditEvent, Customer, CustomerArchive, Message
from app.services import audit
from app.services.api_tokens import create_token
from app.services.users import find_user
from tests.conftest import HTMX, set_local_time, settings_form


def trail(app, with_accounts=False) -> list[AuditEvent]:
    """Every entry, oldest first (without the fixtures' accounts unless asked)."""
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
    if not with_accounts:
        stmt = stmt.where(AuditEvent.action != "user.create")
    with app.app_context():
        events = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return events


def changes_of(event) -> dict:
    return json.loads(event.changes) if event.changes else {}


def details_of(event) -> dict:
    return json.loads(event.details) if event.details else {}


def test_every_kind_of_change_from_the_pages_is_recorded_with_who_and_what(app, client, auth, cloud_api):
    auth.login_staff()
    client.post("/customers/new", data={"customer_name": "Budi", "nopol": "b1234xyz", "no_hp": "0812-3456-7890",
                                       "is_active": "y"})
    with app.app_context():
        customer_id = db.session.scalar(sa.select(Customer.id))
    client.post(f"/customers/{customer_id}/edit", data={"customer_name": "Budi Santoso", "nopol": "B 1234 XYZ",
                                                         "no_hp": "0813 1111 2222", "is_active": "y"})
    client.post(f"/customers/{customer_id}/toggle", headers=HTMX)
    client.post(f"/customers/{customer_id}/toggle", headers=HTMX)
    client.post(f"/customers/{customer_id}/serviced", headers=HTMX)
    client.post(f"/customers/{customer_id}/remind", headers=HTMX)
    client.get("/import/export.csv?q=budi")
    client.post(f"/customers/{customer_id}/delete", headers=HTMX)

    events = trail(app)
    assert [event.action for event in events] == [
        "customer.create", "customer.update", "customer.toggle", "customer.toggle", "customer.serviced",
        "customer.remind", "customers.export", "customer.delete"]
    assert {(event.username, event.source) for event in events} == {("staf", "web")}
    create, update, off, on, serviced, remind, export, delete = events
    assert changes_of(create)["nopol"] == [None, "B 1234 XYZ"]
    assert changes_of(update) == {"customer_name": ["Budi", "Budi Santoso"], "no_hp": ["6281234567890", "6281311112222"]}
    assert changes_of(off) == {"is_active": [True, False]} and changes_of(on) == {"is_active": [False, True]}
    assert set(changes_of(serviced)) == {"last_service", "next_service"}
    with app.app_context():
        message = db.session.scalar(sa.select(Message))
    assert details_of(remind) == {"message": message.id} and message.user_id is not None
    assert details_of(export) == {"format": "csv", "search": "budi", "filter": "all"}
    assert changes_of(delete)["customer_name"] == ["Budi Santoso", None]
    assert all(event.customer_id == customer_id for event in events if event.action != "customers.export")
    assert all(event.request_id for event in events)


def test_an_edit_that_changes_nothing_or_is_refused_leaves_no_entry(app, client, auth, make_customer):
    auth.login_staff()
    make_customer(customer_name="Ani", nopol="B 1 A", no_hp="081200000001")
    customer_id = make_customer(customer_name="Budi", nopol="B 2 A", no_hp="081200000002")
    before = len(trail(app))
    same = {"customer_name": "Budi", "nopol": "B 2 A", "no_hp": "081200000002", "is_active": "y"}
    client.post(f"/customers/{customer_id}/edit", data=same)
    response = client.post(f"/customers/{customer_id}/edit", data={**same, "nopol": "B 1 A", "customer_name": "X"})
    assert response.status_code == 422
    assert len(trail(app)) == before
    with app.app_context():
        assert db.session.get(Customer, customer_id).customer_name == "Budi"


def test_import_api_webhook_and_cron_name_their_source(app, client, auth, make_customer, runner, cloud_api):
    import io

    auth.login_manager()
    sheet = b"Nama;Nopol;No HP\nCitra;B 9 C;081299990000\nDodi;B 8 D;081288880000\n"
    response = client.post("/import/", data={"file": (io.BytesIO(sheet), "baru.csv")})
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})

    with app.app_context():
        _, token = create_token(find_user("staf"), "kasir")
        db.session.commit()
        customer_id = db.session.scalar(sa.select(Customer.id).where(Customer.nopol == "B 9 C"))
    client.patch(f"/manual-whatsapp/{customer_id}/toggle-active", headers={"Authorization": f"Bearer {token}"})

    secret = "app-secret"
    app.config.update(WHATSAPP_APP_SECRET=secret)
    body = json.dumps({"entry": [{"changes": [{"value": {"messages": [
        {"from": "6281288880000", "id": "wamid.IN", "timestamp": "1750030073", "type": "text",
         "text": {"body": "STOP"}}]}}]}]}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    client.post("/webhooks/whatsapp", data=body, content_type="application/json",
                headers={"X-Hub-Signature-256": signature})

    with app.app_context():
        today = clock.today()
    make_customer(customer_name="Eka", nopol="B 7 E", no_hp="081277770000", next_service=today + timedelta(days=1))
    set_local_time(app, 10, 0)  # cron sends only inside the sending hours
    assert runner.invoke(args=["reminders", "send", "--days", "3"]).exit_code == 0

    events = [event for event in trail(app) if event.action != "customer.create"]
    assert [(event.action, event.source, event.username) for event in events] == [
        ("import.commit", "web", "manajer"),
        ("token.create", "cli", None),
        ("customer.toggle", "api", "staf"),
        ("customer.opt_out", "webhook", None),
        ("reminders.batch", "cron", None),
    ]
    assert details_of(events[0]) == {"file": "baru.csv", "created": 2, "updated": 0, "skipped": 0, "refused": 0}
    assert events[3].nopol == "B 8 D" and details_of(events[3]) == {"reply": "STOP"}
    assert details_of(events[4])["queued"] == 1


def test_settings_and_accounts_are_recorded(app, client, auth):
    auth.login_manager()
    client.post("/settings/", data=settings_form(service_interval_months=4))
    client.post("/users/", data={"username": "kasir2", "password": "rahasia-kasir2", "role": "staff"})
    events = trail(app, with_accounts=True)
    assert [event.action for event in events][-2:] == ["settings.update", "user.create"]
    assert (events[-1].username, details_of(events[-1])) == ("manajer", {"username": "kasir2", "role": "staff"})
    assert changes_of(events[-2]) == {"service_interval_months": [6, 4]}


def test_manager_reads_and_filters_the_trail(app, client, auth, make_customer):
    auth.login_staff()
    first = make_customer(customer_name="Ani", nopol="B 1 A", no_hp="081200000001")
    second = make_customer(customer_name="Budi", nopol="B 2 B", no_hp="081200000002")
    client.post(f"/customers/{first}/edit", data={"customer_name": "Ani Wijaya", "nopol": "B 1 A", "is_active": "y",
                                                  "no_hp": "081200000001", "next_service": "2027-01-15"})
    client.post(f"/customers/{second}/toggle", headers=HTMX)
    auth.logout()
    auth.login_manager()

    page = client.get("/audit/").text
    assert 'class="audit-customer-update"' in page and 'class="audit-customer-toggle"' in page and "staf" in page
    assert "<del>Ani</del> → <ins>Ani Wijaya</ins>" in page
    assert "<del>—</del> → <ins>15 Jan 2027</ins>" in page
    assert "<del>Ya</del> → <ins>Tidak</ins>" in page

    only_toggles = client.get("/audit/?action=customer.toggle").text
    assert 'class="audit-customer-toggle"' in only_toggles and "Ani Wijaya" not in only_toggles
    by_plate = client.get("/audit/?q=b1a").text
    assert "Ani Wijaya" in by_plate and 'class="audit-customer-toggle"' not in by_plate
    with app.app_context():
        manager_id = find_user("manajer").id
    assert "Belum ada catatan" in client.get(f"/audit/?user={manager_id}").text
    tomorrow = (clock.utcnow() + timedelta(days=2)).date().isoformat()
    assert "Belum ada catatan" in client.get(f"/audit/?from={tomorrow}").text
    assert "Ani Wijaya" in client.get(f"/audit/?to={tomorrow}").text


def test_the_trail_pages_backwards_newest_first(app, client, auth, make_customer):
    auth.login_manager()
    customer_id = make_customer()
    for _ in range(audit.AuditQuery.per_page + 5):
        client.post(f"/customers/{customer_id}/toggle", headers=HTMX)
    first_page = client.get("/audit/?action=customer.toggle").text
    assert first_page.count('class="audit-customer-toggle"') == 50
    older_link = re.search(r'href="(/audit/\?[^"]*before=\d+[^"]*)"', first_page).group(1)
    older = client.get(older_link.replace("&amp;", "&"))
    assert older.text.count('class="audit-customer-toggle"') == 5
    assert "Lebih lama" not in older.text


def test_customer_page_shows_its_own_changes(client, auth, make_customer):
    auth.login_staff()
    customer_id = make_customer()
    client.post(f"/customers/{customer_id}/toggle", headers=HTMX)
    page = client.get(f"/customers/{customer_id}").text
    assert "Riwayat perubahan" in page and "Mengubah status aktif" in page


def test_deleted_customer_stays_readable_and_its_plate_is_free(app, client, auth, make_customer, cloud_api):
    auth.login_staff()
    customer_id = make_customer(customer_name="Budi", nopol="B 1234 XYZ")
    client.post(f"/customers/{customer_id}/remind", headers=HTMX)
    client.post(f"/customers/{customer_id}/delete", headers=HTMX)

    with app.app_context():
        assert db.session.get(Customer, customer_id) is None
        archived = db.session.get(CustomerArchive, customer_id)
        assert archived.nopol == "B 1234 XYZ" and archived.deleted_by.username == "staf"
        assert db.session.scalar(sa.select(Message.customer_id)) == customer_id
    page = client.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    assert "Pelanggan ini dihapus pada" in page.text and "staf" in page.text
    assert "terkirim" in page.text and "Menghapus pelanggan" in page.text
    # The archived copy is not a customer: not listed, and its plate can be given to someone else.
    assert "B 1234 XYZ" not in client.get("/customers/?q=1234").text
    response = client.post("/customers/new", data={"customer_name": "Pemilik baru", "nopol": "B 1234 XYZ",
                                                   "no_hp": "081299998888"})
    assert response.status_code == 302
