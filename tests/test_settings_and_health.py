"""The manager's settings page and the health check."""
import pytest
import sqlalchemy as sa

from app import create_app
from app.config import ConfigError, TestConfig


def test_interval_setting_is_validated_and_saved(client, auth):
    auth.login_manager()
    response = client.post("/settings/", data={"service_interval_months": "0"})
    assert "Jarak servis antara 1 dan 36 bulan." in response.text
    response = client.post("/settings/", data={"service_interval_months": "4"}, follow_redirects=True)
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
