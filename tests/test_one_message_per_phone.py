"""Plates that share one phone and are due in the same run get one message naming every plate."""
import json
from datetime import timedelta

import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Customer, Message
from app.services import batch_runner, reminders
from tests.conftest import HTMX
from tests.test_link_mode import _start_queue
from tests.test_replies import SECRET, post_meta

FAMILY = "081298765432"
FAMILY_E164 = "6281298765432"
PLATES = ["B 1 AA", "B 2 BB", "B 3 CC"]


def _family(app, make_customer, same_day=True):
    """Three cars on one phone due within three days (one more customer on a number of their own)."""
    with app.app_context():
        today = clock.today()
    ids = [make_customer(customer_name=name, nopol=plate, no_hp=FAMILY,
                         next_service=today + timedelta(days=1 if same_day else 1 + index))
           for index, (name, plate) in enumerate(zip(["Budi", "Sari", "Budi"], PLATES, strict=True))]
    make_customer(customer_name="Joko", nopol="D 1028 EB", no_hp="081311112222", next_service=today + timedelta(days=2))
    return ids


def _run_batch(app):
    with app.app_context():
        batch = reminders.start_batch(3, True, None, Message.BATCH)
        db.session.commit()
        batch_runner.run_batch(batch.id)
        return batch.id


def _family_messages(app):
    with app.app_context():
        return db.session.scalars(sa.select(Message).where(Message.to_phone == FAMILY_E164).order_by(Message.nopol)).all()


def _counts(app, ids):
    with app.app_context():
        return [db.session.get(Customer, customer_id).reminder_sent_count for customer_id in ids]


def test_three_plates_on_one_phone_get_one_message_and_three_histories(app, cloud_api, make_customer):
    ids = _family(app, make_customer)
    _run_batch(app)
    family = [request for request in cloud_api.requests if request["json"]["to"] == "+" + FAMILY_E164]
    assert len(cloud_api.requests) == 2 and len(family) == 1  # one for the family, one for Joko
    values = [parameter["text"] for parameter in family[0]["json"]["template"]["components"][0]["parameters"]]
    assert values[:2] == ["Budi dan Sari", "B 1 AA, B 2 BB dan B 3 CC"]
    messages = _family_messages(app)
    assert [message.status for message in messages] == ["sent"] * 3
    assert len({message.provider_message_id for message in messages}) == 1
    assert _counts(app, ids) == [1, 1, 1]
    # Delivery reported for the one message is every customer's.
    app.config["WHATSAPP_APP_SECRET"] = SECRET
    status = {"id": messages[0].provider_message_id, "status": "read", "timestamp": "1750030073",
              "recipient_id": FAMILY_E164}
    post_meta(app.test_client(), {"object": "whatsapp_business_account", "entry": [
        {"id": "1", "changes": [{"field": "messages", "value": {"statuses": [status]}}]}]})
    assert [message.status for message in _family_messages(app)] == ["read"] * 3


def test_the_text_names_each_plate_with_its_own_date(app, fonnte, make_customer):
    _family(app, make_customer, same_day=False)
    _run_batch(app)
    [family] = [request for request in fonnte.requests if request["form"]["target"] == FAMILY_E164]
    text = family["form"]["message"]
    assert "B 1 AA, B 2 BB dan B 3 CC" in text
    with app.app_context():
        day = clock.today() + timedelta(days=1)
    assert f"{day.day} " in text and "(B 1 AA)" in text and "(B 3 CC)" in text


def test_a_second_batch_sends_the_family_nothing(app, cloud_api, make_customer):
    _family(app, make_customer)
    _run_batch(app)
    _run_batch(app)
    assert len(cloud_api.requests) == 2


def test_a_family_message_that_failed_for_good_is_not_sent_again_through_the_others(app, cloud_api, make_customer):
    ids = _family(app, make_customer)
    cloud_api.script("+" + FAMILY_E164, *[("error", 131000, 400)] * 5)
    batch_id = _run_batch(app)
    assert [message.status for message in _family_messages(app)] == ["failed"] * 3
    assert _counts(app, ids) == [0, 0, 0]
    with app.app_context():
        batch = db.session.get(reminders.ReminderBatch, batch_id)
        assert reminders.retry_failed(batch) == 0  # five attempts is all the phone gets
    _run_batch(app)
    assert len([request for request in cloud_api.requests if request["json"]["to"] == "+" + FAMILY_E164]) == 5


def test_a_stopped_batch_resumes_with_one_message_for_the_family(app, cloud_api, make_customer):
    ids = _family(app, make_customer)
    cloud_api.script("+" + FAMILY_E164, ("error", 190, 401))  # the token expired: the batch stops
    batch_id = _run_batch(app)
    with app.app_context():
        batch = db.session.get(reminders.ReminderBatch, batch_id)
        assert batch.status == "stopped"
        reminders.resume_batch(batch)
        db.session.commit()
        batch_runner.run_batch(batch_id)
    family = [request for request in cloud_api.requests if request["json"]["to"] == "+" + FAMILY_E164]
    assert len(family) == 2 and cloud_api.accepted[FAMILY_E164] == 1
    assert _counts(app, ids) == [1, 1, 1]


def test_an_unanswered_family_message_is_unconfirmed_for_all_and_never_resent(app, cloud_api, make_customer):
    _family(app, make_customer)
    cloud_api.script("+" + FAMILY_E164, ("timeout", 1.0), ("timeout", 1.0))
    _run_batch(app)
    assert [message.status for message in _family_messages(app)] == ["unconfirmed"] * 3
    _run_batch(app)
    assert cloud_api.accepted[FAMILY_E164] == 2  # the two tries the timeouts allow, and no more


def test_resending_an_unconfirmed_family_message_sends_one_message_for_all(app, client, auth, cloud_api, make_customer):
    ids = _family(app, make_customer)
    cloud_api.script("+" + FAMILY_E164, ("timeout", 1.0), ("timeout", 1.0))
    _run_batch(app)
    companion = _family_messages(app)[2]
    auth.login_manager()
    client.post(f"/reminders/messages/{companion.id}/resend")  # the manager picks any of the three
    client.post(f"/reminders/messages/{companion.id}/resend")  # and, unsure, again
    assert cloud_api.accepted[FAMILY_E164] == 3  # the two unanswered tries, then one resend
    assert [message.status for message in _family_messages(app)] == ["sent"] * 3
    assert _counts(app, ids) == [1, 1, 1]


def test_wa_me_queue_opens_the_family_once_and_one_confirmation_counts_for_all(app, client, auth, make_customer):
    ids = _family(app, make_customer)
    batch_url = _start_queue(client, auth)
    lead = _family_messages(app)[0]
    page = client.get(batch_url).text
    opened = client.get(f"/reminders/messages/{lead.id}/open")
    assert opened.headers["Location"].startswith(f"https://wa.me/{FAMILY_E164}?text=")
    assert "B%201%20AA%2C%20B%202%20BB%20dan%20B%203%20CC" in opened.headers["Location"]
    client.post(f"/reminders/messages/{lead.id}/sent", headers=HTMX)
    assert [message.status for message in _family_messages(app)] == ["sent"] * 3
    assert _counts(app, ids) == [1, 1, 1]
    assert page.count(f"/reminders/messages/{lead.id}/open") >= 1


def test_the_plan_says_which_vehicles_share_one_message(app, client, auth, cloud_api, make_customer):
    _family(app, make_customer)
    auth.login_manager()
    plan = client.get("/reminders/?days=3&only_active=y").text
    assert "4 pelanggan akan diingatkan" in plan
    assert "1 nomor HP dipakai beberapa kendaraan: satu pesan untuk semuanya" in plan
    assert plan.count("satu pesan bersama kendaraan lain di nomor ini") == 3


def test_the_settings_page_previews_the_family_message(app, client, auth, make_customer):
    _family(app, make_customer)
    auth.login_manager()
    page = client.get("/settings/").text
    assert "satu pesan, misalnya B 1 AA, B 2 BB, B 3 CC" in page
    assert "B 1 AA, B 2 BB dan B 3 CC" in page


def test_the_customer_page_says_the_message_was_shared(app, client, auth, cloud_api, make_customer):
    ids = _family(app, make_customer)
    _run_batch(app)
    auth.login_staff()
    assert "Satu pesan untuk semua kendaraan di nomor ini." in client.get(f"/customers/{ids[1]}").text
    with app.app_context():
        companion = db.session.scalar(sa.select(Message).where(Message.customer_id == ids[1]))
        assert json.loads(companion.template_params)[1] == "B 2 BB"  # its own values, kept


def test_a_refused_lead_queued_again_rejoins_its_family_as_one_group(app, client, auth, make_customer):
    """wa.me queue, active only: the first plate's customer was deactivated, then reactivated and retried."""
    ids = _family(app, make_customer)
    batch_url = _start_queue(client, auth)
    lead = _family_messages(app)[0]
    with app.app_context():
        db.session.get(Customer, ids[0]).is_active = False
        db.session.commit()
    client.get(f"/reminders/messages/{lead.id}/open")  # refused: the other two plates regroup
    statuses = [message.status for message in _family_messages(app)]
    assert statuses == ["failed", "queued", "grouped"]
    with app.app_context():
        db.session.get(Customer, ids[0]).is_active = True
        db.session.commit()
        batch = db.session.get(reminders.ReminderBatch, lead.batch_id)
        reminders.retry_failed(batch)
        db.session.commit()
    messages = _family_messages(app)
    assert [message.status for message in messages] == ["queued", "grouped", "grouped"]
    assert [message.sent_with_id for message in messages] == [None, messages[0].id, messages[0].id]
    assert "B 1 AA, B 2 BB dan B 3 CC" in messages[0].body
    assert batch_url


def test_a_companion_whose_lead_may_not_be_resent_is_resent_alone(app, client, auth, cloud_api, make_customer):
    from app.services.customers import opt_out

    ids = _family(app, make_customer)
    cloud_api.script("+" + FAMILY_E164, ("timeout", 1.0), ("timeout", 1.0))
    _run_batch(app)
    with app.app_context():
        opt_out(db.session.get(Customer, ids[0]), "STOP lewat telepon")  # the first plate's owner
        db.session.commit()
    companion = _family_messages(app)[1]
    auth.login_manager()
    client.post(f"/reminders/messages/{companion.id}/resend")
    assert cloud_api.accepted[FAMILY_E164] == 3
    last = cloud_api.requests[-1]["json"]["template"]["components"][0]["parameters"]
    assert [parameter["text"] for parameter in last][:2] == ["Sari", "B 2 BB"]  # its own message, alone
    assert [message.status for message in _family_messages(app)] == ["unconfirmed", "sent", "unconfirmed"]
