"""The front desk's daily round in a real browser: first run, add, find, toggle, delete."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import STAFF
from tests.e2e.conftest import fill_customer_form, log_in, row_action

pytestmark = pytest.mark.e2e


def test_first_run_creates_the_manager_and_opens_the_list(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    page.get_by_label("Nama bengkel").fill("Bengkel Maju Jaya")
    page.get_by_label("Nomor WhatsApp bengkel").fill("0812 9999 0000")
    page.get_by_label("Nama pengguna manajer").fill("pemilik")
    page.get_by_label("Kata sandi", exact=True).fill("rahasia123")
    page.get_by_label("Ulangi kata sandi").fill("rahasia123")
    page.get_by_role("button", name="Buat akun manajer").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.get_by_text("Akun manajer dibuat.")).to_be_visible()
    expect(page.locator(".topbar .workshop-name")).to_have_text("Bengkel Maju Jaya")


def test_add_find_toggle_and_delete_a_customer(page, users):
    log_in(page, *STAFF)

    page.get_by_role("button", name="Tambah pelanggan").first.click()  # the head's; the empty list has one too
    fill_customer_form(page, "Budi Santoso", "b1234xyz", "0812-3456-7890", last_service="2026-06-01")
    expect(page.locator(".details .nopol")).to_have_text("B 1234 XYZ")
    expect(page.locator(".details .phone")).to_have_text("0812-3456-7890")
    expect(page.locator(".details")).to_contain_text("1 Des 2026")  # next service filled in: last + 6 months
    expect(page.locator("table.audit")).to_contain_text("Menambah pelanggan")

    page.get_by_role("link", name="Pelanggan").first.click()
    page.evaluate("window.sameDocument = true")  # gone if anything below reloads the page
    search = page.get_by_placeholder("Cari nama, nomor polisi atau nomor HP")
    search.fill("zzz")
    expect(page.get_by_text("Tidak ada pelanggan yang cocok.")).to_be_visible()
    search.fill("1234")
    row = page.locator("tbody tr", has_text="Budi Santoso")
    expect(row).to_be_visible()
    expect(row).to_contain_text("B 1234 XYZ")
    expect(page).to_have_url(re.compile(r"q=1234"))  # the address bar keeps the search

    row_action(row, "Nonaktifkan").click()
    expect(row.locator(".status")).to_have_text("Nonaktif")
    expect(row_action(row, "Aktifkan")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    row_action(row, "Hapus").click()
    expect(page.locator("tbody tr", has_text="Budi Santoso")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True

    page.reload()
    expect(page.get_by_text("Tidak ada pelanggan yang cocok.")).to_be_visible()


def test_back_button_restores_the_previous_search(page, users, make_customer):
    make_customer(customer_name="Budi Santoso", nopol="B 1234 XYZ")
    make_customer(customer_name="Siti Nurhaliza", nopol="D 1028 EB", no_hp="081311112222")
    log_in(page, *STAFF)
    search = page.get_by_placeholder("Cari nama, nomor polisi atau nomor HP")
    search.fill("siti")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=siti"))
    page.select_option("select[name=filter]", "inactive")
    expect(page.get_by_text("Tidak ada pelanggan yang cocok.")).to_be_visible()
    page.go_back()
    expect(page.locator("tbody tr", has_text="Siti Nurhaliza")).to_be_visible()


@pytest.mark.http_errors(422)
def test_invalid_phone_shows_the_message_next_to_the_field(page, users):
    log_in(page, *STAFF)
    page.goto("/customers/new")
    fill_customer_form(page, "Toko Sumber Rejeki", "H 7777 ZZ", "021-5551234")
    expect(page.locator("#no_hp-help")).to_contain_text("Ini bukan nomor HP")
    expect(page.get_by_label("Nama pelanggan")).to_have_value("Toko Sumber Rejeki")


def test_markup_in_customer_fields_is_shown_as_text_never_run(page, users, make_customer):
    payload = '<img src=x onerror="window.pwned=1">'
    make_customer(customer_name=payload, nopol="B 1 XSS", notes='<script>window.pwned=2</script>')
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, *STAFF)
    expect(page.locator("tbody tr").first).to_contain_text(payload)
    page.get_by_role("link", name=payload).click()
    expect(page.locator(".details .notes")).to_have_text("<script>window.pwned=2</script>")
    assert page.evaluate("window.pwned") is None and dialogs == []


def test_the_days_box_shows_only_with_the_filter_that_uses_it(page, users):
    log_in(page, *STAFF)
    days = page.get_by_label("N hari")
    expect(days).to_be_hidden()
    for choice, shown in (("due", True), ("overdue", False)):
        # Each choice reloads the list: wait for it, so no request is cut off when the test ends.
        with page.expect_response(lambda response: "/customers/" in response.url):
            page.get_by_label("Saring", exact=True).select_option(choice)
        expect(days).to_be_visible() if shown else expect(days).to_be_hidden()
