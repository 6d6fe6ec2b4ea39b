"""Customers' replies: stored once per event against their phone, read as a thread, handled and answered."""
import json
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app import clock
from app.extensions import db
from app.models import AuditEvent, ChatMessage, Customer
from app.services import reply_words
from tests.conftest import HTMX
from tests.fakes import deliver_fonnte, deliver_meta, fonnte_reply, meta_reply, meta_signature

SECRET = "app-secret"
FONNTE_SECRET = "fonnte-secret"
PHONE = "628123456789"  # make_customer's default number, 0812-3456-789


@pytest.fixture
def webhooks_on(app):
    app.config.update(WHATSAPP_APP_SECRET=SECRET, FONNTE_WEBHOOK_SECRET=FONNTE_SECRET)


def post_meta(client, payload):
    body = json.dumps(payload).encode()
    return client.post("/webhooks/whatsapp", data=body, content_type="application/json",
                       headers={"X-Hub-Signature-256": meta_signature(body, SECRET)})


def post_fonnte(client, payload):
    return client.post(f"/webhooks/fonnte?secret={FONNTE_SECRET}", json=payload)


def stored_replies(app) -> list[ChatMessage]:
    with app.app_context():
        return db.session.scalars(sa.select(ChatMessage).order_by(ChatMessage.id)).all()


def now_timestamp(app, hours_ago: float = 0) -> int:
    with app.app_context():
        return int((clock.utcnow() - timedelta(hours=hours_ago)).timestamp())


REPLIES = [  # what the customer wrote, and what the front desk is told it means
    ("1", "booking"), ("ya dong", "booking"), ("2", "serviced"), ("STOP dan 1", "opt_out"), ("👍", None),
]


@pytest.mark.parametrize(("text", "meaning"), [
    *REPLIES, ("Ya", "booking"), ("  OKE  ", "booking"), ("mau booking besok", "booking"), ("sudah", "serviced"),
    ("udah servis kemarin", "serviced"), ("tidak mau", None), ("belum sudah", None), ("1 atau 2", None),
    ("berhenti, tapi ya", "opt_out"), ("Jangan kirim lagi ya", "opt_out"), ("", None),
    ("ya saya mau tanya dulu soal harga ganti oli dan filter", None),  # a message for a person, not an answer
])
def test_what_a_reply_means(text, meaning):
    assert reply_words.meaning(text) == meaning


def test_cloud_api_replies_are_kept_once_each_with_their_meaning(app, client, webhooks_on, make_customer):
    customer_id = make_customer()
    events = [meta_reply(PHONE, f"wamid.IN{index}", text, name="Budi", timestamp=now_timestamp(app))
              for index, (text, _) in enumerate(REPLIES)]
    events.append(meta_reply(PHONE, "wamid.IMG", kind="image", id="media-1", mime_type="image/jpeg",
                             timestamp=now_timestamp(app)))
    for _ in range(2):  # Meta delivers each event again: nothing may happen twice
        for event in events:
            assert post_meta(client, event).status_code == 200

    replies = stored_replies(app)
    assert [(reply.body, reply.meaning) for reply in replies] == [*REPLIES, ("", None)]
    assert replies[-1].kind == "image"
    assert {reply.phone for reply in replies} == {PHONE} and replies[0].sender_name == "Budi"
    with app.app_context():
        assert db.session.get(Customer, customer_id).opted_out  # "STOP dan 1" is an opt-out, not a booking
        opt_outs = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.action == "customer.opt_out"))
    assert opt_outs == 1


def test_a_tapped_button_is_read_like_typed_words(app, client, webhooks_on, make_customer):
    make_customer()
    button = meta_reply(PHONE, "wamid.BTN", kind="button", payload="BOOK", timestamp=now_timestamp(app))
    button["entry"][0]["changes"][0]["value"]["messages"][0]["button"]["text"] = "Ya, booking"
    post_meta(client, button)
    post_meta(client, meta_reply(PHONE, "wamid.LIST", kind="interactive", type="button_reply",
                                 button_reply={"id": "2", "title": "Sudah servis"}, timestamp=now_timestamp(app)))
    assert [(reply.kind, reply.body, reply.meaning) for reply in stored_replies(app)] == [
        ("text", "Ya, booking", "booking"), ("text", "Sudah servis", "serviced")]


def test_fonnte_replies_are_kept_once_even_when_fonnte_repeats_them(app, client, webhooks_on, make_customer):
    make_customer()
    for text, _ in REPLIES:
        for _ in range(2):
            assert post_fonnte(client, fonnte_reply(PHONE, text)).status_code == 200
    assert post_fonnte(client, fonnte_reply(PHONE, "", url="https://fonnte.example/file.jpg")).status_code == 200
    replies = stored_replies(app)
    assert [(reply.body, reply.meaning, reply.provider) for reply in replies[:-1]] == [
        (text, meaning, "fonnte") for text, meaning in REPLIES]
    assert replies[-1].kind == "image"
    # The same words a while later are a new reply, not a repeat.
    app.config["CLOCK_SHIFT"] += timedelta(minutes=5)
    post_fonnte(client, fonnte_reply(PHONE, "1"))
    assert len(stored_replies(app)) == len(REPLIES) + 2


def test_a_reply_shows_on_every_customer_with_that_phone_and_waits_in_the_navigation(
        app, client, auth, webhooks_on, make_customer):
    first = make_customer(customer_name="Budi", nopol="B 1 AA")
    second = make_customer(customer_name="Sari", nopol="B 2 BB")  # the same family phone
    post_meta(client, meta_reply(PHONE, "wamid.1", "Bisa servis Sabtu?", timestamp=now_timestamp(app)))
    auth.login_staff()
    page = client.get("/customers/").text
    assert 'id="nav-replies"' in page and "1 balasan menunggu" in page
    for customer_id in (first, second):
        detail = client.get(f"/customers/{customer_id}").text
        assert "Bisa servis Sabtu?" in detail and "belum ditangani" in detail
    listing = client.get("/replies/").text
    assert "Budi" in listing and "Sari" in listing and "Nomor tidak dikenal" not in listing

    response = client.post(f"/replies/{PHONE}/handled", data={"next": f"/customers/{first}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{first}"
    page = client.get("/customers/").text
    assert "balasan menunggu" not in page
    assert "Tidak ada balasan yang menunggu" in client.get("/replies/").text
    assert "Bisa servis Sabtu?" in client.get("/replies/?semua=1").text
    with app.app_context():
        handled = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "replies.handled")).all()
    assert {event.customer_name for event in handled} == {"Budi", "Sari"}
    assert all(event.username == "staf" for event in handled)


def test_a_reply_from_an_unknown_number_can_be_added_as_a_customer(app, client, auth, webhooks_on):
    post_meta(client, meta_reply("6285712345678", "wamid.U1", "Halo, saya mau servis", name="Andi",
                                 timestamp=now_timestamp(app)))
    auth.login_staff()
    listing = client.get("/replies/").text
    assert "Nomor tidak dikenal" in listing and "0857-1234-5678" in listing
    add_link = "/customers/new?no_hp=6285712345678&amp;customer_name=Andi"
    assert add_link in listing
    form = client.get(add_link.replace("&amp;", "&")).text
    assert 'value="6285712345678"' in form and 'value="Andi"' in form
    thread = client.get("/replies/6285712345678").text
    assert "Halo, saya mau servis" in thread and "belum ada di daftar pelanggan" in thread


def test_markup_in_a_reply_is_shown_as_text(app, client, auth, webhooks_on, make_customer):
    customer_id = make_customer()
    post_meta(client, meta_reply(PHONE, "wamid.X", "<script>alert(1)</script>", name="<b>Budi</b>",
                                 timestamp=now_timestamp(app)))
    auth.login_staff()
    for path in (f"/customers/{customer_id}", "/replies/", f"/replies/{PHONE}"):
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<b>Budi</b>" not in page


def test_an_answer_inside_the_24_hours_goes_out_as_free_text(app, client, auth, webhooks_on, cloud_api,
                                                            make_customer):
    customer_id = make_customer()
    post_meta(client, meta_reply(PHONE, "wamid.Q", "Jam berapa buka?", timestamp=now_timestamp(app, hours_ago=23)))
    auth.login_staff()
    response = client.post(f"/replies/{PHONE}/answer", data={"text": "Buka jam 08.00, Pak.",
                                                             "next": f"/customers/{customer_id}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{customer_id}"
    [request] = cloud_api.requests
    assert request["json"]["type"] == "text" and request["json"]["to"] == "+" + PHONE
    assert request["json"]["text"]["body"] == "Buka jam 08.00, Pak."
    detail = client.get(f"/customers/{customer_id}").text
    assert "Jawaban terkirim." in detail and "Buka jam 08.00, Pak." in detail and "Jawaban staf" in detail
    assert "belum ditangani" not in detail  # answering handles the thread
    with app.app_context():
        answer = db.session.scalar(sa.select(ChatMessage).where(ChatMessage.direction == "out"))
        audited = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "replies.answer"))
    assert answer.status == "sent" and answer.provider_message_id.startswith("wamid.FAKE")
    assert json.loads(audited.details) == {"reply": "Buka jam 08.00, Pak."} and audited.username == "staf"


def test_after_24_hours_the_answer_form_says_why_and_nothing_is_sent(app, client, auth, webhooks_on, cloud_api,
                                                                     make_customer):
    customer_id = make_customer()
    post_meta(client, meta_reply(PHONE, "wamid.OLD", "Halo", timestamp=now_timestamp(app, hours_ago=25)))
    auth.login_staff()
    detail = client.get(f"/customers/{customer_id}").text
    assert "lebih dari 24 jam" in detail and 'name="text"' not in detail
    assert "Kirim pengingat" in detail  # the approved template is the way to reach them
    response = client.post(f"/replies/{PHONE}/answer", data={"text": "Halo juga"}, follow_redirects=True)
    assert "lebih dari 24 jam" in response.text
    assert cloud_api.requests == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage)
                                 .where(ChatMessage.direction == "out")) == 0
    # The thread offers the approved template instead: the customer's reminder.
    thread = client.get(f"/replies/{PHONE}").text
    assert "Kirim pengingat ke B 1234 XYZ" in thread
    response = client.post(f"/customers/{customer_id}/remind", data={"next": f"/replies/{PHONE}"})
    assert response.headers["Location"] == f"/replies/{PHONE}"
    assert [request["json"]["type"] for request in cloud_api.requests] == ["template"]


def test_with_wa_me_links_the_answer_opens_whatsapp_with_it_typed(app, client, auth, webhooks_on, make_customer):
    app.config["WHATSAPP_PROVIDER"] = "link"
    make_customer()
    post_meta(client, meta_reply(PHONE, "wamid.L", "Masih buka?", timestamp=now_timestamp(app)))
    auth.login_staff()
    response = client.post(f"/replies/{PHONE}/answer", data={"text": "Masih, sampai jam 5 & Sabtu."})
    location = urlsplit(response.headers["Location"])
    assert response.status_code == 302 and location.netloc == "wa.me" and location.path == f"/{PHONE}"
    assert parse_qs(location.query)["text"] == ["Masih, sampai jam 5 & Sabtu."]
    answer = [reply for reply in stored_replies(app) if reply.direction == "out"]
    assert [(reply.status, reply.body) for reply in answer] == [("opened", "Masih, sampai jam 5 & Sabtu.")]


def test_an_empty_answer_is_refused_in_indonesian(app, client, auth, webhooks_on, make_customer):
    make_customer()
    post_meta(client, meta_reply(PHONE, "wamid.E", "Halo", timestamp=now_timestamp(app)))
    auth.login_staff()
    response = client.post(f"/replies/{PHONE}/answer", data={"text": "   "}, follow_redirects=True)
    assert response.status_code == 200 and "Tulis jawabannya dulu." in response.text


def test_replies_need_a_login_and_a_real_phone(app, client, auth, webhooks_on):
    assert client.get("/replies/").status_code == 302
    auth.login_staff()
    assert client.get("/replies/").status_code == 200
    assert client.get("/replies/not-a-phone").status_code == 404
    assert client.get("/replies/6281234567890").status_code == 404  # nobody wrote from it
    assert client.get("/replies/", headers=HTMX).status_code == 200


def test_two_deliveries_of_one_event_at_the_same_moment_store_one_reply(app, webhooks_on, make_customer):
    """Meta may send an event again before our answer to the first reached it: both arrive together."""
    make_customer()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/webhooks/whatsapp"
    try:
        for round_ in range(5):
            event = meta_reply(PHONE, f"wamid.RACE{round_}", "1", timestamp=now_timestamp(app))
            start = threading.Barrier(4)
            answers = []

            def deliver(event=event, start=start, answers=answers):
                start.wait()
                answers.append(deliver_meta(url, event, SECRET).status_code)

            threads = [threading.Thread(target=deliver) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert answers == [200] * 4
    finally:
        server.shutdown()
    replies = stored_replies(app)
    assert sorted(reply.provider_message_id for reply in replies) == [f"wamid.RACE{i}" for i in range(5)]


def test_fonnte_callbacks_over_http_reach_the_thread(app, webhooks_on, make_customer):
    make_customer()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/webhooks/fonnte"
        assert deliver_fonnte(url, fonnte_reply(PHONE, "ya"), FONNTE_SECRET).status_code == 200
        assert deliver_fonnte(url, fonnte_reply(PHONE, "ya"), "wrong").status_code == 403
    finally:
        server.shutdown()
    assert [(reply.body, reply.meaning) for reply in stored_replies(app)] == [("ya", "booking")]
