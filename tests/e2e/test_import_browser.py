"""The manager imports a sheet in the browser: preview with one refused row, commit, see the list."""
import re
import threading

import pytest
from playwright.sync_api import expect

from tests.conftest import MANAGER
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

SHEET = (
    "Nama Pelanggan;No. Polisi;No HP / WA;Tgl Servis Terakhir;Servis Berikutnya;Keterangan\n"
    "Rina Marlina;b 77 rm;0812-7777-6666;02/10/2025;15/01/2026;walk-in\n"
    "Toko Sumber Rejeki;H 7777 ZZ;021-5551234;05/05/2025;05/11/2025;telepon kantor\n"
    "Agus Salim;d 88 as;+62 813 8888 7777;3 Agustus 2025;;\n"
)


def test_upload_preview_commit_and_see_the_new_customers(page, users, tmp_path):
    sheet = tmp_path / "pelanggan.csv"
    sheet.write_text(SHEET, encoding="utf-8-sig")
    log_in(page, *MANAGER)

    page.get_by_role("link", name="Impor").click()
    page.get_by_label("File pelanggan").set_input_files(str(sheet))
    page.get_by_role("button", name="Unggah dan lihat pratinjau").click()

    expect(page.get_by_role("heading", name="Pratinjau: pelanggan.csv")).to_be_visible()
    summary = page.locator("#import-summary")
    expect(summary).to_contain_text("2 baru")
    expect(summary).to_contain_text("1 ditolak")
    refused = page.locator("table.refused tbody tr")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("Toko Sumber Rejeki")
    expect(refused).to_contain_text("Ini bukan nomor HP")
    expect(page.locator("table.new-rows")).to_contain_text("B 77 RM")

    page.get_by_role("button", name="Impor sekarang").click()
    expect(page.locator("#import-result")).to_contain_text("2 pelanggan baru")
    page.get_by_role("button", name="Lihat daftar pelanggan").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.locator("tbody tr", has_text="Rina Marlina")).to_contain_text("B 77 RM")
    expect(page.locator("tbody tr", has_text="Agus Salim")).to_contain_text("0813-8888-7777")
    expect(page.locator("tbody tr", has_text="Toko Sumber Rejeki")).to_have_count(0)


@pytest.mark.http_errors(422)
def test_the_reason_a_file_is_refused_is_shown_on_screen(page, users, tmp_path):
    """The upload answers 422 with the form and the reason; the person reads the reason, not a generic error."""
    sheet = tmp_path / "pelanggan.xlsx"
    sheet.write_bytes(b"this is not a spreadsheet")
    log_in(page, *MANAGER)
    page.goto("/import/")
    page.get_by_label("File pelanggan").set_input_files(str(sheet))
    page.get_by_role("button", name="Unggah dan lihat pratinjau").click()
    expect(page.locator("#upload-panel")).to_contain_text("rusak atau bukan spreadsheet")
    expect(page.locator("#toast")).to_have_count(0)  # no "Permintaan gagal. Coba lagi." instead of the reason
    expect(page.get_by_role("button", name="Unggah dan lihat pratinjau")).to_be_enabled()


def test_a_big_sheet_shows_the_servers_progress_then_the_preview(page, app, users, tmp_path, monkeypatch):
    from app.services import import_checks

    app.config["IMPORT_CHECK_IN_BACKGROUND"] = True
    gate = threading.Event()
    real_beat = import_checks._beat

    def beat(batch_id, done):  # holds the check at 60% until the page has shown it
        real_beat(batch_id, done)
        if done == 3 * import_checks.PROGRESS_EVERY:
            gate.wait(15)

    monkeypatch.setattr(import_checks, "_beat", beat)
    sheet = tmp_path / "besar.csv"
    sheet.write_text("Nama;Nopol;No HP\n" + "".join(f"Pelanggan {i};B {i + 1} AB;0812{i:08d}\n" for i in range(5000)))
    log_in(page, *MANAGER)
    page.goto("/import/")
    page.get_by_label("File pelanggan").set_input_files(str(sheet))
    page.get_by_role("button", name="Unggah dan lihat pratinjau").click()
    expect(page.locator("#checking")).to_contain_text("Memeriksa 5.000 baris…")
    expect(page.locator("#checking-percent")).to_have_text("60% selesai")
    expect(page.get_by_role("progressbar", name="Kemajuan pemeriksaan file")).to_have_attribute("value", "60")
    gate.set()
    expect(page.get_by_role("heading", name="Pratinjau: besar.csv")).to_be_visible(timeout=15_000)
    expect(page.locator("#import-summary")).to_contain_text("5000 baru")
