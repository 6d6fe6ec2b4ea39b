"""Sending from the workshop's own number (Fonnte, WAHA) like a person: random pauses, a daily cap over
every batch, the cron and a person's sends, nothing outside the sending hours, varied texts.

All on the app's clock: a pause moves it forward (CLOCK_SLEEPS_BY_SHIFTING), so an hour of pacing
runs in milliseconds and the gaps are read from the messages' sent times.
"""
import itertools
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Message, ReminderBatch
from app.services import batch_runner, reminders
from app.services.settings import set_setting
from tests.conftest import HTMX, set_local_time


@pytest.fixture(params=["fonnte", "waha"])
def gateway(request, app):
    """The app on a personal number: Fonnte or WAHA, each a real HTTP fake on 127.0.0.1."""
    return request.getfixturevalue(request.param)


def settings(app, **values):
    with app.app_context():
        for key, value in values.items():
            set_setting(key, value)
        db.session.commit()


def cron(runner):
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def sent_times(app) -> list:
    with app.app_context():
        return db.session.scalars(sa.select(Message.sent_at).where(Message.sent_at.isnot(None))
                                  .order_by(Message.sent_at)).all()


def latest_batch(app) -> ReminderBatch:
    with app.app_context():
        return db.session.scalar(sa.select(ReminderBatch).order_by(ReminderBatch.id.desc()).limit(1))


def test_messages_go_out_one_by_one_with_random_pauses_in_the_range(app, runner, gateway, due_customers):
    due_customers(12)
    output = cron(runner)
    assert "sent: 12" in output
    times = sent_times(app)
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == 11
    # A pause of 8-20 s, plus the moment the fake takes to answer.
    assert all(8 <= gap <= 21 for gap in gaps), gaps
    assert len({round(gap) for gap in gaps}) > 1  # random, not one fixed interval


def test_the_daily_cap_holds_across_a_cron_a_batch_and_a_persons_send_then_resumes_tomorrow(
        app, runner, client, auth, gateway, due_customers, make_customer):
    settings(app, daily_cap=3)
    phones = due_customers(5)
    output = cron(runner)
    assert "sent: 3" in output and "Batas 3 pesan sehari dari nomor ini tercapai" in output
    paused = latest_batch(app)
    assert paused.status == ReminderBatch.STOPPED
    with app.app_context():
        assert paused.resume_after.astimezone(clock.local_zone()).strftime("%H:%M") == "08:00"

    # A second batch the same day sends nothing more: the two left wait in the paused batch.
    auth.login_manager()
    client.post("/reminders/batches", data={"days": "3", "only_active": "y"})
    with app.app_context():
        extra = make_customer(customer_name="Lain", nopol="B 99 ZZ", no_hp="081399998888",
                              next_service=clock.today() + timedelta(days=2))
    row = client.post(f"/customers/{extra}/remind", headers=HTMX, data={"next": "/customers/"}).text
    assert "Batas 3 pesan sehari dari nomor ini sudah tercapai" in row
    batch_page = client.get(f"/reminders/batches/{paused.id}").text
    assert "Pengiriman dijeda" in batch_page and "Perkiraan selesai" in batch_page
    assert len(gateway.requests) == 3

    # Tomorrow at 09:00 the cron goes on with the paused batch first, then the day's new one.
    set_local_time(app, 9, 0)
    app.config["CLOCK_SHIFT"] += timedelta(days=1)
    cron(runner)
    assert len(gateway.requests) == 6  # the two left over and the extra customer: 3, the cap again
    reached = sorted(request_phone(request) for request in gateway.requests)
    assert set(phones) <= set(reached)
    with app.app_context():
        assert db.session.get(ReminderBatch, paused.id).status == ReminderBatch.DONE


def request_phone(request) -> str:
    if "form" in request:  # Fonnte
        return request["form"]["target"]
    return request["json"]["chatId"].removesuffix("@c.us")  # WAHA


def test_nothing_goes_out_outside_the_sending_hours_even_when_a_person_starts_it(
        app, runner, client, auth, gateway, due_customers):
    phones = due_customers(2)
    set_local_time(app, 21, 30)
    auth.login_manager()
    page = client.post("/reminders/batches", data={"days": "3", "only_active": "y"}, follow_redirects=True).text
    assert "Di luar jam kirim (08:00–20:00)" in page and "Mulai lagi setelah pukul 08:00" in page
    with app.app_context():
        customer_id = db.session.scalar(sa.select(Message.customer_id)) or None
    assert customer_id is None  # nothing was even queued
    assert "quiet hours" in cron(runner)
    from app.models import Customer

    with app.app_context():
        first = db.session.scalar(sa.select(Customer.id).where(Customer.no_hp == phones[0]))
    row = client.post(f"/customers/{first}/remind", headers=HTMX, data={"next": "/customers/"}).text
    assert "Di luar jam kirim (08:00–20:00)" in row
    assert gateway.requests == []


def test_a_long_batch_stops_at_the_end_of_the_hours_and_goes_on_at_the_next_start(app, gateway, due_customers):
    settings(app, pause_min_seconds=30, pause_max_seconds=30)
    due_customers(4)
    set_local_time(app, 19, 59)
    with app.app_context():
        batch = reminders.start_batch(3, True, None, Message.CRON)
        db.session.commit()
        batch_runner.run_batch(batch.id)
        db.session.refresh(batch)
        assert batch.status == ReminderBatch.STOPPED and "Di luar jam kirim" in batch.stop_reason
        assert batch.resume_after.astimezone(clock.local_zone()).strftime("%H:%M") == "08:00"
    sent_before = len(gateway.requests)
    assert sent_before == 2  # 19:59:00 and 19:59:30; 20:00:00 is outside
    set_local_time(app, 8, 30)
    app.config["CLOCK_SHIFT"] += timedelta(days=1)
    with app.app_context():
        assert batch_runner.due_to_resume() == [batch.id]
        batch_runner.run_batch(batch.id)
    assert len(gateway.requests) == 4


def test_alternatives_give_each_customer_one_wording_shown_in_the_preview(app, client, auth, gateway, due_customers):
    from app.services.messages import render_message

    settings(app, message_template="{Halo|Hai|Selamat siang} {nama}, servis {nopol} pada {servis_berikutnya}. "
                                   "{Terima kasih|Salam}, {bengkel}.")
    due_customers(20)
    with app.app_context():
        batch = reminders.start_batch(3, True, None, Message.BATCH)
        db.session.commit()
        batch_runner.run_batch(batch.id)
        messages = db.session.scalars(sa.select(Message)).all()
        from app.models import Customer

        for message in messages:
            customer = db.session.get(Customer, message.customer_id)
            assert message.body == render_message(customer)  # the preview's choice is the one sent
    greetings = {message.body.split(" ")[0] for message in messages}
    assert greetings <= {"Halo", "Hai", "Selamat"} and len(greetings) > 1
    assert all("{" not in message.body and "|" not in message.body for message in messages)
    auth.login_manager()
    page = client.get("/settings/").text
    assert "Pelanggan" in page and "{Halo|Hai|Selamat siang}" in page  # the text as typed, and its preview


def test_a_paused_batch_leaves_out_whoever_stopped_being_due_meanwhile(app, runner, gateway, due_customers):
    from app.models import Customer
    from app.services.customers import opt_out

    settings(app, daily_cap=2)
    phones = due_customers(4)
    cron(runner)
    assert len(gateway.requests) == 2
    paused = latest_batch(app)
    waiting = [phone for phone in phones if phone not in {request_phone(request) for request in gateway.requests}]
    with app.app_context():  # the two still queued: one opts out, one is deactivated
        first, second = (db.session.scalar(sa.select(Customer).where(Customer.no_hp == phone)) for phone in waiting)
        opt_out(first, "STOP")
        second.is_active = False
        db.session.commit()
    set_local_time(app, 9, 0)
    app.config["CLOCK_SHIFT"] += timedelta(days=1)
    cron(runner)
    assert len(gateway.requests) == 2  # nothing more went out
    with app.app_context():
        batch = db.session.get(ReminderBatch, paused.id)
        assert batch.status == ReminderBatch.DONE and batch.skipped == 2


def test_the_api_starts_a_paced_batch_in_the_background(app, api, gateway, due_customers):
    due_customers(2)
    answer = api.post("/send-reminders", json={"days_threshold": 7}).json
    assert answer["batch_id"] and answer["stop_reason"] is None
    for _ in range(200):  # the background thread sends, paced on the app's clock
        with app.app_context():
            batch = db.session.get(ReminderBatch, answer["batch_id"])
            if batch.status == ReminderBatch.DONE:
                break
        time.sleep(0.05)
    assert batch.status == ReminderBatch.DONE and len(gateway.requests) == 2
