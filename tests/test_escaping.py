"""Markup typed into a customer (or a user name, a sheet's cell, a message text) is shown as text.

Each test covers one translated message that formats user data, at the place the user reads it: a
form error, an htmx row notice, a flash after a redirect, a settings error, an import preview, the
JSON API. The cause was Flask-Babel's lazy strings claiming to be markup (app/escaping.py).
"""
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import flash, render_template_string, session
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app import clock
from app.extensions import db
from app.models import Customer
from tests.conftest import HTMX, settings_form

MARKUP = "<a href=//evil.example>Klik</a>"
ESCAPED = "&lt;a href=//evil.example&gt;Klik&lt;/a&gt;"  # as Jinja escapes it: the text, not a link
SHORT = "<b>ya</b>"  # a yes/no cell: the message keeps its first 20 characters


def shows_as_text(html: str, markup: str = MARKUP, escaped: str = ESCAPED) -> bool:
    """The page holds the markup as escaped text and nowhere as a live element."""
    return markup not in html and escaped in html


@pytest.fixture
def staff(auth):
    auth.login_staff()
    return auth


@pytest.fixture
def holder(make_customer):
    """A customer whose name and notes are markup, holding plate B 1234 XYZ."""
    return make_customer(customer_name=MARKUP, nopol="B 1234 XYZ", no_hp="081234567890", notes=MARKUP,
                         last_service=date(2026, 1, 5))


# --- "Nomor polisi %(nopol)s sudah dipakai pelanggan %(name)s." ---------------------------------

def test_duplicate_plate_error_on_the_new_customer_form_names_the_holder_as_text(client, staff, holder):
    response = client.post("/customers/new", data={"customer_name": "Budi", "nopol": "b1234xyz",
                                                   "no_hp": "0812 1111 2222", "is_active": "y"})
    assert response.status_code == 422
    assert "Nomor polisi B 1234 XYZ sudah dipakai pelanggan" in response.text
    assert shows_as_text(response.text)


def test_duplicate_plate_error_on_the_edit_form_names_the_holder_as_text(client, staff, holder, make_customer):
    other = make_customer(customer_name="Budi", nopol="B 1 AB", no_hp="0812 1111 2222")
    response = client.post(f"/customers/{other}/edit", data={"customer_name": "Budi", "nopol": "B 1234 XYZ",
                                                             "no_hp": "0812 1111 2222", "is_active": "y"})
    assert response.status_code == 422
    assert shows_as_text(response.text)


def test_markup_typed_as_a_plate_or_phone_is_refused_and_echoed_as_text(client, staff):
    response = client.post("/customers/new", data={"customer_name": MARKUP, "nopol": MARKUP, "special_plate": "y",
                                                   "no_hp": MARKUP, "notes": MARKUP, "is_active": "y"})
    assert response.status_code == 422
    assert "Nomor polisi khusus hanya boleh berisi huruf, angka dan spasi" in response.text
    assert "Nomor HP hanya boleh berisi angka" in response.text
    assert shows_as_text(response.text)
    assert response.text.count(ESCAPED) == 4  # each field keeps what was typed, as text


def test_the_api_names_the_holder_in_plain_text_not_html_entities(api, holder):
    response = api.post("/", json={"customer_name": "Budi", "nopol": "B 1234 XYZ", "no_hp": "081211112222"})
    assert response.status_code == 409
    assert response.json["detail"] == f"nopol: Nomor polisi B 1234 XYZ sudah dipakai pelanggan {MARKUP}."
    assert response.json["errors"]["nopol"] == f"Nomor polisi B 1234 XYZ sudah dipakai pelanggan {MARKUP}."


# --- the reasons a reminder is not sent (inactive, opted out, just sent) ------------------------

@pytest.fixture
def log_provider(app):
    app.config["WHATSAPP_PROVIDER"] = "log"  # sends nothing, records the message


def _make_inactive(app, customer_id):
    with app.app_context():
        db.session.get(Customer, customer_id).is_active = False
        db.session.commit()


def _make_opted_out(app, customer_id):
    with app.app_context():
        db.session.get(Customer, customer_id).opted_out = True
        db.session.commit()


@pytest.mark.parametrize("make_refused, reason", [(_make_inactive, "nonaktif; aktifkan dulu"),
                                                  (_make_opted_out, "sudah berhenti berlangganan")])
def test_refused_reminder_row_notice_shows_the_name_as_text(app, client, staff, holder, log_provider,
                                                            make_refused, reason):
    make_refused(app, holder)
    response = client.post(f"/customers/{holder}/remind", data={"next": "/customers/"}, headers=HTMX)
    assert reason in response.text
    assert shows_as_text(response.text)


@pytest.mark.parametrize("make_refused, reason", [(_make_inactive, "nonaktif; aktifkan dulu"),
                                                  (_make_opted_out, "sudah berhenti berlangganan")])
def test_refused_reminder_flash_shows_the_name_as_text(app, client, staff, holder, log_provider, make_refused,
                                                       reason):
    make_refused(app, holder)
    page = client.post(f"/customers/{holder}/remind", data={"next": f"/customers/{holder}"}, follow_redirects=True)
    assert reason in page.text
    assert shows_as_text(page.text)


def test_a_reminder_sent_a_moment_ago_names_the_customer_as_text(client, staff, holder, log_provider):
    assert "Pengingat terkirim" in client.post(f"/customers/{holder}/remind", headers=HTMX).text
    again = client.post(f"/customers/{holder}/remind", headers=HTMX)
    assert "baru saja dikirim" in again.text
    assert shows_as_text(again.text)
    flashed = client.post(f"/customers/{holder}/remind", data={"next": "/customers/"}, follow_redirects=True)
    assert "baru saja dikirim" in flashed.text and shows_as_text(flashed.text)


def test_the_api_says_why_a_reminder_was_refused_in_plain_text(app, api, holder, log_provider):
    _make_inactive(app, holder)
    response = api.post(f"/{holder}/send-reminder")
    assert response.status_code == 409
    assert response.json["detail"] == f"{MARKUP} nonaktif; aktifkan dulu untuk mengirim pengingat."


# --- the other messages with a customer's name in them ------------------------------------------

def test_row_action_and_form_flashes_show_the_name_as_text(app, client, staff, holder):
    for path in ("toggle", "serviced"):
        page = client.post(f"/customers/{holder}/{path}", data={"next": "/customers/"}, follow_redirects=True)
        assert shows_as_text(page.text), path
    saved = client.post(f"/customers/{holder}/edit", data={"customer_name": MARKUP, "nopol": "B 1234 XYZ",
                                                           "no_hp": "081234567890", "notes": MARKUP},
                        follow_redirects=True)
    assert "disimpan" in saved.text and shows_as_text(saved.text)
    deleted = client.post(f"/customers/{holder}/delete", data={"next": "/customers/", "confirmed": "1"},
                          follow_redirects=True)
    assert "dihapus" in deleted.text and shows_as_text(deleted.text)
    added = client.post("/customers/new", data={"customer_name": MARKUP, "nopol": "B 1234 XYZ",
                                                "no_hp": "081234567890", "is_active": "y"}, follow_redirects=True)
    assert "ditambahkan" in added.text and shows_as_text(added.text)


def test_pages_that_show_the_customer_show_markup_as_text(app, client, auth, holder, log_provider):
    with app.app_context():
        db.session.get(Customer, holder).next_service = clock.today() + timedelta(days=1)
        db.session.commit()
    auth.login_manager()
    assert "Pengingat terkirim" in client.post(f"/customers/{holder}/remind", headers=HTMX).text  # in the history
    for path in ("/customers/", f"/customers/{holder}", f"/customers/{holder}/edit",
                 "/reminders/?days=3&only_active=y", "/audit/", "/settings/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert shows_as_text(page.text), path


# --- messages with other user data: user names, sheet cells, message texts ----------------------

def test_a_taken_user_name_is_named_as_text(client, auth):
    auth.login_manager()
    assert client.post("/users/", data={"username": MARKUP, "role": "staff", "password": "panjang12345"}
                       ).status_code == 302
    response = client.post("/users/", data={"username": MARKUP, "role": "staff", "password": "panjang12345"})
    assert response.status_code == 422 and "sudah ada" in response.text
    assert shows_as_text(response.text)


def test_unreadable_cells_are_quoted_as_text_in_the_import_preview(client, staff):
    sheet = f"Nama;Nopol;No HP;Servis Terakhir;Aktif\nBudi;B 1 A;081211112222;{MARKUP};ya\n" \
            f"Ani;B 2 A;081211113333;;{SHORT}\n"
    preview = client.post("/import/", data={"file": (io.BytesIO(sheet.encode()), "cells.csv")}, follow_redirects=True)
    assert "tidak dikenali" in preview.text
    assert shows_as_text(preview.text)
    assert shows_as_text(preview.text, SHORT, "&lt;b&gt;ya&lt;/b&gt;")


def test_an_uploaded_files_name_is_shown_as_text_in_the_preview_and_the_history(client, staff):
    name = "<img src=x onerror=alert(1)>.csv"
    preview = client.post("/import/", data={"file": (io.BytesIO(b"Nama;Nopol;No HP\nBudi;B 1 A;081211112222\n"),
                                                     name)}, follow_redirects=True)
    assert preview.status_code == 200
    escaped = "&lt;img src=x onerror=alert(1)&gt;.csv"
    assert shows_as_text(preview.text, name, escaped)
    result = client.post(preview.request.path + "/commit", data={"on_existing": "skip", "mode": "valid_only"},
                         follow_redirects=True)
    assert "1 pelanggan baru" in result.text and shows_as_text(result.text, name, escaped)
    assert shows_as_text(client.get("/import/").text, name, escaped)
    staff.logout()
    staff.login_manager()
    assert shows_as_text(client.get("/audit/").text, name, escaped)


def test_unknown_placeholders_are_quoted_as_text_on_the_settings_page(client, auth, cloud_api):
    auth.login_manager()
    text = "Halo {" + MARKUP + "}"
    saved = client.post("/settings/", data=settings_form(message_template=text))
    assert saved.status_code == 200 and "Kata isian tidak dikenal" in saved.text
    assert "{" + MARKUP + "}" not in saved.text and "{" + ESCAPED + "}" in saved.text
    preview = client.post("/settings/preview", data={"message_template": text}, headers=HTMX)
    assert "Kata isian tidak dikenal" in preview.text and shows_as_text(preview.text)
    params = client.post("/settings/", data=settings_form(template_params=MARKUP))
    assert "Tidak dikenal" in params.text and shows_as_text(params.text)


# --- the root: a lazy translated string is text wherever it goes --------------------------------

def _lazy():
    return _l("Nomor polisi %(nopol)s sudah dipakai pelanggan %(name)s.", nopol="B 1 A", name=MARKUP)


@pytest.mark.parametrize("template", [
    "{{ message }}",
    "{{ message | e }}",
    "{{ message ~ '' }}",
    "{{ [message, message] | join(' ') }}",
    "{{ '%s' | format(message) }}",
    "{{ message | string }}",
    "{{ message | trim }}",
    "{% autoescape true %}{{ message }}{% endautoescape %}",
    "{{ braces.format(message) }}",
    "{{ percent % message }}",
])
def test_a_lazy_translated_string_is_escaped_by_every_way_a_template_can_show_it(app, template):
    with app.test_request_context():
        html = render_template_string(template, message=_lazy(), braces=Markup("<p>{}</p>"),
                                      percent=Markup("<p>%s</p>"))
    assert shows_as_text(html)


def test_markup_built_in_code_escapes_a_lazy_string(app):
    with app.test_request_context():
        assert shows_as_text(str(Markup("<p>{}</p>").format(_lazy())))
        assert shows_as_text(str(Markup("<p>%s</p>") % _lazy()))


def test_a_flashed_lazy_string_travels_as_plain_text_and_is_shown_as_text(app):
    with app.test_request_context():
        flash(_lazy(), "error")
        stored = app.session_interface.get_signing_serializer(app).dumps(dict(session))
        restored = app.session_interface.get_signing_serializer(app).loads(stored)
        (_category, message), = restored["_flashes"]
        assert type(message) is str and MARKUP in message  # not Markup: flashes are text
        session.clear()
        session.update(restored)
        html = render_template_string(
            "{% for c, m in get_flashed_messages(with_categories=true) %}<p>{{ m }}</p>{% endfor %}")
        assert shows_as_text(html)


def test_json_writes_a_lazy_string_as_its_text(app):
    with app.test_request_context():
        assert app.json.loads(app.json.dumps({"detail": _lazy()}))["detail"] == str(_lazy())
        assert MARKUP in str(_lazy())


def test_no_template_marks_data_safe_or_turns_escaping_off():
    """Escaping is what keeps a customer's markup text: no template opts out of it."""
    root = Path(__file__).resolve().parents[1] / "templates"
    opting_out = re.compile(r"\|\s*safe\b|autoescape\s+false")
    assert [str(path.relative_to(root)) for path in sorted(root.rglob("*.html"))
            if opting_out.search(path.read_text(encoding="utf-8"))] == []


def test_the_list_row_escapes_every_value_even_those_the_forms_would_refuse(app, client, staff, holder):
    """The row is written in code (app/customers/row_html.py): a plate or phone stored before the
    checks, a search with markup and format characters in the list's address: all text."""
    with app.app_context():
        customer = db.session.get(Customer, holder)
        customer.nopol, customer.no_hp = MARKUP[:16], "62<b>%(id)s{id}"
        db.session.commit()
    address = "/customers/?q=%3Cb%3E%25(id)s%7Bid%7D"  # q=<b>%(id)s{id}: no customer matches, the toast holds it
    page = client.get("/customers/?sort=name&x=%3Cscript%3E%25(base)s%7Bbase%7D")
    assert page.status_code == 200
    assert shows_as_text(page.text)  # the name
    assert MARKUP[:16] not in page.text and "&lt;a href=//evil." in page.text  # the plate
    assert "62<b>" not in page.text and "62&lt;b&gt;%(id)s{id}" in page.text  # the phone, format characters kept
    # The list's address, as each row's `next`: its % and braces are not taken for fields.
    assert 'name="next" value="/customers/?sort=name&amp;x=%3Cscript%3E%25(base)s%7Bbase%7D"' in page.text
    row = client.post(f"/customers/{holder}/toggle", data={"next": address}, headers=HTMX)
    assert row.status_code == 200 and shows_as_text(row.text)
    assert "&lt;b&gt;%(id)s{id}" in row.text and "<b>%(id)s" not in row.text


def test_a_snippet_escapes_its_values_and_keeps_format_characters_as_text():
    from app.customers.row_html import Snippet

    snippet = Snippet('<p title="{title}">{text} 100%</p>').fill(title='"%(text)s{text}"')
    assert snippet(text="<b>{title}%</b>") == (
        '<p title="&#34;%(text)s{text}&#34;">&lt;b&gt;{title}%&lt;/b&gt; 100%</p>')
    assert snippet(text=Markup("<b>kept</b>")) == '<p title="&#34;%(text)s{text}&#34;"><b>kept</b> 100%</p>'
