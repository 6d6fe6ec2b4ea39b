"""wa.me links in the browser: a refused send opens no WhatsApp tab and says why where the person
clicked; an allowed one opens WhatsApp and asks, in place, whether it was sent."""
import pytest
from playwright.sync_api import expect

from tests.conftest import MANAGER, STAFF
from tests.e2e.conftest import log_in, row_action

pytestmark = pytest.mark.e2e


def _watch_tabs(page) -> list:
    """Every tab the page opens; wa.me answers with a stub (the machine has no internet)."""
    tabs = []
    page.context.route("https://wa.me/**", lambda route: route.fulfill(body="WhatsApp", content_type="text/plain"))
    page.context.on("page", lambda tab: tabs.append(tab))
    return tabs


def test_inactive_customer_click_opens_no_whatsapp_and_says_why_in_the_row(page, users, make_customer):
    make_customer(customer_name="Budi Santoso")
    tabs = _watch_tabs(page)
    log_in(page, *STAFF)
    row = page.locator("tbody tr", has_text="Budi Santoso")
    row_action(row, "Nonaktifkan").click()
    expect(row.locator(".status")).to_have_text("Nonaktif")
    row.get_by_role("button", name="Kirim WA").click()
    expect(row.locator(".notice")).to_contain_text("nonaktif; aktifkan dulu")
    page.wait_for_timeout(300)
    assert tabs == []


def test_second_click_within_a_minute_opens_no_whatsapp(page, users, make_customer):
    customer_id = make_customer(customer_name="Budi Santoso")
    tabs = _watch_tabs(page)
    log_in(page, *STAFF)
    row = page.locator("tbody tr", has_text="Budi Santoso")
    expect(row.get_by_role("button", name="Kirim WA")).to_be_visible()
    # A colleague (same session here) opened it a moment ago, after this list was shown.
    first = page.request.get(f"/customers/{customer_id}/whatsapp", max_redirects=0)
    assert first.status == 302
    row.get_by_role("button", name="Kirim WA").click()
    expect(row.locator(".notice")).to_contain_text("Tunggu satu menit")
    expect(row).to_contain_text("Dibuka di WhatsApp — sudah terkirim?")
    page.wait_for_timeout(300)
    assert tabs == []


def test_row_click_opens_whatsapp_then_one_tap_confirms_it_was_sent(page, users, make_customer):
    make_customer(customer_name="Budi Santoso", no_hp="08123456789")
    _watch_tabs(page)
    log_in(page, *STAFF)
    page.evaluate("window.sameDocument = true")
    row = page.locator("tbody tr", has_text="Budi Santoso")
    with page.context.expect_page() as tab:
        row.get_by_role("button", name="Kirim WA").click()
    tab.value.wait_for_load_state()
    assert tab.value.url.startswith("https://wa.me/628123456789?text=Halo")
    expect(row).to_contain_text("Dibuka di WhatsApp — sudah terkirim?")
    expect(row.locator(".reminders")).to_contain_text("0×")  # opened is not sent
    page.bring_to_front()
    row.get_by_role("button", name="Sudah terkirim").click()
    expect(row.locator(".reminders")).to_contain_text("1×")
    expect(row.locator(".notice")).to_contain_text("Dicatat: pengingat terkirim")
    expect(row.get_by_role("button", name="Kirim WA")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True


def test_customer_page_not_sent_leaves_the_counter_alone(page, users, make_customer):
    customer_id = make_customer(customer_name="Budi Santoso")
    _watch_tabs(page)
    log_in(page, *STAFF)
    page.goto(f"/customers/{customer_id}")
    with page.context.expect_page():
        page.get_by_role("button", name="Kirim WA").click()
    expect(page.locator("#detail-actions")).to_contain_text("Dibuka di WhatsApp — sudah terkirim?")
    page.get_by_role("button", name="Tidak jadi").click()
    expect(page.get_by_role("status").filter(has_text="tidak jadi dikirim")).to_be_visible()
    expect(page.get_by_role("button", name="Kirim WA")).to_be_visible()
    expect(page.locator(".details")).to_contain_text("0×")


def test_queue_card_opens_whatsapp_and_confirms_before_the_next(page, users, due_customers):
    due_customers(2)
    _watch_tabs(page)
    log_in(page, *MANAGER)
    page.goto("/reminders/")
    page.get_by_role("button", name="Kirim 2 pengingat").click()
    queue = page.locator("#queue")
    expect(queue).to_contain_text("Pelanggan 0")
    with page.context.expect_page() as tab:
        queue.get_by_role("button", name="Buka WhatsApp").click()
    tab.value.wait_for_load_state()
    assert tab.value.url.startswith("https://wa.me/")
    expect(queue).to_contain_text("Dibuka di WhatsApp — sudah terkirim?")
    page.bring_to_front()
    queue.get_by_role("button", name="Sudah terkirim").click()
    expect(queue).to_contain_text("Pelanggan 1")
    expect(queue).to_contain_text("1 dari 2 sudah dibuka")
