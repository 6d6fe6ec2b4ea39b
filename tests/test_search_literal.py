"""Search takes what is typed literally: `%`, `_`, backslashes, quotes and `*` are characters, not syntax.

On SQLite the list searches an FTS5 trigram index; on PostgreSQL trigram indexes on the table. Both
must find exactly the customers whose name holds the typed text (TEST_DATABASE_URL runs this file
on PostgreSQL).
"""
import re

import pytest

from app.services import audit

NAMES = {
    "percent": "Diskon 100% Motor",
    "underscore": "Andi_Wijaya",
    "backslash": "Bengkel C:\\Jaya",
    "double_quote": 'Budi "Bos" Santoso',
    "single_quote": "Kevin O'Neil",
    "star": "Bintang*Lima",
    # What the wildcards would wrongly match:
    "plain_1000": "Diskon 1000 Motor",
    "plain_x": "AndixWijaya",
    "plain": "Siti Nurhaliza",
}

# What is typed → the customers that hold it literally.
SEARCHES = [
    ("%", ["percent"]),
    ("_", ["underscore"]),
    ("\\", ["backslash"]),
    ('"', ["double_quote"]),
    ("'", ["single_quote"]),
    ("*", ["star"]),
    ("100%", ["percent"]),
    ("0%", ["percent"]),
    ("%%", []),
    ("%_%", []),
    ("__", []),
    ("i_w", ["underscore"]),
    ("di_wij", ["underscore"]),
    ("C:\\", ["backslash"]),
    ("\\%", []),
    ('"bos"', ["double_quote"]),
    ('"', ["double_quote"]),
    ("o'neil", ["single_quote"]),
    ("g*l", ["star"]),
    ("bintang*", ["star"]),
    ("*lima", ["star"]),
    ("diskon", ["percent", "plain_1000"]),
    ("NEAR(", []),
    ("a AND b", []),
    ("^", []),
    ("[", []),
]


@pytest.fixture
def literal_customers(make_customer):
    ids = {}
    for index, (key, name) in enumerate(NAMES.items(), start=1):
        ids[key] = make_customer(customer_name=name, nopol=f"B {index} LIT", no_hp=f"0812555500{index:02d}")
    return ids


def _expected(keys):
    return sorted(NAMES[key] for key in keys)


def _listed(response) -> list[str]:
    import html

    return sorted(html.unescape(name) for name in re.findall(r'<td class="name"><a href="/customers/[^"]+">([^<]+)</a></td>',
                                                               response.text))


@pytest.mark.parametrize("typed, keys", SEARCHES)
def test_the_list_finds_exactly_the_customers_holding_the_typed_text(client, auth, literal_customers, typed, keys):
    auth.login_staff()
    response = client.get("/customers/", query_string={"q": typed})
    assert response.status_code == 200
    assert _listed(response) == _expected(keys)


@pytest.mark.parametrize("typed, keys", SEARCHES)
def test_the_api_search_finds_exactly_the_customers_holding_the_typed_text(api, literal_customers,
                                                                          typed, keys):
    response = api.get("/", query_string={"search": typed})
    assert response.status_code == 200
    assert sorted(item["customer_name"] for item in response.json["items"]) == _expected(keys)
    assert response.json["total"] == len(keys)


@pytest.mark.parametrize("typed, keys", SEARCHES)
def test_the_audit_filter_finds_exactly_the_customers_holding_the_typed_text(app, literal_customers, typed, keys):
    with app.app_context():
        entries, _ = audit.events(audit.AuditQuery(q=typed))
    assert sorted(entry.customer_name for entry in entries) == _expected(keys)

