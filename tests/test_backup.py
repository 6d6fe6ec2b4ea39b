"""`flask backup` and `flask restore`: a backup restored gives back every customer and message."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Customer, Message


@pytest.fixture
def sqlite_only(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's online backup; PostgreSQL uses pg_dump (the command prints how)")


def _counts(app):
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count(Customer.id))),
                db.session.scalar(sa.select(sa.func.count(Message.id))))


def test_backup_then_restore_into_an_emptied_database(app, runner, sqlite_only, make_customer, tmp_path):
    customer_id = make_customer()
    make_customer(nopol="D 2 B", no_hp="081311112222", customer_name="Siti")
    with app.app_context():
        db.session.add(Message(customer_id=customer_id, trigger="manual", provider="log", status="sent",
                               to_phone="628123456789", customer_name="Budi", nopol="B 1234 XYZ", body="Halo"))
        db.session.commit()
    path = tmp_path / "cadangan.db"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.execute(sa.delete(Message))
        db.session.execute(sa.delete(Customer))
        db.session.commit()
    assert _counts(app) == (0, 0)
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert _counts(app) == (2, 1)
    with app.app_context():
        assert db.session.get(Customer, customer_id).nopol == "B 1234 XYZ"


def test_restore_refuses_a_damaged_file(app, runner, sqlite_only, make_customer, tmp_path):
    make_customer()
    damaged = tmp_path / "rusak.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    result = runner.invoke(args=["restore", str(damaged), "--yes"])
    assert result.exit_code != 0 and "nothing was restored" in result.output
    assert _counts(app)[0] == 1


def test_postgresql_gets_pg_dump_instructions(app, runner):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 2 and "pg_dump" in result.output
