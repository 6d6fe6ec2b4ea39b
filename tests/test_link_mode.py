"""Sending with wa.me links: the send rules apply before WhatsApp opens, opening is not sending,
and the person confirms in one tap (the row, the customer's page, the batch's queue)."""
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Customer, Message
from tests.conftest import HTMX

WA_ME = "https://wa.me/628123456789?text="


@pytest.fixture
def staff(auth):
    auth.login_staff()
    return auth


def _messages(app, **filters):
    with app.app_context():
        return db.session.scalars(sa.select(Message).filter_by(**filters).order_by(Message.id)).all()


def _customer(app, customer_id):
    with app.app_context():
        return db.session.get(Customer, customer_id)


def _row(customer_id):
    """An htmx request from the customer's row (htmx names the row it will replace)."""
    return {**HTMX, "HX-Target": f"customer-{customer_id}"}


def _assert_refused(response, reason):
    assert response.status_code == 409, response.status_code
    assert "wa.me" not in response.headers.get("Location", "")
    assert reason in response.text


# --- refused: WhatsApp never opens ------------------------------------------------------------

def test_inactive_customer_is_refused_and_whatsapp_does_not_open(app, client, staff, make_customer):
    customer_id = make_customer()
    client.post(f"/customers/{customer_id}/toggle")
    _assert_refused(client.get(f"/customers/{customer_id}/whatsapp"), "nonaktif")
    row = client.get(f"/customers/{customer_id}/whatsapp", headers=_row(customer_id))
    assert "X-WhatsApp-Url" not in row.headers and "nonaktif; aktifkan dulu" in row.text
    assert _messages(app) == []


def test_opted_out_customer_is_refused_and_whatsapp_does_not_open(app, client, staff, make_customer):
    from app.services.customers import opt_out

    customer_id = make_customer()
    with app.app_context():
        opt_out(db.session.get(Customer, customer_id), "STOP")
        db.session.commit()
    _assert_refused(client.get(f"/customers/{customer_id}/whatsapp"), "berhenti berlangganan")
    assert _messages(app) == []


def test_second_click_within_a_minute_is_refused(app, client, staff, make_customer):
    customer_id = make_customer()
    assert client.get(f"/customers/{customer_id}/whatsapp").headers["Location"].startswith(WA_ME)
    _assert_refused(client.get(f"/customers/{customer_id}/whatsapp"), "Tunggu satu menit")
    assert len(_messages(app)) == 1


def test_whatsapp_link_is_refused_when_the_provider_is_not_the_link(app, client, staff, make_customer):
    app.config.update(WHATSAPP_PROVIDER="cloud_api", WHATSAPP_ACCESS_TOKEN=None)
    customer_id = make_customer()
    response = client.get(f"/customers/{customer_id}/whatsapp")
    assert response.status_code == 409 and "wa.me" not in response.headers.get("Location", "")
    assert _messages(app) == []


# --- opened, then confirmed -------------------------------------------------------------------

def test_click_without_script_records_opened_and_redirects_to_wa_me(app, client, staff, make_customer):
    customer_id = make_customer(customer_name="Budi", nopol="B 1234 XYZ", no_hp="08123456789")
    page = client.get("/customers/").text
    assert f'href="/customers/{customer_id}/whatsapp"' in page and "data-record-url" not in page
    opened = client.get(f"/customers/{customer_id}/whatsapp")
    assert opened.status_code == 302
    assert opened.headers["Location"].startswith(WA_ME + "Halo%20Budi%2C%20kendaraan%20Anda%20B%201234%20XYZ")
    [message] = _messages(app)
    assert (message.provider, message.status) == ("link", Message.OPENED)
    assert _customer(app, customer_id).reminder_sent_count == 0  # opened is not sent
    row = client.get("/customers/").text
    assert "Dibuka di WhatsApp — sudah terkirim?" in row and "Sudah terkirim" in row and "Tidak jadi" in row
    detail = client.get(f"/customers/{customer_id}").text
    assert "Dibuka di WhatsApp — sudah terkirim?" in detail
    assert "dibuka di WhatsApp, belum dikonfirmasi" in detail  # the history says what it is


def test_htmx_click_answers_with_the_row_and_the_address_to_open(app, client, staff, make_customer):
    customer_id = make_customer()
    response = client.get(f"/customers/{customer_id}/whatsapp?next=/customers/", headers=_row(customer_id))
    assert response.status_code == 200 and response.headers["X-WhatsApp-Url"].startswith(WA_ME)
    assert "sudah terkirim?" in response.text and "0×" in response.text


def test_confirm_sent_counts_it_once_with_an_audit_entry(app, client, staff, make_customer):
    customer_id = make_customer()
    client.get(f"/customers/{customer_id}/whatsapp")
    [message] = _messages(app)
    response = client.post(f"/customers/{customer_id}/whatsapp/{message.id}/sent", headers=_row(customer_id))
    assert "1×" in response.text and "Dicatat: pengingat terkirim" in response.text
    assert _messages(app)[0].status == Message.SENT
    again = client.post(f"/customers/{customer_id}/whatsapp/{message.id}/sent", headers=_row(customer_id))
    assert "sudah dikonfirmasi" in again.text
    assert _customer(app, customer_id).reminder_sent_count == 1
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.customer_id == customer_id)).all()
    assert actions.count("reminders.link_confirmed") == 1


def test_not_sent_records_nothing_sent_and_allows_opening_again(app, client, staff, make_customer):
    customer_id = make_customer()
    client.get(f"/customers/{customer_id}/whatsapp")
    [message] = _messages(app)
    response = client.post(f"/customers/{customer_id}/whatsapp/{message.id}/not_sent",
                           data={"next": f"/customers/{customer_id}"})
    assert response.headers["Location"] == f"/customers/{customer_id}"
    assert (_messages(app)[0].status, _messages(app)[0].error_code) == (Message.FAILED, "not_sent")
    assert _customer(app, customer_id).reminder_sent_count == 0
    assert "sudah terkirim?" not in client.get(f"/customers/{customer_id}").text
    assert client.get(f"/customers/{customer_id}/whatsapp").headers["Location"].startswith(WA_ME)


def test_confirm_rejects_someone_elses_or_unknown_message(app, client, staff, make_customer):
    first = make_customer()
    second = make_customer(customer_name="Sari", nopol="B 2 SR", no_hp="08129999999")
    client.get(f"/customers/{first}/whatsapp")
    [message] = _messages(app)
    assert client.post(f"/customers/{second}/whatsapp/{message.id}/sent").status_code == 404
    assert client.post(f"/customers/{first}/whatsapp/999999/sent").status_code == 404
    assert client.post(f"/customers/{first}/whatsapp/{message.id}/maybe").status_code == 404
    assert client.get("/customers/00000000-0000-0000-0000-000000000000/whatsapp").status_code == 404
    assert _messages(app)[0].status == Message.OPENED


# --- the batch's queue ------------------------------------------------------------------------

def _start_queue(client, auth):
    auth.login_manager()
    response = client.post("/reminders/batches", data={"days": "3", "only_active": "y"})
    assert response.status_code == 302
    return response.headers["Location"]


def test_queue_opens_through_the_rules_and_confirms_in_one_tap(app, client, auth, due_customers):
    phones = due_customers(2)
    batch_url = _start_queue(client, auth)
    first, second = _messages(app)
    page = client.get(batch_url).text
    assert f'href="/reminders/messages/{first.id}/open"' in page
    opened = client.get(f"/reminders/messages/{first.id}/open")
    assert opened.headers["Location"].startswith(f"https://wa.me/{phones[0]}?text=")
    assert _messages(app)[0].status == Message.OPENED
    card = client.get(batch_url).text
    assert "sudah terkirim?" in card and "Pelanggan 0" in card
    # The next batch does not queue an opened, unconfirmed reminder again.
    plan = client.get("/reminders/?days=3&only_active=y").text
    assert "belum dikonfirmasi terkirim" in plan
    answer = client.post(f"/reminders/messages/{first.id}/sent", headers=HTMX)
    assert "Pelanggan 1" in answer.text and "Buka WhatsApp" in answer.text
    assert _messages(app)[0].status == Message.SENT
    with app.app_context():
        counts = [db.session.scalar(sa.select(Customer.reminder_sent_count).where(Customer.no_hp == phone))
                  for phone in phones]
    assert counts == [1, 0]
    # Not sent: the customer goes back to the queue.
    client.get(f"/reminders/messages/{second.id}/open")
    client.post(f"/reminders/messages/{second.id}/not_sent", headers=HTMX)
    assert _messages(app)[1].status == Message.QUEUED


def test_queue_refuses_a_customer_who_opted_out_since_it_was_queued(app, client, auth, due_customers):
    from app.services.customers import opt_out

    phones = due_customers(1)
    batch_url = _start_queue(client, auth)
    [message] = _messages(app)
    with app.app_context():
        opt_out(db.session.scalar(sa.select(Customer).where(Customer.no_hp == phones[0])), "STOP")
        db.session.commit()
    response = client.get(f"/reminders/messages/{message.id}/open", headers=HTMX)
    assert "X-WhatsApp-Url" not in response.headers and "berhenti berlangganan" in response.text
    plain = client.get(f"/reminders/messages/{message.id}/open")
    assert plain.headers["Location"] == batch_url  # the batch page, not wa.me
    assert _messages(app)[0].status == Message.FAILED


def test_stats_count_opened_and_confirmed_separately(app, client, auth, make_customer):
    first = make_customer()
    second = make_customer(customer_name="Sari", nopol="B 2 SR", no_hp="08129999999")
    auth.login_manager()
    client.get(f"/customers/{first}/whatsapp")
    client.get(f"/customers/{second}/whatsapp")
    message = _messages(app)[0]
    client.post(f"/customers/{first}/whatsapp/{message.id}/sent")
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', client.get("/stats/").text))
    assert figures["opened_in_period"] == "2"
    assert figures["confirmed_in_period"] == "1" and figures["unconfirmed_opened_in_period"] == "1"


def test_a_remind_request_cannot_record_a_link_send_that_nobody_made(app, client, staff, make_customer):
    """In link mode only "Kirim WA" (opened, then confirmed) records a send: a hand-made POST to
    the automatic-send route is refused and records nothing."""
    customer_id = make_customer()
    response = client.post(f"/customers/{customer_id}/remind", headers={"HX-Request": "true"})
    assert "Kirim WA" in response.text
    assert _messages(app) == []
