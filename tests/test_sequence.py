"""The reminder sequence over simulated days (the app's clock): each step once, skipped when it no longer helps."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Customer, Message
from app.services import batch_runner, reminders
from app.services.customers import mark_serviced_today
from app.services.settings import set_setting
from tests.conftest import settings_form
from tests.fakes import fonnte_reply
from tests.test_replies import FONNTE_SECRET, post_fonnte

PHONE = "628123456789"
STEP_TEXTS = ("dijadwalkan servis berikutnya", "hari ini jadwal servis", "sudah lewat dari jadwal")


@pytest.fixture
def sequence(app, fonnte):
    """Fonnte (it sends each step's own text), fast; steps 2 (on the day) and 3 (a week after) on."""
    app.config["WHATSAPP_RATE_PER_SECOND"] = "200"
    with app.app_context():
        for key, value in {"step2_on": 1, "step2_days": 0, "step3_on": 1, "step3_days": 7}.items():
            set_setting(key, value)
        db.session.commit()
    return fonnte


def _customer_due_in(app, make_customer, days):
    with app.app_context():
        return make_customer(next_service=clock.today() + timedelta(days=days))


def _run(app):
    with app.app_context():
        batch = reminders.start_batch(3, True, None, Message.CRON)
        db.session.commit()
        batch_runner.run_batch(batch.id)


def _later(app, days):
    app.config["CLOCK_SHIFT"] += timedelta(days=days)


def _texts(fake):
    return [next((index + 1 for index, words in enumerate(STEP_TEXTS) if words in request["form"]["message"]), None)
            for request in fake.requests]


def test_each_step_goes_out_once_on_its_day(app, sequence, make_customer):
    customer_id = _customer_due_in(app, make_customer, 3)
    _run(app)
    _run(app)
    assert _texts(sequence) == [1]
    _later(app, 2)
    _run(app)  # the day before: nothing yet
    _later(app, 1)
    _run(app)
    _run(app)
    assert _texts(sequence) == [1, 2]
    _later(app, 7)
    _run(app)
    _run(app)
    _later(app, 30)
    _run(app)
    assert _texts(sequence) == [1, 2, 3]
    with app.app_context():
        keys = db.session.scalars(sa.select(Message.dedupe_key).where(Message.customer_id == customer_id)
                                  .order_by(Message.id)).all()
        assert db.session.get(Customer, customer_id).reminder_sent_count == 3
    assert [key.count(":") for key in keys] == [2, 3, 3] and keys[1].endswith(":2") and keys[2].endswith(":3")


def test_a_first_reminder_sent_late_is_not_followed_at_once(app, sequence, make_customer):
    """Added after their date passed: the overdue reminder goes out, not "today is the day" the next morning."""
    _customer_due_in(app, make_customer, -2)
    with app.app_context():
        batch = reminders.start_batch(3, True, None, Message.CRON, overdue_days=30)
        db.session.commit()
        batch_runner.run_batch(batch.id)
    _later(app, 1)
    _run(app)
    assert len(sequence.requests) == 1
    _later(app, 4)  # a week after the date: the steps follow in order, and step 2 never went
    _run(app)
    assert _texts(sequence) == [None]  # the overdue text, once


def test_without_the_later_steps_nothing_changes(app, fonnte, make_customer):
    app.config["WHATSAPP_RATE_PER_SECOND"] = "200"
    _customer_due_in(app, make_customer, 3)
    for days in (0, 3, 7, 1):
        _later(app, days)
        _run(app)
    assert _texts(fonnte) == [1]


def test_a_reply_stops_the_later_steps(app, client, sequence, make_customer):
    _customer_due_in(app, make_customer, 3)
    _run(app)
    app.config["FONNTE_WEBHOOK_SECRET"] = FONNTE_SECRET
    post_fonnte(client, fonnte_reply(PHONE, "Terima kasih, nanti saya kabari"))
    _later(app, 3)
    with app.app_context():
        plan = reminders.plan_batch(3, True)
        assert [reason for _, reason in plan.left_out] == ["answered"]
    _run(app)
    _later(app, 7)
    _run(app)
    assert _texts(sequence) == [1]


def test_an_opt_out_stops_the_later_steps(app, client, sequence, make_customer):
    _customer_due_in(app, make_customer, 3)
    _run(app)
    app.config["FONNTE_WEBHOOK_SECRET"] = FONNTE_SECRET
    post_fonnte(client, fonnte_reply(PHONE, "STOP"))
    _later(app, 3)
    _run(app)
    assert _texts(sequence) == [1]


def test_a_service_starts_a_fresh_sequence(app, sequence, make_customer):
    customer_id = _customer_due_in(app, make_customer, 3)
    _run(app)
    with app.app_context():
        customer = mark_serviced_today(db.session.get(Customer, customer_id))
        db.session.commit()
        days_to_next = (customer.next_service - clock.today()).days
    _later(app, 3)
    _run(app)  # the old date's step 2 is not sent: that date is no longer the customer's
    assert _texts(sequence) == [1]
    _later(app, days_to_next - 3 - 2)  # two days before the new date
    _run(app)
    _later(app, 2)
    _run(app)
    assert _texts(sequence) == [1, 1, 2]


def test_two_runs_at_once_send_each_step_once(app, sequence, make_customer):
    _customer_due_in(app, make_customer, 3)
    _run(app)
    _later(app, 3)
    sequence.latency = 0.05
    threads = [threading.Thread(target=_run, args=(app,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert _texts(sequence) == [1, 2]


def test_the_plan_and_the_command_line_say_which_step(app, client, auth, runner, sequence, make_customer):
    _customer_due_in(app, make_customer, 3)
    _run(app)
    _later(app, 3)
    auth.login_manager()
    plan = client.get("/reminders/?days=3&only_active=y").text
    assert "langkah 2" in plan and "1 pelanggan akan diingatkan" in plan
    result = runner.invoke(args=["reminders", "send", "--dry-run"])
    assert "step 2" in result.output


def test_the_settings_page_keeps_the_steps_in_order(app, client, auth):
    auth.login_manager()
    response = client.post("/settings/", data=settings_form(step2_on="y", step2_days=7, step3_on="y", step3_days=3))
    assert response.status_code == 200 and "Langkah 3 harus sesudah langkah 2." in response.text
    response = client.post("/settings/", data=settings_form(step2_on="y", step2_days=0, step3_on="y", step3_days=7,
                                                             step2_message_template="Halo {nama}, hari ini {nopol}."))
    assert response.status_code == 302
    page = client.get("/settings/").text
    assert 'id="step2-preview"' in page and "Halo Budi Santoso, hari ini B 1234 XYZ." in page
    with app.app_context():
        from app.services.settings import get_setting

        assert (get_setting("step2_on"), get_setting("step3_on"), get_setting("step3_days")) == (1, 1, 7)
