"""Sheets going out: the customer list, the refused rows of an import, the import template.

Every cell goes through `safe_cell`, so a value a spreadsheet would run as a formula
(`=HYPERLINK(...)`, `+62…` typed by someone, `@SUM`) is shown as text instead. Phones go out as
people write them (`0812-3456-7890`), which a spreadsheet keeps as text (bare digits became
`6,28E+12`), and moments in the workshop's time, as on screen.
"""
import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook

from app import clock
from app.extensions import db
from app.models import Customer
from app.services.customers import CustomerQuery, matching_customers
from app.services.formats import local_phone
from app.services.importing import ImportState

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"  # what Excel opens directly in an Indonesian locale


def safe_cell(value):
    """Text that a spreadsheet would evaluate is prefixed with an apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _customer_headers():
    return [_("Nama Pelanggan"), _("No. Polisi"), _("No HP"), _("Servis Terakhir"), _("Servis Berikutnya"),
            _("Aktif"), _("Jumlah Pengingat"), _("Pengingat Terakhir"), _("Catatan")]


def _customer_cells(customer: Customer) -> list:
    return [
        customer.customer_name, customer.nopol, local_phone(customer.no_hp), customer.last_service, customer.next_service,
        _("Ya") if customer.is_active else _("Tidak"), customer.reminder_sent_count,
        customer.last_reminder_sent.astimezone(clock.local_zone()) if customer.last_reminder_sent else None,
        customer.notes,
    ]


def _customers(query: CustomerQuery) -> Iterator[Customer]:
    # Streamed in chunks, so exporting 100,000 customers does not hold them all in memory at once.
    result = db.session.execute(matching_customers(query).execution_options(yield_per=2000))
    for (customer,) in result:
        yield customer


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # already in the workshop's zone, as on screen
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(safe_cell(value))


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """CSV text line by line, with a BOM so Excel reads UTF-8 names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    yield "\ufeff"
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def xlsx_bytes(rows: Iterable[list], title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _xlsx_value(value):
    if isinstance(value, datetime):  # spreadsheets have no zones: the workshop's wall-clock time
        return value.replace(tzinfo=None)
    return safe_cell(value)


def customer_rows(query: CustomerQuery) -> Iterator[list]:
    yield _customer_headers()
    for customer in _customers(query):
        yield _customer_cells(customer)


def refused_rows(state: ImportState) -> Iterator[list]:
    """The refused rows as they were in the sheet, with the row number and what was wrong."""
    yield [_("Baris"), *state.columns, _("Kesalahan")]
    for outcome in state.outcomes:
        problems = "; ".join(f"{column}: {message}" for column, message in outcome.errors)
        yield [outcome.row, *state.sheet_row(outcome), problems]


def template_rows() -> list[list]:
    return [
        [_("Nama Pelanggan"), _("No. Polisi"), _("No HP"), _("Servis Terakhir"), _("Servis Berikutnya"),
         _("Catatan"), _("Aktif")],
        ["Budi Santoso", "B 1234 XYZ", "0812 3456 7890", date(2026, 1, 15), date(2026, 7, 15), "walk-in", _("Ya")],
    ]


# The columns of a hand-over to the main system: plain names a main system's import can map.
HANDOVER_HEADERS = ["nopol", "nama", "no_hp", "servis_terakhir", "servis_berikutnya", "catatan"]


def handover_rows(customers: Iterable[Customer]) -> Iterator[list]:
    """Chosen customers in the main system's columns ("Pindahkan ke sistem utama")."""
    yield HANDOVER_HEADERS
    for customer in customers:
        yield [customer.nopol, customer.customer_name, local_phone(customer.no_hp), customer.last_service,
               customer.next_service, customer.notes]
