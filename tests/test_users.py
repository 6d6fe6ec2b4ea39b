"""The manager's account page and `flask users create`."""
import pytest

from app.extensions import db
from app.models import User


def _user(app, name):
    with app.app_context():
        return db.session.scalar(db.select(User).filter_by(username=name))


def test_manager_adds_a_staff_account_that_can_log_in(app, client, auth):
    auth.login_manager()
    response = client.post("/users/", data={"username": "kasir", "role": "staff", "password": "kasir12345"})
    assert response.status_code == 302
    assert "Akun kasir dibuat." in client.get("/users/").text
    auth.logout()
    auth.login("kasir", "kasir12345")
    assert client.get("/customers/").status_code == 200
    assert client.get("/users/").status_code == 403


def test_duplicate_username_and_short_password_are_refused(client, auth):
    auth.login_manager()
    response = client.post("/users/", data={"username": "STAF", "role": "staff", "password": "panjang12345"})
    assert response.status_code == 422 and "Nama pengguna STAF sudah ada." in response.text
    response = client.post("/users/", data={"username": "baru", "role": "staff", "password": "pendek"})
    assert "Kata sandi minimal 8 karakter." in response.text


def test_manager_deactivates_and_reactivates_staff(app, client, auth):
    auth.login_manager()
    staff = _user(app, "staf")
    client.post(f"/users/{staff.id}/active")
    assert _user(app, "staf").active is False
    assert "Akun staf dinonaktifkan." in client.get("/users/").text
    client.post(f"/users/{staff.id}/active")
    assert _user(app, "staf").active is True


def test_manager_cannot_deactivate_themself(app, client, auth):
    auth.login_manager()
    manager = _user(app, "manajer")
    client.post(f"/users/{manager.id}/active")
    assert _user(app, "manajer").active is True


def test_manager_resets_a_password(app, client, auth):
    auth.login_manager()
    staff = _user(app, "staf")
    client.post(f"/users/{staff.id}/password", data={"password": "sandi-baru-123"})
    auth.logout()
    auth.login("staf", "sandi-baru-123")
    assert client.get("/customers/").status_code == 200


def test_cli_creates_users(app, runner):
    result = runner.invoke(args=["users", "create", "pemilik", "--role", "manager", "--password", "rahasia123"])
    assert result.exit_code == 0, result.output
    assert "created manager pemilik" in result.output
    assert _user(app, "pemilik").check_password("rahasia123")
    result = runner.invoke(args=["users", "create", "pemilik", "--password", "rahasia123"])
    assert result.exit_code != 0
    assert "sudah ada" in result.output


def test_cli_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["users", "create", "kasir"], input="rahasia123\nrahasia123\n")
    assert result.exit_code == 0, result.output
    assert _user(app, "kasir").role == "staff"


@pytest.mark.parametrize("username, status, message", [
    # A NUL is refused at the boundary, before any form (no stored text may hold one).
    ("kasir\x00", 400, "karakter NUL"), ("\x00", 400, "karakter NUL"),
    ("ka\nsir", 422, "karakter kendali"), ("ka\tsir", 422, "karakter kendali"), ("kasir\x7f", 422, "karakter kendali"),
    ("k" * 65, 422, "terlalu panjang"), ("   ", 422, "wajib diisi"),
])
def test_odd_usernames_are_refused_with_a_message_and_nothing_is_created(app, client, auth, username, status, message):
    auth.login_manager()
    response = client.post("/users/", data={"username": username, "role": "staff", "password": "kasir12345"})
    assert response.status_code == status and message in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 2


def test_setup_refuses_a_username_with_a_nul(client, app):
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/setup").text)
    response = client.post("/setup", data={"username": "pemilik\x00", "password": "rahasia123",
                                           "confirm": "rahasia123", "csrf_token": token})
    assert response.status_code == 400 and "karakter NUL" in response.text  # refused at the boundary
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0
