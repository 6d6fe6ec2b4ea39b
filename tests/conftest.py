"""Fixtures shared by every test: an app per test on a database migrated once per run.

The database is SQLite in a temporary file, or PostgreSQL when TEST_DATABASE_URL is set
(`make test` passes it through). The schema comes from the Alembic migrations, as in production.
CSRF protection stays on: the helpers below send the token the way the browser does.

No test reads the machine's clock: every app's clock (app/clock.py) is set so that the
workshop's wall clock reads TEST_LOCAL_TIME (default 10:00, inside the sending hours) when the test
starts, and keeps ticking. `.ci/run` runs the suite at 23:30 and 03:00 too.
"""
import os
import re

import pytest
from flask_migrate import upgrade

from app import clock, create_app
from app.config import TestConfig
from app.extensions import db
from app.models import ROLE_MANAGER, ROLE_STAFF
from app.services.users import create_user
from bench.generate import drop_all_tables

MANAGER = ("manajer", "rahasia-manajer")
STAFF = ("staf", "rahasia-staf")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app(TestConfig(url))
    with app.app_context():
        drop_all_tables(db.engine)
        upgrade()
        db.engine.dispose()
    return url


def _empty_tables():
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


def test_local_time() -> tuple[int, int]:
    """The workshop's time of day every test starts at: TEST_LOCAL_TIME, HH:MM."""
    hour, minute = os.environ.get("TEST_LOCAL_TIME", "10:00").split(":")
    return int(hour), int(minute)


def set_local_time(app, hour: int, minute: int = 0):
    """Set the app's clock so that the workshop's wall clock reads hour:minute now."""
    with app.app_context():
        app.config["CLOCK_SHIFT"] = clock.shift_to_local_time(hour, minute)


@pytest.fixture
def app(database_url):
    app = create_app(TestConfig(database_url))
    set_local_time(app, *test_local_time())
    with app.app_context():
        _empty_tables()  # failed logins too: throttling does not carry over from one test to the next
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def users(app):
    """A manager and a staff account (so the first-run page is out of the way)."""
    with app.app_context():
        create_user(*MANAGER, role=ROLE_MANAGER)
        create_user(*STAFF, role=ROLE_STAFF)
        db.session.commit()
    return {"manager": MANAGER, "staff": STAFF}


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    return CSRF_FIELD.search(html).group(1)


class AuthActions:
    """Log in like a person does; afterwards every request carries the CSRF token as htmx sends it."""

    def __init__(self, client):
        self.client = client

    def login(self, username, password):
        token = csrf_token_from(self.client.get("/login").text)
        response = self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        self.client.environ_base["HTTP_X_CSRFTOKEN"] = token
        return response

    def login_manager(self):
        return self.login(*MANAGER)

    def login_staff(self):
        return self.login(*STAFF)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client, users):
    return AuthActions(client)


HTMX = {"HX-Request": "true"}


@pytest.fixture
def make_customer(app):
    """Create a customer straight through the service (the same rules as the forms)."""
    from app.services.customers import create_customer

    def make(**fields):
        fields.setdefault("customer_name", "Budi Santoso")
        fields.setdefault("nopol", "B 1234 XYZ")
        fields.setdefault("no_hp", "08123456789")
        with app.app_context():
            customer = create_customer(fields)
            db.session.commit()
            return customer.id

    return make


def settings_form(**overrides) -> dict:
    """Every field of the settings page at its default, with the given changes."""
    from app.services.settings import DEFAULTS

    data = {key: str(value) for key, value in DEFAULTS.items()}
    data.update({key: str(value) for key, value in overrides.items()})
    return data


@pytest.fixture
def cloud_api(app):
    """The app sending through a fake Cloud API (a real HTTP server on 127.0.0.1)."""
    from tests.fakes import FakeCloudApi

    fake = FakeCloudApi()
    app.config.update(
        WHATSAPP_PROVIDER="cloud_api", WHATSAPP_API_BASE_URL=fake.url, WHATSAPP_ACCESS_TOKEN=fake.token,
        WHATSAPP_PHONE_NUMBER_ID=fake.phone_number_id, WHATSAPP_API_VERSION=fake.version,
        WHATSAPP_HTTP_TIMEOUT=0.5, WHATSAPP_RATE_PER_SECOND="200", REMINDER_STALE_SECONDS=1,
    )
    yield fake
    fake.close()


@pytest.fixture
def fonnte(app):
    from tests.fakes import FakeFonnte

    fake = FakeFonnte()
    app.config.update(WHATSAPP_PROVIDER="fonnte", FONNTE_BASE_URL=fake.url, FONNTE_TOKEN=fake.token,
                      WHATSAPP_HTTP_TIMEOUT=0.5, CLOCK_SLEEPS_BY_SHIFTING=True)
    # The workshop's own number sends only inside the sending hours (08:00-20:00), paced on the
    # app's clock: the 8-20 s pauses between messages move it forward instead of taking time.
    set_local_time(app, 10, 0)
    yield fake
    fake.close()


@pytest.fixture
def waha(app):
    """The app sending through a fake WAHA on the workshop's own number (paced like Fonnte, see above)."""
    from tests.fakes import FakeWaha

    fake = FakeWaha()
    app.config.update(WHATSAPP_PROVIDER="waha", WAHA_BASE_URL=fake.url, WAHA_API_KEY=fake.api_key,
                      WAHA_SESSION=fake.session, WAHA_WEBHOOK_HMAC_KEY="waha-hmac-key", WHATSAPP_HTTP_TIMEOUT=0.5,
                      CLOCK_SLEEPS_BY_SHIFTING=True)
    set_local_time(app, 10, 0)
    yield fake
    fake.close()


@pytest.fixture
def due_customers(app, make_customer):
    """Customers due in 1..n days, with distinct plates and phones; returns their phones in order."""
    from datetime import timedelta

    from app import clock

    def make(count, **fields):
        with app.app_context():
            today = clock.today()
        phones = []
        for index in range(count):
            phone = f"0812{index:08d}"
            make_customer(customer_name=f"Pelanggan {index}", nopol=f"B {index + 1} RM", no_hp=phone,
                          next_service=today + timedelta(days=1 + index % 3), **fields)
            phones.append("62" + phone[1:])
        return phones

    return make


@pytest.fixture
def tokens(app, users):
    """Bearer headers for the JSON API: the manager's and the staff's."""
    from app.services.api_tokens import create_token
    from app.services.users import find_user

    with app.app_context():
        _, manager = create_token(find_user("manajer"), "test")
        _, staff = create_token(find_user("staf"), "test")
        db.session.commit()
    return {"manager": {"Authorization": f"Bearer {manager}"}, "staff": {"Authorization": f"Bearer {staff}"}}


@pytest.fixture
def api(client, tokens):
    """A JSON client with the manager's token (as the original service's scripts used it)."""

    class Api:
        def __getattr__(self, method):
            def call(path, headers=None, **kwargs):
                return getattr(client, method)("/manual-whatsapp" + path, headers=headers or tokens["manager"], **kwargs)

            return call

    return Api()
