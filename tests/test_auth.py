"""First run, login, logout, redirects after login, deactivated accounts."""

import pytest

from app.extensions import db
from app.models import User
from app.services import clock
from tests.conftest import csrf_token_from


def test_empty_database_leads_every_page_to_setup(client):
    for path in ("/", "/customers/", "/login", "/users/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/setup")


def test_health_answers_before_setup(client):
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}


def test_setup_creates_manager_then_disappears(client, app):
    page = client.get("/setup")
    assert "Buat akun manajer" in page.text
    response = client.post(
        "/setup",
        data={"username": "pemilik", "password": "rahasia123", "confirm": "rahasia123",
              "csrf_token": csrf_token_from(page.text)},
    )
    assert response.status_code == 302
    assert client.get("/customers/").status_code == 200  # logged in as the new manager
    with app.app_context():
        user = db.session.scalar(db.select(User))
        assert (user.username, user.role) == ("pemilik", "manager")
        assert user.password_hash != "rahasia123"
    assert client.get("/setup").status_code == 404


def test_setup_refuses_short_or_mismatched_password(client, app):
    token = csrf_token_from(client.get("/setup").text)
    response = client.post("/setup", data={"username": "pemilik", "password": "pendek", "confirm": "pendek",
                                           "csrf_token": token})
    assert "Kata sandi minimal 8 karakter." in response.text
    response = client.post("/setup", data={"username": "pemilik", "password": "rahasia123",
                                           "confirm": "rahasia124", "csrf_token": token})
    assert "Kedua kata sandi tidak sama." in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_login_and_logout(auth, client):
    response = auth.login_staff()
    assert response.headers["Location"] == "/customers/"
    assert client.get("/customers/").status_code == 200
    auth.logout()
    assert client.get("/customers/").headers["Location"].startswith("/login")


@pytest.mark.parametrize("username, password", [("staf", "salah-sekali"), ("tidak-ada", "rahasia-staf")])
def test_wrong_credentials_get_one_message_whatever_was_wrong(auth, client, username, password):
    response = auth.login(username, password)
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah." in response.text
    assert client.get("/customers/").status_code == 302


def test_username_is_not_case_sensitive(auth, client):
    auth.login("STAF", "rahasia-staf")
    assert client.get("/customers/").status_code == 200


def test_login_returns_to_the_page_that_asked(client, users):
    response = client.get("/customers/?q=budi")
    assert response.headers["Location"] == "/login?next=/customers/?q%3Dbudi"
    token = csrf_token_from(client.get(response.headers["Location"]).text)
    response = client.post("/login?next=/customers/%3Fq%3Dbudi",
                           data={"username": "staf", "password": "rahasia-staf", "csrf_token": token})
    assert response.headers["Location"] == "/customers/?q=budi"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, users, target):
    token = csrf_token_from(client.get("/login").text)
    response = client.post("/login", query_string={"next": target},
                           data={"username": "staf", "password": "rahasia-staf", "csrf_token": token})
    assert response.headers["Location"] == "/customers/"


def test_deactivated_user_is_logged_out_at_next_request_and_cannot_log_in(auth, client, app):
    auth.login_staff()
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="staf"))
        user.active = False
        db.session.commit()
    assert client.get("/customers/").headers["Location"].startswith("/login")
    response = auth.login_staff()
    assert "Nama pengguna atau kata sandi salah." in response.text


def test_htmx_request_after_session_ends_redirects_the_whole_page(client, users):
    response = client.get("/customers/?q=x", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def test_session_ends_after_being_idle_too_long(app, auth, client):
    auth.login_staff()
    assert client.get("/customers/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] -= app.config["SESSION_IDLE_MINUTES"] * 60 + 5
    response = client.get("/customers/")
    assert response.headers["Location"].startswith("/login")
    assert "lama tidak dipakai" in client.get(response.headers["Location"]).text
    assert client.get("/customers/").status_code == 302  # really signed out


def test_working_steadily_keeps_the_session_alive(app, auth, client):
    auth.login_staff()
    assert client.get("/customers/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] -= app.config["SESSION_IDLE_MINUTES"] * 60 - 30  # nearly idle too long
    assert client.get("/customers/").status_code == 200
    with client.session_transaction() as session:
        with app.app_context():
            now = clock.utcnow().timestamp()
        assert session["seen"] >= now - 5  # the request counted as activity
    assert "Set-Cookie" not in client.get("/customers/").headers


def test_repeated_wrong_passwords_are_throttled_without_telling_which_accounts_exist(client, users):
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/login").text)
    statuses = [client.post("/login", data={"username": "staf", "password": f"salah-{i}", "csrf_token": token}).status_code
                for i in range(20)]
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429
    throttled = client.post("/login", data={"username": "staf", "password": "rahasia-staf", "csrf_token": token})
    assert throttled.status_code == 429  # even the right password waits
    assert "Terlalu banyak percobaan" in throttled.text
    unknown = [client.post("/login", data={"username": "tidak-ada", "password": "x", "csrf_token": token}).status_code
               for _ in range(11)]
    assert unknown[-1] == 429  # an unknown name is throttled the same way


def test_successful_logins_are_not_counted(client, users, auth):
    for _ in range(15):
        assert auth.login_staff().status_code == 302
        auth.logout()
