"""Phones and plates: the shapes people and spreadsheets really write, and what gets stored."""
import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.normalize import (
    compact_plate,
    normalize_phone,
    normalize_plate,
    phone_search_fragment,
)
from app.services.refusal import Refused

STORED_PHONE = re.compile(r"62[0-9]{8,13}")  # [0-9], not \d: \d matches every script's digits


@pytest.fixture(autouse=True)
def _app_context(app):
    # Error messages are translatable, so they are built inside an app context.
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("08123456789", "628123456789"),
        ("0812-3456-7890", "6281234567890"),
        ("0812 3456 7890", "6281234567890"),
        ("+62 813 1111 2222", "6281311112222"),
        ("+62-813-1111-2222", "6281311112222"),
        ("62 811 2233 4455", "6281122334455"),
        ("6281122334455", "6281122334455"),
        ("85712345678", "6285712345678"),  # a spreadsheet dropped the leading 0
        ("(0812) 3456.7890", "6281234567890"),
        ("0856-1234-567", "628561234567"),
        (8123456789, "628123456789"),  # stored as a number
        (8123456789.0, "628123456789"),
        ("8.123456789E9", "628123456789"),  # scientific notation from a spreadsheet
        ("8123456789.0", "628123456789"),
        ("  0812 3456 789  ", "628123456789"),
    ],
)
def test_phone_shapes_are_stored_as_e164_digits(raw, stored):
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "wajib diisi"),
        (None, "wajib diisi"),
        ("0812345", "tidak valid"),  # too short
        ("0812345678a", "hanya boleh berisi angka"),  # phonenumbers alone would drop the 'a'
        ("nomor saya 0812", "hanya boleh berisi angka"),
        ("021-5551234", "bukan nomor HP"),  # a Jakarta landline
        ("+1 202 555 0100", "Indonesia"),
        ("081234567890123456", "tidak valid"),
        ("+", "tidak valid"),
    ],
)
def test_bad_phones_are_refused_with_a_message_in_indonesian(raw, message):
    with pytest.raises(Refused) as error:
        normalize_phone(raw)
    assert message in str(error.value.message)


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("b1234xyz", "B 1234 XYZ"),
        ("B 1234 XYZ", "B 1234 XYZ"),
        ("  b  1234   xyz ", "B 1234 XYZ"),
        ("B-1234-XYZ", "B 1234 XYZ"),
        ("d 1028 eb", "D 1028 EB"),
        ("AB12C", "AB 12 C"),
        ("N 1 A", "N 1 A"),
        ("B 1", "B 1"),
        ("bk9999abc", "BK 9999 ABC"),
    ],
)
def test_plates_are_normalised(raw, stored):
    assert normalize_plate(raw) == stored


@pytest.mark.parametrize("raw", ["", "   ", "1234", "B 0123 XY", "ABC 123", "B 12345", "B 123 ABCD", "B 12-34-56 X"])
def test_bad_plates_are_refused(raw):
    with pytest.raises(Refused):
        normalize_plate(raw)


def test_special_plate_is_allowed_only_with_override():
    with pytest.raises(Refused):
        normalize_plate("1234-00")  # a police plate
    assert normalize_plate("RI 1") == "RI 1"  # civil-shaped: no override needed
    assert normalize_plate("1234-00", allow_special=True) == "1234 00"
    assert normalize_plate("xx  1 2 3 4 5", allow_special=True) == "XX 1 2 3 4 5"
    with pytest.raises(Refused):
        normalize_plate("<script>", allow_special=True)


@pytest.mark.parametrize(
    "query, fragment",
    [("0812", "812"), ("+62 812", "812"), ("812", "812"), ("6281234", "81234"), ("0812-3456", "8123456"),
     ("budi", None), ("08", None)],
)
def test_phone_search_fragment_matches_stored_numbers(query, fragment):
    assert phone_search_fragment(query) == fragment


# --- properties -----------------------------------------------------------------------------

plates = st.builds(
    lambda region, number, suffix: f"{region} {number} {suffix}".strip(),
    st.text(string.ascii_uppercase, min_size=1, max_size=2),
    st.integers(min_value=1, max_value=9999),
    st.text(string.ascii_uppercase, max_size=3),
)


def _respace(plate, separators):
    return separators.join(plate.split(" ")).lower()


@given(plates, st.sampled_from(["", " ", "  ", "-", " - "]))
def test_any_valid_plate_round_trips_through_any_spacing_and_case(plate, separator):
    assert normalize_plate(_respace(plate, separator)) == plate
    assert normalize_plate(plate) == plate  # idempotent
    assert compact_plate(plate) == plate.replace(" ", "")


mobile_numbers = st.builds(
    lambda prefix, rest: f"08{prefix}{rest}",
    st.sampled_from(["11", "12", "13", "21", "22", "52", "53", "14", "55", "56", "57", "58", "77", "78", "95", "96",
                     "97", "98", "99", "81", "82", "83", "59", "38"]),
    st.text("0123456789", min_size=7, max_size=8),
)


@given(mobile_numbers, st.sampled_from(["national", "international", "spaced", "no_zero"]))
def test_valid_mobiles_round_trip_in_every_written_form(number, form):
    try:
        stored = normalize_phone(number)
    except Refused:
        return  # not every generated number is allocated; the others are checked below
    written = {
        "national": number,
        "international": "+62 " + number[1:],
        "spaced": " ".join(re.findall(".{1,4}", number)),
        "no_zero": number[1:],
    }[form]
    assert normalize_phone(written) == stored
    assert normalize_phone(stored) == stored  # idempotent
    assert re.fullmatch(r"628[0-9]{8,11}", stored)


@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=True), st.none()))
def test_phone_normaliser_never_crashes(value):
    try:
        stored = normalize_phone(value)
    except Refused:
        return
    assert STORED_PHONE.fullmatch(stored)


@given(st.text(), st.booleans())
def test_plate_normaliser_never_crashes(value, special):
    try:
        stored = normalize_plate(value, allow_special=special)
    except Refused:
        return
    assert stored == stored.upper().strip()
    assert len(stored) <= 16


# --- digits from other scripts ----------------------------------------------------------------

# The ten digits of scripts people type phones in: ASCII, Arabic-Indic, Persian (Eastern
# Arabic-Indic), Devanagari, Bengali, Thai and full-width (Chinese, Japanese input methods).
DIGIT_SCRIPTS = {
    "ascii": "0123456789", "arabic": "٠١٢٣٤٥٦٧٨٩", "persian": "۰۱۲۳۴۵۶۷۸۹", "devanagari": "०१२३४५६७८९",
    "bengali": "০১২৩৪৫৬৭৮৯", "thai": "๐๑๒๓๔๕๖๗๘๙", "fullwidth": "０１２３４５６７８９",
}


def _in_script(text: str, script: str) -> str:
    return text.translate(str.maketrans("0123456789", DIGIT_SCRIPTS[script]))


@pytest.mark.parametrize("script", sorted(DIGIT_SCRIPTS))
@pytest.mark.parametrize("written", ["081234567890", "+62 812-3456-7890", "(0812) 3456.7890", "81234567890"])
def test_phones_typed_in_any_script_are_stored_in_ascii_digits(script, written):
    assert normalize_phone(_in_script(written, script)) == "6281234567890"


def test_phone_in_arabic_indic_digits_from_the_issue():
    assert normalize_phone("٠٨١٢٣٤٥٦٧٨٩٠") == "6281234567890"
    assert phone_search_fragment("٠٨١٢ ٣٤") == "81234"


@pytest.mark.parametrize("raw", ["0812³4567890", "0812¹²³⁴⁵⁶⁷", "08①②③④⑤⑥⑦⑧⑨"])
def test_digit_like_signs_that_are_not_decimal_digits_are_refused(raw):
    with pytest.raises(Refused):  # superscripts and circled numbers are not digits to type a phone with
        normalize_phone(raw)


@given(st.lists(st.tuples(st.sampled_from("0123456789"), st.sampled_from(sorted(DIGIT_SCRIPTS))),
                min_size=1, max_size=16),
       st.sampled_from(["", "0", "62", "+62 ", "+62-"]))
def test_a_stored_phone_is_always_62_and_ascii_digits_whatever_script_it_was_typed_in(digits, prefix):
    typed = prefix + "".join(_in_script(digit, script) for digit, script in digits)
    ascii_typed = prefix + "".join(digit for digit, _ in digits)
    try:
        stored = normalize_phone(typed)
    except Refused:
        with pytest.raises(Refused):  # refused in any script exactly when refused in ASCII
            normalize_phone(ascii_typed)
        return
    assert STORED_PHONE.fullmatch(stored)
    assert stored == normalize_phone(ascii_typed)


@given(st.text(alphabet="".join(DIGIT_SCRIPTS.values()) + " +-().", max_size=20))
def test_no_digit_string_stores_anything_but_ascii(value):
    try:
        stored = normalize_phone(value)
    except Refused:
        return
    assert STORED_PHONE.fullmatch(stored)


@pytest.mark.parametrize("script", sorted(DIGIT_SCRIPTS))
def test_plates_typed_with_any_scripts_digits_are_stored_in_ascii(script):
    assert normalize_plate(_in_script("b 1234 xyz", script)) == "B 1234 XYZ"
    assert normalize_plate(_in_script("1234-00", script), allow_special=True) == "1234 00"
    assert compact_plate(_in_script("B 1234 XYZ", script)) == "B1234XYZ"


@pytest.mark.parametrize("raw", ["bı 1234", "ß 1234", "Ｂ 1234", "В 1234"])  # dotless i, sharp s, full-width B, Cyrillic В
@pytest.mark.parametrize("special", [False, True])
def test_plates_with_letters_from_other_scripts_are_refused(raw, special):
    with pytest.raises(Refused):
        normalize_plate(raw, allow_special=special)


@given(st.text(), st.booleans())
def test_a_stored_plate_is_always_ascii(value, special):
    try:
        stored = normalize_plate(value, allow_special=special)
    except Refused:
        return
    assert re.fullmatch(r"[A-Z0-9]+( [A-Z0-9]+)*", stored)
