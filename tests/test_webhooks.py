"""Provider callbacks: verification, signatures, statuses that never move backwards, opt-outs."""
import hashlib
import hmac
import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Customer, Message
from app.services.reply_words import is_opt_out
from app.services.webhooks import valid_meta_signature

SECRET = "app-secret"


@pytest.fixture
def meta(app):
    app.config.update(WHATSAPP_APP_SECRET=SECRET, WHATSAPP_VERIFY_TOKEN="verify-me")


@pytest.fixture
def sent_message(app, make_customer):
    customer_id = make_customer(no_hp="08123456789")
    with app.app_context():
        message = Message(customer_id=customer_id, trigger="manual", provider="cloud_api", status="sent",
                          to_phone="628123456789", customer_name="Budi", nopol="B 1234 XYZ", body="Halo",
                          provider_message_id="wamid.ABC")
        db.session.add(message)
        db.session.commit()
        return message.id


def _post_meta(client, payload, secret=SECRET, signature=None):
    body = json.dumps(payload).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/webhooks/whatsapp", data=body, content_type="application/json",
                       headers={"X-Hub-Signature-256": signature})


def _statuses(*events):
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {"statuses": list(events)}}]}]}


def _status(status, **extra):
    return {"id": "wamid.ABC", "status": status, "timestamp": "1750030073", "recipient_id": "628123456789", **extra}


def _message(app, message_id):
    with app.app_context():
        return db.session.get(Message, message_id)


def test_signature_test_vector_from_the_documentation():
    assert valid_meta_signature(b"test", "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
                                "secret")
    assert not valid_meta_signature(b"test", "sha256=" + "0" * 64, "secret")
    assert not valid_meta_signature(b"test", None, "secret")


def test_verification_echoes_the_challenge_only_with_our_token(client, meta):
    ok = client.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = client.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
    assert wrong.status_code == 403


def test_status_update_needs_a_valid_signature(app, client, meta, sent_message):
    assert _post_meta(client, _statuses(_status("delivered")), signature="sha256=" + "0" * 64).status_code == 403
    assert _post_meta(client, _statuses(_status("delivered")), signature="").status_code == 403
    assert _message(app, sent_message).status == "sent"
    assert _post_meta(client, _statuses(_status("delivered"))).status_code == 200
    assert _message(app, sent_message).status == "delivered"


def test_webhook_refuses_everything_when_no_secret_is_configured(app, client, sent_message):
    assert _post_meta(client, _statuses(_status("read")), secret="").status_code == 403


def test_statuses_never_move_backwards_and_repeats_are_harmless(app, client, meta, sent_message):
    _post_meta(client, _statuses(_status("read")))  # read can come without delivered
    message = _message(app, sent_message)
    assert message.status == "read" and message.read_at and message.delivered_at
    for late in ("delivered", "sent", "read", "failed"):
        _post_meta(client, _statuses(_status(late)))
        assert _message(app, sent_message).status == "read"


def test_failed_status_records_the_error(app, client, meta, sent_message):
    error = {"code": 131026, "title": "Message undeliverable", "error_data": {"details": "x"}}
    _post_meta(client, _statuses(_status("failed", errors=[error])))
    message = _message(app, sent_message)
    assert (message.status, message.error_code, message.error_message) == ("failed", "131026", "Message undeliverable")


@pytest.mark.parametrize("text", ["STOP", "berhenti", "Stop promo", "UNSUBSCRIBE", "JANGAN KIRIM LAGI",
                                  "tolong berhenti kirim pesan ya pak"])
def test_opt_out_reply_stops_automatic_reminders(app, client, meta, sent_message, text):
    payload = {"entry": [{"changes": [{"value": {
        "contacts": [{"profile": {"name": "Budi"}, "wa_id": "628123456789"}],
        "messages": [{"from": "628123456789", "id": "wamid.IN1", "timestamp": "1750030073", "type": "text",
                      "text": {"body": text}}]}}]}]}
    assert _post_meta(client, payload).status_code == 200
    with app.app_context():
        customer = db.session.scalar(sa.select(Customer).where(Customer.no_hp == "628123456789"))
        assert customer.opted_out and customer.opted_out_at


@pytest.mark.parametrize("text", ["Terima kasih, besok saya datang", "stopwatch rusak", "Oke"])
def test_ordinary_replies_do_not_opt_out(text):
    assert not is_opt_out(text)


def test_staff_opt_a_customer_back_in_with_a_note(app, client, auth, make_customer):
    auth.login_staff()
    customer_id = make_customer()
    with app.app_context():
        db.session.execute(sa.update(Customer).values(opted_out=True))
        db.session.commit()
    response = client.post(f"/customers/{customer_id}/opt-in", data={"note": ""}, follow_redirects=True)
    assert "Tulis catatan" in response.text
    client.post(f"/customers/{customer_id}/opt-in", data={"note": "telepon 24 Nov, setuju lagi"})
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert customer.opted_out is False and "telepon 24 Nov, setuju lagi" in customer.notes


# --- Fonnte -------------------------------------------------------------------------------------

def test_fonnte_callbacks_need_the_secret(app, client, sent_message):
    app.config["FONNTE_WEBHOOK_SECRET"] = "s3cret"
    with app.app_context():
        db.session.execute(sa.update(Message).values(provider_message_id="80367170", provider="fonnte"))
        db.session.commit()
    status = {"device": "6281100000000", "id": "80367170", "stateid": "ABCD1234", "status": "sent",
              "state": "delivered"}
    assert client.post("/webhooks/fonnte?secret=wrong", json=status).status_code == 403
    assert client.post("/webhooks/fonnte", json=status).status_code == 403
    assert client.post("/webhooks/fonnte?secret=s3cret", json=status).status_code == 200
    assert _message(app, sent_message).status == "delivered"
    reply = {"device": "6281100000000", "sender": "628123456789", "message": "STOP", "name": "Budi"}
    client.post("/webhooks/fonnte?secret=s3cret", json=reply)
    with app.app_context():
        assert db.session.scalar(sa.select(Customer.opted_out))
