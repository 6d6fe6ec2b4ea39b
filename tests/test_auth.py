"""First run, login, logout, redirects after login, deactivated accounts, sessions, the login throttle."""
import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests

from app import clock, create_app
from app.config import TestConfig
from app.extensions import db
from app.models import LoginFailure, User
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
        data={"workshop_name": "Bengkel Maju", "username": "pemilik", "password": "rahasia123", "confirm": "rahasia123",
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


# Sessions end everywhere: a logout, a new password or a deactivation signs the account out on every
# device, remember-me cookies included (User.session_token is part of both cookies).

def _saved(client, name):
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _signed_in_with(app, **cookies) -> bool:
    """Whether a browser holding only these cookies (session=…, remember_token=…) gets the list."""
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    response = browser.get("/customers/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _login_remembered(client, username, password):
    token = csrf_token_from(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "remember": "y",
                                           "csrf_token": token})
    assert response.status_code == 302
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return _saved(client, "session"), _saved(client, "remember_token")


def _staff_user(app):
    with app.app_context():
        return db.session.scalar(db.select(User).filter_by(username="staf"))


def test_remember_me_cookie_alone_signs_in_until_logout(app, client, users):
    session_cookie, remember_cookie = _login_remembered(client, "staf", "rahasia-staf")
    assert _signed_in_with(app, session=session_cookie)
    assert _signed_in_with(app, remember_token=remember_cookie)  # the browser was closed: still signed in


def test_a_session_cookie_saved_before_logout_no_longer_works(app, auth, client):
    auth.login_staff()
    saved = _saved(client, "session")
    auth.logout()
    assert not _signed_in_with(app, session=saved)
    client.set_cookie("session", saved)  # the same browser, its old cookie put back
    assert client.get("/customers/").headers["Location"].startswith("/login")


def test_logout_ends_the_remember_me_cookie_and_every_other_session_of_the_account(app, client, users):
    desk = app.test_client()
    desk_session, desk_remember = _login_remembered(desk, "staf", "rahasia-staf")
    session_cookie, remember_cookie = _login_remembered(client, "staf", "rahasia-staf")
    client.post("/logout")
    for cookies in ({"session": session_cookie}, {"remember_token": remember_cookie},
                    {"session": desk_session}, {"remember_token": desk_remember},
                    {"session": desk_session, "remember_token": desk_remember}):
        assert not _signed_in_with(app, **cookies), cookies
    assert _signed_in_with(app, session=_login_remembered(desk, "staf", "rahasia-staf")[0])  # can sign in again


def test_a_managers_password_reset_ends_every_session_and_remember_me_cookie_of_that_account(app, users):
    staff = app.test_client()
    session_cookie, remember_cookie = _login_remembered(staff, "staf", "rahasia-staf")
    manager = app.test_client()
    _login_remembered(manager, *users["manager"])
    manager.post(f"/users/{_staff_user(app).id}/password", data={"password": "sandi-baru-123"})
    assert not _signed_in_with(app, session=session_cookie)
    assert not _signed_in_with(app, remember_token=remember_cookie)
    assert staff.get("/customers/").status_code == 302  # the browser itself, with both cookies
    assert manager.get("/customers/").status_code == 200  # the manager is not affected
    assert _signed_in_with(app, session=_login_remembered(staff, "staf", "sandi-baru-123")[0])


def test_a_manager_changing_their_own_password_stays_signed_in_only_on_this_device(app, users):
    laptop, desk = app.test_client(), app.test_client()
    desk_session, desk_remember = _login_remembered(desk, *users["manager"])
    _login_remembered(laptop, *users["manager"])
    with app.app_context():
        manager_id = db.session.scalar(db.select(User.id).filter_by(username="manajer"))
    response = laptop.post(f"/users/{manager_id}/password", data={"password": "sandi-manajer-baru"})
    assert response.status_code == 302
    assert laptop.get("/users/").status_code == 200
    assert _signed_in_with(app, remember_token=_saved(laptop, "remember_token"))  # remembered, anew
    assert not _signed_in_with(app, session=desk_session)
    assert not _signed_in_with(app, remember_token=desk_remember)


def test_a_deactivation_ends_every_session_and_remember_me_cookie_even_after_reactivation(app, users):
    staff = app.test_client()
    session_cookie, remember_cookie = _login_remembered(staff, "staf", "rahasia-staf")
    manager = app.test_client()
    _login_remembered(manager, *users["manager"])
    staff_id = _staff_user(app).id
    manager.post(f"/users/{staff_id}/active")
    assert not _signed_in_with(app, session=session_cookie)
    assert not _signed_in_with(app, remember_token=remember_cookie)
    manager.post(f"/users/{staff_id}/active")  # back at work: the old cookies stay dead
    assert _staff_user(app).active
    assert not _signed_in_with(app, session=session_cookie)
    assert not _signed_in_with(app, remember_token=remember_cookie)
    assert _signed_in_with(app, session=_login_remembered(staff, "staf", "rahasia-staf")[0])


def test_remember_me_lasts_30_days_not_a_year(app, client, users):
    _login_remembered(client, "staf", "rahasia-staf")
    assert client.get("/customers/").status_code == 200  # the session cookie gets its expiry
    remember, session = client.get_cookie("remember_token"), client.get_cookie("session")
    assert remember.http_only and session.http_only
    # Both expiries come from (nearly) the same moment: the remember cookie outlives the session by
    # 30 days less the session's idle time.
    lead = remember.expires - session.expires
    expected = timedelta(days=30) - timedelta(seconds=app.config["PERMANENT_SESSION_LIFETIME"])
    assert abs(lead - expected) < timedelta(minutes=1)


@pytest.mark.parametrize("session_id", ["1", "", "1:", ":", "x:y", "99999:abc", "1:" + "a" * 5000, "-1:a", "١:a",
                                        "99999999999:abc", "9" * 5000 + ":a", "1\x00:a"])
def test_a_session_cookie_with_a_stale_or_odd_id_signs_nobody_in(app, client, users, session_id):
    # "1" is how cookies looked before session tokens: they stop working once, after the upgrade.
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    assert client.get("/customers/").headers["Location"].startswith("/login")


@pytest.mark.parametrize("user_id_only", [True, False])
def test_a_remember_me_cookie_without_the_current_token_signs_nobody_in(app, users, user_id_only):
    from flask_login.utils import encode_cookie

    staff = _staff_user(app)
    with app.test_request_context():
        forged = encode_cookie(str(staff.id) if user_id_only else f"{staff.id}:{'0' * 32}")
    assert not _signed_in_with(app, remember_token=forged)


# The login throttle: counted in the database (every worker sees it), per account and address.

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
COUNTER = {"REMOTE_ADDR": "192.168.1.20"}


def _browser(app, address):
    browser = app.test_client()
    browser.environ_base.update(address)
    browser.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_from(browser.get("/login").text)
    return browser


def _try(browser, username, password):
    return browser.post("/login", data={"username": username, "password": password,
                                        "csrf_token": browser.environ_base["HTTP_X_CSRFTOKEN"]})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def two_workers(app, users, database_url):
    """Two gunicorn processes on the test's database and clock: the base URLs of both."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "two-workers-secret", "LOG_LEVEL": "WARNING"}
    shift = app.config["CLOCK_SHIFT"].total_seconds()
    ports = [_free_port(), _free_port()]
    command = [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", "1"]
    processes = [subprocess.Popen([*command, "--bind", f"127.0.0.1:{port}", f'tests.wsgi_at:app_at("{shift}")'],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            for _ in range(300):
                try:
                    requests.get(f"{url}/healthz", timeout=30)  # the worker may still be starting
                    break
                except requests.ConnectionError:
                    time.sleep(0.05)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def test_two_workers_together_allow_only_the_limit(two_workers):
    browser = requests.Session()  # cookies go to both: they differ by port only, like behind nginx
    token = csrf_token_from(browser.get(f"{two_workers[0]}/login", timeout=10).text)
    statuses = [browser.post(f"{two_workers[i % 2]}/login", timeout=10, allow_redirects=False,
                             data={"username": "staf", "password": f"salah-{i}", "csrf_token": token}).status_code
                for i in range(20)]
    assert statuses == [200] * 10 + [429] * 10
    right = browser.post(f"{two_workers[1]}/login", timeout=10, allow_redirects=False,
                         data={"username": "staf", "password": "rahasia-staf", "csrf_token": token})
    assert right.status_code == 429


def test_an_attacker_failing_50_times_does_not_stop_the_right_password_from_the_counter(app, users):
    attacker = _browser(app, ATTACKER)
    for i in range(50):
        _try(attacker, "staf", f"tebakan-{i}")
    counter = _browser(app, COUNTER)
    assert "Nama pengguna atau kata sandi salah." in _try(counter, "staf", "salah-ketik").text  # a typo
    assert _try(counter, "staf", "rahasia-staf").headers["Location"] == "/customers/"
    assert counter.get("/customers/").status_code == 200


def test_the_attackers_address_is_throttled_and_told_when_to_try_again(app, users):
    attacker = _browser(app, ATTACKER)
    with app.app_context():
        first = clock.local_now()
    statuses = [_try(attacker, "staf", f"tebakan-{i}").status_code for i in range(10)]
    with app.app_context():
        last = clock.local_now()
    assert statuses == [200] * 10
    refused = _try(attacker, "staf", "rahasia-staf")  # even the right password waits
    assert refused.status_code == 429
    # The tenth failure ages out of the window 15 minutes after the first: shown to the minute, rounded up.
    shown = {f"{moment + timedelta(minutes=15, seconds=59):%H:%M}" for moment in (first, last)}
    assert any(f"Coba lagi pukul {time} (15 menit lagi)." in refused.text for time in shown), refused.text
    assert 840 <= int(refused.headers["Retry-After"]) <= 900
    assert 'name="username"' in refused.text  # the form is still there
    assert _try(attacker, "tidak-ada", "x").status_code == 200  # another name from there: its own count


def test_an_address_trying_many_names_is_throttled_whether_they_exist_or_not(app, users):
    attacker = _browser(app, ATTACKER)
    statuses = [_try(attacker, name, "salah") .status_code
                for name in ["staf", "manajer"] * 5 + [f"nama-{i}" for i in range(10)]]
    assert statuses == [200] * 20
    answers = [_try(attacker, name, "salah") for name in ("staf", "nama-baru")]
    assert [answer.status_code for answer in answers] == [429, 429]
    assert _text_without_token(answers[0].text) == _text_without_token(answers[1].text)
    assert _try(_browser(app, COUNTER), "manajer", "rahasia-manajer").status_code == 302


def _text_without_token(html):
    return re.sub(r'value="[^"]+"', "", html.split("<main", 1)[-1]).replace("staf", "").replace("nama-baru", "")


def test_the_throttle_lifts_after_15_minutes_and_old_failures_are_cleaned_up(app, users):
    attacker = _browser(app, ATTACKER)
    for i in range(10):
        _try(attacker, "staf", f"tebakan-{i}")
    assert _try(attacker, "staf", "rahasia-staf").status_code == 429
    app.config["CLOCK_SHIFT"] += timedelta(minutes=16)
    assert _try(attacker, "staf", "salah-lagi").status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(LoginFailure.id))) == 1  # the old ten are gone
    assert _try(attacker, "staf", "rahasia-staf").status_code == 302


def test_a_successful_login_clears_the_count_for_that_account_and_address(app, users):
    counter = _browser(app, COUNTER)
    for _ in range(2):
        for i in range(9):
            assert _try(counter, "staf", f"salah-{i}").status_code == 200
        assert _try(counter, "staf", "rahasia-staf").status_code == 302
        counter.post("/logout")
        counter.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_from(counter.get("/login").text)


def test_an_account_attacked_from_many_addresses_leaves_each_a_few_tries_never_none(app, users):
    for host in range(5):  # 50 failures against one account: it is under attack
        bot = _browser(app, {"REMOTE_ADDR": f"198.51.100.{host}"})
        assert [_try(bot, "staf", f"tebakan-{i}").status_code for i in range(11)] == [200] * 10 + [429]
    for host in range(5, 10):  # every further address gets three tries for it instead of ten
        bot = _browser(app, {"REMOTE_ADDR": f"198.51.100.{host}"})
        assert [_try(bot, "staf", f"tebakan-{i}").status_code for i in range(4)] == [200] * 3 + [429]
    assert _try(bot, "manajer", "salah").status_code == 200  # other accounts keep the usual count
    counter = _browser(app, COUNTER)
    assert _try(counter, "staf", "salah-ketik").status_code == 200
    assert _try(counter, "staf", "rahasia-staf").status_code == 302


@pytest.mark.parametrize("username", ["x" * 10_000, "STAF ", "  staf", "ｓｔａｆ", "staf'--",
                                      "😀" * 40, "staf\r\nX-Injected: 1", "%00", "<script>"])
def test_odd_account_names_get_the_usual_answer_and_are_throttled_too(app, users, username):
    attacker = _browser(app, ATTACKER)
    statuses = [_try(attacker, username, "salah-sekali").status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]


@pytest.mark.parametrize("username", ["staf\x00", "\x00"])
def test_a_name_with_a_nul_is_refused_before_any_account_is_looked_at(app, users, username):
    """No stored text holds a NUL: the request is refused at the boundary, the same for every name."""
    attacker = _browser(app, ATTACKER)
    responses = [_try(attacker, username, "salah-sekali") for _ in range(3)]
    assert [response.status_code for response in responses] == [400] * 3
    assert "karakter NUL" in responses[0].text


def test_parallel_wrong_passwords_from_one_address_cannot_slip_past_the_limit(app, users, database_url):
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import set_local_time, test_local_time

    workers = []
    for _ in range(4):
        worker = create_app(TestConfig(database_url))
        set_local_time(worker, *test_local_time())
        workers.append(worker)
    try:
        browsers = [_browser(worker, ATTACKER) for worker in workers]
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda i: _try(browsers[i % 4], "staf", f"tebakan-{i}").status_code,
                                     range(24)))
        assert statuses.count(200) <= 10 and set(statuses) <= {200, 429}
    finally:
        for worker in workers:
            with worker.app_context():
                db.session.remove()
                db.engine.dispose()
