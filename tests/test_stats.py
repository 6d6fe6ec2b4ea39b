"""The stats page and /stats/summary on a known data set: every figure checked."""
import re
from datetime import datetime, time, timedelta

import pytest

from app import clock
from app.extensions import db
from app.models import Customer, Message
from app.services import stats


@pytest.fixture
def known(app, make_customer):
    """Five customers and seven messages whose every figure is worked out by hand below."""
    with app.app_context():
        today = clock.today()
        zone = clock.local_zone()

    def at(days_ago):  # noon, workshop time, `days_ago` days before today
        return datetime.combine(today - timedelta(days=days_ago), time(12), zone)

    ids = {
        "A": make_customer(customer_name="A", nopol="B 1 A", no_hp="081200000001", next_service=today - timedelta(days=5),
                           last_service=today - timedelta(days=60)),
        "B": make_customer(customer_name="B", nopol="B 2 A", no_hp="081200000002", next_service=today + timedelta(days=3),
                           last_service=today - timedelta(days=25)),
        "C": make_customer(customer_name="C", nopol="B 3 A", no_hp="081200000003", next_service=today + timedelta(days=20),
                           last_service=today - timedelta(days=1)),
        "D": make_customer(customer_name="D", nopol="B 4 A", no_hp="081200000004", next_service=today + timedelta(days=3),
                           is_active=False),
        "E": make_customer(customer_name="E", nopol="B 5 A", no_hp="081200000005"),
    }
    messages = [  # customer, status, days ago, error code
        ("A", "delivered", 0, None), ("C", "read", 3, None), ("C", "failed", 2, "131026"),
        ("B", "sent", 20, None), ("D", "failed", 1, "190"), ("E", "delivered", 40, None),
    ]
    with app.app_context():
        for name, status, days_ago, code in messages:
            when = at(days_ago)
            db.session.add(Message(
                customer_id=ids[name], trigger="manual", provider="cloud_api", status=status, to_phone="62812",
                customer_name=name, nopol="x", body="x", created_at=when, updated_at=when,
                sent_at=when if status != "failed" else None, failed_at=when if status == "failed" else None,
                error_code=code, error_message=f"error {code}" if code else None))
        counts = {"A": 1, "C": 2}
        for name, count in counts.items():
            db.session.get(Customer, ids[name]).reminder_sent_count = count
        db.session.get(Customer, ids["E"]).opted_out = True
        db.session.commit()
    return ids


EXPECTED = {
    "customers_total": 5, "customers_active": 4, "customers_inactive": 1, "customers_opted_out": 1,
    "services_overdue": 1, "services_due_7_days": 2, "services_due_30_days": 3, "never_reminded": 3,
    "sent_today": 1, "sent_last_7_days": 2, "sent_last_30_days": 3,
    "sent_in_period": 3, "delivered_in_period": 2, "read_in_period": 1, "failed_in_period": 2,
    "attempted_in_period": 5, "delivery_rate": 0.6667, "send_success_rate": 0.6,
    "reminded_customers": 3, "came_back_customers": 1, "came_back_rate": 0.3333,
}


def test_every_figure_of_the_summary(app, known):
    with app.app_context():
        figures = stats.summary().as_dict()
    assert {key: figures[key] for key in EXPECTED} == EXPECTED
    assert [(f["code"], f["count"]) for f in figures["top_failures"]] == [("131026", 1), ("190", 1)]


MESSAGE_FIGURES = [key for key in EXPECTED if not key.startswith(("customers_", "services_", "never_"))]


def test_deleting_customers_changes_no_message_figure(app, client, auth, known):
    """C came back after a reminder and D's reminder failed: both deleted, their history still counts."""
    app.config["STATS_CACHE_SECONDS"] = 0
    auth.login_manager()
    for name in ("C", "D"):
        client.post(f"/customers/{known[name]}/delete", headers={"HX-Request": "true"})
    with app.app_context():
        figures = stats.summary().as_dict()
    assert {key: figures[key] for key in MESSAGE_FIGURES} == {key: EXPECTED[key] for key in MESSAGE_FIGURES}
    assert [(f["code"], f["count"]) for f in figures["top_failures"]] == [("131026", 1), ("190", 1)]
    assert figures["customers_total"] == 3  # the list's own counts do follow the deletion


def test_per_day_and_per_week_series(app, known):
    with app.app_context():
        today = clock.today()
        per_day = stats.messages_per_day(stats.Period.last_days(30))
        per_week = stats.services_per_week()
    assert len(per_day) == 30 and per_day[-1]["day"] == today
    assert per_day[-1] == {"day": today, "sent": 1, "delivered": 1, "failed": 0}
    assert per_day[-4]["sent"] == 1 and per_day[-4]["delivered"] == 1  # C, read 3 days ago
    assert per_day[-2]["failed"] == 1  # D, failed yesterday
    assert sum(point["sent"] for point in per_day) == 3
    assert [week["count"] for week in per_week] == [1, 0, 1, 0, 0, 0, 0, 0]  # B (D is inactive), then C


def test_days_follow_the_workshop_clock_across_a_daylight_saving_change(app):
    """A workshop in a zone with DST: each message lands on the day its local clock showed."""
    from datetime import UTC, date

    app.config["APP_TIMEZONE"] = "Europe/Berlin"  # UTC+2 until 25 Oct 2026 03:00, then UTC+1
    moments = [datetime(2026, 10, 23, 22, 30, tzinfo=UTC),  # 24 Oct 00:30 local (+2)
               datetime(2026, 10, 25, 22, 30, tzinfo=UTC),  # 25 Oct 23:30 local (+1)
               datetime(2026, 10, 25, 23, 30, tzinfo=UTC)]  # 26 Oct 00:30 local (+1)
    with app.app_context():
        for when in moments:
            db.session.add(Message(trigger="manual", provider="cloud_api", status="sent", to_phone="62812",
                                   customer_name="x", nopol="x", body="x", created_at=when, updated_at=when,
                                   sent_at=when))
        db.session.commit()
        per_day = stats.messages_per_day(stats.Period(date(2026, 10, 23), date(2026, 10, 26)))
    assert [(row["day"].day, row["sent"]) for row in per_day] == [(23, 0), (24, 1), (25, 1), (26, 1)]


def test_date_range_changes_the_period_figures(app, known):
    with app.app_context():
        today = clock.today()
        figures = stats.summary(stats.Period(today - timedelta(days=45), today - timedelta(days=10))).as_dict()
    assert (figures["sent_in_period"], figures["failed_in_period"], figures["reminded_customers"]) == (2, 0, 2)


def test_stats_page_shows_the_figures_and_draws_the_charts(client, auth, known):
    auth.login_manager()
    page = client.get("/stats/").text
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', page))
    assert figures == {"customers_total": "5", "services_overdue": "1", "sent_today": "1", "delivery_rate": "67%",
                       "came_back_rate": "33%", "bookings_made_in_period": "0"}
    assert page.count('<svg class="chart"') == 2 and page.count('class="bar-delivered"') == 2
    assert "131026" in page and "1 dari 3 pelanggan yang diingatkan servis dalam 30 hari" in page


def test_stats_export_is_csv(client, auth, known):
    auth.login_manager()
    response = client.get("/stats/export.csv")
    assert response.mimetype == "text/csv"
    assert "customers_total;5" in response.text and "came_back_customers;1" in response.text


def test_stats_are_for_managers_only(client, auth):
    auth.login_staff()
    assert client.get("/stats/").status_code == 403


def test_link_mode_shows_what_was_opened_not_a_delivery_rate_nobody_knows(app, client, auth, make_customer):
    """wa.me links never report delivery: no "0%" success rate, the count of messages opened instead."""
    customer_id = make_customer()
    with app.app_context():
        now = clock.utcnow()
        for _ in range(2):
            db.session.add(Message(customer_id=customer_id, trigger="manual", provider="link", status="sent",
                                   to_phone="62812", customer_name="x", nopol="x", body="x", created_at=now,
                                   updated_at=now, sent_at=now))
        db.session.commit()
    auth.login_manager()
    page = client.get("/stats/").text
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', page))
    assert figures["opened_in_period"] == "2" and "delivery_rate" not in figures
    assert "Tingkat keberhasilan" not in page
    app.config.update(WHATSAPP_PROVIDER="cloud_api", STATS_CACHE_SECONDS=0)
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', client.get("/stats/").text))
    assert figures["delivery_rate"] == "0%"  # the Cloud API reports delivery: none arrived yet


def test_chart_axes_count_in_whole_numbers_and_bars_say_what_they_count(client, auth, known):
    auth.login_manager()
    page = client.get("/stats/").text
    for chart in re.findall(r'<svg class="chart".*?</svg>', page, re.S):
        ticks = [int(value) for value in re.findall(r'class="axis">(\d+)</text>', chart)[:3]]
        assert ticks == list(range(len(ticks))), ticks  # 0, 1, 2 … for small counts, never 0, 0, 1
    titles = re.findall(r"<title>([^<]+)</title>", "".join(re.findall(r'<svg class="chart".*?</svg>', page, re.S)))
    assert titles and all(re.search(r": \d+ (diterima/dibaca|terkirim|gagal|pelanggan)$", title) for title in titles)


@pytest.mark.parametrize("maximum, step, top", [(0, 1, 1), (1, 1, 1), (3, 1, 3), (4, 1, 4), (5, 2, 6), (9, 5, 10),
                                                (37, 10, 40), (101, 50, 150)])
def test_axis_steps_are_whole_and_round(maximum, step, top):
    from app.stats.charts import _axis

    assert _axis(maximum) == (step, top)
