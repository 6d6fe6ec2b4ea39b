"""Phone numbers and licence plates: the one place where they are checked and normalised.

Every path that writes a customer (forms, import, API) goes through these functions, so a value
stored in `manual_whatsapp` always has one shape: phones as E.164 digits (`628123456789`), plates as
`B 1234 XYZ`.

Digits typed in another script (Arabic-Indic `٠٨١٢`, Persian `۰۸۱۲`, Devanagari `०८१२`, full-width
`０８１２`) are the same digits: they are read as ASCII before anything else looks at them, so a stored
phone or plate only ever holds ASCII.
"""
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers
from flask_babel import lazy_gettext as _l
from phonenumbers import PhoneNumberType

from app.services.refusal import Refused


def ascii_digits(text: str) -> str:
    """`text` with every Unicode decimal digit (category Nd, any script) written as its ASCII digit."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


# --- phones -----------------------------------------------------------------------------------

_PHONE_ALLOWED = re.compile(r"^[0-9\s+\-().]+$")  # after ascii_digits: other scripts' digits are 0-9 by now
# A number a spreadsheet wrote in scientific notation: 8.123456789E9, 6.28123456789e+11
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_FLOAT_TEXT = re.compile(r"\d+\.0+")
_NOT_DIGIT = re.compile(r"\D")
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _phone_text(raw) -> str:
    """The number as text, undoing what spreadsheets do to numbers stored as numbers."""
    if isinstance(raw, bool):
        raise Refused(_l("Nomor HP tidak valid. Contoh yang benar: 0812 3456 7890."))
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else str(raw)
    text = ascii_digits(str(raw).strip())
    if _SCIENTIFIC.match(text):
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern only admits valid decimals
            return text
        if value == value.to_integral_value():
            return str(int(value))
    if _FLOAT_TEXT.fullmatch(text):  # 8123456789.0 from a float column
        return text.split(".")[0]
    return text


def normalize_phone(raw) -> str:
    """An Indonesian mobile number in any common shape → E.164 digits without '+' (`628123456789`).

    Accepts `0812…`, `+62 812…`, `62812…`, `812…` (a leading 0 lost in a spreadsheet), with spaces,
    dashes, dots or brackets. Refuses letters (phonenumbers would silently drop trailing junk),
    numbers of the wrong length, landlines and foreign numbers.
    """
    if raw is None:
        raise Refused(_l("Nomor HP wajib diisi."))
    text = _phone_text(raw)
    if not text:
        raise Refused(_l("Nomor HP wajib diisi."))
    if not _PHONE_ALLOWED.match(text):
        raise Refused(_l("Nomor HP hanya boleh berisi angka, spasi, +, - atau titik."))
    digits = _NOT_DIGIT.sub("", text)
    if not digits:
        raise Refused(_l("Nomor HP tidak valid. Contoh yang benar: 0812 3456 7890."))
    if text.startswith("+"):
        if not digits.startswith("62"):
            raise Refused(_l("Hanya nomor HP Indonesia (+62) yang bisa dipakai."))
        national = digits[2:]
    elif digits.startswith("62"):
        national = digits[2:]
    else:
        national = digits[1:] if digits.startswith("0") else digits
    # The national significant number is built here (digits only, prefixes handled above), so
    # phonenumbers is asked only what it knows best: which numbers are Indonesian mobiles.
    # number_type() answers UNKNOWN for a number that is not valid at all.
    if not national or len(national) > 13 or national.startswith("0"):
        raise Refused(_l("Nomor HP tidak valid. Contoh yang benar: 0812 3456 7890."))
    if is_known_mobile(national):
        return "62" + national
    number = phonenumbers.PhoneNumber(country_code=62, national_number=int(national))
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        raise Refused(_l("Nomor HP tidak valid. Contoh yang benar: 0812 3456 7890."))
    if kind not in _MOBILE_TYPES:
        raise Refused(_l("Ini bukan nomor HP. WhatsApp butuh nomor ponsel, bukan telepon rumah/kantor."))
    return "62" + national


# The fast path for the common case, an Indonesian mobile number, from phonenumbers' own data for
# Indonesia: the answer phonenumbers.number_type would give (MOBILE or FIXED_LINE_OR_MOBILE) without
# building a PhoneNumber and walking every number type per row. Anything else, and any number the
# fast path is not sure of, goes to phonenumbers itself (tests/test_phone_fast_path.py proves the two
# agree on generated numbers). It only says yes: the reason for a no always comes from phonenumbers.
_ID = phonenumbers.PhoneMetadata.metadata_for_region("ID")
# Types phonenumbers checks before mobile: a number matching one of them is never a mobile.
_NOT_MOBILE = [desc for desc in (_ID.premium_rate, _ID.toll_free, _ID.shared_cost, _ID.voip, _ID.personal_number,
                                 _ID.pager, _ID.uan, _ID.voicemail) if desc is not None and desc.national_number_pattern]


def _lengths(desc) -> frozenset:
    return frozenset(desc.possible_length or ())


def _fits(desc, length: int) -> bool:
    return not _lengths(desc) or length in _lengths(desc)


@lru_cache(maxsize=64)
def _known_mobile_pattern(length: int):
    """One regex per number length: mobile, within the general pattern, and none of the other types.

    The same tests as asking each of phonenumbers' patterns in turn, in one match: the patterns of
    the types that allow this length, the "not another type" as a negative lookahead.
    """
    if not (_fits(_ID.mobile, length) and _fits(_ID.general_desc, length)):
        return None
    others = "|".join(f"(?:{desc.national_number_pattern})" for desc in _NOT_MOBILE if _fits(desc, length))
    excluded = f"(?!(?:{others})\\Z)" if others else ""
    return re.compile(f"{excluded}(?=(?:{_ID.general_desc.national_number_pattern})\\Z)(?:{_ID.mobile.national_number_pattern})")


def is_known_mobile(national: str) -> bool:
    """True when phonenumbers would call this Indonesian national number a mobile (digits, no leading 0)."""
    if _ID.same_mobile_and_fixed_line_pattern:  # pragma: no cover - not Indonesia's data; leave it to phonenumbers
        return False
    pattern = _known_mobile_pattern(len(national))
    return pattern is not None and pattern.fullmatch(national) is not None


def phone_search_fragment(query: str) -> str | None:
    """The digits to look for inside stored numbers when someone searches by phone.

    `0812 34`, `+62 812 34` and `81234` all become `81234`, which is a substring of `628123…`.
    Returns None when the query is not phone-like (has letters or too few digits).
    """
    text = ascii_digits(query.strip())
    if not text or not _PHONE_ALLOWED.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+") or (digits.startswith("62") and len(digits) > 4):
        digits = digits[2:]
    digits = digits.lstrip("0")
    return digits if len(digits) >= 3 else None


# --- licence plates ---------------------------------------------------------------------------

# 1-2 region letters, 1-4 digits not starting with 0, 0-3 suffix letters (WHATSAPP.md).
_PLATE = re.compile(r"^([A-Z]{1,2})([1-9][0-9]{0,3})([A-Z]{0,3})$")
# A plate exactly as normalize_plate writes it: what the civil pattern above gives back unchanged.
_PLATE_AS_STORED = re.compile(r"[A-Z]{1,2} [1-9][0-9]{0,3}(?: [A-Z]{1,3})?")
_PLATE_SEPARATORS = re.compile(r"[\s\-.]+")
_SPECIAL_PLATE = re.compile(r"^[A-Z0-9]+( [A-Z0-9]+)*$")
PLATE_MAX_LENGTH = 16


def contains_pattern(text: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') matching `text` anywhere, its % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def compact_plate(raw: str) -> str:
    """The plate without separators, upper case: how a plate is compared whatever its spacing."""
    return _PLATE_SEPARATORS.sub("", ascii_digits(str(raw))).upper()


def normalize_plate(raw, allow_special: bool = False) -> str:
    """`b1234xyz`, `B-1234-XYZ`, ` b 1234  xyz ` → `B 1234 XYZ`.

    Special plates (RI, CD, police, military) do not follow the civil pattern; with
    `allow_special` they are kept as typed, in upper case with single spaces.
    """
    if raw is None or not str(raw).strip():
        raise Refused(_l("Nomor polisi wajib diisi."))
    text = ascii_digits(str(raw).strip())
    if _PLATE_AS_STORED.fullmatch(text):  # already in the stored shape (as most sheets hold them)
        return text
    # Plates are Latin letters: a letter from another script is refused, not transliterated
    # (upper() would turn `ı` into `I` and `ß` into `SS` behind the typist's back).
    match = _PLATE.match(compact_plate(text)) if text.isascii() else None
    if match:
        return " ".join(part for part in match.groups() if part)
    if allow_special:
        special = " ".join(_PLATE_SEPARATORS.split(text.upper())) if text.isascii() else ""
        if _SPECIAL_PLATE.match(special) and len(special) <= PLATE_MAX_LENGTH:
            return special
        raise Refused(_l("Nomor polisi khusus hanya boleh berisi huruf, angka dan spasi (maks. 16)."))
    raise Refused(
        _l("Nomor polisi tidak valid. Contoh: B 1234 XYZ (1-2 huruf, 1-4 angka, 0-3 huruf).")
    )


# --- dates and yes/no, as spreadsheets hold them ----------------------------------------------

_MONTHS = {
    # Indonesian and English names and abbreviations
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "february": 2, "pebruari": 2, "feb": 2, "peb": 2,
    "maret": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "agst": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{2}|\d{4})$")
_NAMED_MONTH = re.compile(r"^(\d{1,2})[\s\-./]+([A-Za-z]+)\.?[\s\-./]+(\d{2}|\d{4})$")
# Excel stores dates as days since 1899-12-30; 20000-80000 covers 1954-2119.
_EXCEL_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def parse_date(raw) -> date | None:
    """A date as spreadsheets and people write it; always day before month, never month first.

    Accepts date cells, ISO `2025-07-20`, `15/08/2025`, `01-09-2025`, `3 Agustus 2025`,
    `3 Aug 2025` and Excel serial numbers. Blank gives None; anything else raises Refused.
    """
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if not text:
        return None
    try:
        if match := _ISO_DATE.match(text):
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)
        if match := _DAY_FIRST.match(text):
            day, month, year = match.groups()
            return date(_full_year(year), int(month), int(day))
        if match := _NAMED_MONTH.match(text):
            day, month_name, year = match.groups()
            month = _MONTHS.get(month_name.lower())
            if month:
                return date(_full_year(year), month, int(day))
        if (match := _EXCEL_SERIAL.match(text)) and 20000 <= int(match.group(1)) <= 80000:
            return _EXCEL_EPOCH + timedelta(days=int(match.group(1)))
    except ValueError:
        pass  # a day or month out of range: reported below like any unreadable date
    raise Refused(_l("Tanggal \"%(value)s\" tidak dikenali. Gunakan hari/bulan/tahun, mis. 15/01/2026.",
                          value=text[:40]))


_YES = {"ya", "y", "yes", "1", "true", "aktif", "active", "x", "v", "benar"}
_NO = {"tidak", "t", "no", "n", "0", "false", "nonaktif", "non aktif", "tidak aktif", "inactive", "salah"}


def parse_yes_no(raw) -> bool | None:
    """`Ya`/`Tidak` and their many spellings; blank gives None."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None
    text = " ".join(str(raw).strip().lower().split())
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise Refused(_l("Isi \"%(value)s\" tidak dikenali; gunakan Ya atau Tidak.", value=text[:20]))
