"""Overdue customers on the reminders page, at a phone's, a tablet's and a laptop's width."""
import os
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import clock
from tests.conftest import MANAGER
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("SCREENSHOT_DIR")  # set it to keep the screenshots and look at them


def _no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("width, height", [(390, 844), (800, 1280), (1366, 768)])
def test_reminders_page_shows_overdue_customers_and_how_late(page, app, users, make_customer, width, height):
    with app.app_context():
        today = clock.today()
    for index, days in enumerate((3, 12, 45)):
        make_customer(customer_name=f"Pelanggan Terlambat Sekali {days}", nopol=f"B {1000 + index} OVD",
                      no_hp=f"0813{index:08d}", next_service=today - timedelta(days=days))
    make_customer(customer_name="Segera Datang", nopol="B 9 DU", no_hp="081399999999",
                  next_service=today + timedelta(days=1))
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, *MANAGER)
    page.goto("/reminders/")
    plan = page.locator("#plan")
    expect(plan).to_contain_text("4 pelanggan akan diingatkan")
    expect(plan).to_contain_text("termasuk 3 yang lewat jadwal")
    row = plan.locator("tr.plan-overdue", has_text="Pelanggan Terlambat Sekali 45")
    expect(row.locator(".badge-danger")).to_have_text("lewat 45 hari")
    expect(page.get_by_role("switch", name="Ikut sertakan yang lewat jadwal")).to_be_checked()
    assert _no_horizontal_overflow(page)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"reminders-overdue-{width}.png"), full_page=True)

    # Unticked, the list leaves them out and offers to include them again.
    page.get_by_role("switch", name="Ikut sertakan yang lewat jadwal").uncheck()
    page.get_by_role("button", name="Tampilkan daftar").click()
    expect(plan).to_contain_text("1 pelanggan akan diingatkan")
    expect(page.locator("#overdue-hint")).to_contain_text("3 pelanggan sudah lewat jadwal")
    assert _no_horizontal_overflow(page)
    page.get_by_role("link", name="Ikut sertakan mereka").click()
    expect(plan).to_contain_text("4 pelanggan akan diingatkan")

    page.goto("/settings/")
    expect(page.locator("#overdue-preview")).to_contain_text("sudah lewat jadwal sejak")
    page.get_by_label("Teks pengingat untuk yang lewat jadwal").fill("Halo {nama}, servis {nopol} terlambat.")
    expect(page.locator("#overdue-preview")).to_contain_text("Halo Pelanggan Terlambat Sekali 3, servis B 1000 OVD terlambat.")
    assert _no_horizontal_overflow(page)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"settings-overdue-{width}.png"), full_page=True)
