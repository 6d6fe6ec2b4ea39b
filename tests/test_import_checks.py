"""An upload's rows are checked in the background: progress from the server, a preview at the end,
and a clear end when the check fails or its process dies."""
import io
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Customer, ImportBatch
from app.services import import_checks, importing

HEADER = "Nama;Nopol;No HP;Servis terakhir\n"


def _sheet(rows: int) -> bytes:
    lines = [f"Pelanggan {i};B {i + 1} AB;0812{i:08d};01/06/2026" for i in range(rows)]
    return (HEADER + "\n".join(lines) + "\n").encode()


@pytest.fixture
def staff(auth):
    auth.login_staff()
    return auth


@pytest.fixture
def in_background(app):
    app.config["IMPORT_CHECK_IN_BACKGROUND"] = True


def _upload(client, data, name="pelanggan.csv"):
    return client.post("/import/", data={"file": (io.BytesIO(data), name)})


def _batch(app) -> ImportBatch:
    with app.app_context():
        return db.session.scalars(sa.select(ImportBatch)).one()


def test_the_upload_answers_before_the_rows_are_checked_and_the_page_shows_progress(app, client, staff, monkeypatch):
    """The check waits on a gate, so the test sees the state in between, as a person reloading would."""
    app.config["IMPORT_CHECK_IN_BACKGROUND"] = True
    gate, started = threading.Event(), threading.Event()
    seen = []
    real_beat = import_checks._beat

    def beat(batch_id, done):
        real_beat(batch_id, done)
        seen.append(done)
        if done == 2 * import_checks.PROGRESS_EVERY:
            started.set()
            gate.wait(10)

    monkeypatch.setattr(import_checks, "_beat", beat)
    response = _upload(client, _sheet(5000))
    assert response.status_code == 302  # answered while the rows are still being checked
    assert started.wait(10)
    page = client.get(response.headers["Location"])
    assert "Memeriksa 5.000 baris…" in page.text and "40% selesai" in page.text
    assert 'value="40" max="100"' in page.text
    progress = client.get(response.headers["Location"] + "/progress", headers={"HX-Request": "true"})
    assert "40% selesai" in progress.text and "HX-Refresh" not in progress.headers
    gate.set()
    for _ in range(200):
        if _batch(app).status != ImportBatch.STATUS_CHECKING:
            break
        threading.Event().wait(0.05)
    done = client.get(response.headers["Location"] + "/progress", headers={"HX-Request": "true"})
    assert done.headers["HX-Refresh"] == "true"  # the page reloads as the preview
    preview = client.get(response.headers["Location"]).text
    assert re.search(r"<strong>5000</strong>\s*baru", preview)
    assert seen == [0, 1000, 2000, 3000, 4000, 5000]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0  # nothing saved yet


def test_a_check_whose_process_died_ends_with_a_clear_message(app, client, staff, in_background, monkeypatch):
    monkeypatch.setattr(import_checks, "launch", lambda batch_id: None)  # the process died before it began
    response = _upload(client, _sheet(3))
    assert "Memeriksa 3 baris…" in client.get(response.headers["Location"]).text
    app.config["CLOCK_SHIFT"] += import_checks.STALE_AFTER + timedelta(seconds=1)
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert "Pemeriksaan file terhenti sebelum selesai" in page.text and "Unggah file itu lagi" in page.text
    assert _batch(app).status == ImportBatch.STATUS_FAILED


def test_a_check_that_fails_says_why_and_keeps_nothing(app, client, staff, in_background, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_checks, "launch", lambda batch_id: import_checks.run_check(batch_id))
    monkeypatch.setattr(importing, "compare_with_database", broken)
    response = _upload(client, _sheet(3))
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert "Pemeriksaan file gagal. Unggah file itu lagi." in page.text
    batch = _batch(app)
    assert batch.status == ImportBatch.STATUS_FAILED and batch.sheet_data is None and batch.payload is None


def test_choosing_columns_checks_the_rows_again_in_the_background(app, client, staff, in_background, monkeypatch):
    launched = []
    monkeypatch.setattr(import_checks, "launch", launched.append)
    data = b"Siapa;Plat;Kontak\nBudi;B 1 A;08123456789\n"
    response = _upload(client, data)
    assert launched == []  # nothing to check until the columns are known
    client.post(response.headers["Location"] + "/columns",
                data={"column_customer_name": "0", "column_nopol": "1", "column_no_hp": "2"})
    assert len(launched) == 1 and _batch(app).status == ImportBatch.STATUS_CHECKING
    with app.app_context():
        import_checks.run_check(launched[0])
    assert re.search(r"<strong>1</strong>\s*baru", client.get(response.headers["Location"]).text)
