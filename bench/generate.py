"""A realistic data set for the benchmarks, written with bulk inserts into DATABASE_URL.

    python bench/generate.py --customers 100000 --messages 1000000

Customers have valid plates and phones, a spread of service dates (some overdue, some due soon),
about 10% inactive and 3% opted out; messages spread over the last year with the statuses and
failures a real workshop sees. The database is emptied and migrated first.
"""
import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datagen import customers as customer_fields  # noqa: E402

USER, PASSWORD = "bench", "bench-password"
CHUNK = 10_000


def reset_database(url: str):
    """An empty, migrated database with one manager account (USER / PASSWORD)."""
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi"}
    script = (
        "from app import create_app\n"
        "from app.extensions import db\n"
        "from bench.generate import drop_all_tables\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    drop_all_tables(db.engine)\n"
    )
    bin_dir = Path(sys.executable).parent
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True)
    subprocess.run([str(bin_dir / "flask"), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([str(bin_dir / "flask"), "users", "create", USER, "--role", "manager", "--password", PASSWORD],
                   env=env, cwd=ROOT, check=True, capture_output=True)


def drop_all_tables(engine):
    """Every table, including SQLite's FTS5 search index (its shadow tables go with it)."""
    import sqlalchemy as sa

    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TABLE IF EXISTS customer_search")
    metadata = sa.MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)


STATUSES = ["sent"] * 2 + ["delivered"] * 4 + ["read"] * 3 + ["failed"]
FAILURES = [("131026", "(131026) Message undeliverable"), ("130429", "(130429) Rate limit hit"),
            ("131050", "(131050) User stopped marketing messages"), ("timeout", "no answer in time")]


def _flush(db, model, rows: list, force: bool = False) -> list:
    """Insert a full chunk of rows (or whatever is left, with `force`) in one executemany."""
    if rows and (force or len(rows) >= CHUNK):
        db.session.execute(model.__table__.insert(), rows)
        return []
    return rows


def generate(url: str, customer_count: int, message_count: int, seed: int = 1) -> dict:
    from app import create_app
    from app.extensions import db
    from app.models import Customer, Message

    os.environ["DATABASE_URL"] = url
    app = create_app()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = date.today()
    timings = {}
    with app.app_context():
        started = time.perf_counter()
        ids, snapshot = [], []
        rows = []
        for fields in customer_fields(customer_count, seed=seed, today=today):
            customer_id = uuid.uuid4()
            next_service = today + timedelta(days=rng.randint(-60, 150)) if rng.random() > 0.05 else None
            phone = "62" + fields["no_hp"][1:]
            rows.append({
                "id": customer_id, "customer_name": fields["customer_name"], "nopol": fields["nopol"],
                "no_hp": phone, "last_service": fields["last_service"], "next_service": next_service,
                "is_active": rng.random() > 0.1, "reminder_sent_count": 0, "last_reminder_sent": None,
                "notes": fields["notes"] or None, "opted_out": rng.random() < 0.03, "created_at": now, "updated_at": now,
            })
            ids.append(customer_id)
            snapshot.append((phone, fields["customer_name"], fields["nopol"]))
            rows = _flush(db, Customer, rows)
        _flush(db, Customer, rows, force=True)
        db.session.commit()
        timings["customers_seconds"] = time.perf_counter() - started

        started = time.perf_counter()
        rows = []
        for _ in range(message_count):
            pick = rng.randrange(customer_count)
            created = now - timedelta(seconds=rng.randint(0, 365 * 86400))
            status = rng.choice(STATUSES)
            code, text = rng.choice(FAILURES) if status == "failed" else (None, None)
            phone, name, nopol = snapshot[pick]
            rows.append({
                "customer_id": ids[pick], "batch_id": None, "trigger": "cron", "user_id": None,
                "provider": "cloud_api", "status": status, "to_phone": phone, "customer_name": name, "nopol": nopol,
                "body": "Halo", "template_params": None, "service_date": None, "dedupe_key": None,
                "provider_message_id": None, "error_code": code, "error_message": text, "attempts": 1,
                "next_attempt_at": None, "created_at": created, "updated_at": created,
                "sent_at": created if status != "failed" else None,
                "delivered_at": created + timedelta(minutes=1) if status in ("delivered", "read") else None,
                "read_at": created + timedelta(hours=1) if status == "read" else None,
                "failed_at": created if status == "failed" else None,
            })
            rows = _flush(db, Message, rows)
        _flush(db, Message, rows, force=True)
        db.session.commit()
        # The customers' counters follow from their successful messages, as in the app.
        db.session.execute(db.text(
            "UPDATE manual_whatsapp SET reminder_sent_count = m.n, last_reminder_sent = m.last "
            "FROM (SELECT customer_id, count(*) AS n, max(sent_at) AS last FROM reminder_message "
            "WHERE status <> 'failed' GROUP BY customer_id) AS m WHERE manual_whatsapp.id = m.customer_id"))
        db.session.commit()
        db.session.commit()
    # Fresh planner statistics (and, on PostgreSQL, the visibility map index-only scans rely on),
    # as a live database has them from autovacuum.
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(db.text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
        timings["messages_seconds"] = time.perf_counter() - started
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=not os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    reset_database(args.database_url)
    timings = generate(args.database_url, args.customers, args.messages)
    print(f"{args.customers:,} customers in {timings['customers_seconds']:.1f}s, "
          f"{args.messages:,} messages in {timings['messages_seconds']:.1f}s")


if __name__ == "__main__":
    main()
