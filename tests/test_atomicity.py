"""One request, one transaction: a request that fails or dies half-way leaves nothing behind."""
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time

import sqlalchemy as sa

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import Customer
from app.services import customers as customers_service
from app.services.api_tokens import create_token
from app.services.users import find_user

RECORDS = [{"customer_name": f"Pelanggan {i}", "nopol": f"B {i + 1} KIL", "no_hp": f"0812{i:08d}"}
           for i in range(1000)]


def _count(app) -> int:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(sa.select(sa.func.count(Customer.id)))


def _writer_busy(app) -> bool:
    """True while another connection holds an open write transaction (the import in progress)."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            import sqlite3

            connection = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                connection.close()
        with db.engine.connect() as connection:
            return bool(connection.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")))


def test_bulk_import_killed_mid_request_leaves_nothing(app, users, database_url):
    """SIGKILL the server while it writes a 1,000-record import: none of the records is stored."""
    with app.app_context():
        _, token = create_token(find_user("manajer"), "kill test")
        db.session.commit()
    server = subprocess.Popen([sys.executable, "-m", "tests.serve", database_url], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        port = int(server.stdout.readline())
        answers = []

        def post():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                connection.request("POST", "/manual-whatsapp/bulk-import", body=json.dumps(RECORDS),
                                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                answers.append(connection.getresponse().status)
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                answers.append(exc)

        client = threading.Thread(target=post)
        client.start()
        deadline = time.monotonic() + 30
        while not _writer_busy(app):
            assert time.monotonic() < deadline and not answers, f"the import never started writing: {answers}"
            time.sleep(0.005)
        time.sleep(0.3)  # well into the records
        assert not answers, "the import finished before the server could be killed"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        client.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert answers and not isinstance(answers[0], int), "the client got an answer from a killed server"
    assert _count(app) == 0


def test_bulk_import_that_fails_half_way_writes_nothing(app, client, users, monkeypatch):
    """An unexpected failure on the third record undoes the two before it (the README's one transaction)."""
    with app.app_context():
        _, token = create_token(find_user("manajer"), "test")
        db.session.commit()
    real_create, calls = customers_service.create_customer, []

    def failing_create(fields):
        calls.append(fields)
        if len(calls) == 3:
            raise RuntimeError("the disk is full")
        return real_create(fields)

    monkeypatch.setattr(customers_service, "create_customer", failing_create)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post("/manual-whatsapp/bulk-import", json=RECORDS[:5],
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500 and len(calls) == 3
    assert _count(app) == 0
