"""A customer's reply in the browser: waiting in the navigation, read in its thread, answered from it."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import clock
from tests.conftest import STAFF
from tests.e2e.conftest import log_in
from tests.fakes import deliver_meta, meta_reply

pytestmark = pytest.mark.e2e

SECRET = "app-secret"
PHONE = "628123456789"


def test_a_reply_waits_in_the_navigation_and_is_answered_from_its_thread(
        app, page, live_server, users, cloud_api, make_customer):
    app.config["WHATSAPP_APP_SECRET"] = SECRET
    make_customer(customer_name="Budi Santoso", nopol="B 1234 XYZ")
    with app.app_context():
        sent_at = int((clock.utcnow() - timedelta(minutes=5)).timestamp())
    # The provider calls the app over HTTP, signed, as Meta does.
    answer = deliver_meta(live_server + "/webhooks/whatsapp",
                          meta_reply(PHONE, "wamid.IN1", "Bisa servis hari Sabtu?", name="Budi", timestamp=sent_at),
                          SECRET)
    assert answer.status_code == 200

    log_in(page, *STAFF)
    nav = page.locator("#nav-replies")
    expect(nav.locator(".count-badge")).to_have_text("1")
    nav.click()
    card = page.locator(".thread-card", has_text="Budi Santoso")
    expect(card).to_contain_text("Bisa servis hari Sabtu?")
    card.get_by_role("button", name="Buka percakapan").click()

    expect(page.locator(".bubble-in")).to_contain_text("Bisa servis hari Sabtu?")
    page.get_by_label("Jawab").fill("Bisa, Pak. Kami buka jam 08.00.")
    page.get_by_role("button", name="Kirim jawaban").click()
    expect(page.locator(".flash-success")).to_have_text("Jawaban terkirim.")
    expect(page.locator(".bubble-out")).to_contain_text("Bisa, Pak. Kami buka jam 08.00.")
    expect(nav.locator(".count-badge")).to_have_count(0)  # answered is handled
    [request] = cloud_api.requests
    assert request["json"]["text"]["body"] == "Bisa, Pak. Kami buka jam 08.00."


@pytest.mark.parametrize(("width", "height"), [(390, 844), (800, 1280), (1366, 768)])
def test_replies_fit_the_screen(app, page, live_server, users, make_customer, width, height):
    app.config["WHATSAPP_APP_SECRET"] = SECRET
    customer_id = make_customer(customer_name="Budi Santoso", nopol="B 1234 XYZ")
    with app.app_context():
        sent_at = int(clock.utcnow().timestamp())
    long_words = "Selamat pagi, saya mau tanya apakah bisa ganti oli dan cek rem sekaligus " + "x" * 80
    for phone, message_id, text in ((PHONE, "wamid.W1", long_words), (PHONE, "wamid.W3", "1"),
                                    ("6285712345678", "wamid.W2", "Halo"), ("6285712345678", "wamid.W4", "sudah")):
        deliver_meta(live_server + "/webhooks/whatsapp",
                     meta_reply(phone, message_id, text, name="Andi", timestamp=sent_at), SECRET)
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, *STAFF)
    for path in ("/replies/", f"/replies/{PHONE}", f"/customers/{customer_id}", "/bookings/"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
    for path, action in (("/replies/", "Tambah sebagai pelanggan"), ("/bookings/", "Jadwalkan &")):
        page.goto(path)
        box = page.get_by_role("button", name=action).first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (path, action, width)


def test_a_yes_by_reply_is_scheduled_and_the_customer_gets_the_confirmation(
        app, page, live_server, users, cloud_api, make_customer):
    app.config["WHATSAPP_APP_SECRET"] = SECRET
    make_customer(customer_name="Budi Santoso", nopol="B 1234 XYZ")
    with app.app_context():
        now = clock.utcnow()
        tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    deliver_meta(live_server + "/webhooks/whatsapp",
                 meta_reply(PHONE, "wamid.YES", "Ya, mau booking", timestamp=int(now.timestamp())), SECRET)

    log_in(page, *STAFF)
    nav = page.locator("#nav-bookings")
    expect(nav.locator(".count-badge")).to_have_text("1")
    nav.click()
    card = page.locator(".booking-card", has_text="Budi Santoso")
    expect(card.locator(".reply-quote")).to_contain_text("Ya, mau booking")
    card.get_by_label("Tanggal").fill(tomorrow)
    card.get_by_label("Jam").fill("10:30")
    card.get_by_role("button", name="Jadwalkan & kirim konfirmasi").click()
    expect(page.locator(".flash-success")).to_have_text("Booking dijadwalkan dan konfirmasi terkirim ke pelanggan.")
    expect(nav.locator(".count-badge")).to_have_count(0)
    [request] = cloud_api.requests
    assert "B 1234 XYZ" in request["json"]["text"]["body"] and "pukul 10:30" in request["json"]["text"]["body"]
