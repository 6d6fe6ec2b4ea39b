"""First run and the way forward in a real browser: the workshop's name, the empty list, delete with
undo, restore from the archive, no-JS confirmation, the serviced-today notice. Screenshots go to
SCREENSHOT_DIR when it is set (390, 800 and 1366 pixels wide)."""
import os
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.conftest import MANAGER, STAFF
from tests.e2e.conftest import log_in, row_action

pytestmark = pytest.mark.e2e

SIZES = ((390, 844), (800, 1280), (1366, 768))


def _shots(page, name):
    """Screenshots at the three widths, when asked for (a person looks at them; no test reads them)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if not folder:
        return
    before = page.viewport_size
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=os.path.join(folder, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(before)


def test_first_run_asks_for_the_workshop_and_the_header_shows_it(page):
    page.goto("/setup")
    _shots(page, "setup")
    page.get_by_label("Nama pengguna manajer").fill("pemilik")
    page.get_by_label("Kata sandi", exact=True).fill("rahasia123")
    page.get_by_label("Ulangi kata sandi").fill("rahasia123")
    page.get_by_label("Nomor WhatsApp bengkel").fill("0812 abc")
    page.get_by_role("button", name="Buat akun manajer").click()
    expect(page.get_by_text("Isi nama bengkel.")).to_be_visible()
    expect(page.get_by_text("Nomor HP hanya boleh berisi angka")).to_be_visible()
    page.get_by_label("Nama bengkel").fill("Bengkel Sumber Rejeki Motor Jaya Abadi")
    page.get_by_label("Nomor WhatsApp bengkel").fill("0812 9999 0000")
    page.get_by_label("Kata sandi", exact=True).fill("rahasia123")
    page.get_by_label("Ulangi kata sandi").fill("rahasia123")
    page.get_by_role("button", name="Buat akun manajer").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    name = page.locator(".topbar .workshop-name")
    expect(name).to_have_text("Bengkel Sumber Rejeki Motor Jaya Abadi")
    page.set_viewport_size({"width": 390, "height": 844})
    # On a phone the name is cut short with … rather than pushing the menu off the screen.
    box = name.bounding_box()
    assert box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The empty list's two ways forward.
    expect(page.get_by_text("Belum ada pelanggan.")).to_be_visible()
    _shots(page, "empty-list")
    page.locator(".empty-start").get_by_role("button", name="Impor dari Excel").click()
    expect(page).to_have_url(re.compile(r"/import/$"))
    page.go_back()
    page.locator(".empty-start").get_by_role("button", name="Tambah pelanggan").click()
    expect(page).to_have_url(re.compile(r"/customers/new$"))
    page.goto("/settings/")
    expect(page.get_by_label("Nomor WhatsApp bengkel")).to_have_value("0812-9999-0000")


def test_delete_updates_the_count_and_undo_brings_the_row_back(page, users, make_customer):
    make_customer(customer_name="Budi Santoso", nopol="B 1 A")
    make_customer(customer_name="Siti Aminah", nopol="B 2 A", no_hp="081311112222")
    log_in(page, *STAFF)
    page.evaluate("window.sameDocument = true")
    expect(page.locator("#total")).to_contain_text("2 pelanggan")
    page.once("dialog", lambda dialog: dialog.accept())
    row_action(page.locator("tbody tr", has_text="Budi Santoso"), "Hapus").click()
    expect(page.locator("#total")).to_contain_text("1 pelanggan")
    expect(page.locator("tbody tr")).to_have_count(1)
    toast = page.locator("#undo-toast")
    expect(toast).to_contain_text("Pelanggan Budi Santoso (B 1 A) dihapus.")
    _shots(page, "list-after-delete")
    toast.get_by_role("button", name="Batalkan").click()
    expect(toast).to_contain_text("Pelanggan Budi Santoso dipulihkan.")
    expect(page.locator("#total")).to_contain_text("2 pelanggan")
    expect(page.locator("tbody tr", has_text="Budi Santoso")).to_have_count(1)

    for name in ("Budi Santoso", "Siti Aminah"):
        page.once("dialog", lambda dialog: dialog.accept())
        row_action(page.locator("tbody tr", has_text=name), "Hapus").click()
        expect(page.locator("tbody tr", has_text=name)).to_have_count(0)
    expect(page.locator("#total")).to_contain_text("0 pelanggan")
    expect(page.locator(".empty-start").get_by_role("button", name="Tambah pelanggan")).to_be_visible()
    _shots(page, "list-empty-after-delete")
    assert page.evaluate("window.sameDocument") is True


@pytest.mark.http_errors(409)
def test_undo_is_refused_clearly_when_the_plate_was_taken_meanwhile(page, users, make_customer):
    make_customer(customer_name="Budi Santoso", nopol="B 1 A")
    log_in(page, *STAFF)
    page.once("dialog", lambda dialog: dialog.accept())
    row_action(page.locator("tbody tr"), "Hapus").click()
    expect(page.locator("#undo-toast")).to_be_visible()
    make_customer(customer_name="Pemilik Baru", nopol="B 1 A")  # a colleague reuses the plate
    page.locator("#undo-toast").get_by_role("button", name="Batalkan").click()
    expect(page.locator("#toast")).to_contain_text("nomor polisi B 1 A sekarang dipakai Pemilik Baru")


def test_archive_page_restores_a_deleted_customer(page, users, make_customer):
    customer_id = make_customer(customer_name="Budi Santoso", nopol="B 1 A")
    log_in(page, *MANAGER)
    page.goto(f"/customers/{customer_id}")
    page.get_by_role("button", name="Hapus pelanggan").click()
    page.get_by_role("button", name="Ya, hapus").click()
    page.goto(f"/customers/{customer_id}")
    page.get_by_role("button", name="Pulihkan").click()
    expect(page.locator("#messages")).to_contain_text("Pelanggan Budi Santoso dipulihkan.")
    expect(page.locator(".details .nopol")).to_have_text("B 1 A")


def test_serviced_today_shows_the_new_date_on_the_row(page, users, make_customer):
    make_customer(customer_name="Budi Santoso", nopol="B 1 A", last_service=date(2025, 1, 1))
    log_in(page, *STAFF)
    row = page.locator("tbody tr", has_text="Budi Santoso")
    row.get_by_role("button", name="Servis hari ini").click()
    expect(row.locator(".notice")).to_contain_text(re.compile(r"Servis dicatat hari ini; servis berikutnya \d+ \w+ \d{4}\."))


def test_without_javascript_delete_asks_first_and_serviced_flashes_properly(page_without_js, users, make_customer):
    page = page_without_js
    customer_id = make_customer(customer_name="Tanpa JS", nopol="B 1 A", last_service=date(2025, 1, 1))
    log_in(page, *STAFF)
    row = page.locator(f"#customer-{customer_id}")
    row.get_by_role("button", name="Servis hari ini").click()
    expect(page.locator("#messages .flash")).to_have_text(
        re.compile(r"^Servis Tanpa JS dicatat hari ini; servis berikutnya \d+ \w+ \d{4}\.$"))
    row_action(row, "Hapus").click()
    expect(page.locator("article")).to_contain_text("Hapus Tanpa JS (B 1 A) dari daftar?")
    page.get_by_role("button", name="Batal").click()
    expect(page.locator(f"#customer-{customer_id}")).to_be_visible()  # still there
    row_action(page.locator(f"#customer-{customer_id}"), "Hapus").click()
    page.get_by_role("button", name="Ya, hapus").click()
    expect(page.locator("#messages")).to_contain_text("Pelanggan Tanpa JS dihapus.")
    expect(page.get_by_text("Belum ada pelanggan.")).to_be_visible()
