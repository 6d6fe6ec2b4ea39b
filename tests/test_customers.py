"""The customer list, its search and filters, the add/edit forms and the row actions."""
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from app import clock
from app.extensions import db
from app.models import Customer
from app.services.customers import create_customer
from tests.conftest import HTMX, settings_form


def _form(**overrides):
    data = {
        "customer_name": "Budi Santoso",
        "nopol": "b1234xyz",
        "no_hp": "0812-3456-7890",
        "last_service": "2026-06-01",
        "next_service": "",
        "notes": "walk-in",
        "is_active": "y",
    }
    data.update(overrides)
    return data


def _customer(app, **filters):
    with app.app_context():
        return db.session.scalar(db.select(Customer).filter_by(**filters))


@pytest.fixture
def staff(auth):
    auth.login_staff()
    return auth


# --- add and edit ------------------------------------------------------------------------------

def test_add_customer_normalises_plate_and_phone(app, client, staff):
    response = client.post("/customers/new", data=_form())
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "B 1234 XYZ" in page
    assert "0812-3456-7890" in page and "6281234567890" not in page  # shown as people write it
    customer = _customer(app, nopol="B 1234 XYZ")
    assert customer.no_hp == "6281234567890"
    assert customer.notes == "walk-in"


def test_blank_next_service_is_last_service_plus_the_interval(app, client, staff):
    client.post("/customers/new", data=_form(last_service="2026-01-31"))
    assert _customer(app, nopol="B 1234 XYZ").next_service == date(2026, 7, 31)


def test_interval_setting_changes_the_computed_next_service(app, client, auth):
    auth.login_manager()
    assert client.post("/settings/", data=settings_form(service_interval_months=3)).status_code == 302
    client.post("/customers/new", data=_form(last_service="2026-01-15"))
    assert _customer(app, nopol="B 1234 XYZ").next_service == date(2026, 4, 15)


def test_given_next_service_is_kept(app, client, staff):
    client.post("/customers/new", data=_form(next_service="2026-09-01"))
    assert _customer(app, nopol="B 1234 XYZ").next_service == date(2026, 9, 1)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("no_hp", "021-5551234", "Ini bukan nomor HP."),
        ("no_hp", "0812345", "Nomor HP tidak valid."),
        ("no_hp", "", "Nomor HP wajib diisi."),
        ("nopol", "1234 B", "Nomor polisi tidak valid."),
        ("customer_name", "  ", "Nama pelanggan wajib diisi."),
        ("last_service", "31/02/2026", "Tanggal tidak valid."),
        ("next_service", "2026-01-01", "Servis berikutnya tidak boleh sebelum servis terakhir."),
    ],
)
def test_invalid_field_is_shown_next_to_it_and_nothing_is_saved(app, client, staff, field, value, message):
    response = client.post("/customers/new", data=_form(**{field: value}))
    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field}-help" class="field-error"' in response.text
    assert "walk-in</textarea>" in response.text  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Customer.id))) == 0


def test_all_errors_are_reported_at_once(client, staff):
    response = client.post("/customers/new", data=_form(customer_name="", no_hp="abc", nopol="??"))
    for message in ("Nama pelanggan wajib diisi.", "Nomor HP hanya boleh", "Nomor polisi tidak valid."):
        assert message in response.text


def test_duplicate_plate_names_the_customer_with_a_link(app, client, staff, make_customer):
    existing = make_customer(customer_name="Joko Susilo", nopol="B 1234 XYZ")
    response = client.post("/customers/new", data=_form(nopol="b 1234xyz"))
    assert response.status_code == 422
    assert "Nomor polisi B 1234 XYZ sudah dipakai pelanggan Joko Susilo." in response.text
    assert f'href="/customers/{existing}"' in response.text


def test_special_plate_needs_the_override(app, client, staff):
    response = client.post("/customers/new", data=_form(nopol="1234-00"))
    assert "Nomor polisi tidak valid." in response.text
    response = client.post("/customers/new", data=_form(nopol="1234-00", special_plate="y"))
    assert response.status_code == 302
    assert _customer(app, nopol="1234 00") is not None


def test_edit_changes_fields_and_keeps_its_own_plate(app, client, staff, make_customer):
    customer_id = make_customer()
    page = client.get(f"/customers/{customer_id}/edit")
    assert 'value="B 1234 XYZ"' in page.text
    response = client.post(f"/customers/{customer_id}/edit",
                           data=_form(nopol="B 1234 XYZ", no_hp="+62 813 1111 2222", customer_name="Budi S."))
    assert response.status_code == 302
    customer = _customer(app, id=customer_id)
    assert (customer.customer_name, customer.no_hp) == ("Budi S.", "6281311112222")


def test_edit_to_another_customers_plate_is_refused(app, client, staff, make_customer):
    make_customer(customer_name="Joko", nopol="D 1028 EB")
    customer_id = make_customer(customer_name="Andi", nopol="B 1 A")
    response = client.post(f"/customers/{customer_id}/edit", data=_form(customer_name="Andi", nopol="d1028eb"))
    assert "sudah dipakai pelanggan Joko" in response.text
    assert _customer(app, id=customer_id).nopol == "B 1 A"


def test_phones_read_as_people_write_them_on_every_page(app, client, auth, make_customer):
    """Stored as 62…, shown as 0812-…: the list, the customer's page and the audit trail."""
    customer_id = make_customer(no_hp="0812 3456 7890")
    auth.login_manager()
    client.post(f"/customers/{customer_id}/edit", data=_form(nopol="B 1234 XYZ", no_hp="+62 813 1111 2222"))
    pages = [client.get(f"/customers/?q={query}").text for query in ("budi", "0813")]
    pages += [client.get(f"/customers/{customer_id}").text, client.get("/audit/").text]
    for page in pages:
        assert "0813-1111-2222" in page and "6281311112222" not in page
    assert "0812-3456-7890" in pages[-1]  # the edit's "before" in the trail


@pytest.mark.parametrize("stored, shown", [
    ("6281234567890", "0812-3456-7890"), ("628123456789", "0812-3456-789"), ("62812345678", "0812-3456-78"),
    ("62811234567890", "0811-2345-67890"), ("", ""), (None, ""), ("1555", "1555"),
])
def test_local_phone_groups_four_four_and_the_rest(stored, shown):
    from app.services.formats import local_phone

    assert local_phone(stored) == shown


def test_detail_page_shows_dates_in_indonesian(client, staff, make_customer):
    customer_id = make_customer(last_service=date(2026, 2, 15), next_service=date(2026, 8, 15))
    page = client.get(f"/customers/{customer_id}").text
    assert "15 Feb 2026" in page and "15 Agu 2026" in page


def test_unknown_customer_is_404_in_indonesian(client, staff):
    response = client.get("/customers/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert "tidak ditemukan" in response.text


# --- the list -------------------------------------------------------------------------------

@pytest.fixture
def several(app, make_customer):
    with app.app_context():
        today = clock.today()
    ids = {
        "budi": make_customer(customer_name="Budi Santoso", nopol="B 1234 XYZ", no_hp="08123456789",
                              next_service=today + timedelta(days=2)),
        "siti": make_customer(customer_name="Siti Nurhaliza", nopol="D 1028 EB", no_hp="081311112222",
                              next_service=today - timedelta(days=10)),
        "andi": make_customer(customer_name="Andi Wijaya", nopol="AB 12 C", no_hp="085798765432",
                              next_service=today + timedelta(days=60), is_active=False),
        "dewi": make_customer(customer_name="Dewi Lestari", nopol="L 4567 KM", no_hp="081122334455"),
    }
    with app.app_context():
        dewi = db.session.get(Customer, ids["dewi"])
        dewi.reminder_sent_count = 2
        dewi.last_reminder_sent = clock.utcnow()
        db.session.commit()
    return ids


def _names(response):
    import re

    return re.findall(r'<td class="name"><a href="/customers/[^"]+">([^<]+)</a></td>', response.text)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("budi", ["Budi Santoso"]),
        ("NURHALIZA", ["Siti Nurhaliza"]),
        ("1234", ["Budi Santoso"]),
        ("b1234", ["Budi Santoso"]),
        ("B 1234 X", ["Budi Santoso"]),
        ("d1028", ["Siti Nurhaliza"]),
        ("0813 1111", ["Siti Nurhaliza"]),
        ("+62 813-1111", ["Siti Nurhaliza"]),
        ("8131111", ["Siti Nurhaliza"]),
        ("62857", ["Andi Wijaya"]), ("0857 9876", ["Andi Wijaya"]),
        ("zzz", []),
        ("100%", []),
    ],
)
def test_search_by_name_plate_or_phone_in_any_format(client, staff, several, query, expected):
    assert _names(client.get("/customers/", query_string={"q": query})) == expected


@pytest.mark.parametrize(
    "filter_, expected",
    [
        ("all", ["Siti Nurhaliza", "Budi Santoso", "Andi Wijaya", "Dewi Lestari"]),
        ("active", ["Siti Nurhaliza", "Budi Santoso", "Dewi Lestari"]),
        ("inactive", ["Andi Wijaya"]),
        ("due", ["Budi Santoso"]),
        ("overdue", ["Siti Nurhaliza"]),
        ("never", ["Siti Nurhaliza", "Budi Santoso", "Andi Wijaya"]),
    ],
)
def test_filters(client, staff, several, filter_, expected):
    assert _names(client.get("/customers/", query_string={"filter": filter_})) == expected


def test_due_filter_uses_the_number_of_days(client, staff, several):
    assert _names(client.get("/customers/?filter=due&days=90")) == ["Budi Santoso", "Andi Wijaya"]


def test_sorts(client, staff, several):
    assert _names(client.get("/customers/?sort=name")) == ["Andi Wijaya", "Budi Santoso", "Dewi Lestari",
                                                           "Siti Nurhaliza"]
    assert _names(client.get("/customers/?sort=last_reminder"))[0] == "Dewi Lestari"


def test_badges_and_reminder_time_in_jakarta(client, staff, several, app):
    page = client.get("/customers/").text
    assert "lewat jadwal" in page and "segera" in page
    with app.app_context():
        dewi = db.session.get(Customer, several["dewi"])
        from zoneinfo import ZoneInfo

        shown = dewi.last_reminder_sent.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%H:%M")
    assert shown in page


def test_total_and_pagination(app, client, staff):
    with app.app_context():
        for i in range(1, 56):
            create_customer({"customer_name": f"Pelanggan {i:02d}", "nopol": f"B {i} AA",
                             "no_hp": f"0812000000{i:02d}"})
        db.session.commit()
    first = client.get("/customers/?sort=name")
    assert "55 pelanggan" in first.text
    assert "Halaman 1 dari 2" in first.text
    assert len(_names(first)) == 50
    second = client.get("/customers/?sort=name&page=2")
    assert _names(second) == [f"Pelanggan {i}" for i in range(51, 56)]
    assert "Halaman 2 dari 2" in second.text


def test_htmx_search_returns_only_the_results_fragment(client, staff, several):
    response = client.get("/customers/?q=budi", headers=HTMX)
    assert "<html" not in response.text
    assert _names(response) == ["Budi Santoso"]
    assert "HX-Request" in response.headers["Vary"]


def test_history_restore_gets_the_whole_page(client, staff, several):
    response = client.get("/customers/?q=budi", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in response.text


def test_nonsense_list_parameters_fall_back_to_defaults(client, staff, several):
    response = client.get("/customers/?filter=drop&sort=evil&page=-4&days=abc")
    assert response.status_code == 200
    assert len(_names(response)) == 4


# --- row actions ------------------------------------------------------------------------------

def test_toggle_active_returns_updated_row(app, client, staff, make_customer):
    customer_id = make_customer()
    response = client.post(f"/customers/{customer_id}/toggle", headers=HTMX)
    assert response.text.lstrip().startswith(f'<tr id="customer-{customer_id}" class="inactive"')
    assert "Aktifkan" in response.text
    assert _customer(app, id=customer_id).is_active is False
    client.post(f"/customers/{customer_id}/toggle", headers=HTMX)
    assert _customer(app, id=customer_id).is_active is True


def test_toggle_without_javascript_redirects_back_to_the_list(app, client, staff, make_customer):
    customer_id = make_customer()
    response = client.post(f"/customers/{customer_id}/toggle", data={"next": "/customers/?q=budi"})
    assert response.headers["Location"] == "/customers/?q=budi"
    assert "Budi Santoso dinonaktifkan: tidak akan dikirimi pengingat." in client.get("/customers/?q=budi").text


def test_serviced_today_moves_next_service_one_interval_ahead(app, client, staff, make_customer):
    customer_id = make_customer(last_service=date(2025, 1, 1))
    response = client.post(f"/customers/{customer_id}/serviced", headers=HTMX)
    with app.app_context():
        today = clock.today()
    customer = _customer(app, id=customer_id)
    assert customer.last_service == today
    assert customer.next_service == today + relativedelta(months=6)
    assert f">{today.day} " in response.text  # the row shows the new date


def test_delete_removes_the_customer_and_returns_the_list_without_it(app, client, staff, make_customer):
    customer_id = make_customer()
    response = client.post(f"/customers/{customer_id}/delete", headers=HTMX)
    assert response.status_code == 200 and f'id="customer-{customer_id}"' not in response.text
    assert "0 pelanggan" in response.text
    assert _customer(app, id=customer_id) is None


def test_delete_without_javascript_says_so_on_the_list(client, staff, make_customer):
    customer_id = make_customer()
    response = client.post(f"/customers/{customer_id}/delete", data={"next": "/customers/", "confirmed": "1"},
                           follow_redirects=True)
    assert "Pelanggan Budi Santoso dihapus." in response.text


def test_row_action_on_a_deleted_customer_says_not_found(client, staff):
    response = client.post("/customers/00000000-0000-0000-0000-000000000000/toggle", headers=HTMX)
    assert response.status_code == 404
    assert response.text == "Halaman atau data tidak ditemukan."


def test_next_cannot_send_the_user_off_site(client, staff, make_customer):
    customer_id = make_customer()
    response = client.post(f"/customers/{customer_id}/toggle", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/customers/"


def test_search_follows_edits_imports_and_deletes(app, client, staff, make_customer):
    customer_id = make_customer(customer_name="Budi Santoso", nopol="B 1234 XYZ", no_hp="08123456789")
    client.post(f"/customers/{customer_id}/edit", data=_form(customer_name="Rahmat Hidayat", nopol="D 77 RH",
                                                             no_hp="0813 5555 6666"))
    assert _names(client.get("/customers/?q=budi")) == []
    assert _names(client.get("/customers/?q=rahmat")) == ["Rahmat Hidayat"]
    assert _names(client.get("/customers/?q=d77")) == ["Rahmat Hidayat"]
    assert _names(client.get("/customers/?q=0813 5555")) == ["Rahmat Hidayat"]
    client.post(f"/customers/{customer_id}/delete", headers=HTMX)
    assert _names(client.get("/customers/?q=rahmat")) == []


def test_row_addresses_match_the_routes(app, client, staff, make_customer):
    from flask import url_for

    customer_id = make_customer()
    page = client.get("/customers/").text
    with app.test_request_context():
        # The default provider is the wa.me link: its "Kirim WA" goes to whatsapp_link, not remind.
        for endpoint in ("detail", "edit", "toggle", "serviced", "delete", "whatsapp_link"):
            assert f'"{url_for(f"customers.{endpoint}", customer_id=customer_id)}"' in page, endpoint
