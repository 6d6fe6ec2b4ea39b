"""Bahasa Indonesia by default, English per user; every visible string has its English text."""
from datetime import UTC, date
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_indonesian_is_the_default(client, auth, make_customer):
    auth.login_staff()
    customer_id = make_customer(next_service=date(2026, 8, 15))
    page = client.get(f"/customers/{customer_id}").text
    assert '<html lang="id"' in page
    assert "15 Agu 2026" in page and "Servis berikutnya" in page


def test_user_switches_to_english_and_it_sticks(client, auth, make_customer):
    auth.login_staff()
    customer_id = make_customer(next_service=date(2026, 8, 15))
    response = client.post("/account/language", data={"locale": "en", "next": f"/customers/{customer_id}"})
    assert response.headers["Location"] == f"/customers/{customer_id}"
    page = client.get(f"/customers/{customer_id}").text
    assert "15 Aug 2026" in page and "Next service" in page
    auth.logout()
    auth.login_staff()
    assert "Add customer" in client.get("/customers/").text
    # Validation messages from the rules follow the user's language too.
    response = client.post("/customers/new", data={"customer_name": "A", "nopol": "B 1 A", "no_hp": "021-5551234"})
    assert "This is not a mobile number." in response.text


def test_other_users_keep_indonesian(client, auth):
    auth.login_staff()
    client.post("/account/language", data={"locale": "en"})
    auth.logout()
    auth.login_manager()
    assert "Tambah pelanggan" in client.get("/customers/").text


def test_every_visible_string_has_an_english_translation():
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    source = {
        (text[0] if isinstance(text, tuple) else text)
        for _file, _line, text, _comments, _context in extract_from_dir(str(ROOT), method_map, keywords=keywords)
    }
    with open(ROOT / "app/translations/en/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    assert len(source) > 100
    assert source - translated == set(), "run `make messages` and translate the new strings"


def test_page_dates_read_exactly_as_babel_writes_them():
    from babel.dates import format_date

    from app.services.formats import format_day

    for locale in ("id", "en"):
        for month in range(1, 13):
            day = date(2026, month, 1 + month)
            assert format_day(day, locale) == format_date(day, "d MMM yyyy", locale=locale)
            assert format_day(day, locale, "wide") == format_date(day, "d MMMM yyyy", locale=locale)


def test_list_dates_are_in_jakarta_time(app, client, auth, make_customer):
    from datetime import datetime

    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Customer

    auth.login_staff()
    make_customer()
    with app.app_context():
        db.session.execute(sa.update(Customer).values(
            reminder_sent_count=1, last_reminder_sent=datetime(2026, 1, 14, 20, 30, tzinfo=UTC)))
        db.session.commit()
    assert "15 Jan 2026 03:30" in client.get("/customers/").text
