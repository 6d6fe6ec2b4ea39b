"""In Chromium: a customer whose name and notes are markup reads as text on every page that shows it.

The markup is a link and an image with an onerror handler. Wherever the customer appears (list,
detail, form errors naming the plate's holder, the reminder notices of the row and the detail page,
the row actions' flashes without JavaScript, the import preview, the reminders page, deletion and
the audit trail) the text is visible and no element of it exists in the DOM.
"""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import clock
from tests.conftest import MANAGER
from tests.e2e.conftest import log_in, row_action

pytestmark = pytest.mark.e2e

NAME = "<a href=//evil.example>Klik</a>"
NOTES = '<img src=x onerror="window.pwned=1"><a href=//evil.example/catatan>catatan</a>'


def assert_inert(page):
    """No element made of the customer's markup is in the page, and none of it ran."""
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("window.pwned") is None


@pytest.fixture
def holder(app, make_customer):
    """The customer with markup in the name and the notes (the plate and phone are normalised)."""
    app.config["WHATSAPP_PROVIDER"] = "log"  # a "Kirim pengingat" button that records without sending
    with app.app_context():
        soon = clock.today() + timedelta(days=1)
    return make_customer(customer_name=NAME, nopol="B 1234 XYZ", no_hp="081234567890", notes=NOTES,
                         next_service=soon)


@pytest.fixture
def dialogs(page):
    """Confirmations are accepted (deleting asks first); their texts are kept to check."""
    seen = []
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.accept()))
    return seen


@pytest.mark.http_errors(422)  # the duplicate plate is refused with the form again
def test_list_detail_and_the_duplicate_plate_errors_show_the_markup_as_text(page, users, holder, make_customer):
    make_customer(customer_name="Budi Santoso", nopol="B 1 AB", no_hp="081211112222")
    log_in(page, *MANAGER)

    expect(page.locator("tbody tr", has_text=NAME)).to_be_visible()
    assert_inert(page)

    page.get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(page.locator(".details .notes")).to_have_text(NOTES)
    assert_inert(page)

    page.goto("/customers/new")
    page.get_by_label("Nama pelanggan").fill("Ani")
    page.get_by_label("Nomor polisi").fill("b1234xyz")
    page.get_by_label("No. HP / WhatsApp").fill("0812 3333 4444")
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".field-error")).to_have_text(f"Nomor polisi B 1234 XYZ sudah dipakai pelanggan {NAME}.")
    expect(page.get_by_role("alert").filter(has_text="terdaftar atas nama")).to_contain_text(NAME)
    assert_inert(page)

    page.goto("/customers/")
    row_action(page.locator("tbody tr", has_text="Budi Santoso"), "Ubah").click()
    page.get_by_label("Nomor polisi").fill("B 1234 XYZ")
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".field-error")).to_contain_text(f"sudah dipakai pelanggan {NAME}.")
    assert_inert(page)


def test_reminder_notices_on_the_row_and_the_detail_page_show_the_markup_as_text(page, users, holder):
    log_in(page, *MANAGER)
    row = page.locator(f"#customer-{holder}")

    row_action(row, "Nonaktifkan").click()
    expect(row.locator(".status")).to_have_text("Nonaktif")
    row.get_by_role("button", name="Kirim pengingat").click()
    expect(row.locator(".notice")).to_have_text(f"{NAME} nonaktif; aktifkan dulu untuk mengirim pengingat.")
    assert_inert(page)

    page.get_by_role("link", name=NAME).click()
    page.get_by_role("button", name="Kirim pengingat").click()
    expect(page.locator("#messages")).to_contain_text(f"{NAME} nonaktif; aktifkan dulu untuk mengirim pengingat.")
    assert_inert(page)

    page.goto("/customers/")
    row_action(row, "Aktifkan").click()
    expect(row.locator(".status")).to_have_text("Aktif")
    row.get_by_role("button", name="Kirim pengingat").click()
    expect(row.locator(".notice")).to_contain_text("Pengingat terkirim")
    row.get_by_role("button", name="Kirim pengingat").click()
    expect(row.locator(".notice")).to_contain_text(f"Pengingat untuk {NAME} baru saja dikirim.")
    assert_inert(page)


def test_row_actions_without_javascript_flash_the_markup_as_text(page_without_js, users, holder):
    page = page_without_js
    log_in(page, *MANAGER)
    row = page.locator(f"#customer-{holder}")
    row_action(row, "Nonaktifkan").click()
    expect(page.locator("#messages")).to_contain_text(f"{NAME} dinonaktifkan: tidak akan dikirimi pengingat.")
    row.get_by_role("button", name="Kirim pengingat").click()
    expect(page.locator("#messages")).to_contain_text(f"{NAME} nonaktif; aktifkan dulu")
    row.get_by_role("button", name="Servis hari ini").click()
    expect(page.locator("#messages")).to_contain_text(f"Servis {NAME} dicatat hari ini; servis berikutnya")
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.locator("img[src='x']").count() == 0


def test_import_preview_reminders_page_deletion_and_trail_show_the_markup_as_text(page, users, holder, dialogs,
                                                                                  tmp_path):
    log_in(page, *MANAGER)

    sheet = tmp_path / "markup.csv"
    sheet.write_text(f"Nama;Nopol;No HP;Keterangan\n{NAME};B 9 IMP;081277776666;{NOTES}\n"
                     f"Budi Baru;B 1234 XYZ;081234567890;diperbarui\n", encoding="utf-8")
    page.get_by_role("link", name="Impor").click()
    page.get_by_label("File pelanggan").set_input_files(str(sheet))
    page.get_by_role("button", name="Unggah dan lihat pratinjau").click()
    expect(page.locator("table.new-rows")).to_contain_text(NAME)
    expect(page.locator("table.update-rows")).to_contain_text(NAME)  # the name it had before the update
    assert_inert(page)

    page.goto("/reminders/?days=3&only_active=y")
    expect(page.locator("table.plan-send")).to_contain_text(NAME)
    assert_inert(page)

    page.goto(f"/customers/{holder}")
    page.get_by_role("button", name="Kirim pengingat").click()
    expect(page.locator("#messages")).to_contain_text("Pengingat terkirim")
    page.goto("/reminders/")
    expect(page.locator("table.messages")).to_contain_text(NAME)
    assert_inert(page)

    page.goto(f"/customers/{holder}")
    page.get_by_role("button", name="Hapus pelanggan").click()
    # The confirmation page reads the name as text.
    expect(page.locator("article")).to_contain_text(f"Hapus {NAME} (B 1234 XYZ) dari daftar?")
    assert_inert(page)
    page.get_by_role("button", name="Ya, hapus").click()
    expect(page.locator("#messages")).to_contain_text(f"Pelanggan {NAME} dihapus.")
    assert_inert(page)

    page.get_by_role("link", name="Riwayat").click()
    trail = page.locator("table.audit")
    expect(trail.locator("tr", has_text="Menghapus pelanggan")).to_contain_text(NAME)
    expect(trail.locator("tr", has_text="Menambah pelanggan")).to_contain_text(NOTES)
    assert_inert(page)
