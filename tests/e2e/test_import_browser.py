"""The manager imports a sheet in the browser: preview with one refused row, commit, see the list."""
import re

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
