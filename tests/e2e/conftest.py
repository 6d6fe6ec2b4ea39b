"""Browser tests: the real app served on 127.0.0.1, driven in Debian's headless Chromium."""
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# Chromium's own background traffic has nowhere to go on a closed network; keep it quiet.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test's app served over HTTP in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _open_page(browser, live_server, request, **options):
    context = browser.new_context(base_url=live_server, locale="id-ID", viewport={"width": 1280, "height": 900},
                                  **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Every console error fails the test: a CSP violation, a missing file (the favicon), a script error.
    # A test that provokes an error answer on purpose names its status: @pytest.mark.http_errors(404).
    marker = request.node.get_closest_marker("http_errors")
    expected = tuple(f"{word} {status}" for status in (marker.args if marker else ())
                     for word in ("status of", "Error Code"))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not any(text in message.text for text in expected) else None)
    yield page
    context.close()
    assert not errors, f"JavaScript errors or CSP violations on the page: {errors}"


@pytest.fixture
def page(browser, live_server, request):
    yield from _open_page(browser, live_server, request)


@pytest.fixture
def page_without_js(browser, live_server, request):
    """The same page with JavaScript switched off: every form must still work as a plain form."""
    yield from _open_page(browser, live_server, request, java_script_enabled=False)


def fill_customer_form(page, name, plate, phone, last_service=None):
    """Type a customer into the add/edit form, as the front desk does, and save."""
    page.get_by_label("Nama pelanggan").fill(name)
    page.get_by_label("Nomor polisi").fill(plate)
    page.get_by_label("No. HP / WhatsApp").fill(phone)
    if last_service:
        page.get_by_label("Servis terakhir").fill(last_service)
    page.get_by_role("button", name="Simpan").click()


def log_in(page, username, password):
    page.goto("/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/customers/")


ROW_MENU_ACTIONS = ("Ubah", "Nonaktifkan", "Aktifkan", "Hapus")


def row_action(row, name):
    """A row's action as the front desk reaches it: Ubah, (Non)aktifkan and Hapus sit in "Lainnya"."""
    if name in ROW_MENU_ACTIONS:
        menu = row.locator(".row-menu")
        if menu.get_attribute("open") is None:
            menu.get_by_role("button", name="Lainnya").click()
        return row.locator(".row-menu").get_by_role("link" if name == "Ubah" else "button", name=name, exact=True)
    return row.get_by_role("button", name=name, exact=True)
