"""CSRF protection is on for every state change, classic forms and htmx alike."""
from tests.conftest import HTMX


def test_post_without_token_is_refused(app, client, auth, make_customer):
    auth.login_staff()
    customer_id = make_customer()
    del client.environ_base["HTTP_X_CSRFTOKEN"]
    response = client.post(f"/customers/{customer_id}/toggle")
    assert response.status_code == 400
    assert "Formulir kedaluwarsa atau tidak sah" in response.text


def test_htmx_request_without_token_is_refused_and_changes_nothing(app, client, auth, make_customer):
    from app.extensions import db
    from app.models import Customer

    auth.login_staff()
    customer_id = make_customer()
    del client.environ_base["HTTP_X_CSRFTOKEN"]
    response = client.post(f"/customers/{customer_id}/delete", headers=HTMX)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Customer, customer_id) is not None


def test_wrong_token_is_refused(client, auth):
    auth.login_staff()
    client.environ_base["HTTP_X_CSRFTOKEN"] = "forged"
    assert client.post("/customers/new", data={"customer_name": "x"}).status_code == 400


def test_login_form_needs_its_token(client, users):
    response = client.post("/login", data={"username": "staf", "password": "rahasia-staf"})
    assert response.status_code == 400


def test_pages_carry_the_token_for_htmx(client, auth):
    auth.login_staff()
    page = client.get("/customers/").text
    assert "hx-headers='{\"X-CSRFToken\": \"" in page
