"""In the browser: markup from a sheet stays text everywhere, failed htmx actions say so, the trail reads well."""
import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Customer
from app.services.customers import delete_customer
from tests.conftest import MANAGER, STAFF
from tests.e2e.conftest import log_in, row_action

pytestmark = pytest.mark.e2e

IMG = '<img src=x onerror="window.pwned=1">'
SCRIPT = "<script>window.pwned=2</script>"


def test_markup_in_an_imported_sheet_is_text_in_preview_list_detail_and_trail(page, users, tmp_path):
    sheet = tmp_path / "xss.csv"
    sheet.write_text(f"Nama;Nopol;No HP;Keterangan\n{IMG};B 1 XSS;081211112222;{SCRIPT}\n", encoding="utf-8")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, *MANAGER)

    page.get_by_role("link", name="Impor").click()
    page.get_by_label("File pelanggan").set_input_files(str(sheet))
    page.get_by_role("button", name="Unggah dan lihat pratinjau").click()
    expect(page.locator("table.new-rows")).to_contain_text(IMG)
    page.get_by_role("button", name="Impor sekarang").click()
    expect(page.locator("#import-result")).to_contain_text("1 pelanggan baru")

    page.goto("/customers/")
    page.get_by_role("link", name=IMG).click()
    expect(page.locator(".details .notes")).to_have_text(SCRIPT)
    page.get_by_role("link", name="Riwayat").click()
    expect(page.locator("table.audit")).to_contain_text("Mengimpor file")
    assert page.evaluate("window.pwned") is None and dialogs == []


@pytest.mark.http_errors(404)
def test_a_row_action_that_fails_says_why_and_keeps_the_row(page, app, users, make_customer):
    customer_id = make_customer(customer_name="Budi Santoso", nopol="B 1234 XYZ")
    log_in(page, *STAFF)
    row = page.locator("tbody tr", has_text="Budi Santoso")
    expect(row).to_be_visible()
    with app.app_context():  # a colleague deletes the customer meanwhile
        delete_customer(db.session.get(Customer, customer_id))
        db.session.commit()
    row_action(row, "Nonaktifkan").click()
    expect(page.get_by_role("alert")).to_have_text("Halaman atau data tidak ditemukan.")
    expect(row).to_be_visible()


def test_manager_filters_the_trail_by_action(page, users, make_customer):
    make_customer(customer_name="Ani", nopol="B 1 A", no_hp="081200000001")
    log_in(page, *STAFF)
    row_action(page.locator("tbody tr", has_text="Ani"), "Nonaktifkan").click()
    expect(page.locator("tbody tr", has_text="Ani")).to_contain_text("Nonaktif")
    page.locator("summary", has_text="staf").click()
    page.get_by_role("button", name="Keluar").click()

    log_in(page, *MANAGER)
    page.get_by_role("link", name="Riwayat").click()
    page.get_by_label("Aksi").select_option(label="Mengubah status aktif")
    page.get_by_role("button", name="Tampilkan").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("staf")
    expect(rows).to_contain_text("Ya → Tidak")
