"""Sending reminders in the browser: one row at a time, and a batch with its progress bar."""
import pytest
from playwright.sync_api import expect

from app.services.formats import local_phone
from tests.conftest import MANAGER, STAFF
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_send_one_reminder_updates_the_row_in_place(page, users, cloud_api, due_customers):
    [phone] = due_customers(1)
    cloud_api.latency = 0.3
    log_in(page, *STAFF)
    page.evaluate("window.sameDocument = true")
    row = page.locator("tbody tr", has_text="Pelanggan 0")
    expect(row.locator(".reminders")).to_contain_text("0×")
    button = row.get_by_role("button", name="Kirim pengingat")
    button.click()
    expect(row.get_by_role("button", name="Kirim pengingat")).to_be_disabled()  # while it runs
    expect(row).to_contain_text("Pengingat terkirim ke " + local_phone(phone))
    expect(row.locator(".reminders")).to_contain_text("1×")
    assert page.evaluate("window.sameDocument") is True
    assert cloud_api.accepted[phone] == 1


def test_batch_shows_its_progress_and_ends_with_the_summary(page, users, cloud_api, due_customers):
    phones = due_customers(12)
    cloud_api.latency = 0.2
    cloud_api.script("+" + phones[0], ("error", 131026, 400))

    log_in(page, *MANAGER)
    page.get_by_role("link", name="Pengingat", exact=True).click()
    page.get_by_role("button", name="Tampilkan daftar").click()
    expect(page.locator("#plan")).to_contain_text("12 pelanggan akan diingatkan")
    page.get_by_role("button", name="Kirim 12 pengingat").click()
    expect(page.locator("#progress progress")).to_be_visible()
    expect(page.locator("#progress")).to_contain_text("Selesai", timeout=20_000)
    summary = page.locator("#batch-summary")
    expect(summary).to_contain_text("11 terkirim")
    expect(summary).to_contain_text("1 gagal")
    expect(page.get_by_role("button", name="Kirim ulang yang gagal")).to_be_visible()
