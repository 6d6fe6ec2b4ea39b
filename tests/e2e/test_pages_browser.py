"""Every page, at a phone's, a tablet's and a laptop's width: it fits, and axe-core finds no serious fault.

axe-core (tests/e2e/vendor, the npm package unchanged) checks the WCAG 2 A and AA rules in the real
page: labels, names of buttons and links, contrast, headings, landmarks, language. It is run with
`page.evaluate`, which the browser runs outside the page's Content-Security-Policy; a <script> tag
would be refused by it, and the page must keep refusing inline scripts. The `page` fixture still
fails the test on any CSP violation or console error the page itself causes.
"""
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app import clock
from app.extensions import db
from app.models import Customer
from tests.conftest import MANAGER
from tests.e2e.conftest import log_in
from tests.fakes import deliver_meta, meta_reply

pytestmark = pytest.mark.e2e

SIZES = [(390, 844), (800, 1280), (1366, 768)]
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
SERIOUS = ("serious", "critical")
SHOTS = os.environ.get("SCREENSHOT_DIR")  # set it to keep a screenshot of every page and look at them
SHEET = (
    "Nama Pelanggan;No. Polisi;No HP / WA;Tgl Servis Terakhir;Servis Berikutnya;Keterangan\n"
    "Rina Marlina;b 77 rm;0812-7777-6666;02/10/2025;15/01/2026;walk-in\n"
    "Toko Sumber Rejeki;H 7777 ZZ;021-5551234;05/05/2025;05/11/2025;telepon kantor\n"
    "Budi Santoso;B 1000 XYZ;0812-3456-7800;01/01/2026;01/07/2026;nama dan tanggal berubah\n"
)


def faults(page) -> list[str]:
    """What a person would hit on the page as it is now: sideways scrolling, serious axe findings."""
    found = []
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        found.append(f"scrolls sideways by {overflow} px")
    page.evaluate(AXE)
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]},
                                                       resultTypes: ["violations"]})""")
    for violation in result["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{violation['impact']} {violation['id']} ({violation['help']}): {targets}")
    return found


def check(page, path, problems):
    page.wait_for_load_state("networkidle")
    if SHOTS:
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
        page.screenshot(path=f"{SHOTS}/{name}-{page.viewport_size['width']}.png", full_page=True)
    problems.extend(f"{path}: {fault}" for fault in faults(page))


@pytest.fixture
def workshop(app, make_customer):
    """A workshop's ordinary day: due, overdue, inactive and opted-out customers with history."""
    with app.app_context():
        today = clock.today()
    ids = []
    for index in range(8):
        ids.append(make_customer(customer_name=f"Pelanggan Nomor {index}", nopol=f"B {1000 + index} XYZ",
                                 no_hp=f"0812345678{index:02d}", last_service=today - timedelta(days=180),
                                 next_service=today + timedelta(days=index - 3), notes="Ganti oli"))
    with app.app_context():
        db.session.get(Customer, ids[6]).is_active = False
        db.session.get(Customer, ids[7]).opted_out = True
        db.session.commit()
    return ids


@pytest.mark.parametrize("width, height", SIZES)
def test_every_page_fits_and_passes_axe(page, live_server, app, users, cloud_api, workshop, tmp_path, width, height):
    page.set_viewport_size({"width": width, "height": height})
    problems = []
    # Replies waiting: a booking asked for, a question, and a number no customer has.
    app.config["WHATSAPP_APP_SECRET"] = "axe-secret"
    with app.app_context():
        now = int(clock.utcnow().timestamp())
    for phone, message_id, text in (("6281234567800", "wamid.A1", "1"), ("6281234567800", "wamid.A2", "Jam berapa buka?"),
                                    ("6285712345678", "wamid.A3", "sudah")):
        deliver_meta(live_server + "/webhooks/whatsapp", meta_reply(phone, message_id, text, timestamp=now), "axe-secret")
    log_in(page, *MANAGER)
    check(page, "/customers/", problems)

    # A batch, so the reminders page, the batch page, the stats and the history have something to show.
    page.goto("/reminders/")
    page.get_by_role("button", name="Tampilkan daftar").click()
    page.get_by_role("button", name="Kirim").filter(has_text="pengingat").click()
    expect(page.locator("#progress")).to_contain_text("Selesai", timeout=20_000)
    check(page, "batch page", problems)

    for path in ("/reminders/", f"/customers/{workshop[0]}", f"/customers/{workshop[0]}/edit", "/customers/new",
                 "/import/", "/stats/", "/settings/", "/users/", "/audit/", "/replies/", "/replies/6281234567800",
                 "/replies/6285712345678", "/bookings/"):
        page.goto(path)
        check(page, path, problems)

    # The main system knows one of the customers (and one plate of the sheet below): marked everywhere.
    export = tmp_path / "kendaraan.csv"
    export.write_text("No Polisi;No HP\nB 1001 XYZ;\nB 77 RM;\n", encoding="utf-8")
    page.goto("/main-system/")
    page.get_by_label("File kendaraan dari sistem utama").set_input_files(str(export))
    page.get_by_role("button", name="Unggah").click()
    expect(page.locator(".flash-success")).to_contain_text("Daftar sistem utama diperbarui")
    for path in ("/main-system/", "/main-system/handover", "/main-system/archive", "/customers/?q=B+1001"):
        page.goto(path)
        check(page, path, problems)

    sheet = tmp_path / "pelanggan.csv"
    sheet.write_text(SHEET, encoding="utf-8-sig")
    page.goto("/import/")
    page.get_by_label("File pelanggan").set_input_files(str(sheet))
    page.get_by_role("button", name="Unggah dan lihat pratinjau").click()
    expect(page.get_by_role("heading", name="Pratinjau: pelanggan.csv")).to_be_visible()
    expect(page.locator("#main-system-warning")).to_contain_text("1 baris ada di sistem utama")
    check(page, "import preview", problems)

    page.context.clear_cookies()
    page.goto("/login")
    check(page, "/login", problems)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width, height", SIZES)
def test_first_run_page_fits_and_passes_axe(page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/setup")
    problems = []
    check(page, "/setup", problems)
    assert not problems, "\n".join(problems)


@pytest.mark.http_errors(404)
def test_the_not_found_page_fits_and_passes_axe(page, users):
    log_in(page, *MANAGER)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/customers/00000000-0000-0000-0000-000000000000")
    problems = []
    check(page, "404", problems)
    assert not problems, "\n".join(problems)
