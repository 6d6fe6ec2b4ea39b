"""The manager's settings page and the health check."""
import pytest
import sqlalchemy as sa

from app import create_app
from app.config import ConfigError, TestConfig
from tests.conftest import settings_form


def test_interval_setting_is_validated_and_saved(client, auth):
    auth.login_manager()
    response = client.post("/settings/", data=settings_form(service_interval_months=0))
    assert "Jarak servis antara 1 dan 36 bulan." in response.text
    response = client.post("/settings/", data=settings_form(service_interval_months=4), follow_redirects=True)
    assert "Pengaturan disimpan." in response.text
    assert 'value="4"' in response.text


def test_health_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_health_reports_unreachable_database(tmp_path):
    app = create_app(TestConfig("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] != "ok"


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    from app.config import Config

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config()


def test_sqlite_runs_in_wal_mode_with_busy_timeout(app):
    from app.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000


def _add_customers(database_url, prefix, count):
    from app.extensions import db as process_db
    from app.services.customers import create_customer

    app = create_app(TestConfig(database_url))
    with app.app_context():
        for i in range(1, count + 1):
            create_customer({"customer_name": f"{prefix} {i}", "nopol": f"{prefix} {i} A",
                             "no_hp": f"0812{len(prefix)}00{i:05d}"})
            process_db.session.commit()


def test_several_processes_write_to_sqlite_at_once(app, database_url):
    """WAL and the busy timeout let gunicorn workers write at the same time without errors."""
    import multiprocessing

    from app.extensions import db
    from app.models import Customer

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_add_customers, args=(database_url, prefix, 40)) for prefix in ("B", "AB", "D")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 120


def test_message_text_preview_uses_a_real_customer_and_refuses_unknown_placeholders(client, auth, make_customer):
    from datetime import date

    auth.login_manager()
    make_customer(customer_name="Siti Aminah", nopol="D 1028 EB", next_service=date(2026, 8, 15))
    preview = client.post("/settings/preview", data={"message_template": "Halo {nama}, servis {servis_berikutnya}."},
                          headers={"HX-Request": "true"})
    assert "Halo Siti Aminah, servis 15 Agustus 2026." in preview.text
    wrong = client.post("/settings/preview", data={"message_template": "Halo {name}"}, headers={"HX-Request": "true"})
    assert "Kata isian tidak dikenal: {name}." in wrong.text
    saved = client.post("/settings/", data=settings_form(message_template="Halo {name}"))
    assert saved.status_code == 200 and "Kata isian tidak dikenal: {name}." in saved.text
    assert "Halo {nama}" in client.get("/settings/").text  # the default text is still the one in force


def test_the_icon_is_served_to_everyone(client):
    """Browsers fetch /favicon.ico unasked; a 404 there is a console error on every page."""
    response = client.get("/favicon.ico", follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data


def test_sending_hours_may_run_over_midnight_but_not_be_empty(client, auth, app):
    from tests.conftest import settings_form

    auth.login_manager()
    saved = client.post("/settings/", data=settings_form(quiet_start="20:00", quiet_end="02:00"))
    assert saved.status_code == 302
    with app.app_context():
        from app.services.settings import get_setting

        assert (get_setting("quiet_start"), get_setting("quiet_end")) == ("20:00", "02:00")
    empty = client.post("/settings/", data=settings_form(quiet_start="08:00", quiet_end="08:00"))
    assert empty.status_code == 200 and "Jam mulai dan jam selesai tidak boleh sama." in empty.text


@pytest.mark.parametrize("provider", ["link", "waha"])
def test_the_settings_page_saves_with_exactly_the_fields_it_shows(request, app, client, auth, provider):
    """A browser posts only the fields on the page: the pace of a personal number is there for WAHA alone."""
    import re

    from app.services.settings import get_setting

    if provider == "waha":
        request.getfixturevalue("waha")
    auth.login_manager()
    page = client.get("/settings/").text
    shown = set(re.findall(r'name="([a-z0-9_]+)"', page.split('<form method="post" novalidate>')[1].split("</form>")[0]))
    assert ("daily_cap" in shown) is (provider == "waha")
    data = {name: value for name, value in settings_form(workshop_name="Bengkel Baru", daily_cap=150).items()
            if name in shown}
    response = client.post("/settings/", data=data, follow_redirects=True)
    assert "Pengaturan disimpan." in response.text
    with app.app_context():
        assert get_setting("workshop_name") == "Bengkel Baru"
        assert get_setting("daily_cap") == (150 if provider == "waha" else 200)
