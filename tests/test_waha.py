"""WAHA, the self-hosted gateway on the workshop's own number, through a fake WAHA on 127.0.0.1 that speaks
docs/waha.md: sends, acks, replies and opt-outs, a disconnected phone, refusals and rate limits."""
import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import BookingRequest, ChatMessage, Customer, Message, ReminderBatch
from app.services import batch_runner, reminders
from app.services.webhooks import valid_waha_signature
from tests.fakes import waha_ack, waha_body, waha_event, waha_message, waha_signature

HMAC_KEY = "waha-hmac-key"  # the waha fixture's WAHA_WEBHOOK_HMAC_KEY
PHONE = "628123456789"  # make_customer's default number


def post_waha(client, envelope, key=HMAC_KEY, signature=None):
    body = waha_body(envelope)
    return client.post("/webhooks/waha", data=body, content_type="application/json", headers={
        "X-Webhook-Hmac": waha_signature(body, key) if signature is None else signature,
        "X-Webhook-Hmac-Algorithm": "sha512", "X-Webhook-Request-Id": "01JYEWPAVW2NS6GC9J48TA562T"})


def now_ms(app) -> int:
    with app.app_context():
        return int(clock.utcnow().timestamp() * 1000)


def run_batch(app):
    with app.app_context():
        batch = reminders.start_batch(3, True, None, Message.BATCH)
        db.session.commit()
        batch_runner.run_batch(batch.id)
        db.session.refresh(batch)
        return batch


def messages(app) -> list[Message]:
    with app.app_context():
        return db.session.scalars(sa.select(Message).order_by(Message.id)).all()


def test_the_hmac_test_vector_from_wahas_documentation():
    body = b'{"event":"message","session":"default","engine":"WEBJS"}'
    expected = ("208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8097c462b2b17a6ce93b6b47a136cf2e78a"
                "33a63f6752c2c1631777076153fa89")
    assert valid_waha_signature(body, expected, "my-secret-key")
    assert not valid_waha_signature(body, expected, "another-key")
    assert not valid_waha_signature(body, None, "my-secret-key")
    assert not valid_waha_signature(body, expected, None)


def test_a_reminder_goes_out_as_wahas_send_text_and_its_acks_move_it_forward(app, client, waha, due_customers):
    [phone] = due_customers(1)
    batch = run_batch(app)
    assert batch.status == ReminderBatch.DONE
    [request] = waha.requests
    assert request["path"] == "/api/sendText" and request["headers"]["X-Api-Key"] == "waha-key"
    assert request["json"]["session"] == "default" and request["json"]["chatId"] == f"{phone}@c.us"
    assert "Halo Pelanggan 0" in request["json"]["text"]
    [message] = messages(app)
    assert message.status == "sent" and message.provider_message_id.startswith("3EB0")

    serialized = f"true_{phone}@c.us_{message.provider_message_id}"
    for ack in (1, 2, 2, 3, 2, -1):  # repeated, late and impossible acks change nothing backwards
        assert post_waha(client, waha_event("message.ack", waha_ack(serialized, ack), timestamp_ms=now_ms(app))
                         ).status_code == 200
    [message] = messages(app)
    assert message.status == "read" and message.delivered_at is not None and message.read_at is not None


def test_an_ack_of_the_same_message_written_with_another_chat_id_is_still_matched(app, client, waha, due_customers):
    due_customers(1)
    run_batch(app)
    [message] = messages(app)
    # NOWEB and newer WhatsApp name the chat by a hidden id: the engine's message id is what matches.
    post_waha(client, waha_event("message.ack", waha_ack(f"true_4639135154355@lid_{message.provider_message_id}", 2),
                                 timestamp_ms=now_ms(app)))
    assert messages(app)[0].status == "delivered"


@pytest.mark.parametrize(("text", "expected"), [
    ("1", "booking"), ("ya dong", "booking"), ("2", "serviced"), ("STOP dan 1", "opt_out"), ("👍", None)])
def test_a_customers_reply_reaches_the_thread_bookings_and_opt_outs_once(app, client, waha, make_customer, text,
                                                                      expected):
    customer_id = make_customer()
    stamp = now_ms(app)
    event = waha_event("message", waha_message(f"{PHONE}@c.us", "AAAA1111", text, timestamp=stamp // 1000,
                                               name="Budi"), timestamp_ms=stamp)
    assert post_waha(client, event).status_code == 200
    assert post_waha(client, event).status_code == 200  # WAHA retries: nothing twice
    with app.app_context():
        [reply] = db.session.scalars(sa.select(ChatMessage)).all()
        requests = db.session.scalars(sa.select(BookingRequest)).all()
        customer = db.session.get(Customer, customer_id)
    assert (reply.phone, reply.body, reply.provider, reply.sender_name) == (PHONE, text, "waha", "Budi")
    assert reply.meaning == expected
    assert [request.kind for request in requests] == (["booking"] if expected == "booking" else
                                                      ["serviced"] if expected == "serviced" else [])
    assert customer.opted_out is (expected == "opt_out")


def test_a_picture_and_a_hidden_sender_id_are_kept_under_the_customers_number(app, client, waha, make_customer):
    make_customer()
    stamp = now_ms(app)
    picture = waha_message(f"{PHONE}@c.us", "PIC1", "", timestamp=stamp // 1000, hasMedia=True,
                           media={"url": "http://127.0.0.1:3000/api/files/x.jpeg", "mimetype": "image/jpeg"})
    hidden = waha_message("4639135154355@lid", "LID1", "Halo, bisa servis Sabtu?", timestamp=stamp // 1000)
    waha.lids["4639135154355@lid"] = f"{PHONE}@c.us"  # WAHA's lids API knows the number behind it
    for payload in (picture, hidden):
        assert post_waha(client, waha_event("message", payload, timestamp_ms=stamp)).status_code == 200
    with app.app_context():
        replies = db.session.scalars(sa.select(ChatMessage).order_by(ChatMessage.id)).all()
    assert [(reply.phone, reply.kind) for reply in replies] == [(PHONE, "image"), (PHONE, "text")]


def test_webhooks_without_the_right_hmac_are_refused_and_odd_shapes_acknowledged(app, client, waha):
    stamp = now_ms(app)
    event = waha_event("message", waha_message(f"{PHONE}@c.us", "X1", "STOP", timestamp=stamp // 1000), timestamp_ms=stamp)
    assert post_waha(client, event, key="wrong").status_code == 403
    assert post_waha(client, event, signature="").status_code == 403
    app.config["WAHA_WEBHOOK_HMAC_KEY"] = None
    assert post_waha(client, event).status_code == 403  # no key set: nothing is accepted
    app.config["WAHA_WEBHOOK_HMAC_KEY"] = HMAC_KEY
    for odd in ({"event": "message", "payload": "x"}, {"event": "message.ack", "payload": {"ack": "x"}},
                {"event": "session.status", "payload": {"status": "SCAN_QR_CODE"}}, {"payload": None}, {}):
        assert post_waha(client, odd).status_code == 200
    body = b"[1, 2]"
    assert client.post("/webhooks/waha", data=body, content_type="application/json",
                       headers={"X-Webhook-Hmac": waha_signature(body, HMAC_KEY)}).status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage)) == 0


def test_a_disconnected_phone_stops_the_batch_at_once_with_what_to_do(app, client, auth, waha, due_customers):
    due_customers(3)
    waha.status = "SCAN_QR_CODE"
    batch = run_batch(app)
    assert batch.status == ReminderBatch.STOPPED and "pindai kode QR" in batch.stop_reason
    assert waha.requests == [] and {message.status for message in messages(app)} == {"queued"}  # nobody failed
    auth.login_manager()
    settings_page = client.get("/settings/").text
    assert "Ponsel bengkel tidak terhubung ke WAHA" in settings_page and "pindai kode QR" in settings_page

    waha.status = "WORKING"
    assert "Ponsel bengkel terhubung ke WAHA (0811-0000-0000)" in client.get("/settings/").text
    with app.app_context():
        reminders.resume_batch(db.session.get(ReminderBatch, batch.id))
        db.session.commit()
        batch_runner.run_batch(batch.id)
    assert {message.status for message in messages(app)} == {"sent"}


def test_a_phone_that_disconnects_halfway_stops_the_batch_instead_of_failing_everyone(app, waha, due_customers):
    due_customers(4)
    original = waha.answer

    def disconnect_after_two(path, headers, body):
        if len(waha.requests) >= 2:
            waha.status = "SCAN_QR_CODE"
        return original(path, headers, body)

    waha.answer = disconnect_after_two
    batch = run_batch(app)
    assert batch.status == ReminderBatch.STOPPED and "pindai kode QR" in batch.stop_reason
    # The message WAHA refused and the one after wait, queued, for the batch to be resumed.
    assert [message.status for message in messages(app)] == ["sent", "sent", "queued", "queued"]


def test_refusals_and_rate_limits(app, waha, due_customers):
    phones = due_customers(3)
    waha.script(phones[0], ("error", 500, 500), "ok")  # an engine failure: tried again
    waha.script(phones[1], ("error", 429, 429), "ok")  # a proxy's rate limit: tried again
    batch = run_batch(app)
    assert batch.status == ReminderBatch.DONE
    assert [message.status for message in messages(app)] == ["sent"] * 3
    assert len(waha.requests) == 5



def test_a_restricted_account_stops_the_batch(app, waha, due_customers):
    phones = due_customers(3)
    waha.script(phones[0], ("error", 463, 500))  # WhatsApp: restricted from messaging new contacts
    batch = run_batch(app)
    assert batch.status == ReminderBatch.STOPPED and "membatasi nomor bengkel" in batch.stop_reason
    assert len(waha.requests) == 1


def test_a_wrong_api_key_stops_the_batch(app, waha, due_customers):
    due_customers(2)
    app.config["WAHA_API_KEY"] = "salah"
    batch = run_batch(app)
    assert batch.status == ReminderBatch.STOPPED and "WAHA_API_KEY" in batch.stop_reason


def test_a_session_still_starting_pauses_the_batch_for_a_few_minutes_not_for_good(app, waha, due_customers):
    from datetime import timedelta

    due_customers(2)
    waha.status = "STARTING"
    batch = run_batch(app)
    assert batch.status == ReminderBatch.STOPPED and batch.resume_after is not None and waha.requests == []
    waha.status = "WORKING"
    app.config["CLOCK_SHIFT"] += timedelta(minutes=6)
    with app.app_context():
        assert batch_runner.due_to_resume() == [batch.id]
        batch_runner.run_batch(batch.id)
    assert [message.status for message in messages(app)] == ["sent", "sent"]


def test_odd_headers_and_values_never_give_a_server_error(app, client, waha):
    stamp = now_ms(app)
    event = waha_event("message.ack", {"id": "true_1@c.us_X", "ack": 1e400, "fromMe": True}, timestamp_ms=stamp)
    assert post_waha(client, event).status_code == 200
    body = waha_body(event)
    assert client.post("/webhooks/waha", data=body, content_type="application/json",
                       headers={"X-Webhook-Hmac": "é" * 128}).status_code == 403
    assert client.post("/webhooks/whatsapp", data=body, content_type="application/json",
                       headers={"X-Hub-Signature-256": "sha256=" + "é" * 64}).status_code == 403
