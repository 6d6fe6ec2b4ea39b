"""Who reaches which route: every route is listed, so a new one must say who may use it."""
import uuid

from tests.conftest import HTMX

# Reachable without logging in. Adding a public route means adding it here, on purpose.
PUBLIC = {"static", "auth.login", "auth.setup", "main.healthz", "main.favicon",
          "webhooks.meta_verify", "webhooks.meta_events", "webhooks.fonnte_events", "webhooks.waha_events"}
# Blueprints that only managers may use.
MANAGER_ONLY_BLUEPRINTS = {"users", "settings", "reminders", "stats", "audit", "main_system"}


def _routes(app):
    """Every (endpoint, method, url) of the app, with sample values for the URL's variables."""
    from werkzeug.routing import IntegerConverter, UUIDConverter

    def sample(rule, name):
        converter = rule._converters[name]
        if isinstance(converter, UUIDConverter):
            return uuid.uuid4()
        if isinstance(converter, IntegerConverter):
            return 1
        return {"filename": "app.css", "fmt": "csv", "nopol": "B 1 A", "answer": "sent", "phone": "628123456789"}[name]

    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            args = {name: sample(rule, name) for name in rule.arguments}
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, url_for(rule.endpoint, **args)


def test_public_routes_are_exactly_the_expected_ones(app):
    """Public to the login session; the API's routes check a bearer token instead (below)."""
    public = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "is_public", False)}
    api = {endpoint for endpoint in public if endpoint.startswith("api.")}
    assert public - api | {"static"} == PUBLIC
    assert len(api) == 12  # the eleven endpoints and the OpenAPI file


def test_anonymous_visitor_is_sent_to_login_everywhere_else(app, client, users):
    client.environ_base["HTTP_X_CSRFTOKEN"] = _token(client)
    checked = 0
    for endpoint, method, url in _routes(app):
        if endpoint in PUBLIC or endpoint == "api.openapi":
            continue
        response = client.open(url, method=method)
        if endpoint.startswith("api."):
            assert response.status_code == 401, (method, url, response.status_code)
            continue
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.headers["Location"].startswith("/login"), (method, url)
        checked += 1
    assert checked >= 15


def test_staff_get_403_on_every_manager_route(app, client, auth):
    auth.login_staff()
    checked = 0
    for endpoint, method, url in _routes(app):
        if endpoint.split(".")[0] in MANAGER_ONLY_BLUEPRINTS:
            for headers in ({}, HTMX):
                response = client.open(url, method=method, headers=headers)
                assert response.status_code == 403, (method, url)
            checked += 1
    assert checked >= 5


def test_staff_reach_the_customer_pages(client, auth):
    auth.login_staff()
    for url in ("/customers/", "/customers/new"):
        assert client.get(url).status_code == 200


def test_manager_reaches_manager_pages(client, auth):
    auth.login_manager()
    for url in ("/users/", "/settings/", "/audit/"):
        assert client.get(url).status_code == 200


def _token(client):
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get("/login").text)
