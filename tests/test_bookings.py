"""Booking by reply: "1"/"ya" asks for a booking, "2"/"sudah" says the car was serviced; a person acts on it."""
import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import AuditEvent, BookingRequest, ChatMessage, Customer
from tests.fakes import meta_reply
from tests.test_replies import PHONE, SECRET, now_timestamp, post_meta


@pytest.fixture
def replies(app, client):
    """Deliver Cloud API replies from PHONE (or another number), as Meta does, signed."""
    app.config["WHATSAPP_APP_SECRET"] = SECRET
    counter = iter(range(1, 1000))

    def reply(text, phone=PHONE, **fields):
        message_id = fields.pop("message_id", None) or f"wamid.B{next(counter)}"
        event = meta_reply(phone, message_id, text, timestamp=now_timestamp(app), **fields)
        assert post_meta(client, event).status_code == 200
        return event

    return reply


def requests_in(app) -> list[BookingRequest]:
    with app.app_context():
        return db.session.scalars(sa.select(BookingRequest).order_by(BookingRequest.id)).all()


def local_day(app, days_from_today=0):
    with app.app_context():
        return clock.today() + timedelta(days=days_from_today)


def test_a_yes_opens_one_booking_request_however_often_it_arrives(app, client, auth, make_customer, replies):
    make_customer()
    event = replies("ya dong", name="Budi")
    post_meta(client, event)  # Meta repeats the event
    replies("1")  # and the customer answers again while the first request is open
    replies("STOP dan 1")  # an opt-out is never a booking
    [request] = requests_in(app)
    assert (request.kind, request.status, request.phone) == ("booking", "open", PHONE)
    auth.login_staff()
    page = client.get("/bookings/").text
    assert "Budi Santoso" in page and "B 1234 XYZ" in page and "ya dong" in page
    assert "1 permintaan menunggu" in page  # the navigation says so on every page


def test_scheduling_sends_the_confirmation_and_records_it(app, client, auth, cloud_api, make_customer, replies):
    customer_id = make_customer()
    replies("1")
    [request] = requests_in(app)
    auth.login_staff()
    day = local_day(app, 2)
    response = client.post(f"/bookings/{request.id}/schedule", data={"day": day.isoformat(), "time": "10:30"},
                           follow_redirects=True)
    assert "Booking dijadwalkan dan konfirmasi terkirim ke pelanggan." in response.text
    [sent] = cloud_api.requests
    text = sent["json"]["text"]["body"]
    assert sent["json"]["type"] == "text" and "B 1234 XYZ" in text and "pukul 10:30" in text
    assert f"{day.day} " in text and str(day.year) in text
    [request] = requests_in(app)
    assert request.status == "scheduled" and request.customer_id == customer_id
    with app.app_context():
        assert request.scheduled_for.astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M") == f"{day} 10:30"
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "bookings.schedule"))
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage)
                                    .where(ChatMessage.handled_at.is_(None), ChatMessage.direction == "in"))
    assert json.loads(event.details) == {"booking": f"{day} 10:30", "reply": "1"} and event.username == "staf"
    assert waiting == 0  # the reply is handled by the booking
    page = client.get("/bookings/").text
    assert "Tidak ada permintaan booking yang menunggu." in page and "permintaan menunggu" not in page
    assert "Booking servis B 1234 XYZ" in client.get(f"/customers/{customer_id}").text  # in the thread


@pytest.mark.parametrize(("form", "message"), [
    ({"day": "", "time": "10:00"}, "Isi tanggal dan jam booking."),
    ({"day": "2026-13-45", "time": "10:00"}, "Tanggal tidak valid. Pilih dari kalender."),
    ({"day": "TOMORROW", "time": "25:99"}, "Jam tidak valid. Tulis seperti 09:30."),
    ({"day": "YESTERDAY", "time": "10:00"}, "Tanggal dan jam booking sudah lewat."),
    ({"day": "NEXT_YEAR", "time": "10:00"}, "Booking paling jauh 180 hari dari sekarang."),
])
def test_a_bad_booking_time_is_refused_in_indonesian_and_nothing_is_sent(app, client, auth, cloud_api, make_customer,
                                                                       replies, form, message):
    make_customer()
    replies("1")
    [request] = requests_in(app)
    days = {"TOMORROW": 1, "YESTERDAY": -1, "NEXT_YEAR": 365}
    form = {**form, "day": local_day(app, days[form["day"]]).isoformat() if form["day"] in days else form["day"]}
    auth.login_staff()
    response = client.post(f"/bookings/{request.id}/schedule", data=form, follow_redirects=True)
    assert response.status_code == 200 and message in response.text
    assert cloud_api.requests == []
    assert requests_in(app)[0].status == "open"


def test_a_confirmation_that_cannot_go_leaves_the_request_open(app, client, auth, cloud_api, make_customer, replies):
    make_customer()
    replies("1")
    [request] = requests_in(app)
    cloud_api.script("+" + PHONE, ("error", 131026, 400))
    auth.login_staff()
    response = client.post(f"/bookings/{request.id}/schedule",
                           data={"day": local_day(app, 1).isoformat(), "time": "09:00"}, follow_redirects=True)
    assert "Konfirmasi tidak terkirim" in response.text
    assert requests_in(app)[0].status == "open"


def test_a_shared_phone_asks_which_car(app, client, auth, cloud_api, make_customer, replies):
    make_customer(customer_name="Budi", nopol="B 1 AA")
    second = make_customer(customer_name="Sari", nopol="B 2 BB")
    replies("booking")
    [request] = requests_in(app)
    assert request.customer_id is None
    auth.login_staff()
    page = client.get("/bookings/").text
    assert '<select name="customer_id" required>' in page and "B 2 BB · Sari" in page
    form = {"day": local_day(app, 1).isoformat(), "time": "09:00"}
    response = client.post(f"/bookings/{request.id}/schedule", data=form, follow_redirects=True)
    assert "Pilih mobil/motor yang dimaksud." in response.text and cloud_api.requests == []
    client.post(f"/bookings/{request.id}/schedule", data={**form, "customer_id": str(second)})
    assert "B 2 BB" in cloud_api.requests[0]["json"]["text"]["body"]
    assert requests_in(app)[0].customer_id == second


def test_already_serviced_asks_staff_to_record_the_date(app, client, auth, make_customer, replies):
    customer_id = make_customer(last_service=local_day(app, -200))
    replies("sudah servis")
    [request] = requests_in(app)
    assert request.kind == "serviced"
    with app.app_context():
        assert db.session.get(Customer, customer_id).last_service == local_day(app, -200)  # nothing on its own
    auth.login_staff()
    page = client.get("/bookings/").text
    assert f'value="{local_day(app).isoformat()}"' in page  # the day of the reply, ready to confirm
    future = client.post(f"/bookings/{request.id}/serviced", data={"day": local_day(app, 1).isoformat()},
                         follow_redirects=True)
    assert "Tanggal servis tidak boleh di masa depan." in future.text
    yesterday = local_day(app, -1)
    response = client.post(f"/bookings/{request.id}/serviced", data={"day": yesterday.isoformat()},
                           follow_redirects=True)
    assert "Servis B 1234 XYZ dicatat" in response.text
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "customer.serviced"))
    assert customer.last_service == yesterday and customer.next_service > yesterday
    assert json.loads(event.details) == {"reply": "sudah servis"}
    assert requests_in(app)[0].status == "recorded"


def test_dismissing_and_then_acting_again_says_it_was_handled(app, client, auth, make_customer, replies):
    make_customer()
    replies("mau")
    [request] = requests_in(app)
    auth.login_staff()
    assert "Permintaan diabaikan." in client.post(f"/bookings/{request.id}/dismiss", follow_redirects=True).text
    again = client.post(f"/bookings/{request.id}/schedule",
                        data={"day": local_day(app, 1).isoformat(), "time": "09:00"}, follow_redirects=True)
    assert "sudah ditangani orang lain" in again.text
    assert client.post("/bookings/999999/dismiss").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "bookings.dismiss")) == 1


def test_an_unknown_number_must_be_added_before_its_booking(app, client, auth, cloud_api, replies):
    replies("1", phone="6285712345678", name="Andi")
    replies("sudah", phone="6285711112222", name="Rina")
    request, _ = requests_in(app)
    auth.login_staff()
    page = client.get("/bookings/").text
    # Either request's way forward for a number no customer has: add it (the form comes filled in).
    assert "Nomor tidak dikenal" in page and "customer_name=Andi" in page and "customer_name=Rina" in page
    response = client.post(f"/bookings/{request.id}/schedule",
                           data={"day": local_day(app, 1).isoformat(), "time": "09:00"}, follow_redirects=True)
    assert "Tambahkan dulu sebagai pelanggan" in response.text and cloud_api.requests == []


def test_two_people_scheduling_at_once_send_one_confirmation(app, cloud_api, users, make_customer, replies):
    """Both press "Jadwalkan" on the same request: one confirmation reaches the customer."""
    from werkzeug.serving import make_server

    from tests.conftest import STAFF, csrf_token_from

    make_customer()
    replies("1")
    [request] = requests_in(app)
    cloud_api.latency = 0.3  # the first send is still in flight when the second arrives
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    import requests as http

    sessions = []
    for _ in range(2):
        session = http.Session()
        token = csrf_token_from(session.get(base + "/login").text)
        session.post(base + "/login", data={"username": STAFF[0], "password": STAFF[1], "csrf_token": token})
        sessions.append((session, token))
    start = threading.Barrier(2)

    def press(session, token):
        start.wait()
        session.post(f"{base}/bookings/{request.id}/schedule", data={
            "day": local_day(app, 1).isoformat(), "time": "09:00", "csrf_token": token})

    try:
        threads = [threading.Thread(target=press, args=pair) for pair in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.shutdown()
    assert len(cloud_api.requests) == 1
    assert requests_in(app)[0].status == "scheduled"


def test_the_loop_shows_in_the_stats_and_the_api(app, client, auth, api, cloud_api, make_customer, replies):
    """A reminder, ten hours later the customer answers "1", the front desk schedules it."""
    from app.models import Message

    customer_id = make_customer()
    with app.app_context():
        sent = clock.utcnow() - timedelta(hours=10)
        db.session.add(Message(customer_id=customer_id, trigger="batch", provider="cloud_api", status="read",
                               to_phone=PHONE, customer_name="Budi", nopol="B 1234 XYZ", body="Pengingat",
                               created_at=sent, sent_at=sent))
        db.session.commit()
    replies("Halo, bengkel buka hari Minggu?")
    replies("1")
    replies("ya", phone="6285712345678")  # an unknown number asks too, and is dismissed
    first, second = requests_in(app)
    auth.login_manager()
    client.post(f"/bookings/{first.id}/schedule", data={"day": local_day(app, 1).isoformat(), "time": "09:00"})
    client.post(f"/bookings/{second.id}/dismiss")

    expected = {"replies_in_period": 3, "booking_requests_in_period": 2, "bookings_made_in_period": 1,
                "hours_reminder_to_booking_median": 10.0}
    from app.services import stats

    with app.app_context():
        figures = stats.summary().as_dict()
    assert {key: figures[key] for key in expected} == expected
    assert {key: api.get("/stats/summary").json[key] for key in expected} == expected
    page = client.get("/stats/").text
    assert 'data-figure="bookings_made_in_period">1<' in page
    assert 'id="by-step"' not in page  # one step only: the cards say it all
    assert "2 minta booking · 3 balasan" in page and "median 10 jam dari pengingat sampai minta booking" in page


def test_the_loop_is_counted_per_step_of_the_sequence(app, client, auth, api, make_customer, replies):
    """Replies and bookings count for the latest reminder their phone had; came back for the last step by the service day."""
    from app.models import Message
    from app.services import stats

    with app.app_context():
        today = clock.today()
    answered_second = make_customer()  # 0812-3456-789: step 1, then step 2, then "1" and a booking
    answered_first = make_customer(customer_name="Sari", nopol="B 2 BB", no_hp="081298765432")
    came_back = make_customer(customer_name="Joko", nopol="B 3 CC", no_hp="081311112222", last_service=today)
    with app.app_context():
        for customer_id, phone, step, hours_ago in (
                (answered_second, PHONE, 1, 240), (answered_second, PHONE, 2, 2),
                (answered_first, "6281298765432", 1, 72),
                (came_back, "6281311112222", 1, 480), (came_back, "6281311112222", 3, 30)):
            sent = clock.utcnow() - timedelta(hours=hours_ago)
            db.session.add(Message(customer_id=customer_id, trigger="cron", provider="cloud_api", status="delivered",
                                   to_phone=phone, customer_name="-", nopol="-", body="Pengingat", step=step,
                                   created_at=sent, sent_at=sent))
        db.session.commit()
    replies("1")
    replies("Halo, kapan bengkel buka?", phone="6281298765432")
    replies("Halo", phone="6285712345678")  # never reminded: only in the totals
    [request] = requests_in(app)
    auth.login_manager()
    client.post(f"/bookings/{request.id}/schedule", data={"day": local_day(app, 1).isoformat(), "time": "09:00"})

    expected = [
        {"step": 1, "reminded": 3, "replies": 1, "booking_requests": 0, "bookings_made": 0, "came_back": 0},
        {"step": 2, "reminded": 1, "replies": 1, "booking_requests": 1, "bookings_made": 1, "came_back": 0},
        {"step": 3, "reminded": 1, "replies": 0, "booking_requests": 0, "bookings_made": 0, "came_back": 1},
    ]
    with app.app_context():
        figures = stats.summary().as_dict()
    assert figures["by_step"] == expected
    assert (figures["replies_in_period"], figures["came_back_customers"]) == (3, 1)
    assert api.get("/stats/summary").json["by_step"] == expected
    page = client.get("/stats/").text
    assert '<tr data-step="2">' in page and 'data-figure="bookings_made">1<' in page
    export = client.get("/stats/export.csv").text
    assert "step 3 reminded/replies/booking_requests/bookings_made/came_back;1/0/0/0/1" in export


def test_after_24_hours_a_booking_is_kept_without_a_message(app, client, auth, cloud_api, make_customer):
    make_customer()
    app.config["WHATSAPP_APP_SECRET"] = SECRET
    post_meta(client, meta_reply(PHONE, "wamid.LATE", "1", timestamp=now_timestamp(app, hours_ago=30)))
    [request] = requests_in(app)
    auth.login_staff()
    response = client.post(f"/bookings/{request.id}/schedule",
                           data={"day": local_day(app, 1).isoformat(), "time": "09:00"}, follow_redirects=True)
    assert "kabari pelanggan lewat telepon" in response.text
    assert cloud_api.requests == []
    assert requests_in(app)[0].status == "scheduled"
