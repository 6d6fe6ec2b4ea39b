"""The customer list and the users page at a phone's, a tablet's and a laptop's width.

What the front desk needs at the counter: the page never scrolls sideways, every action of a row can
be reached and pressed where the row is, and the answer to an action shows in that same row.
"""
import os
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import clock
from app.extensions import db
from app.models import Customer
from tests.conftest import MANAGER, STAFF
from tests.e2e.conftest import log_in, row_action

pytestmark = pytest.mark.e2e

SIZES = [(390, 844), (800, 1280), (1366, 768)]
SHOTS = os.environ.get("SCREENSHOT_DIR")  # set it to keep the screenshots and look at them


def _sideways_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _within_width(page, locator):
    """The element is on screen from left to right once scrolled to (nothing cut off at the side)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, f"{box} outside 0..{width}"


@pytest.fixture
def counter_list(app, make_customer):
    """An overdue, an inactive, an opted-out and a few ordinary customers, with long names."""
    with app.app_context():
        today = clock.today()
    ids = {}
    for index, name in enumerate(["Ahmad Fauzi Pratama Wijaya Kusuma", "Siti Rahayu", "Dewi Lestari",
                                  "Rudi Hartono", "Bambang Sutrisno"]):
        ids[name] = make_customer(customer_name=name, nopol=f"B {1000 + index} XYZ", no_hp=f"0812345678{index:02d}",
                                  last_service=today - timedelta(days=200),
                                  next_service=today + timedelta(days=index * 4 - 5))
    with app.app_context():
        db.session.get(Customer, ids["Dewi Lestari"]).is_active = False
        db.session.get(Customer, ids["Rudi Hartono"]).opted_out = True
        db.session.commit()
    return ids


@pytest.mark.parametrize("who", ["staff", "manager"])
@pytest.mark.parametrize("width, height", SIZES)
def test_every_row_action_is_on_screen_and_answers_in_its_row(page, users, counter_list, who, width, height):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, *(STAFF if who == "staff" else MANAGER))
    assert _sideways_overflow(page) == 0
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/customers-{who}-{width}.png", full_page=True)

    for name in counter_list:
        row = page.locator("tbody tr", has_text=name)
        buttons = [row.get_by_role("button", name="Servis hari ini"), row.get_by_role("button", name="Lainnya")]
        if name != "Rudi Hartono":  # opted out: nothing to send, the status says why
            buttons.append(row.locator(".send-button"))
        for button in buttons:
            _within_width(page, button)
        if width >= 1366:  # a laptop's row keeps its buttons on one line
            tops = {round(button.bounding_box()["y"]) for button in buttons}
            assert len(tops) == 1, f"{name}: buttons on {len(tops)} lines"
        for action in ("Ubah", "Nonaktifkan" if name != "Dewi Lestari" else "Aktifkan", "Hapus"):
            item = row_action(row, action)
            expect(item).to_be_visible()
            _within_width(page, item)
        page.keyboard.press("Escape")
        expect(row.locator(".row-menu ul")).not_to_be_visible()
    expect(page.locator("tbody tr", has_text="Rudi Hartono").locator(".status")).to_have_text("Berhenti langganan")
    expect(page.locator("tbody tr", has_text="Dewi Lestari").locator(".status")).to_have_text("Nonaktif")

    row = page.locator("tbody tr", has_text="Siti Rahayu")
    row.get_by_role("button", name="Servis hari ini").click()
    notice = row.locator(".notice")
    expect(notice).to_contain_text("Servis dicatat hari ini")
    expect(notice).to_be_in_viewport()
    _within_width(page, notice)

    row_action(row, "Nonaktifkan").click()
    expect(row.locator(".status")).to_have_text("Nonaktif")
    expect(row.locator(".notice")).to_be_in_viewport()
    assert _sideways_overflow(page) == 0


@pytest.mark.parametrize("width, height", SIZES)
def test_the_row_menu_opens_inside_the_screen_at_the_right_edge(page, users, counter_list, width, height):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, *STAFF)
    last = page.locator("tbody tr").last
    row_action(last, "Hapus")
    menu = last.locator(".row-menu ul")
    expect(menu).to_be_visible()
    _within_width(page, menu)
    assert _sideways_overflow(page) == 0
    page.mouse.click(5, 5)  # a tap elsewhere closes it
    expect(menu).not_to_be_visible()


@pytest.mark.parametrize("width, height", SIZES)
def test_users_page_fits_and_every_account_action_is_reachable(page, users, width, height):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, *MANAGER)
    page.goto("/users/")
    assert _sideways_overflow(page) == 0
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/users-{width}.png", full_page=True)
    for row in (page.locator("tbody tr", has_text="manajer"), page.locator("tbody tr", has_text="staf")):
        _within_width(page, row.get_by_role("button", name="Ganti kata sandi"))
        _within_width(page, row.get_by_role("textbox"))
    _within_width(page, page.locator("tbody tr", has_text="staf").get_by_role("button", name="Nonaktifkan"))
    _within_width(page, page.get_by_role("button", name="Buat kunci"))
