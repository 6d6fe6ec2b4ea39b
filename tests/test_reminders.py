"""Sending reminders through fake providers that are real HTTP servers speaking the wire formats."""
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Customer, Message, ReminderBatch
from app.services import batch_runner, reminder_rules, reminders
from app.services.formats import local_phone
from app.services.refusal import Refused
from tests.conftest import HTMX, set_local_time


def _messages(app, **filters):
    with app.app_context():
        return db.session.scalars(sa.select(Message).filter_by(**filters).order_by(Message.id)).all()


def _customer(app, phone):
    with app.app_context():
        return db.session.scalar(sa.select(Customer).where(Customer.no_hp == phone))


def _run_batch(app, days=3, only_active=True, trigger=Message.BATCH):
    with app.app_context():
        batch = reminders.start_batch(days, only_active, None, trigger)
        db.session.commit()
        batch_runner.run_batch(batch.id)
        db.session.refresh(batch)
        return batch.id, batch.status, batch.stop_reason, reminders.batch_progress(batch)


# --- the Cloud API wire format ---------------------------------------------------------------

def test_cloud_api_gets_the_approved_template_with_the_customers_values(app, cloud_api, due_customers):
    [phone] = due_customers(1)
    _run_batch(app)
    [request] = cloud_api.requests
    assert request["headers"]["Authorization"] == "Bearer test-token"
    body = request["json"]
    assert body["messaging_product"] == "whatsapp" and body["type"] == "template"
    assert body["to"] == "+" + phone
    assert body["template"]["name"] == "pengingat_servis"
    assert body["template"]["language"] == {"code": "id"}
    values = [parameter["text"] for parameter in body["template"]["components"][0]["parameters"]]
    assert values[:2] == ["Pelanggan 0", "B 1 RM"]
    [message] = _messages(app)
    assert message.status == Message.SENT and message.provider_message_id.startswith("wamid.FAKE")
    customer = _customer(app, phone)
    assert customer.reminder_sent_count == 1 and customer.last_reminder_sent is not None


def test_rate_limit_and_server_errors_are_retried_then_sent(app, cloud_api, due_customers):
    phones = due_customers(2)
    cloud_api.script("+" + phones[0], ("error", 130429, 400), ("error", 131000, 500))
    cloud_api.script("+" + phones[1], ("error", 4, 429))
    _, status, _, progress = _run_batch(app)
    assert status == ReminderBatch.DONE and progress.sent == 2 and progress.failed == 0
    assert [m.attempts for m in _messages(app)] == [3, 2]
    assert cloud_api.accepted == {phones[0]: 1, phones[1]: 1}


def test_timeout_is_retried_once_only(app, cloud_api, due_customers):
    phones = due_customers(2)
    cloud_api.script("+" + phones[0], ("timeout", 1.0))  # then answers normally
    cloud_api.script("+" + phones[1], ("timeout", 1.0), ("timeout", 1.0))
    _run_batch(app)
    first, second = _messages(app)
    assert (first.status, first.attempts) == (Message.SENT, 2)
    assert (second.status, second.attempts, second.error_code) == (Message.UNCONFIRMED, 2, "timeout")


def test_undeliverable_number_fails_permanently_with_the_reason(app, cloud_api, due_customers):
    phones = due_customers(2)
    cloud_api.script("+" + phones[0], ("error", 131026, 400))
    _, status, _, progress = _run_batch(app)
    assert status == ReminderBatch.DONE and (progress.sent, progress.failed) == (1, 1)
    failed = _messages(app, status=Message.FAILED)[0]
    assert failed.error_code == "131026" and failed.attempts == 1
    assert "131026" in failed.error_message


def test_expired_token_stops_the_batch_and_keeps_the_rest_queued(app, cloud_api, due_customers):
    due_customers(5)
    app.config["WHATSAPP_ACCESS_TOKEN"] = "expired"
    batch_id, status, reason, progress = _run_batch(app)
    assert status == ReminderBatch.STOPPED and "190" in reason
    assert progress.sent == 0 and progress.queued == 5
    app.config["WHATSAPP_ACCESS_TOKEN"] = cloud_api.token  # the manager fixes the token and resumes
    with app.app_context():
        batch = db.session.get(ReminderBatch, batch_id)
        reminders.resume_batch(batch)
        db.session.commit()
        batch_runner.run_batch(batch_id)
        assert reminders.batch_progress(batch).sent == 5


def test_recipient_who_stopped_marketing_is_opted_out(app, cloud_api, due_customers):
    [phone] = due_customers(1)
    cloud_api.script("+" + phone, ("error", 131050, 400))
    _run_batch(app)
    assert _customer(app, phone).opted_out is True


def test_sends_run_concurrently_up_to_the_rate(app, cloud_api, due_customers):
    due_customers(30)
    cloud_api.latency = 0.2
    app.config["WHATSAPP_RATE_PER_SECOND"] = "50"
    _, _, _, progress = _run_batch(app)
    assert progress.sent == 30
    # Several requests at the provider at once, not one round-trip at a time. How fast that is
    # is the benchmark's business (bench/run.py --only sending), not a timed test's.
    assert cloud_api.max_in_flight >= 5


# --- once per service date, whatever happens ---------------------------------------------------

def test_second_batch_for_the_same_dates_sends_nothing(app, cloud_api, due_customers):
    due_customers(3)
    _run_batch(app)
    _, _, _, progress = _run_batch(app)
    assert progress.total == 0 and progress.skipped == 3
    assert sum(cloud_api.accepted.values()) == 3


def test_database_refuses_a_second_automatic_reminder_for_the_same_date(app, make_customer):
    from sqlalchemy.exc import IntegrityError

    customer_id = make_customer()
    with app.app_context():
        key = reminder_rules.auto_key(customer_id, clock.today())
        for _ in range(2):
            db.session.add(Message(customer_id=customer_id, trigger="cron", provider="log", to_phone="628123456789",
                                   customer_name="x", nopol="B 1 A", body="x", dedupe_key=key))
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_many_concurrent_batches_send_each_customer_exactly_one_message(app, cloud_api, due_customers):
    phones = due_customers(12)
    cloud_api.latency = 0.05
    # What is tested is that concurrent batches never take one message twice. A send that times out
    # may be tried once more by design (the fake counts both): on a loaded machine 0.5 s is not enough.
    app.config["WHATSAPP_HTTP_TIMEOUT"] = 10
    errors = []

    def send_all():
        try:
            _run_batch(app)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send_all) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    messages = _messages(app)
    assert cloud_api.accepted == {phone: 1 for phone in phones}, [
        (message.to_phone, message.status, message.attempts, message.unanswered_attempts) for message in messages]
    assert len(messages) == 12


def test_failed_reminder_is_sent_again_by_the_next_batch(app, cloud_api, due_customers):
    [phone] = due_customers(1)
    cloud_api.script("+" + phone, ("error", 100, 400))  # a bad parameter: permanent for this batch
    _run_batch(app)
    _run_batch(app)
    [message] = _messages(app)  # the same row, sent again, not a second message
    assert message.status == Message.SENT and cloud_api.accepted[phone] == 1


def test_kill_and_resume_sends_nobody_twice_and_drops_nobody(app, cloud_api, due_customers, database_url, tmp_path):
    """A cron run killed halfway: the next run takes the batch over; in-flight sends are reported."""
    import os
    import signal
    import subprocess
    import sys

    phones = due_customers(20)
    cloud_api.latency = 0.3
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x", "FLASK_APP": "wsgi",
           "WHATSAPP_PROVIDER": "cloud_api", "WHATSAPP_API_BASE_URL": cloud_api.url,
           "WHATSAPP_ACCESS_TOKEN": cloud_api.token, "WHATSAPP_PHONE_NUMBER_ID": cloud_api.phone_number_id,
           "WHATSAPP_RATE_PER_SECOND": "10"}
    set_local_time(app, 10, 0)  # inside the sending hours, for this process and the one below
    shift = str(app.config["CLOCK_SHIFT"].total_seconds())
    process = subprocess.Popen([sys.executable, "-m", "tests.cli_at", shift, "reminders", "send", "--days", "3"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while sum(cloud_api.accepted.values()) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    received_before = sum(cloud_api.accepted.values())
    assert 5 <= received_before < 20, "the kill must land mid-batch"
    time.sleep(1.2)  # the dead runner's heartbeat goes stale (REMINDER_STALE_SECONDS=1 in tests)
    with app.app_context():
        batch_id = db.session.scalar(sa.select(ReminderBatch.id))
        batch_runner.run_batch(batch_id)
    time.sleep(0.5)  # requests the killed process had started reach the fake
    messages = _messages(app)
    assert len(messages) == 20
    assert all(count == 1 for count in cloud_api.accepted.values()), "somebody got two messages"
    unconfirmed = [m for m in messages if m.status == Message.UNCONFIRMED]
    sent = [m for m in messages if m.status == Message.SENT]
    assert len(sent) + len(unconfirmed) == 20, "every customer is either sent or reported"
    # At most what the killed runner had in flight: rate x latency, plus one claim of rate/5, plus
    # requests its threads had started that the fake had not yet received (more under CPU load).
    never_reached = [m for m in unconfirmed if m.to_phone not in cloud_api.accepted]
    detail = f"{len(unconfirmed)} unconfirmed, {len(never_reached)} never reached the provider"
    assert len(unconfirmed) <= 10 * 0.3 + 2 + 3, detail
    assert len(never_reached) <= 5, detail
    assert {m.to_phone for m in sent} <= set(cloud_api.accepted)
    assert set(phones) == {m.to_phone for m in messages}


# --- one customer now -------------------------------------------------------------------------

@pytest.fixture
def staff(auth):
    auth.login_staff()
    return auth


def test_send_one_now_returns_the_row_with_the_new_count(app, client, staff, cloud_api, due_customers):
    [phone] = due_customers(1)
    customer = _customer(app, phone)
    response = client.post(f"/customers/{customer.id}/remind", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="customer-{customer.id}"')
    assert "Pengingat terkirim ke " + local_phone(phone) in response.text
    assert "1×" in response.text
    assert cloud_api.accepted[phone] == 1
    [message] = _messages(app)
    assert (message.trigger, message.status) == (Message.MANUAL, Message.SENT)


def test_second_click_within_a_minute_sends_nothing(app, client, staff, cloud_api, due_customers):
    [phone] = due_customers(1)
    customer = _customer(app, phone)
    client.post(f"/customers/{customer.id}/remind", headers=HTMX)
    response = client.post(f"/customers/{customer.id}/remind", headers=HTMX)
    assert "baru saja dikirim" in response.text
    assert cloud_api.accepted[phone] == 1 and len(_messages(app)) == 1


def test_two_people_clicking_at_once_send_one_message(app, cloud_api, due_customers):
    [phone] = due_customers(1)
    cloud_api.latency = 0.2
    customer_id = _customer(app, phone).id
    outcomes = []

    def click():
        with app.app_context():
            try:
                reminders.send_now(db.session.get(Customer, customer_id), None)
                outcomes.append("sent")
            except Refused:
                outcomes.append("refused")

    threads = [threading.Thread(target=click) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused"] * 4 + ["sent"]
    assert cloud_api.accepted[phone] == 1


def test_failed_send_shows_the_error_and_can_be_retried_at_once(app, client, staff, cloud_api, due_customers):
    [phone] = due_customers(1)
    customer = _customer(app, phone)
    cloud_api.script("+" + phone, ("error", 131026, 400))
    response = client.post(f"/customers/{customer.id}/remind", headers=HTMX)
    assert "Gagal mengirim" in response.text and "131026" in response.text
    response = client.post(f"/customers/{customer.id}/remind", headers=HTMX)
    assert "Pengingat terkirim" in response.text


def test_opted_out_or_inactive_customers_are_not_sent(app, client, staff, cloud_api, make_customer):
    opted = make_customer(nopol="B 1 A", no_hp="081200000001")
    inactive = make_customer(nopol="B 2 A", no_hp="081200000002", is_active=False)
    with app.app_context():
        db.session.get(Customer, opted).opted_out = True
        db.session.commit()
    assert "berhenti berlangganan" in client.post(f"/customers/{opted}/remind", headers=HTMX).text
    assert "nonaktif" in client.post(f"/customers/{inactive}/remind", headers=HTMX).text
    assert cloud_api.requests == []


def test_unconfigured_provider_says_so_instead_of_failing_row_by_row(app, client, staff, make_customer):
    app.config.update(WHATSAPP_PROVIDER="cloud_api", WHATSAPP_ACCESS_TOKEN=None)
    customer_id = make_customer()
    page = client.get("/customers/").text
    assert "Cloud API belum diatur" in page  # on the disabled button
    response = client.post(f"/customers/{customer_id}/remind", headers=HTMX)
    assert "WhatsApp belum bisa mengirim" in response.text


def test_detail_page_shows_the_history(app, client, staff, cloud_api, due_customers):
    [phone] = due_customers(1)
    customer = _customer(app, phone)
    client.post(f"/customers/{customer.id}/remind", data={"next": f"/customers/{customer.id}"})
    page = client.get(f"/customers/{customer.id}").text
    assert "Riwayat pengingat" in page and "terkirim" in page
    assert "oleh petugas" in page and "WhatsApp Business (Cloud API)" in page


# --- Fonnte -----------------------------------------------------------------------------------

def test_fonnte_gets_target_and_message_with_its_token(app, fonnte, due_customers):
    phones = due_customers(6)
    _, _, _, progress = _run_batch(app)
    assert progress.sent == 6
    request = fonnte.requests[0]
    assert request["headers"]["Authorization"] == "fonnte-token"
    assert request["form"]["target"] in phones and request["form"]["countryCode"] == "62"
    assert "Halo Pelanggan" in request["form"]["message"]
    # The pace of a personal number (random pauses, the daily cap): tests/test_safe_sending.py.


def test_fonnte_invalid_token_stops_the_batch(app, fonnte, due_customers):
    due_customers(2)
    app.config.update(FONNTE_TOKEN="wrong", WHATSAPP_RATE_PER_SECOND="50")
    _, status, reason, _ = _run_batch(app)
    assert status == ReminderBatch.STOPPED and reason == "token invalid"


# --- the manager's page -----------------------------------------------------------------------

def test_plan_lists_who_is_sent_and_who_is_left_out_and_why(app, client, auth, cloud_api, make_customer):
    auth.login_manager()
    with app.app_context():
        soon = clock.today() + timedelta(days=2)
    make_customer(customer_name="Akan Dikirim", nopol="B 1 A", no_hp="081200000001", next_service=soon)
    make_customer(customer_name="Sudah Berhenti", nopol="B 2 A", no_hp="081200000002", next_service=soon)
    make_customer(customer_name="Tidak Aktif", nopol="B 3 A", no_hp="081200000003", next_service=soon, is_active=False)
    make_customer(customer_name="Masih Lama", nopol="B 4 A", no_hp="081200000004",
                  next_service=soon + timedelta(days=30))
    with app.app_context():
        db.session.execute(sa.update(Customer).where(Customer.nopol == "B 2 A").values(opted_out=True))
        db.session.commit()
    page = client.get("/reminders/?days=3&only_active=y").text
    assert "1 pelanggan akan diingatkan" in page and "2 tidak diikutkan" in page
    assert "Akan Dikirim" in page and "berhenti berlangganan" in page and "nonaktif" in page
    assert "Masih Lama" not in page


def test_batch_from_the_page_runs_in_the_background_and_ends_with_a_summary(app, client, auth, cloud_api,
                                                                            due_customers):
    auth.login_manager()
    phones = due_customers(4)
    cloud_api.script("+" + phones[0], ("error", 131026, 400))
    response = client.post("/reminders/batches", data={"days": "3", "only_active": "y"})
    batch_url = response.headers["Location"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        fragment = client.get(batch_url + "/progress", headers=HTMX).text
        if "Selesai" in fragment:
            break
        assert 'hx-trigger="every 1s"' in fragment  # keeps polling while it runs
        time.sleep(0.1)
    assert "Selesai" in fragment and 'hx-trigger' not in fragment
    assert "<strong>3</strong> terkirim" in fragment and "<strong>1</strong> gagal" in fragment
    assert "Kirim ulang yang gagal" in fragment


def test_recent_messages_can_be_filtered_to_failures(app, client, auth, cloud_api, due_customers):
    auth.login_manager()
    phones = due_customers(2)
    cloud_api.script("+" + phones[0], ("error", 131026, 400))
    _run_batch(app)
    page = client.get("/reminders/?status=failed").text
    assert page.count('class="message-failed"') == 1 and 'class="message-sent"' not in page


def test_staff_cannot_start_a_batch(client, auth):
    auth.login_staff()
    assert client.post("/reminders/batches", data={"days": "3"}).status_code == 403


# --- the command line ------------------------------------------------------------------------

def test_cron_command_sends_and_prints_the_counts(app, runner, cloud_api, due_customers):
    due_customers(3)
    set_local_time(app, 9, 30)  # inside the default sending hours, 08:00-20:00
    result = runner.invoke(args=["reminders", "send", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "sent: 3, failed: 0, skipped: 0"


def test_cron_dry_run_sends_nothing(app, runner, cloud_api, due_customers):
    due_customers(2)
    result = runner.invoke(args=["reminders", "send", "--dry-run"])
    assert "would send: B 1 RM Pelanggan 0" in result.output
    assert result.output.strip().splitlines()[-1] == "sent: 0, failed: 0, skipped: 0"
    assert cloud_api.requests == []


@pytest.mark.parametrize("hour, minute", [(23, 30), (3, 0), (7, 59), (20, 0)])
def test_cron_sends_nothing_outside_the_sending_hours(app, runner, cloud_api, due_customers, hour, minute):
    due_customers(1)
    set_local_time(app, hour, minute)  # the default sending hours are 08:00-20:00
    result = runner.invoke(args=["reminders", "send"])
    assert "quiet hours" in result.output and cloud_api.requests == []


def test_sending_hours_may_run_over_midnight(app, runner, cloud_api, due_customers):
    from app.services.settings import set_setting

    due_customers(1)
    with app.app_context():
        set_setting("quiet_start", "20:00")
        set_setting("quiet_end", "02:00")
        db.session.commit()
    set_local_time(app, 12, 0)
    assert "quiet hours" in runner.invoke(args=["reminders", "send"]).output
    set_local_time(app, 23, 30)
    result = runner.invoke(args=["reminders", "send"])
    assert result.output.strip().splitlines()[-1] == "sent: 1, failed: 0, skipped: 0"


def test_cron_refuses_an_unusable_provider(app, runner):
    app.config.update(WHATSAPP_PROVIDER="cloud_api", WHATSAPP_ACCESS_TOKEN=None)
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code != 0 and "belum diatur" in result.output
    app.config["WHATSAPP_PROVIDER"] = "link"
    assert runner.invoke(args=["reminders", "send"]).exit_code != 0


# --- RQ workers ---------------------------------------------------------------------------------

def test_batches_run_on_rq_workers_when_redis_is_configured(app, client, auth, cloud_api, due_customers,
                                                            database_url, monkeypatch):
    redis = pytest.importorskip("redis")
    from rq import Queue, SimpleWorker

    from app.services.batch_runner import QUEUE_NAME

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    app.config["REDIS_URL"] = url
    # The worker builds its own app from the environment, as `flask worker` does.
    for name in ("WHATSAPP_PROVIDER", "WHATSAPP_API_BASE_URL", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID",
                 "WHATSAPP_RATE_PER_SECOND"):
        monkeypatch.setenv(name, str(app.config[name]))
    monkeypatch.setenv("DATABASE_URL", database_url)
    phones = due_customers(3)
    auth.login_manager()
    response = client.post("/reminders/batches", data={"days": "3", "only_active": "y"})
    assert response.status_code == 302
    assert cloud_api.requests == []  # queued for a worker, not sent by the web process
    assert len(Queue(QUEUE_NAME, connection=connection)) == 1
    SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=True)
    assert cloud_api.accepted == {phone: 1 for phone in phones}
    fragment = client.get(response.headers["Location"] + "/progress", headers=HTMX).text
    assert "Selesai" in fragment and "<strong>3</strong> terkirim" in fragment
