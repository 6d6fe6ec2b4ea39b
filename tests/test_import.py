"""Importing sheets through the real upload form: the samples, bad files, updates, all-or-nothing."""
import csv
import html
import io
import os
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from app.extensions import db
from app.models import Customer, ImportBatch

# The real sheets users upload live in shared/, beside the project (as in CI's checkout).
SAMPLES = Path(os.environ.get("SAMPLES_DIR") or Path(__file__).resolve().parents[2] / "shared" / "samples")
assert SAMPLES.is_dir(), f"the sample sheets are missing: {SAMPLES} (set SAMPLES_DIR)"

# What the user reads for each reason the expected outcome file gives.
MESSAGES = {
    "no phone": "Nomor HP wajib diisi.",
    "landline": "Ini bukan nomor HP.",
    "phone too short": "Nomor HP tidak valid.",
    "bad date": "Tanggal \"tanggal salah\" tidak dikenali.",
    "no name": "Nama pelanggan wajib diisi.",
    "duplicate plate": "Nomor polisi B 1234 XYZ sama dengan baris 2 di file ini.",
}


@pytest.fixture
def staff(auth):
    auth.login_staff()
    return auth


def upload(client, name, data, **kwargs):
    return client.post("/import/", data={"file": (io.BytesIO(data), name)}, **kwargs)


def preview_statuses(html: str) -> dict[int, str]:
    return {int(row): status for row, status in re.findall(r'<tr id="row-(\d+)"[^>]*data-status="(\w+)"', html)}


def customers(app) -> dict[str, Customer]:
    with app.app_context():
        return {c.nopol: c for c in db.session.scalars(db.select(Customer))}


def counts(app):
    with app.app_context():
        return (db.session.scalar(db.select(db.func.count(Customer.id))),
                db.session.scalar(db.select(db.func.count(ImportBatch.id))))


def expected_outcomes():
    with open(SAMPLES / "pelanggan_contoh.expected.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "xls", "ods"])
def test_sample_files_import_exactly_as_expected(app, client, staff, suffix):
    name = f"pelanggan_contoh.{suffix}"
    response = upload(client, name, (SAMPLES / name).read_bytes())
    assert response.status_code == 302
    preview = html.unescape(client.get(response.headers["Location"]).text)
    statuses = preview_statuses(preview)
    expected = expected_outcomes()
    kinds = {"ok": "new", "error": "error", "dup": "duplicate"}
    for row in expected:
        sheet_row = int(row["row"]) + 1  # the header is the sheet's first row
        assert statuses.get(sheet_row) == kinds[row["expected"]], row
        if row["expected"] != "ok":
            assert MESSAGES[row["why"]] in preview, row
    assert "Nomor polisi B 1234 XYZ sama dengan baris 2" in preview
    assert counts(app) == (0, 1)  # the preview writes no customer

    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    stored = customers(app)
    assert set(stored) == {"B 1234 XYZ", "B 1234 ABC", "D 1028 EB", "AB 12 C", "L 4567 KM", "N 1 A"}
    # Exactly the rows the expected file marks "ok", by name, and nobody else.
    assert sorted(c.customer_name for c in stored.values()) == \
        sorted(row["name"] for row in expected if row["expected"] == "ok")
    assert stored["B 1234 XYZ"].customer_name == "Bapak Joko"  # the first of the two rows, not the duplicate
    assert stored["B 1234 ABC"].no_hp == "6281234567890"
    assert stored["B 1234 ABC"].next_service == date(2026, 3, 1)  # blank: last service + 6 months
    assert stored["AB 12 C"].no_hp == "6285712345678"  # stored as a number, leading 0 lost
    assert stored["L 4567 KM"].last_service == date(2025, 8, 3)  # "3 Agustus 2025"
    assert stored["N 1 A"].last_service == date(2025, 9, 1)  # "01-09-2025", day first
    assert stored["D 1028 EB"].notes == "partner: Bengkel Jaya"
    refused, duplicated = (sum(1 for row in expected if row["expected"] == kind) for kind in ("error", "dup"))
    assert re.search(rf"<strong>{refused}</strong>\s*ditolak", preview)
    assert re.search(rf"<strong>{duplicated}</strong>\s*duplikat dalam file", preview)
    result = client.get(response.headers["Location"]).text
    assert re.search(r"<strong>6</strong>\s*pelanggan baru", result)
    # The result counts as the preview did: refused by a rule, and repeated in the file.
    assert re.search(rf"<strong>{refused}</strong>\s*ditolak", result)
    assert re.search(rf"<strong>{duplicated}</strong>\s*duplikat dalam file", result)


def test_refused_rows_download_has_the_sheet_row_and_the_problem(client, staff):
    response = upload(client, "pelanggan_contoh.csv", (SAMPLES / "pelanggan_contoh.csv").read_bytes())
    batch_url = response.headers["Location"]
    client.post(batch_url + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    download = client.get(batch_url + "/refused.csv")
    assert download.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Baris" and rows[0][-1] == "Kesalahan"
    assert len(rows) == 7
    landline = next(row for row in rows if "Toko Sumber Rejeki" in row)
    assert landline[0] == "8" and "Ini bukan nomor HP" in landline[-1]


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(160):
                member.write(chunk)
    return buffer.getvalue()


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("kosong.csv", b"", "File kosong."),
        ("kosong.xlsx", b"   \n", "File kosong."),
        ("tanpa-judul.csv", _csv("Budi;B 1234 XYZ;08123456789\nSiti;D 1 A;08131111222\n"),
         "Baris judul kolom tidak ditemukan."),
        ("palsu.xlsx", b"this is not a zip file at all", "bukan spreadsheet (isinya bukan arsip zip)"),
        ("palsu.xls", b"PK\x03\x04 not an OLE2 file", "File .xls ini rusak atau bukan file Excel."),
        ("bom.xlsx", None, "terlalu besar setelah dibuka"),
        ("ragged.csv", _csv("Nama;Nopol;No HP\nBudi;B 1234 XYZ;0812345678\nSiti;D 1 A;0813;ekstra;lagi\n"),
         "Baris 3 berisi 5 kolom, padahal judul kolom hanya 3."),
        ("daftar.pdf", b"%PDF-1.4", "Jenis file tidak didukung."),
    ],
)
def test_bad_files_are_refused_with_a_message_and_change_nothing(app, client, staff, name, data, message):
    response = upload(client, name, _bomb() if data is None else data)
    assert response.status_code == 422
    assert message in response.text
    assert counts(app) == (0, 0)


def test_file_over_the_size_limit_is_refused(app, client, staff):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = upload(client, "besar.csv", b"Nama;Nopol;No HP\n" + b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert "File terlalu besar (maks. 1 MB)." in response.text
    assert counts(app) == (0, 0)


def test_header_below_a_title_block_is_found(app, client, staff):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DAFTAR PELANGGAN BENGKEL MAJU"])
    sheet.append(["Dicetak 1 Nov 2025"])
    sheet.append([])
    sheet.append(["Plat Nomor", "NAMA", "WhatsApp", "Jadwal Servis", "Catatan"])
    sheet.append(["b 9 xy", "Rina", 8123456789, date(2026, 2, 1), "=HYPERLINK(\"http://x\")"])
    sheet.append(["F 1 Z", "Agus", "8.123456788E9", 46100, ""])  # scientific phone, serial date
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, "judul.xlsx", buffer.getvalue())
    preview = client.get(response.headers["Location"]).text
    assert preview_statuses(preview) == {5: "new", 6: "new"}
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    stored = customers(app)
    assert stored["B 9 XY"].no_hp == "628123456789"
    assert stored["F 1 Z"].no_hp == "628123456788"
    assert stored["F 1 Z"].next_service == date(2026, 3, 19)  # Excel serial 46100


def test_columns_not_found_are_chosen_by_the_user(app, client, staff):
    data = _csv("Nama;Kendaraan;Kontak\nBudi;B 1234 XYZ;0812 3456 789\n")
    response = upload(client, "kolom.csv", data)
    preview = client.get(response.headers["Location"]).text
    assert "Kolom berikut tidak ditemukan di file: Nomor polisi, No. HP / WhatsApp." in preview
    assert "Impor sekarang" not in preview
    client.post(response.headers["Location"] + "/columns",
                data={"column_customer_name": "0", "column_nopol": "1", "column_no_hp": "2"})
    preview = client.get(response.headers["Location"]).text
    assert preview_statuses(preview) == {2: "new"}
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    assert customers(app)["B 1234 XYZ"].no_hp == "628123456789"


def test_existing_plates_are_skipped_or_updated_as_chosen(app, client, staff, make_customer):
    make_customer(customer_name="Budi", nopol="B 1234 XYZ", no_hp="08123456789", notes="lama")
    make_customer(customer_name="Siti", nopol="D 1 A", no_hp="081311112222")
    data = _csv("Nama;Nopol;No HP\nBudi;b1234xyz;0813 9999 8888\nSiti;D 1 A;081311112222\n")
    for choice, expected_phone in (("skip", "628123456789"), ("update", "6281399998888")):
        response = upload(client, "ubah.csv", data)
        preview = client.get(response.headers["Location"]).text
        assert preview_statuses(preview) == {2: "update"}
        assert "sudah ada, sama persis" in preview
        assert "<del>0812-3456-789</del> → <ins>0813-9999-8888</ins>" in preview  # as people write them
        client.post(response.headers["Location"] + "/commit", data={"on_existing": choice, "mode": "valid_only"})
        stored = customers(app)
        assert stored["B 1234 XYZ"].no_hp == expected_phone
        assert stored["B 1234 XYZ"].notes == "lama"  # a column the sheet does not have is left alone


def test_preview_warns_when_updating_would_rename_or_move_a_service_date_back(app, client, staff, make_customer):
    make_customer(customer_name="Budi Santoso", nopol="B 1234 XYZ", no_hp="08123456789",
                  last_service=date(2026, 8, 15), next_service=date(2027, 2, 15))
    make_customer(customer_name="Siti", nopol="D 1 A", no_hp="081311112222", last_service=date(2026, 1, 1))
    data = _csv("Nama;Nopol;No HP;Servis terakhir;Servis berikutnya\n"
                "Budi Sentosa;B 1234 XYZ;08123456789;01/03/2026;01/09/2026\n"  # another name, older dates
                "Siti;D 1 A;081311112222;01/02/2026;\n")  # a later service: nothing to warn about
    preview = client.get(upload(client, "lama.csv", data).headers["Location"]).text
    assert preview_statuses(preview) == {2: "update", 3: "update"}
    warning = re.search(r'<p class="flash flash-error" role="alert" id="update-warning">\s*(.*?)\s*</p>', preview, re.S)
    assert warning and warning.group(1).startswith("1 pelanggan yang sudah ada akan berganti nama")
    budi = re.search(r'<tr id="row-2".*?</tr>', preview, re.S).group(0)
    assert 'class="needs-a-look"' in budi
    assert "Nama berubah: pastikan ini pelanggan yang sama." in budi
    assert "Servis terakhir mundur dari 15 Agu 2026 ke 1 Mar 2026." in budi
    assert "Servis berikutnya mundur dari 15 Feb 2027 ke 1 Sep 2026." in budi
    assert "<del>15 Agu 2026</del> → <ins>1 Mar 2026</ins>" in budi  # dates as people read them, never ISO
    siti = re.search(r'<tr id="row-3".*?</tr>', preview, re.S).group(0)
    assert "needs-a-look" not in siti and "mundur" not in siti and "1 Feb 2026" in siti


def test_all_or_nothing_writes_nothing_when_a_row_is_refused(app, client, staff):
    response = upload(client, "pelanggan_contoh.csv", (SAMPLES / "pelanggan_contoh.csv").read_bytes())
    result = client.post(response.headers["Location"] + "/commit",
                         data={"on_existing": "skip", "mode": "all_or_nothing"}, follow_redirects=True)
    assert "6 baris ditolak, jadi tidak ada yang diimpor." in result.text
    assert counts(app)[0] == 0
    # Still a preview: the user can choose again.
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    assert counts(app)[0] == 6


def test_committing_twice_writes_once(app, client, staff):
    response = upload(client, "pelanggan_contoh.csv", (SAMPLES / "pelanggan_contoh.csv").read_bytes())
    for _ in range(2):
        client.post(response.headers["Location"] + "/commit", data={"on_existing": "update", "mode": "valid_only"})
    assert counts(app)[0] == 6


def test_plate_added_between_preview_and_commit_is_not_duplicated(app, client, staff, make_customer):
    response = upload(client, "satu.csv", _csv("Nama;Nopol;No HP\nBudi;B 1234 XYZ;08123456789\n"))
    make_customer(customer_name="Budi (dari kasir)", nopol="B 1234 XYZ")
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    stored = customers(app)
    assert len(stored) == 1 and stored["B 1234 XYZ"].customer_name == "Budi (dari kasir)"


def test_import_history_lists_who_imported_what(client, staff):
    response = upload(client, "pelanggan_contoh.csv", (SAMPLES / "pelanggan_contoh.csv").read_bytes())
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    page = client.get("/import/").text
    assert "pelanggan_contoh.csv" in page and "<td>staf</td>" in page


def test_template_sheet_imports_cleanly(app, client, staff):
    template = client.get("/import/template.xlsx")
    assert template.status_code == 200
    response = upload(client, "templat.xlsx", template.data)
    assert preview_statuses(client.get(response.headers["Location"]).text) == {2: "new"}


def test_semicolon_csv_with_commas_and_quotes_inside_a_name(app, client, staff):
    data = (b'Nama;Nopol;No HP;Catatan\n"Toko ""Maju"", Jaya";B 78 C;0812 3456 7890;"a, b, c"\n'
            b"Siti;B 79 C;0813 1111 2222;\n")
    response = upload(client, "toko.csv", data)
    assert response.status_code == 302, response.text
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    stored = customers(app)
    assert stored["B 78 C"].customer_name == 'Toko "Maju", Jaya' and stored["B 78 C"].notes == "a, b, c"
    assert stored["B 79 C"].customer_name == "Siti"


@pytest.mark.parametrize("sheet", ["Nama;Nopol;No HP\n", "Nama;Nopol;No HP\n;;\n\n"])
def test_a_sheet_with_only_its_header_says_so(app, client, staff, sheet):
    response = upload(client, "kosong.csv", sheet.encode())
    assert response.status_code == 422
    assert "hanya berisi judul kolom" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ImportBatch)) == 0


def test_windows_1252_csv_with_commas(app, client, staff):
    data = "Nama,Nopol,No HP,Catatan\nJosé Ñoño,B 77 C,0812 3456 7890,café\n".encode("cp1252")
    response = upload(client, "lama.csv", data)
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    assert customers(app)["B 77 C"].customer_name == "José Ñoño"


# --- export ----------------------------------------------------------------------------------

def test_export_follows_the_search_and_neutralises_formulas(client, staff, make_customer):
    make_customer(customer_name="=HYPERLINK(\"http://evil\")", nopol="B 1 A", no_hp="08123456789",
                  notes="+62 catatan", next_service=date(2026, 1, 15))
    make_customer(customer_name="Siti", nopol="D 1 A", no_hp="081311112222")
    response = client.get("/import/export.csv?q=b1a")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 2
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1][1] == "B 1 A" and rows[1][4] == "15/01/2026"
    assert rows[1][-1] == "'+62 catatan"


def test_export_writes_phones_as_text_and_times_in_the_workshops_zone(app, client, staff, make_customer):
    from datetime import UTC, datetime

    customer_id = make_customer(customer_name="Budi", nopol="B 1 A", no_hp="081234567890")
    with app.app_context():
        db.session.get(Customer, customer_id).last_reminder_sent = datetime(2026, 8, 15, 23, 30, tzinfo=UTC)
        db.session.commit()
    [_, row] = list(csv.reader(io.StringIO(client.get("/import/export.csv").text.lstrip("\ufeff")), delimiter=";"))
    assert row[2] == "0812-3456-7890"  # bare digits became 6,28E+12 in Excel
    assert row[7] == "16/08/2026 06:30"  # 23:30 UTC is 06:30 the next morning in Jakarta


def test_export_xlsx_round_trips_through_the_import(app, client, staff, make_customer):
    make_customer(customer_name="Budi", nopol="B 1 A", no_hp="08123456789", last_service=date(2026, 1, 15))
    exported = client.get("/import/export.xlsx")
    assert exported.status_code == 200
    with app.app_context():
        db.session.execute(db.delete(Customer))
        db.session.commit()
    response = upload(client, "pelanggan.xlsx", exported.data)
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    stored = customers(app)["B 1 A"]
    assert (stored.customer_name, stored.no_hp, stored.last_service) == ("Budi", "628123456789", date(2026, 1, 15))


def test_upload_without_a_file_asks_for_one(client, staff):
    response = client.post("/import/", data={})
    assert response.status_code == 422
    assert "Pilih file yang akan diimpor." in response.text


def test_htmx_upload_loads_the_preview_page(client, staff):
    response = upload(client, "pelanggan_contoh.csv", (SAMPLES / "pelanggan_contoh.csv").read_bytes(),
                      headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/import/")
    failed = upload(client, "x.xlsx", b"not a zip", headers={"HX-Request": "true"})
    assert failed.status_code == 422
    assert failed.text.lstrip().startswith('<article id="upload-panel">')


def _search_documents(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return None
        return dict(db.session.execute(sa.text(
            "SELECT m.nopol, s.doc FROM manual_whatsapp m JOIN customer_search s ON s.rowid = m.rowid")).all())


def test_a_large_import_is_searchable_like_customers_added_one_by_one(app, client, staff, make_customer):
    rows = "".join(f"Pelanggan Impor {i};B {i + 1} IMP;0813{i:08d}\n" for i in range(600))
    response = upload(client, "besar.csv", _csv("Nama;Nopol;No HP\n" + rows))
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    assert counts(app)[0] == 600
    for query, name in (("impor 599", "Pelanggan Impor 599"), ("b600imp", "Pelanggan Impor 599"),
                        ("0813 0000 0599", "Pelanggan Impor 599"), ("B 17 IMP", "Pelanggan Impor 16")):
        page = client.get("/customers/", query_string={"q": query}).text
        assert f">{name}</a>" in page, query
    # Added after the import, through the form: still indexed (the trigger is back).
    make_customer(customer_name="Datang Belakangan", nopol="D 9 ZZ", no_hp="081299998888")
    assert ">Datang Belakangan</a>" in client.get("/customers/", query_string={"q": "belakangan"}).text
    documents = _search_documents(app)
    if documents is not None:  # the import wrote the same search document the trigger writes
        assert documents["B 1 IMP"] == "pelanggan impor 0 B1IMP 6281300000000"
        assert documents["D 9 ZZ"] == "datang belakangan D9ZZ 6281299998888"
        assert len(documents) == 601


def test_a_large_import_that_fails_leaves_the_search_index_as_it_was(app, client, staff, make_customer, monkeypatch):
    from app.services import importing

    rows = "".join(f"Pelanggan Impor {i};B {i + 1} IMP;0813{i:08d}\n" for i in range(600))
    response = upload(client, "besar.csv", _csv("Nama;Nopol;No HP\n" + rows))
    make_customer(customer_name="Sudah Ada", nopol="B 300 IMP", no_hp="081211112222")  # taken meanwhile
    monkeypatch.setattr(importing, "compare_with_database", lambda state: None)  # so the insert hits it
    page = client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"},
                       follow_redirects=True).text
    assert "Data pelanggan berubah selama impor" in page
    assert counts(app)[0] == 1
    make_customer(customer_name="Datang Belakangan", nopol="D 9 ZZ", no_hp="081299998888")
    assert ">Datang Belakangan</a>" in client.get("/customers/", query_string={"q": "belakangan"}).text
    documents = _search_documents(app)
    if documents is not None:
        assert set(documents) == {"B 300 IMP", "D 9 ZZ"}


def test_a_long_preview_lists_the_first_rows_of_each_kind_and_counts_them_all(app, client, staff):
    """The preview page reads only the counts and the rows it lists; the commit still writes every row."""
    good = "".join(f"Pelanggan {i};B {i + 1} LPR;0813{i:08d}\n" for i in range(260))
    bad = "".join(f"Tanpa HP {i};D {i + 1} LPR;\n" for i in range(230))
    response = upload(client, "panjang.csv", _csv("Nama;Nopol;No HP\n" + good + bad))
    page = client.get(response.headers["Location"]).text
    assert "<strong>260</strong> baru" in page and "<strong>230</strong> ditolak" in page
    statuses = preview_statuses(page)
    assert sorted(row for row, status in statuses.items() if status == "new") == list(range(2, 202))
    assert sorted(row for row, status in statuses.items() if status == "error") == list(range(262, 462))
    assert "… dan 60 lainnya." in page
    refused = client.get(response.headers["Location"] + "/refused.csv").text
    assert len(refused.strip().splitlines()) == 231
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    assert counts(app)[0] == 260


def test_a_preview_stored_in_the_earlier_single_stream_format_still_commits(app, client, staff):
    import zlib

    import orjson

    from app.services import importing

    response = upload(client, "lama.csv", _csv("Nama;Nopol;No HP\nBudi;B 1 LMA;081234567890\nTanpa HP;B 2 LMA;\n"))
    with app.app_context():
        batch = db.session.scalars(sa.select(ImportBatch)).one()
        state = importing.load_state(batch)
        batch.payload = zlib.compress(orjson.dumps({
            "columns": state.columns, "header_row": state.header_row, "mapping": state.mapping,
            "outcomes": [outcome.__dict__ for outcome in state.outcomes]}))
        db.session.commit()
    page = client.get(response.headers["Location"]).text
    assert "<strong>1</strong> baru" in page and "<strong>1</strong> ditolak" in page
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    assert set(customers(app)) == {"B 1 LMA"}


def _indexes(app) -> list[tuple]:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            return db.session.execute(sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'manual_whatsapp' ORDER BY indexname")).all()
        return db.session.execute(sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'manual_whatsapp' ORDER BY name")).all()


def test_a_large_import_into_a_small_table_keeps_every_index_whether_it_commits_or_fails(app, client, staff,
                                                                                          make_customer, monkeypatch):
    """The reading indexes are built again after such an insert: they are all back, in both cases."""
    from app.services import importing

    before = _indexes(app)
    assert len(before) >= 8
    rows = "".join(f"Pelanggan Impor {i};B {i + 1} IDX;0813{i:08d}\n" for i in range(600))
    failing = upload(client, "besar.csv", _csv("Nama;Nopol;No HP\n" + rows))
    make_customer(customer_name="Sudah Ada", nopol="B 300 IDX", no_hp="081211112222")  # taken meanwhile
    with monkeypatch.context() as patch:
        patch.setattr(importing, "compare_with_database", lambda state: None)  # so the insert hits it
        page = client.post(failing.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"},
                           follow_redirects=True).text
    assert "Data pelanggan berubah selama impor" in page
    assert _indexes(app) == before and counts(app)[0] == 1
    rows = "".join(f"Pelanggan Lain {i};D {i + 1} IDX;0815{i:08d}\n" for i in range(600))
    response = upload(client, "besar2.csv", _csv("Nama;Nopol;No HP\n" + rows))
    client.post(response.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"})
    assert _indexes(app) == before and counts(app)[0] == 601
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
        found = db.session.scalars(sa.select(Customer.nopol).where(Customer.customer_name == "Pelanggan Lain 5")).all()
        assert found == ["D 6 IDX"]
    assert ">Pelanggan Lain 5</a>" in client.get("/customers/", query_string={"q": "lain 5"}).text


def test_large_imports_on_postgresql_wait_for_no_reader_and_two_at_once_both_land(app, client, staff, database_url,
                                                                                  monkeypatch):
    """A first large load goes in with the indexes in place on PostgreSQL: dropping them needed the
    table's exclusive lock, which waited for any open reader (and queued every new one behind it),
    and two such imports committed at once deadlocked."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (SQLite builds the indexes after a first load; its writers take turns)")
    import threading
    import uuid

    import psycopg

    from app.services import importing

    batches = []
    for name, plate in (("satu.csv", "SAT"), ("dua.csv", "DUA")):
        rows = "".join(f"Pelanggan {plate} {i};B {i + 1} {plate};0813{i:04d}{len(batches)}000\n" for i in range(600))
        batches.append(upload(client, name, _csv("Nama;Nopol;No HP\n" + rows)).headers["Location"].rsplit("/", 1)[1])
    barrier = threading.Barrier(2, timeout=30)
    insert = importing._insert_customers

    def after_both_have_read(*args):  # each commit has read the table before either writes
        barrier.wait()
        return insert(*args)

    monkeypatch.setattr(importing, "_insert_customers", after_both_have_read)
    results = {}

    def commit(batch_id):
        with app.app_context():
            try:
                importing.commit_import(db.session.get(ImportBatch, batch_id), "skip", "valid_only")
                db.session.commit()
                results[batch_id] = "committed"
            except Exception as exc:  # the test reports what went wrong
                db.session.rollback()
                results[batch_id] = repr(exc)

    # A reader's open transaction (a stats page, a batch that is sending) holds a share of the table.
    reader = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        reader.execute("SELECT count(*) FROM manual_whatsapp")
        threads = [threading.Thread(target=commit, args=(uuid.UUID(batch_id),)) for batch_id in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "an import waited for the reader"
    finally:
        reader.close()
    assert sorted(results.values()) == ["committed", "committed"], results
    assert counts(app)[0] == 1200
