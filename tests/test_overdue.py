"""Overdue customers in the reminders: included by choice, within a bound, with their own wording,
and still at most one automatic reminder per service date."""
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Customer, Message
from app.services.messages import render_message
from tests.conftest import HTMX, set_local_time, settings_form

OVERDUE_BY = (3, 10, 20, 40, 80)  # days; all within the default bound of 90


@pytest.fixture
def overdue_customers(app, make_customer):
    """Five customers overdue by OVERDUE_BY days, one due in 2 days, one who left 200 days ago."""
    with app.app_context():
        today = clock.today()
    phones = {}
    for index, days in enumerate(OVERDUE_BY):
        phone = f"0813{index:08d}"
        make_customer(customer_name=f"Telat {days}", nopol=f"B {index + 1} OD", no_hp=phone,
                      next_service=today - timedelta(days=days))
        phones[f"Telat {days}"] = "62" + phone[1:]
    make_customer(customer_name="Segera Datang", nopol="B 9 DU", no_hp="081399999999",
                  next_service=today + timedelta(days=2))
    phones["Segera Datang"] = "6281399999999"
    make_customer(customer_name="Sudah Pergi", nopol="B 8 LM", no_hp="081388888888",
                  next_service=today - timedelta(days=200))
    phones["Sudah Pergi"] = "6281388888888"
    return phones


def _shift_days(app, days):
    """Move the app's clock `days` days on (the workshop's wall clock keeps its time of day)."""
    app.config["CLOCK_SHIFT"] = app.config["CLOCK_SHIFT"] + timedelta(days=days)


def _bodies(app) -> dict:
    with app.app_context():
        return {m.customer_name: m.body for m in db.session.scalars(sa.select(Message))}


def _wait_for_batch(client, location):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        fragment = client.get(location + "/progress", headers=HTMX).text
        if "Selesai" in fragment:
            return fragment
        time.sleep(0.1)
    raise AssertionError("the batch did not finish")


def test_reminders_page_shows_overdue_customers_by_default_with_days_overdue(client, auth, overdue_customers):
    auth.login_manager()
    page = client.get("/reminders/").text
    assert "6 pelanggan akan diingatkan" in page and "termasuk 5 yang lewat jadwal" in page
    for days in OVERDUE_BY:
        assert f"Telat {days}" in page and f"lewat {days} hari" in page
    assert "Segera Datang" in page
    assert "Sudah Pergi" not in page  # 200 days overdue: beyond the bound


def test_reminders_page_without_overdue_offers_to_include_them(client, auth, overdue_customers):
    auth.login_manager()
    page = client.get("/reminders/?days=3&only_active=y&overdue_days=90").text
    assert "1 pelanggan akan diingatkan" in page and "Telat 3" not in page
    assert "5 pelanggan sudah lewat jadwal (paling lama 90 hari) dan tidak diikutkan." in page
    assert "include_overdue=y" in page  # the link that includes them
    included = client.get("/reminders/?days=3&only_active=y&include_overdue=y&overdue_days=250").text
    assert "7 pelanggan akan diingatkan" in included and "lewat 200 hari" in included


@pytest.mark.parametrize("query, message", [
    ("days=3&include_overdue=y&overdue_days=0", "Batas lewat jadwal antara 1 dan 365 hari."),
    ("days=3&include_overdue=y&overdue_days=366", "Batas lewat jadwal antara 1 dan 365 hari."),
    ("days=3&include_overdue=y&overdue_days=abc", "Isi batas hari lewat jadwal dengan angka."),
])
def test_reminders_page_refuses_a_bad_bound_clearly(client, auth, overdue_customers, query, message):
    auth.login_manager()
    response = client.get("/reminders/?" + query)
    assert response.status_code == 200 and message in response.text
    assert "pelanggan akan diingatkan" not in response.text


def test_batch_sends_overdue_wording_once_per_service_date(app, client, auth, cloud_api, overdue_customers):
    auth.login_manager()
    # Without the choice, the batch leaves them out.
    location = client.post("/reminders/batches", data={"days": "3", "only_active": "y"}).headers["Location"]
    _wait_for_batch(client, location)
    assert dict(cloud_api.accepted) == {overdue_customers["Segera Datang"]: 1}

    data = {"days": "3", "only_active": "y", "include_overdue": "y", "overdue_days": "90"}
    _wait_for_batch(client, client.post("/reminders/batches", data=data).headers["Location"])
    for days in OVERDUE_BY:
        assert cloud_api.accepted[overdue_customers[f"Telat {days}"]] == 1
    assert cloud_api.accepted[overdue_customers["Segera Datang"]] == 1
    assert cloud_api.accepted[overdue_customers["Sudah Pergi"]] == 0
    bodies = _bodies(app)
    assert "sudah lewat jadwal sejak" in bodies["Telat 10"] and "dijadwalkan" not in bodies["Telat 10"]
    assert "dijadwalkan servis berikutnya" in bodies["Segera Datang"]

    # The next run sends nothing: each was reminded for this service date.
    again = client.post("/reminders/batches", data=data, follow_redirects=True).text
    assert "Selesai" in again
    assert sum(cloud_api.accepted.values()) == 6
    page = client.get("/reminders/?days=3&only_active=y&include_overdue=y&overdue_days=90").text
    assert "0 pelanggan akan diingatkan" in page and "6 tidak diikutkan" in page


def test_a_customer_reminded_before_the_date_is_not_reminded_after_it_passes(app, runner, cloud_api, make_customer):
    with app.app_context():
        today = clock.today()
    make_customer(customer_name="Tepat Waktu", nopol="B 5 TW", no_hp="081377777777",
                  next_service=today + timedelta(days=2))
    set_local_time(app, 10, 0)
    assert runner.invoke(args=["reminders", "send"]).output.strip().splitlines()[-1] == \
        "sent: 1, failed: 0, skipped: 0"
    _shift_days(app, 6)  # the service date passed four days ago; the customer did not come
    dry = runner.invoke(args=["reminders", "send", "--include-overdue", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "left out: B 5 TW Tepat Waktu: already" in dry.output
    result = runner.invoke(args=["reminders", "send", "--include-overdue"])
    assert result.output.strip().splitlines()[-1] == "sent: 0, failed: 0, skipped: 1"
    assert sum(cloud_api.accepted.values()) == 1


def test_a_customer_reminded_as_overdue_is_not_reminded_again_days_later(app, runner, cloud_api, make_customer):
    with app.app_context():
        today = clock.today()
    make_customer(customer_name="Lupa Servis", nopol="B 6 LS", no_hp="081366666666",
                  next_service=today - timedelta(days=5))
    set_local_time(app, 10, 0)
    assert runner.invoke(args=["reminders", "send"]).output.strip().splitlines()[-1] == \
        "sent: 1, failed: 0, skipped: 0"
    _shift_days(app, 7)
    assert runner.invoke(args=["reminders", "send"]).output.strip().splitlines()[-1] == \
        "sent: 0, failed: 0, skipped: 1"
    assert sum(cloud_api.accepted.values()) == 1
    assert "sudah lewat jadwal sejak" in _bodies(app)["Lupa Servis"]


def test_cron_flags_choose_overdue_and_the_bound(app, runner, cloud_api, overdue_customers):
    dry = runner.invoke(args=["reminders", "send", "--dry-run"]).output  # default: the setting (90 days)
    assert "would send: B 3 OD Telat 20" in dry and "overdue by 20 days" in dry and "Sudah Pergi" not in dry
    without = runner.invoke(args=["reminders", "send", "--dry-run", "--no-include-overdue"]).output
    assert "Telat" not in without and "would send: B 9 DU Segera Datang" in without
    wider = runner.invoke(args=["reminders", "send", "--dry-run", "--overdue-days", "365"]).output
    assert "overdue by 200 days" in wider
    narrow = runner.invoke(args=["reminders", "send", "--dry-run", "--overdue-days", "15"]).output
    assert "Telat 10" in narrow and "Telat 20" not in narrow
    for bad in ("0", "366", "abc"):
        refused = runner.invoke(args=["reminders", "send", "--overdue-days", bad])
        assert refused.exit_code == 2 and "--overdue-days" in refused.output
    assert cloud_api.requests == []
    set_local_time(app, 10, 0)
    sent = runner.invoke(args=["reminders", "send", "--no-include-overdue"]).output
    assert sent.strip().splitlines()[-1] == "sent: 1, failed: 0, skipped: 0"


def test_setting_zero_leaves_overdue_out_unless_asked(app, client, auth, runner, cloud_api, overdue_customers):
    auth.login_manager()
    saved = client.post("/settings/", data=settings_form(overdue_days=0))
    assert saved.status_code == 302
    assert "1 pelanggan akan diingatkan" in client.get("/reminders/").text
    assert "Telat" not in runner.invoke(args=["reminders", "send", "--dry-run"]).output
    # Asked for explicitly, the bound is 90 days.
    asked = runner.invoke(args=["reminders", "send", "--dry-run", "--include-overdue"]).output
    assert "Telat 80" in asked and "Sudah Pergi" not in asked


def test_api_include_overdue_and_its_limits(app, api, cloud_api, overdue_customers):
    for body, problem in (({"include_overdue": "ya"}, "include_overdue"), ({"include_overdue": 1}, "include_overdue"),
                          ({"overdue_days": 0}, "overdue_days"), ({"overdue_days": 366}, "overdue_days"),
                          ({"overdue_days": "90"}, "overdue_days"), ({"overdue_days": True}, "overdue_days"),
                          ({"overdue_days": 9.5}, "overdue_days")):
        response = api.post("/send-reminders", json=body)
        assert response.status_code == 422 and problem in response.json["detail"], body
    assert cloud_api.requests == []
    without = api.post("/send-reminders", json={"days_threshold": 3, "include_overdue": False}).json
    assert without["sent"] == 1
    narrow = api.post("/send-reminders", json={"days_threshold": 3, "include_overdue": True, "overdue_days": 15}).json
    assert narrow["sent"] == 2  # overdue by 3 and 10 days
    default = api.post("/send-reminders", json={}).json  # the setting: 90 days
    assert default["sent"] == 3 and default["skipped"] == 3
    assert cloud_api.accepted[overdue_customers["Sudah Pergi"]] == 0
    assert sum(cloud_api.accepted.values()) == 6


def test_the_overdue_text_is_chosen_by_the_workshop_date(app, make_customer):
    """Yesterday (workshop time) is overdue; today is not, also late in the evening."""
    set_local_time(app, 23, 30)
    with app.app_context():
        today = clock.today()
    make_customer(customer_name="Hari Ini", nopol="B 1 HI", no_hp="081311111111", next_service=today)
    make_customer(customer_name="Kemarin", nopol="B 1 KM", no_hp="081322222222",
                  next_service=today - timedelta(days=1))
    with app.app_context():
        by_name = {c.customer_name: c for c in db.session.scalars(sa.select(Customer))}
        assert "dijadwalkan servis berikutnya" in render_message(by_name["Hari Ini"])
        assert "sudah lewat jadwal sejak" in render_message(by_name["Kemarin"])


def test_overdue_text_on_settings_is_checked_saved_and_previewed(app, client, auth, make_customer):
    auth.login_manager()
    with app.app_context():
        today = clock.today()
    make_customer(customer_name="Siti Telat", nopol="D 77 ST", no_hp="081344444444",
                  next_service=today - timedelta(days=9))
    page = client.get("/settings/").text
    assert "sudah lewat jadwal sejak" in page and 'id="overdue-preview"' in page
    preview = client.post("/settings/preview?text=overdue",
                          data={"overdue_message_template": "Halo {nama}, {nopol} telat servis."}, headers=HTMX)
    assert 'id="overdue-preview"' in preview.text and "Halo Siti Telat, D 77 ST telat servis." in preview.text
    for text, problem in (("Halo {name}", "Kata isian tidak dikenal: {name}."), ("", "Teks pesan tidak boleh kosong."),
                          ("Halo {nama", "Kurung kurawal { } tidak berpasangan."),
                          ("x" * 1001, "Teks pesan terlalu panjang")):
        refused = client.post("/settings/", data=settings_form(overdue_message_template=text))
        assert refused.status_code == 200 and problem in refused.text
        wrong = client.post("/settings/preview?text=overdue", data={"overdue_message_template": text}, headers=HTMX)
        assert problem in wrong.text
    for bad in ("-1", "366", "abc"):
        assert client.post("/settings/", data=settings_form(overdue_days=bad)).status_code == 200
    saved = client.post("/settings/", data=settings_form(overdue_message_template="Halo {nama}, {nopol} terlambat."))
    assert saved.status_code == 302
    with app.app_context():
        customer = db.session.scalar(sa.select(Customer))
        assert render_message(customer) == "Halo Siti Telat, D 77 ST terlambat."
