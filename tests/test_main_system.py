"""The main system beside this one: its plates and phones, from a second database or an uploaded export,
keep its customers out of every batch, mark them, and let the manager hand customers over."""
import io
import sqlite3
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import AuditEvent, Customer, CustomerArchive, MainSystemEntry
from tests.conftest import HTMX, csrf_token_from, set_local_time

QUERY = "SELECT no_polisi AS nopol, telepon AS no_hp FROM kendaraan WHERE aktif = 1"


@pytest.fixture
def main_db(tmp_path, app):
    """The workshop's main system: a second SQLite database with a vehicles table of its own."""
    path = tmp_path / "utama.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE kendaraan (no_polisi TEXT, telepon TEXT, aktif INTEGER)")
        connection.executemany("INSERT INTO kendaraan VALUES (?, ?, ?)", [
            ("b1234xyz", None, 1),  # a plate as the main system writes it
            (None, "+62 812-1111-2222", 1),  # a phone only
            ("D 77 AB", "0813 3333 4444", 1),
            ("???", "123", 1),  # neither readable: counted, not kept
            ("F 9 ZZ", "081355556666", 0),  # not selected by the query
        ])
    app.config.update(MAIN_DATABASE_URL=f"sqlite:///{path}", MAIN_SYSTEM_QUERY=QUERY)
    return path


@pytest.fixture
def customers(app, make_customer):
    """Four due customers: one shares a plate with the main system, one a phone, two are ours alone."""
    with app.app_context():
        soon = clock.today() + timedelta(days=1)
    return {
        "plate": make_customer(customer_name="Budi", nopol="B 1234 XYZ", no_hp="081299990000", next_service=soon),
        "phone": make_customer(customer_name="Sari", nopol="B 2 CD", no_hp="081211112222", next_service=soon),
        "ours": make_customer(customer_name="Joko", nopol="B 3 EF", no_hp="081277778888", next_service=soon),
        "also_ours": make_customer(customer_name="Rina", nopol="B 4 GH", no_hp="081266665555", next_service=soon),
    }


def entries(app) -> set:
    with app.app_context():
        return set(db.session.execute(sa.select(MainSystemEntry.source, MainSystemEntry.nopol, MainSystemEntry.phone)).all())


def test_cron_sync_reads_the_main_database_and_batches_skip_its_customers(app, runner, client, auth, cloud_api,
                                                                          main_db, customers):
    set_local_time(app, 10, 0)  # the cron sends only inside the sending hours
    result = runner.invoke(args=["main-system", "sync"])
    assert result.exit_code == 0, result.output
    assert "3 plates/phones from 4 rows, 1 rows without a valid plate or phone" in result.output
    assert entries(app) == {("database", "B 1234 XYZ", None), ("database", None, "6281211112222"),
                            ("database", "D 77 AB", "6281333334444")}

    auth.login_manager()
    plan = client.get("/reminders/").text
    assert plan.count("ada di sistem utama; diingatkan dari sana") == 2
    listing = client.get("/customers/").text
    assert listing.count('class="badge badge-muted main-system"') == 2

    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert sorted(request["json"]["to"].lstrip("+") for request in cloud_api.requests) == ["6281266665555", "6281277778888"]
    assert "skipped: 2" in result.output


def test_the_api_batch_leaves_them_out_too(app, api, cloud_api, main_db, customers, runner):
    assert runner.invoke(args=["main-system", "sync"]).exit_code == 0
    answer = api.post("/send-reminders", json={"days_threshold": 7}).json
    assert answer["sent"] == 2 and answer["skipped"] == 2
    assert sorted(request["json"]["to"].lstrip("+") for request in cloud_api.requests) == ["6281266665555", "6281277778888"]


def test_a_failed_sync_says_why_and_keeps_the_last_good_list(app, client, auth, runner, main_db, customers, tmp_path):
    assert runner.invoke(args=["main-system", "sync"]).exit_code == 0
    before = entries(app)
    auth.login_manager()

    app.config["MAIN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tidak-ada.db'}"
    result = runner.invoke(args=["main-system", "sync"])
    assert result.exit_code == 1 and "Tidak bisa terhubung ke database sistem utama" in result.output
    assert not (tmp_path / "tidak-ada.db").exists()  # a wrong path never creates an empty database

    app.config["MAIN_DATABASE_URL"] = f"sqlite:///{main_db}"
    app.config["MAIN_SYSTEM_QUERY"] = "SELECT nomor FROM mobil"
    page = client.post("/main-system/sync", follow_redirects=True).text
    assert "Daftar sistem utama tidak diperbarui; daftar terakhir tetap dipakai." in page
    assert "Perintah SQL sistem utama gagal: no such table: mobil" in page

    app.config["MAIN_SYSTEM_QUERY"] = "SELECT aktif FROM kendaraan"
    page = client.post("/main-system/sync", follow_redirects=True).text
    assert "Tidak ada kolom nomor polisi atau no. HP" in page

    app.config["MAIN_DATABASE_URL"] = "bukan-alamat"
    page = client.post("/main-system/sync", follow_redirects=True).text
    assert "Alamat database sistem utama tidak dikenali" in page

    assert entries(app) == before
    assert "Perbarui sekarang" in page and page.count("Gagal:") == 4  # the cron's failure and the three above


def test_the_main_database_is_only_read(app, main_db):
    from app.services.main_system import read_database
    from app.services.refusal import Refused

    with app.app_context(), pytest.raises(Refused):
        read_database(f"sqlite:///{main_db}", "DELETE FROM kendaraan")
    with sqlite3.connect(main_db) as connection:
        assert connection.execute("SELECT count(*) FROM kendaraan").fetchone() == (5,)


def test_the_manager_sets_the_connection_on_the_page_and_the_password_is_never_shown(app, client, auth, main_db):
    auth.login_manager()
    app.config.update(MAIN_DATABASE_URL=None, MAIN_SYSTEM_QUERY=None)
    response = client.post("/main-system/connection", data={
        "url": "postgresql+psycopg://pembaca:rahasia@10.0.0.5/bengkel", "query": "DELETE FROM kendaraan"})
    assert response.status_code == 422 and "Perintah SQL harus satu SELECT" in response.text
    response = client.post("/main-system/connection", data={
        "url": "postgresql+psycopg://pembaca:rahasia@10.0.0.5/bengkel", "query": QUERY}, follow_redirects=True)
    assert "Koneksi sistem utama disimpan." in response.text
    assert "rahasia" not in response.text and "pembaca:***@10.0.0.5" in response.text
    # Saved again as shown (no password typed): the stored password stays.
    client.post("/main-system/connection", data={"url": "postgresql+psycopg://pembaca:***@10.0.0.5/bengkel",
                                                 "query": QUERY})
    with app.app_context():
        from app.services.main_system import connection

        assert connection().url == "postgresql+psycopg://pembaca:rahasia@10.0.0.5/bengkel"
        details = " ".join(event.changes or "" for event in db.session.scalars(sa.select(AuditEvent)))
    assert "rahasia" not in details and "pembaca:***@10.0.0.5" in details


def test_an_uploaded_export_marks_customers_and_the_import_preview(app, client, auth, customers):
    auth.login_manager()
    export = "No Polisi;No HP\nB 1234 XYZ;\n;0812 1111 2222\n"
    response = client.post("/main-system/upload", data={"file": (io.BytesIO(export.encode()), "kendaraan.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Daftar sistem utama diperbarui: 2 kendaraan/nomor dari 2 baris." in response.text
    assert entries(app) == {("file", "B 1234 XYZ", None), ("file", None, "6281211112222")}

    sheet = "Nama;No Polisi;No HP\nAgus;B 1234 XYZ;0812 5555 0000\nDewi;B 8 KL;0812 1111 2222\nEka;B 9 MN;0812 6666 1111\n"
    response = client.post("/import/", data={"file": (io.BytesIO(sheet.encode()), "pelanggan.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    page = response.text
    if "Memeriksa" in page:  # the check runs in the background: wait for the preview
        for _ in range(100):
            page = client.get(response.request.path).text
            if "Pratinjau" in page:
                break
    assert "2 baris ada di sistem utama" in page
    assert page.count('class="badge badge-muted main-system"') == 2

    detail = client.get(f"/customers/{customers['phone']}").text
    assert "Ada di sistem utama" in detail and "Tetap kirim WA" in detail  # wa.me links: the default provider
    assert "Ada di sistem utama" not in client.get(f"/customers/{customers['ours']}").text


def test_a_person_is_asked_before_sending_to_a_customer_the_main_system_has(app, client, auth, cloud_api, main_db,
                                                                          customers, runner):
    assert runner.invoke(args=["main-system", "sync"]).exit_code == 0
    auth.login_staff()
    customer_id = customers["plate"]
    row = client.post(f"/customers/{customer_id}/remind", headers=HTMX, data={"next": "/customers/"}).text
    assert "ada di sistem utama dan mungkin sudah diingatkan dari sana. Tetap kirim?" in row
    assert f"/customers/{customer_id}/remind?main_system_ok=1" in row and cloud_api.requests == []
    row = client.post(f"/customers/{customer_id}/remind?main_system_ok=1", headers=HTMX, data={"next": "/customers/"}).text
    assert "Pengingat terkirim" in row
    assert [request["json"]["to"].lstrip("+") for request in cloud_api.requests] == ["6281299990000"]


def test_hand_over_then_archive_those_the_main_system_has(app, client, auth, customers, main_db, runner):
    auth.login_manager()
    page = client.get("/main-system/handover").text
    token = csrf_token_from(client.get("/main-system/").text)
    assert "Joko" in page and "Budi" in page
    response = client.post("/main-system/handover", data={
        "customer": [str(customers["ours"]), str(customers["also_ours"]), "bukan-id"], "csrf_token": token})
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows == [("nopol", "nama", "no_hp", "servis_terakhir", "servis_berikutnya", "catatan"),
                    ("B 3 EF", "Joko", "0812-7777-8888", None, rows[1][4], None),
                    ("B 4 GH", "Rina", "0812-6666-5555", None, rows[2][4], None)]

    # The main system imported Joko: after the next sync, one step archives those it has.
    with sqlite3.connect(main_db) as connection:
        connection.execute("INSERT INTO kendaraan VALUES ('B 3 EF', '081277778888', 1)")
    assert runner.invoke(args=["main-system", "sync"]).exit_code == 0
    confirm = client.get("/main-system/archive").text
    assert "3 pelanggan di daftar ini sudah ada di sistem utama" in confirm and "Joko" in confirm
    page = client.post("/main-system/archive", follow_redirects=True).text
    assert "3 pelanggan yang sudah ada di sistem utama diarsipkan." in page
    with app.app_context():
        left = set(db.session.scalars(sa.select(Customer.customer_name)))
        archived = set(db.session.scalars(sa.select(CustomerArchive.customer_name)))
        actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert left == {"Rina"} and archived == {"Budi", "Sari", "Joko"}
    assert {"customer.moved_to_main_system", "main_system.sync", "customers.export"} <= actions


def test_staff_cannot_reach_the_main_system_pages(client, auth):
    auth.login_staff()
    for path in ("/main-system/", "/main-system/handover", "/main-system/archive"):
        assert client.get(path).status_code == 403
    assert client.post("/main-system/sync").status_code == 403
    assert client.post("/main-system/archive").status_code == 403


def test_a_postgresql_schema_as_the_main_system_is_read_and_never_written(app, database_url, runner, customers):
    """On PostgreSQL the main system is a schema of its own, read in a read-only transaction."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (SQLite: the second database above)")
    from app.services.main_system import read_database
    from app.services.refusal import Refused

    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS utama CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA utama")
        connection.exec_driver_sql("CREATE TABLE utama.kendaraan (plat text, hp text)")
        connection.exec_driver_sql("INSERT INTO utama.kendaraan VALUES ('B 1234 XYZ', NULL), (NULL, '081211112222')")
    try:
        app.config.update(MAIN_DATABASE_URL=database_url, MAIN_SYSTEM_QUERY="SELECT plat, hp FROM utama.kendaraan")
        assert runner.invoke(args=["main-system", "sync"]).exit_code == 0
        assert entries(app) == {("database", "B 1234 XYZ", None), ("database", None, "6281211112222")}
        with app.app_context(), pytest.raises(Refused) as refused:
            read_database(database_url, "WITH gone AS (DELETE FROM utama.kendaraan RETURNING plat) SELECT * FROM gone")
        assert "read-only transaction" in str(refused.value.message)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM utama.kendaraan").scalar() == 2
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA utama CASCADE")
        engine.dispose()


@pytest.mark.parametrize("query", ["SELECT no_polisi AS nopol FROM kendaraan WHERE telepon <> ' :x' OR telepon IS NULL",
                                   "SELECT no_polisi AS nopol FROM kendaraan WHERE no_polisi LIKE '%1%'"])
def test_a_query_is_run_as_typed(app, runner, main_db, query):
    """A colon or a percent sign inside the SQL is text, not a parameter."""
    app.config["MAIN_SYSTEM_QUERY"] = query
    result = runner.invoke(args=["main-system", "sync"])
    assert result.exit_code == 0, result.output


def test_odd_addresses_and_values_answer_in_indonesian(app, client, auth, tmp_path):
    from app.services.main_system import entries_from

    auth.login_manager()
    response = client.post("/main-system/connection", data={"url": "postgresql://u:p@host:abc/db", "query": QUERY})
    assert response.status_code == 422 and "Alamat database tidak dikenali" in response.text
    app.config.update(MAIN_DATABASE_URL="postgresql://u:rahasia@host:abc/db", MAIN_SYSTEM_QUERY=QUERY)
    page = client.get("/main-system/").text
    assert "rahasia" not in page
    page = client.post("/main-system/sync", follow_redirects=True).text
    assert "Alamat database sistem utama tidak dikenali" in page
    # A "?mode=rwc" inside the path is part of the file's name: nothing is created.
    app.config["MAIN_DATABASE_URL"] = f"sqlite:///{tmp_path}/x.db%3Fmode=rwc"
    assert "Tidak bisa terhubung" in client.post("/main-system/sync", follow_redirects=True).text
    assert list(tmp_path.iterdir()) == []
    pairs, unreadable = entries_from([(b"B 1 AB", memoryview(b"081211112222")), (None, "bukan nomor")], 0, 1)
    assert pairs == {("B 1 AB", "6281211112222")} and unreadable == 1


def test_editing_the_masked_address_keeps_the_stored_password(app, client, auth):
    from app.services.main_system import connection

    auth.login_manager()
    client.post("/main-system/connection", data={"url": "postgresql+psycopg://pembaca:rahasia@10.0.0.5/bengkel",
                                                 "query": QUERY})
    client.post("/main-system/connection", data={"url": "postgresql+psycopg://pembaca:***@10.0.0.6/bengkel2",
                                                 "query": QUERY})
    with app.app_context():
        assert connection().url == "postgresql+psycopg://pembaca:rahasia@10.0.0.6/bengkel2"
