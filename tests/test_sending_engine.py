"""Never twice, never lost: timeouts, unconfirmed messages, one-off retries and opt-outs at send time.

The fake Cloud API really accepts a message whose answer comes after the client's timeout
(`("timeout", s)` counts it in `accepted`), so these tests measure what a customer receives.
"""
import ast
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import AuditEvent, Customer, Message, ReminderBatch
from app.services import batch_runner, reminder_rules, reminders
from app.services.formats import local_phone
from app.services.settings import set_setting
from tests.conftest import HTMX, set_local_time

SLOW = ("timeout", 1.5)  # accepted at once, answered after the client's timeout (0.5 s, or 1 s below)


def _messages(app, **filters):
    with app.app_context():
        return db.session.scalars(sa.select(Message).filter_by(**filters).order_by(Message.id)).all()


def _message_to(app, phone):
    [message] = _messages(app, to_phone=phone)
    return message


def _customer(app, phone):
    with app.app_context():
        return db.session.scalar(sa.select(Customer).where(Customer.no_hp == phone))


def _run_batch(app, days=3):
    with app.app_context():
        batch = reminders.start_batch(days, True, None, Message.BATCH)
        db.session.commit()
        batch_runner.run_batch(batch.id)
        return batch.id


# --- a timeout is ambiguous, for the message's whole life ----------------------------------------

def test_a_customer_whose_send_timed_out_gets_it_at_most_twice_over_batches_cron_and_retry(
        app, runner, cloud_api, due_customers):
    slow_twice, slow_then_ok, fine, slow_then_rate_limited = due_customers(4)
    app.config["WHATSAPP_HTTP_TIMEOUT"] = 1.0  # a busy machine must not time out the one that is fine
    cloud_api.script("+" + slow_twice, SLOW, SLOW, SLOW, SLOW)
    cloud_api.script("+" + slow_then_ok, SLOW)
    cloud_api.script("+" + slow_then_rate_limited, SLOW, ("error", 130429, 429), ("error", 130429, 429))
    first_batch = _run_batch(app)
    _run_batch(app)
    set_local_time(app, 10, 0)  # inside the sending hours
    result = runner.invoke(args=["reminders", "send", "--days", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert reminders.retry_failed(db.session.get(ReminderBatch, first_batch)) == 0
        db.session.commit()
    assert cloud_api.accepted[fine] == 1, "nothing timed out: exactly once"
    assert cloud_api.accepted[slow_twice] == 2
    assert cloud_api.accepted[slow_then_ok] == 2
    assert cloud_api.accepted[slow_then_rate_limited] == 1
    assert _message_to(app, slow_twice).status == Message.UNCONFIRMED
    assert _message_to(app, slow_then_ok).status == Message.SENT
    # After its one retry a timed-out message is not retried on and on by later 429s.
    rate_limited = _message_to(app, slow_then_rate_limited)
    assert (rate_limited.status, rate_limited.attempts) == (Message.UNCONFIRMED, 2)


def test_the_attempt_cap_counts_every_attempt_of_a_message_across_batches(app, cloud_api, due_customers):
    [phone] = due_customers(1)
    cloud_api.script("+" + phone, ("error", 100, 400))  # fails, worth another batch
    first_batch = _run_batch(app)
    with app.app_context():
        db.session.execute(sa.update(Message).values(attempts=reminder_rules.MAX_ATTEMPTS))
        db.session.commit()
        plan = reminder_rules.plan_batch(3, True)
        assert [reason for _, reason in plan.left_out] == ["gave_up"]
        assert reminders.retry_failed(db.session.get(ReminderBatch, first_batch)) == 0
    _run_batch(app)
    assert cloud_api.accepted[phone] == 0 and len(cloud_api.requests) == 1


def test_a_failed_reminder_is_sent_again_to_the_customers_new_number(app, cloud_api, due_customers):
    [phone] = due_customers(1)
    cloud_api.script("+" + phone, ("error", 131026, 400))  # not on WhatsApp
    _run_batch(app)
    with app.app_context():
        customer = db.session.scalar(sa.select(Customer))
        customer.no_hp = "6281399999999"
        db.session.commit()
    _run_batch(app)
    assert cloud_api.accepted == {"6281399999999": 1}


# --- the manager sees unconfirmed messages and resends one on purpose ----------------------------

def test_manager_sees_unconfirmed_messages_and_resends_one_on_purpose(app, client, auth, cloud_api, due_customers):
    auth.login_manager()
    [phone] = due_customers(1)
    cloud_api.script("+" + phone, SLOW, SLOW)
    batch_id = _run_batch(app)
    page = client.get("/reminders/").text
    assert "1 pesan belum pasti terkirim" in page and "tidak dikirim ulang otomatis" in page
    listed = client.get("/reminders/?status=unconfirmed").text
    assert listed.count('class="message-unconfirmed"') == 1 and "belum pasti" in listed
    assert "data-confirm=" in listed and "Kirim ulang" in listed
    progress = client.get(f"/reminders/batches/{batch_id}/progress", headers=HTMX).text
    assert "<strong>1</strong> belum pasti" in progress and "Tanyakan dulu ke pelanggan" in progress
    message = _message_to(app, phone)
    before = cloud_api.accepted[phone]
    response = client.post(f"/reminders/messages/{message.id}/resend", follow_redirects=True)
    assert "dikirim ulang" in response.text
    assert cloud_api.accepted[phone] == before + 1
    assert _message_to(app, phone).status == Message.SENT
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "reminders.resend")) == 1
    again = client.post(f"/reminders/messages/{message.id}/resend", follow_redirects=True)
    assert "tidak berstatus belum pasti" in again.text
    assert cloud_api.accepted[phone] == before + 1


def test_staff_cannot_resend_an_unconfirmed_message(app, client, auth, cloud_api, due_customers):
    [phone] = due_customers(1)
    cloud_api.script("+" + phone, SLOW, SLOW)
    _run_batch(app)
    auth.login_staff()
    response = client.post(f"/reminders/messages/{_message_to(app, phone).id}/resend")
    assert response.status_code == 403


def test_resending_an_unknown_message_is_a_404(client, auth):
    auth.login_manager()
    assert client.post("/reminders/messages/999999/resend").status_code == 404


# --- a one-off send retries within the request ---------------------------------------------------

@pytest.fixture
def staff(auth):
    auth.login_staff()
    return auth


def _send_row(client, customer):
    return client.post(f"/customers/{customer.id}/remind", headers=HTMX).text


def _send_detail(client, customer):
    url = f"/customers/{customer.id}"
    return client.post(f"{url}/remind", data={"next": url}, follow_redirects=True).text


def _send_api(client, customer, app):
    from app.services.api_tokens import create_token
    from app.services.users import find_user

    with app.app_context():
        _, token = create_token(find_user("staf"), "test")
        db.session.commit()
    response = client.post(f"/manual-whatsapp/{customer.id}/send-reminder", headers={"Authorization": f"Bearer {token}"})
    return response.json


@pytest.mark.parametrize("where", ["row", "detail", "api"])
def test_one_off_send_rides_out_a_rate_limit_and_a_server_error(app, client, staff, cloud_api, due_customers, where):
    [phone] = due_customers(1)
    cloud_api.script("+" + phone, ("error", 130429, 429), ("error", 131000, 500))
    customer = _customer(app, phone)
    if where == "api":
        answer = _send_api(client, customer, app)
        assert answer["status"] == "sent" and answer["customer"]["reminder_sent_count"] == 1
    else:
        page = _send_row(client, customer) if where == "row" else _send_detail(client, customer)
        assert "Pengingat terkirim ke " + local_phone(phone) in page
    assert cloud_api.accepted[phone] == 1 and len(cloud_api.requests) == 3
    assert _message_to(app, phone).attempts == 3


def test_one_off_send_reports_when_the_rate_limit_outlasts_the_budget(app, client, staff, cloud_api, due_customers):
    [phone] = due_customers(1)
    # Retry-After 1 s fits once in a 1.9 s budget (whenever the first answer takes under 0.9 s, so a
    # busy machine does not change the count) and never twice: two requests, then the person is told.
    app.config["ONE_OFF_RETRY_SECONDS"] = 1.9
    cloud_api.script("+" + phone, *[("error", 130429, 429)] * 10)  # Retry-After: 1
    page = _send_row(client, _customer(app, phone))
    assert "Gagal mengirim" in page and "130429" in page
    assert len(cloud_api.requests) == 2 and cloud_api.accepted[phone] == 0


@pytest.mark.parametrize("where", ["row", "detail", "api"])
def test_one_off_send_that_times_out_is_unconfirmed_and_not_sent_again(app, client, staff, cloud_api,
                                                                       due_customers, where):
    [phone] = due_customers(1)
    cloud_api.script("+" + phone, SLOW)
    customer = _customer(app, phone)
    if where == "api":
        assert _send_api(client, customer, app)["status"] == "unconfirmed"
    else:
        page = _send_row(client, customer) if where == "row" else _send_detail(client, customer)
        assert "Belum pasti terkirim ke " + local_phone(phone) in page and "sebelum mengirim lagi" in page
    assert cloud_api.accepted[phone] == 1 and len(cloud_api.requests) == 1
    assert _message_to(app, phone).status == Message.UNCONFIRMED
    # A second click right away is refused: the first one may well have arrived.
    assert "baru saja dikirim" in _send_row(client, customer)
    assert len(cloud_api.requests) == 1


def test_one_off_send_to_an_unreachable_provider_is_a_plain_failure(app, client, staff, cloud_api, due_customers):
    [phone] = due_customers(1)
    app.config.update(WHATSAPP_API_BASE_URL="http://127.0.0.1:9", ONE_OFF_RETRY_SECONDS=0.2)  # nothing listens
    customer = _customer(app, phone)
    assert "Gagal mengirim" in _send_row(client, customer)
    message = _message_to(app, phone)
    assert (message.status, message.error_code) == (Message.FAILED, "network")
    app.config["WHATSAPP_API_BASE_URL"] = cloud_api.url
    assert "Pengingat terkirim" in _send_row(client, customer)  # nothing went out: try again at once


# --- one opt-out path ---------------------------------------------------------------------------

def _opt_out_events(app, customer_id):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "customer.opt_out",
                                                             AuditEvent.customer_id == customer_id)).all()


def test_opt_out_reported_by_a_batch_send_is_in_the_audit_trail(app, cloud_api, due_customers):
    [phone] = due_customers(1)
    cloud_api.script("+" + phone, ("error", 131050, 400))
    _run_batch(app)
    customer = _customer(app, phone)
    assert customer.opted_out is True
    [event] = _opt_out_events(app, customer.id)
    assert "131050" in event.details


def test_opt_out_reported_by_a_one_off_send_is_in_the_audit_trail(app, client, staff, cloud_api, due_customers):
    [phone] = due_customers(1)
    cloud_api.script("+" + phone, ("error", 131050, 400))
    customer = _customer(app, phone)
    _send_row(client, customer)
    assert _customer(app, phone).opted_out is True
    assert len(_opt_out_events(app, customer.id)) == 1


def test_the_opt_out_code_is_written_in_one_place_only():
    root = Path(__file__).resolve().parent.parent / "app"
    holders = [path.relative_to(root).as_posix() for path in root.rglob("*.py") if "131050" in path.read_text()]
    assert holders == ["whatsapp/cloud_api.py"]


# --- one "due within N days", defaulting to the setting -------------------------------------------

def _due_in_eight_days(app, make_customer):
    with app.app_context():
        set_setting("reminder_days", 10)
        db.session.commit()
        day = clock.today() + timedelta(days=8)
    make_customer(customer_name="Delapan Hari", nopol="B 8 DH", no_hp="081288888888", next_service=day)


def test_api_send_reminders_defaults_to_the_setting(app, client, auth, cloud_api, make_customer):
    from app.services.api_tokens import create_token
    from app.services.users import find_user

    _due_in_eight_days(app, make_customer)
    auth.login_manager()
    with app.app_context():
        _, token = create_token(find_user("manajer"), "test")
        db.session.commit()
    answer = client.post("/manual-whatsapp/send-reminders", json={"only_active": True},
                         headers={"Authorization": f"Bearer {token}"}).json
    assert answer["sent"] == 1 and cloud_api.accepted["6281288888888"] == 1


def test_customer_list_due_filter_defaults_to_the_setting(app, client, staff, make_customer):
    _due_in_eight_days(app, make_customer)
    page = client.get("/customers/?filter=due").text
    assert "Delapan Hari" in page and 'name="days" min="1" max="365" value="10"' in page


def test_reminders_page_and_cron_default_to_the_setting(app, client, auth, runner, cloud_api, make_customer):
    _due_in_eight_days(app, make_customer)
    auth.login_manager()
    assert "1 pelanggan akan diingatkan" in client.get("/reminders/").text
    assert "would send: B 8 DH Delapan Hari" in runner.invoke(args=["reminders", "send", "--dry-run"]).output


# --- layering -----------------------------------------------------------------------------------

def test_no_service_or_blueprint_builds_the_app():
    """Only the entry layer (wsgi.py, app/cli.py) calls create_app; background jobs are services."""
    root = Path(__file__).resolve().parent.parent / "app"
    offenders = []
    for path in root.rglob("*.py"):
        if path in (root / "cli.py", root / "__init__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "app" and any(
                    alias.name == "create_app" for alias in node.names):
                offenders.append(path.relative_to(root).as_posix())
    assert offenders == []
    assert not (root / "reminders" / "jobs.py").exists()


def test_two_runners_of_one_batch_never_take_the_same_message(app, cloud_api, due_customers):
    """A slow runner and the one that took its batch over both look for queued messages at once:
    each message is taken by one of them only (else the customer would get it twice)."""
    import threading

    due_customers(60)
    with app.app_context():
        batch = reminders.start_batch(3, True, None, Message.BATCH)
        db.session.commit()
        batch_id = batch.id
    taken, start = [], threading.Barrier(6)

    def runner():
        with app.app_context():
            start.wait()
            while claimed := batch_runner._claim_messages(batch_id, 3):
                taken.extend(message.id for message in claimed)
            db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(taken) == 60 and len(set(taken)) == 60, f"{len(taken) - len(set(taken))} messages taken twice"


def test_a_one_off_send_whose_request_died_is_shown_as_unconfirmed(app, client, auth, make_customer):
    """A worker killed mid-send leaves its message "sending": the reminders page settles it as
    unconfirmed once it is older than any send could take, and leaves a send in progress alone."""
    customer_id = make_customer()
    with app.app_context():
        now = clock.utcnow()
        for age in (timedelta(hours=1), timedelta(seconds=5)):
            db.session.add(Message(customer_id=customer_id, trigger=Message.MANUAL, provider="cloud_api",
                                   status=Message.SENDING, to_phone="6281234567890", customer_name="Budi",
                                   nopol="B 1234 XYZ", body="x", attempts=1, created_at=now - age,
                                   updated_at=now - age))
        db.session.commit()
    auth.login_manager()
    page = client.get("/reminders/").text
    statuses = [message.status for message in _messages(app)]
    assert sorted(statuses) == [Message.SENDING, Message.UNCONFIRMED]
    assert "1 pesan belum pasti terkirim" in page  # the manager is told, and can resend it on purpose
