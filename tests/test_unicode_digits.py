"""Digits typed in another script reach the database as ASCII through every door: form, API, import.

tests/test_normalize.py proves the normaliser; these prove that each way in goes through it.
"""
import io
import re

import pytest

from app.extensions import db
from app.models import Customer
from app.services.formats import local_phone

ARABIC = "٠٨١٢٣٤٥٦٧٨٩٠"  # 081234567890 in Arabic-Indic digits
PERSIAN = "۰۸۱۳ ۱۱۱۱ ۲۲۲۲"  # 0813 1111 2222
DEVANAGARI = "+६२ ८५७-९८७६-५४३२"  # +62 857-9876-5432
FULLWIDTH = "０８１１２２３３４４５５"  # 081122334455
STORED = {ARABIC: "6281234567890", PERSIAN: "6281311112222", DEVANAGARI: "6285798765432",
          FULLWIDTH: "6281122334455"}
ASCII_PHONE = re.compile(r"62[0-9]{8,13}")


def _stored(app) -> dict[str, str]:
    with app.app_context():
        return {c.nopol: c.no_hp for c in db.session.scalars(db.select(Customer))}


@pytest.mark.parametrize("typed", list(STORED))
def test_the_form_stores_a_phone_typed_in_another_script_in_ascii(app, client, auth, typed):
    auth.login_staff()
    response = client.post("/customers/new", data={"customer_name": "Budi", "nopol": "B ١٢٣٤ XYZ", "no_hp": typed,
                                                   "is_active": "y"})
    assert response.status_code == 302
    assert _stored(app) == {"B 1234 XYZ": STORED[typed]}
    assert local_phone(STORED[typed]) in client.get(response.headers["Location"]).text  # shown as 0812-…


@pytest.mark.parametrize("typed", list(STORED))
def test_the_api_stores_a_phone_typed_in_another_script_in_ascii(app, api, typed):
    response = api.post("/", json={"customer_name": "Budi", "nopol": "B ۱۲۳۴ XYZ", "no_hp": typed})
    assert response.status_code == 201
    assert (response.json["no_hp"], response.json["nopol"]) == (STORED[typed], "B 1234 XYZ")
    assert _stored(app) == {"B 1234 XYZ": STORED[typed]}
    assert api.get("/by-nopol/B ١٢٣٤ xyz").json["no_hp"] == STORED[typed]


def test_the_import_stores_phones_typed_in_other_scripts_in_ascii(app, client, auth):
    auth.login_staff()
    rows = "".join(f"Pelanggan {i};B {i + 1} IMP;{typed}\n" for i, typed in enumerate(STORED))
    sheet = ("Nama;Nopol;No HP\n" + rows).encode("utf-8")
    preview = client.post("/import/", data={"file": (io.BytesIO(sheet), "angka.csv")})
    assert preview.status_code == 302
    result = client.post(preview.headers["Location"] + "/commit", data={"on_existing": "skip", "mode": "valid_only"},
                         follow_redirects=True)
    assert "4 pelanggan baru" in result.text
    stored = _stored(app)
    assert sorted(stored.values()) == sorted(STORED.values())
    assert all(ASCII_PHONE.fullmatch(phone) for phone in stored.values())


def test_searching_with_another_scripts_digits_finds_the_ascii_phone_and_plate(client, auth, make_customer):
    make_customer(customer_name="Budi Santoso", nopol="B 1234 XYZ", no_hp="081234567890")
    auth.login_staff()
    for typed in ("٠٨١٢ ٣٤٥٦", "B ١٢٣٤", "８１２３４"):
        assert "Budi Santoso" in client.get("/customers/", query_string={"q": typed}).text, typed
