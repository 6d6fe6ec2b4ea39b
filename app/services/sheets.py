"""Reading uploaded spreadsheets (.xlsx, .xls, .ods, .csv) into rows of text cells.

Everything a sheet can hold is turned into text here, once: date cells become `YYYY-MM-DD`,
numbers stored as numbers lose their `.0` (a phone typed as a number stays a number of digits),
empty cells become "". What the cells mean is decided later, by app/services/importing.py.
"""
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from flask_babel import lazy_gettext as _l

from app.services.refusal import Refused

EXTENSIONS = (".xlsx", ".xls", ".ods", ".csv")
MAX_ROWS = 100_000
# A real 100,000-row workbook unpacks to well under this; a zip bomb goes far past it.
MAX_UNZIPPED_BYTES = 150 * 1024 * 1024
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"




@dataclass
class Sheet:
    rows: list[list[str]]  # every row of the sheet, title block and header included


def extension_of(filename: str) -> str:
    name = (filename or "").lower().strip()
    return next((ext for ext in EXTENSIONS if name.endswith(ext)), "")


def read_sheet(filename: str, data: bytes) -> Sheet:
    """The first non-empty sheet of an uploaded file, as text cells."""
    ext = extension_of(filename)
    if not ext:
        raise Refused(_l("Jenis file tidak didukung. Unggah file .xlsx, .xls, .ods atau .csv."))
    if not data or not data.strip():
        raise Refused(_l("File kosong."))
    if ext == ".csv":
        rows = _read_csv(data)
    else:
        _check_container(ext, data)
        rows = _read_workbook(data)
    rows = _trim(rows)
    if not rows:
        raise Refused(_l("File tidak berisi data."))
    if len(rows) > MAX_ROWS + 50:
        raise Refused(_l("File terlalu banyak baris (maks. %(n)s baris per impor).", n=f"{MAX_ROWS:,}".replace(",", ".")))
    return Sheet(rows=rows)


def _check_container(ext: str, data: bytes):
    """An .xlsx/.ods must be a zip that unpacks to a sane size; an .xls an OLE2 file."""
    if ext == ".xls":
        if not data.startswith(_XLS_MAGIC):
            raise Refused(_l("File .xls ini rusak atau bukan file Excel."))
        return
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise Refused(_l("File %(ext)s ini rusak atau bukan spreadsheet (isinya bukan arsip zip).", ext=ext))
    try:
        with zipfile.ZipFile(buffer) as archive:
            _check_unzipped_size(archive)
    except zipfile.BadZipFile:
        raise Refused(_l("File %(ext)s ini rusak atau bukan spreadsheet (isinya bukan arsip zip).", ext=ext)) from None


def _check_unzipped_size(archive: zipfile.ZipFile):
    """Unpack as a stream and stop at the limit: the sizes a zip declares can lie."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if total > MAX_UNZIPPED_BYTES:
            raise Refused(_l("File ini terlalu besar setelah dibuka (kemungkinan file rusak atau berbahaya)."))
    total = 0
    for info in archive.infolist():
        with archive.open(info) as member:
            while chunk := member.read(1 << 20):
                total += len(chunk)
                if total > MAX_UNZIPPED_BYTES:
                    raise Refused(_l("File ini terlalu besar setelah dibuka (kemungkinan file rusak atau berbahaya)."))


def _read_workbook(data: bytes) -> list[list[str]]:
    try:
        with pd.ExcelFile(io.BytesIO(data), engine="calamine") as workbook:
            for name in workbook.sheet_names:
                frame = pd.read_excel(workbook, sheet_name=name, header=None, dtype=object)
                if not frame.empty:
                    return [[_cell_text(value) for value in row] for row in frame.to_numpy().tolist()]
    except Exception:  # calamine reports broken files with many exception types
        raise Refused(_l("File tidak bisa dibaca: rusak atau bukan spreadsheet.")) from None
    return []


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) as saved by most tools, else Windows-1252 as older Excel saves."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    """`;` (Excel in an Indonesian locale), `,` or a tab: the one that splits the first lines alike.

    Each candidate splits the lines as a CSV reader does (quotes respected), and the one giving the
    most lines the same number of columns, more than one, wins. Counting characters, or the
    standard library's sniffer, took the commas inside a quoted name ("Toko Maju, Jaya") for
    the delimiter of a `;` file.
    """
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in (";", ",", "\t"):
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        common = max(set(widths), key=widths.count, default=1)
        score = (widths.count(common), common) if common > 1 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=_delimiter(text), header=None, dtype=str,
            keep_default_na=False, skip_blank_lines=False, engine="c",
        )
    except pd.errors.EmptyDataError:
        raise Refused(_l("File kosong.")) from None
    except pd.errors.ParserError as exc:
        match = _RAGGED.search(str(exc))
        if match:
            expected, line, seen = match.groups()
            raise Refused(_l("Baris %(line)s berisi %(seen)s kolom, padahal judul kolom hanya %(expected)s. "
                                "Periksa pemisah (; atau ,) dan tanda kutip di baris itu.",
                                line=line, seen=seen, expected=expected)) from None
        raise Refused(_l("File CSV tidak bisa dibaca: formatnya rusak.")) from None
    return [[_cell_text(value) for value in row] for row in frame.itertuples(index=False)]


def _cell_text(value) -> str:
    kind = type(value)  # the common cells first: text, and dates from 1000 on (strftime is slow per cell)
    if kind is str:
        return value.strip()
    if kind is datetime and value.year >= 1000:
        return f"{value.year}-{value.month:02d}-{value.day:02d}"
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d") if not pd.isna(value) else ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, float):
        if value != value:  # NaN: an empty cell
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _trim(rows: list[list[str]]) -> list[list[str]]:
    """Drop trailing empty rows and columns that spreadsheets leave behind; pad short rows."""
    while rows and not any(rows[-1]):
        rows.pop()
    width = max((len(row) for row in rows), default=0)
    rows = [row if len(row) == width else row + [""] * (width - len(row)) for row in rows]
    while width and not any(row[width - 1] for row in rows):
        width -= 1
        rows = [row[:width] for row in rows]
    return rows
