"""First run and the way forward: the workshop's name in messages and the header, the empty list,
feedback after delete (count, undo, restore), no-JS confirmation, the serviced-today notice."""
import json

import pytest

from app.extensions import db
from app.models import Customer, CustomerArchive
from app.services.settings import get_setting, set_setting
from tests.conftest import HTMX, csrf_token_from


def _setup(client, **fields):
    page = client.get("/setup")
    data = {"workshop_name": "Bengkel Maju Jaya", "workshop_whatsapp": "0812 9999 0000", "username": "pemilik",
            "password": "rahasia123", "confirm": "rahasia123", "csrf_token": csrf_token_from(page.text)}
    data.update(fields)
    return client.post("/setup", data=data, follow_redirects=True)


def test_first_run_names_the_workshop_in_the_first_real_reminder(app, client, cloud_api):
    page = client.get("/setup")
    assert "Nama bengkel" in page.text and "Nomor WhatsApp bengkel" in page.text
    response = _setup(client)
    assert response.status_code == 200
    assert "Bengkel Maju Jaya" in response.text  # the header
    with app.app_context():
        assert get_setting("workshop_whatsapp") == "6281299990000"
        # The approved template's parameters: the workshop's name and its reply number.
        set_setting("template_params", "nama,bengkel,wa_bengkel")
        db.session.commit()
    token = csrf_token_from(client.get("/customers/new").text)
    client.post("/customers/new", data={"customer_name": "Budi", "nopol": "B 1 A", "no_hp": "08123456789", "is_active": "y",
                                        "csrf_token": token})
    with app.app_context():
        customer_id = db.session.scalar(db.select(Customer.id))
    sent_row = client.post(f"/customers/{customer_id}/remind", headers=dict(HTMX, **{"X-CSRFToken": token}))
    assert "Pengingat terkirim" in sent_row.text, sent_row.text[-600:]
    sent = json.dumps(cloud_api.requests[-1]["json"])
    assert "Bengkel Maju Jaya" in sent and "0812-9999-0000" in sent
    assert "Bengkel Kami" not in sent


@pytest.mark.parametrize(("fields", "message"), [
    ({"workshop_name": ""}, "Isi nama bengkel."),
    ({"workshop_name": "   "}, "Isi nama bengkel."),
    ({"workshop_name": "x" * 81}, "Maks. 80 karakter."),
    ({"workshop_whatsapp": "0812abc"}, "Nomor HP hanya boleh berisi angka"),
    ({"workshop_whatsapp": "+1 555 0100"}, "Hanya nomor HP Indonesia"),
    ({"workshop_whatsapp": "9" * 50}, "Maks. 40 karakter."),
])
def test_first_run_refuses_a_bad_workshop_name_or_number_and_creates_nothing(app, client, fields, message):
    response = _setup(client, **fields)
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Customer)) == 0
        assert get_setting("workshop_name") == "Bengkel Kami"
    assert client.get("/setup").status_code == 200  # still the first run


def test_first_run_without_a_number_leaves_it_empty_and_settings_can_add_it(app, client):
    _setup(client, workshop_whatsapp="")
    with app.app_context():
        assert get_setting("workshop_whatsapp") == ""
    page = client.get("/settings/")
    assert 'name="workshop_whatsapp"' in page.text
    from tests.conftest import settings_form
    data = settings_form(workshop_name="Bengkel Maju Jaya", workshop_whatsapp="+62 812-1111-2222",
                         message_template="Balas ke {wa_bengkel}. {bengkel}",
                         csrf_token=csrf_token_from(page.text))
    response = client.post("/settings/", data=data, follow_redirects=True)
    assert "Pengaturan disimpan." in response.text
    assert 'value="0812-1111-2222"' in response.text  # shown as people write it
    with app.app_context():
        assert get_setting("workshop_whatsapp") == "6281211112222"


def test_header_shows_the_workshop_name_escaped(app, auth, client):
    with app.app_context():
        set_setting("workshop_name", "<b>Bengkel</b> & Co")
        db.session.commit()
    auth.login_staff()
    text = client.get("/customers/").text
    assert "&lt;b&gt;Bengkel&lt;/b&gt; &amp; Co" in text and "<b>Bengkel</b>" not in text


# --- the empty list --------------------------------------------------------------------------

def test_an_empty_list_offers_adding_and_importing(auth, client):
    auth.login_staff()
    page = client.get("/customers/").text
    assert "Belum ada pelanggan." in page
    assert 'href="/customers/new" role="button">Tambah pelanggan' in page.replace("\n", "")
    assert 'href="/import/" role="button" class="secondary">Impor dari Excel' in page


def test_an_empty_search_keeps_its_message_and_offers_clearing_it(auth, client, make_customer):
    make_customer()
    auth.login_staff()
    page = client.get("/customers/?q=zzz&sort=name").text
    assert "Tidak ada pelanggan yang cocok." in page and "Belum ada pelanggan." not in page
    assert '<a href="/customers/?sort=name">Hapus pencarian</a>' in page


# --- delete, undo, restore -------------------------------------------------------------------

@pytest.fixture
def staff(auth):
    auth.login_staff()
    return auth


def _archived(app, customer_id):
    with app.app_context():
        return db.session.get(CustomerArchive, customer_id)


def test_delete_updates_the_count_and_shows_the_empty_list(app, client, staff, make_customer):
    first = make_customer(customer_name="Budi Santoso", nopol="B 1 A")
    second = make_customer(customer_name="Siti Aminah", nopol="B 2 A", no_hp="081311112222")
    response = client.post(f"/customers/{first}/delete", headers=HTMX, data={"next": "/customers/?sort=name"})
    assert "1 pelanggan" in response.text and f"customer-{second}" in response.text
    assert "Pelanggan Budi Santoso (B 1 A) dihapus." in response.text and "Batalkan" in response.text
    response = client.post(f"/customers/{second}/delete", headers=HTMX, data={"next": "/customers/?sort=name"})
    assert "0 pelanggan" in response.text and "Belum ada pelanggan." in response.text
    assert "<table" not in response.text


def test_delete_of_the_last_row_on_the_last_page_shows_the_page_before(app, client, staff, make_customer):
    app.config["CUSTOMERS_PER_PAGE"] = 1
    make_customer(customer_name="Ani", nopol="B 1 A")
    last = make_customer(customer_name="Budi", nopol="B 2 A", no_hp="081311112222")
    response = client.post(f"/customers/{last}/delete", headers=HTMX, data={"next": "/customers/?sort=name&page=2"})
    assert "Ani" in response.text and "Tidak ada pelanggan yang cocok." not in response.text


def test_undo_brings_the_customer_back_with_its_history(app, client, staff, make_customer):
    customer_id = make_customer()
    client.post(f"/customers/{customer_id}/delete", headers=HTMX, data={"next": "/customers/"})
    response = client.post(f"/customers/{customer_id}/restore", headers=HTMX, data={"next": "/customers/"})
    assert response.status_code == 200
    assert "Pelanggan Budi Santoso dipulihkan." in response.text and f"customer-{customer_id}" in response.text
    assert "1 pelanggan" in response.text
    assert _archived(app, customer_id) is None
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert (customer.nopol, customer.no_hp) == ("B 1234 XYZ", "628123456789")
    assert "Memulihkan pelanggan" in client.get(f"/customers/{customer_id}").text  # audited


def test_archive_page_restores_and_refuses_when_the_plate_was_reused(app, client, staff, make_customer):
    customer_id = make_customer()
    client.post(f"/customers/{customer_id}/delete", data={"next": "/customers/", "confirmed": "1"})
    archive = client.get(f"/customers/{customer_id}").text
    assert "Pulihkan" in archive
    newcomer = make_customer(customer_name="Pemilik Baru")  # the same plate, given to someone else
    response = client.post(f"/customers/{customer_id}/restore", follow_redirects=True)
    assert ("Budi Santoso tidak bisa dipulihkan: nomor polisi B 1234 XYZ sekarang dipakai Pemilik Baru."
            in response.text)
    assert _archived(app, customer_id) is not None  # nothing half-done
    with app.app_context():
        assert db.session.get(Customer, newcomer).customer_name == "Pemilik Baru"
        assert db.session.get(Customer, customer_id) is None
    refused = client.post(f"/customers/{customer_id}/restore", headers=HTMX, data={"next": "/customers/"})
    assert refused.status_code == 409 and "sekarang dipakai Pemilik Baru" in refused.text
    client.post(f"/customers/{newcomer}/delete", headers=HTMX)
    response = client.post(f"/customers/{customer_id}/restore", follow_redirects=True)
    assert "Pelanggan Budi Santoso dipulihkan." in response.text


def test_restore_of_something_not_in_the_archive_is_refused_clearly(client, staff, make_customer):
    customer_id = make_customer()
    for target in (customer_id, "00000000-0000-0000-0000-000000000000"):
        response = client.post(f"/customers/{target}/restore", headers=HTMX)
        assert response.status_code == 409 and "tidak ada di arsip" in response.text
    assert client.post("/customers/not-a-uuid/restore").status_code == 404


def test_delete_without_javascript_asks_first(app, client, staff, make_customer):
    customer_id = make_customer(customer_name="<b>Budi</b>")
    page = client.post(f"/customers/{customer_id}/delete", data={"next": "/customers/?q=budi"})
    assert page.status_code == 200
    assert "Hapus &lt;b&gt;Budi&lt;/b&gt; (B 1234 XYZ) dari daftar?" in page.text
    assert 'name="confirmed" value="1"' in page.text and 'href="/customers/?q=budi"' in page.text
    with app.app_context():
        assert db.session.get(Customer, customer_id) is not None  # nothing deleted yet
    done = client.post(f"/customers/{customer_id}/delete", data={"next": "/customers/", "confirmed": "1"},
                       follow_redirects=True)
    assert "Pelanggan &lt;b&gt;Budi&lt;/b&gt; dihapus." in done.text


# --- serviced today --------------------------------------------------------------------------

def test_serviced_today_says_the_new_date_on_the_row_and_in_the_flash(app, client, staff, make_customer):
    from datetime import date

    from dateutil.relativedelta import relativedelta

    from app import clock
    from app.services.formats import format_day

    customer_id = make_customer(customer_name="Tanpa JS", last_service=date(2025, 1, 1))
    with app.app_context():
        expected = format_day(clock.today() + relativedelta(months=6), "id")
    row = client.post(f"/customers/{customer_id}/serviced", headers=HTMX)
    assert f"Servis dicatat hari ini; servis berikutnya {expected}." in row.text
    page = client.post(f"/customers/{customer_id}/serviced", data={"next": "/customers/"}, follow_redirects=True)
    assert f"Servis Tanpa JS dicatat hari ini; servis berikutnya {expected}." in page.text
