"""Importing customers from a sheet: find the columns, classify every row, commit in one go.

Upload → `start_import` reads the sheet, finds the header row and the columns by their meaning,
and classifies each row (new, update, unchanged, error, duplicate in the file) with the same
normalisation and rules as the forms (app/services/customers.py). The result is stored with the
ImportBatch, on the server, until `commit_import` writes the chosen rows in one transaction.
"""
import operator
import os
import re
import uuid
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import orjson
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from app import clock
from app.extensions import db
from app.models import Customer, ImportBatch
from app.services import audit, main_system
from app.services.customers import CustomerInvalid, fill_next_service, validate_fields
from app.services.headers import find_header
from app.services.normalize import parse_date, parse_yes_no
from app.services.refusal import Refused
from app.services.settings import service_interval_months
from app.services.sheets import Sheet
from app.services.text import NUL, NUL_MESSAGE, has_nul

FIELDS = ("customer_name", "nopol", "no_hp", "last_service", "next_service", "notes", "is_active")
REQUIRED = ("customer_name", "nopol", "no_hp")
FIELD_LABELS = {
    "customer_name": _l("Nama pelanggan"),
    "nopol": _l("Nomor polisi"),
    "no_hp": _l("No. HP / WhatsApp"),
    "last_service": _l("Servis terakhir"),
    "next_service": _l("Servis berikutnya"),
    "notes": _l("Catatan"),
    "is_active": _l("Aktif"),
}
PREVIEW_EXPIRES = timedelta(hours=24)
ON_EXISTING = ("skip", "update")
MODES = ("valid_only", "all_or_nothing")

NEW, UPDATE, UNCHANGED, ERROR, DUPLICATE = "new", "update", "unchanged", "error", "duplicate"
STATUSES = (NEW, UPDATE, UNCHANGED, ERROR, DUPLICATE)
REFUSED = (ERROR, DUPLICATE)




# --- the stored state of one import ------------------------------------------------------------

@dataclass
class Outcome:
    """What happens to one data row of the sheet."""

    row: int  # the row number the spreadsheet shows
    status: str
    values: dict = field(default_factory=dict)  # normalised values, dates as ISO text
    errors: list = field(default_factory=list)  # [column label, message]
    changes: dict = field(default_factory=dict)  # field -> [old, new] for updates
    customer_id: str | None = None
    cells: list | None = None  # the sheet row itself, kept for refused rows (to show and download)
    in_main_system: bool = False  # the main system has this plate or phone: it reminds them already

    @property
    def renames(self) -> bool:
        """An update that gives the plate's customer another name: perhaps another owner, perhaps a typo."""
        return "customer_name" in self.changes

    @property
    def dates_back(self) -> list[str]:
        """The service dates an update would move to an earlier day (an old sheet over newer data)."""
        return [name for name in ("last_service", "next_service")
                if name in self.changes and None not in self.changes[name] and self.changes[name][1] < self.changes[name][0]]

    @property
    def needs_a_look(self) -> bool:
        return self.status == UPDATE and (self.renames or bool(self.dates_back))


@dataclass
class ImportState:
    columns: list[str]
    header_row: int
    mapping: dict[str, int]
    data: list[list[str]] = field(default_factory=list)  # loaded only to classify again
    outcomes: list[Outcome] = field(default_factory=list)
    # Loaded for the preview page alone: the counts over every row, while `outcomes` holds only the
    # first SHOWN_PER_STATUS rows of each kind.
    summary: dict | None = None

    @property
    def missing(self) -> list[str]:
        return [name for name in REQUIRED if name not in self.mapping]

    def count(self, status) -> int:
        if self.summary is not None:
            return self.summary["counts"][status]
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    def counts(self) -> dict:
        return {status: self.count(status) for status in STATUSES}

    def in_main_system(self) -> int:
        """Rows the main system has (plate or phone): imported, they are still left out of the batches."""
        if self.summary is not None:
            return self.summary["in_main_system"]
        return sum(1 for outcome in self.outcomes if outcome.in_main_system)

    def needing_a_look(self) -> int:
        """Updates that rename a customer or move a service date back: "Perbarui" would overwrite them."""
        if self.summary is not None:
            return self.summary["needing_a_look"]
        return sum(1 for outcome in self.outcomes if outcome.needs_a_look)

    def of_status(self, *statuses, limit=None) -> list[Outcome]:
        if self.summary is not None and (limit is None or limit > SHOWN_PER_STATUS):
            raise ValueError("only the first rows of each kind were loaded")
        found = [outcome for outcome in self.outcomes if outcome.status in statuses]
        return found[:limit] if limit else found

    def sheet_row(self, outcome: Outcome) -> list[str]:
        return outcome.cells or []


SHOWN_PER_STATUS = 200  # rows of each kind the preview page lists; its counts cover all
_OUTCOME_FIELDS = ("row", "status", "values", "errors", "changes", "customer_id", "cells", "in_main_system")
_as_stored = operator.attrgetter(*_OUTCOME_FIELDS)  # an outcome as a JSON array, in its fields' order


def _compress(body) -> bytes:
    return zlib.compress(orjson.dumps(body, default=str), 1)


def _shown(outcomes: list[Outcome]) -> list[Outcome]:
    """The first SHOWN_PER_STATUS outcomes of each kind, in the sheet's order."""
    taken = dict.fromkeys(STATUSES, 0)
    shown = []
    for outcome in outcomes:
        if taken[outcome.status] < SHOWN_PER_STATUS:
            taken[outcome.status] += 1
            shown.append(outcome)
    return shown


def _store(batch: ImportBatch, state: ImportState, with_data: bool = True):
    """Outcomes and sheet cells are stored apart, so a commit never has to read the cells.

    The outcomes are two zlib streams one after the other: a head with the counts and the rows the
    preview page lists, then every outcome; the preview page reads the head alone.
    """
    if state.summary is not None:
        raise ValueError("a state loaded for the preview page holds only some rows")
    head = {"columns": state.columns, "header_row": state.header_row, "mapping": state.mapping,
            "summary": {"counts": state.counts(), "in_main_system": state.in_main_system(),
                        "needing_a_look": state.needing_a_look()},
            "shown": [_as_stored(outcome) for outcome in _shown(state.outcomes)]}
    batch.payload = _compress(head) + _compress([_as_stored(outcome) for outcome in state.outcomes])
    if with_data:
        batch.sheet_data = _compress(state.data)


def load_state(batch: ImportBatch, with_data: bool = False, summary_only: bool = False) -> ImportState | None:
    """The stored state; with `summary_only`, the counts and the rows the preview page lists, not every row."""
    if batch.payload is None:
        return None
    streams = zlib.decompressobj()
    head = orjson.loads(streams.decompress(batch.payload))
    shown, summary = head.pop("shown", None), head.pop("summary", None)
    if "outcomes" in head:  # stored in one stream, before the head was kept apart: every row is loaded
        outcomes, summary = [Outcome(**outcome) for outcome in head.pop("outcomes")], None
    elif summary_only:
        outcomes = [Outcome(*outcome) for outcome in shown]
    else:
        outcomes, summary = [Outcome(*outcome) for outcome in orjson.loads(zlib.decompress(streams.unused_data))], None
    data = orjson.loads(zlib.decompress(batch.sheet_data)) if with_data and batch.sheet_data else []
    return ImportState(**head, data=data, outcomes=outcomes, summary=summary)


# --- classifying rows --------------------------------------------------------------------------

# The cells read by a rule of their own; a sheet repeats the same few hundred dates and yes/no
# spellings, so each distinct text of a column is read once per check.
_READERS = {"last_service": parse_date, "next_service": parse_date, "is_active": parse_yes_no}


def _read_cell(name: str, value: str, memo: dict):
    """The cell read by its column's rule (a date, yes/no), or the Refused saying why not."""
    key = (name, value)
    if key not in memo:
        try:
            memo[key] = _READERS[name](value)
        except Refused as exc:
            memo[key] = exc
    return memo[key]


def _row_fields(row: list[str], mapping: dict[str, int], labels: dict[str, str], errors: list, memo: dict) -> dict:
    """The mapped cells of one row, with dates and yes/no read; problems go into `errors`."""
    fields = {}
    for name, column in mapping.items():
        value = row[column] if column < len(row) else ""
        if has_nul(value):  # refused for this row only; the rest of the cell is still checked
            errors.append([labels[name], str(NUL_MESSAGE)])
            value = value.replace(NUL, "")
        if name in _READERS:
            value = _read_cell(name, value, memo)
            if isinstance(value, Refused):
                errors.append([labels[name], str(value.message)])
                continue
            if value is None and name == "is_active":
                continue
        elif name == "notes" and not value:
            continue
        fields[name] = value
    return fields


def _json_value(value):
    return value.isoformat() if isinstance(value, date) else value


def classify(state: ImportState, progress=None, every: int = 1000) -> ImportState:
    """Check every row with the customer rules; mark duplicates inside the file; compare with the database.

    `progress(rows_checked)` is called every `every` rows (the background check reports it).
    """
    labels = {name: state.columns[column] or str(FIELD_LABELS[name]) for name, column in state.mapping.items()}
    months = service_interval_months()
    first_row_of_plate: dict[str, int] = {}
    memo: dict = {}
    outcomes = []
    for offset, row in enumerate(state.data):
        number = state.header_row + 2 + offset
        if not any(row):
            continue
        errors: list = []
        fields = _row_fields(row, state.mapping, labels, errors, memo)
        required = {name: fields.get(name) for name in REQUIRED}
        clean, field_errors = validate_fields({**required, "next_service": None, **fields})
        try:
            fill_next_service(clean, clean.get("last_service"), months)
        except CustomerInvalid as exc:
            field_errors.update(exc.errors)
        errors.extend([labels.get(name, str(FIELD_LABELS[name])), str(message)] for name, message in field_errors.items())
        # A blank cell carries no information: it neither clears a stored value nor counts as a change.
        values = {key: value.isoformat() if isinstance(value, date) else value  # as _json_value, inline
                  for key, value in clean.items() if value is not None}
        outcome = Outcome(row=number, status=ERROR if errors else NEW, values=values, errors=errors)
        plate = clean.get("nopol") if "nopol" not in field_errors else None
        if plate:
            if plate in first_row_of_plate:
                outcome.status = DUPLICATE
                outcome.errors.append([labels["nopol"], _("Nomor polisi %(nopol)s sama dengan baris %(row)d di file ini.",
                                                          nopol=plate, row=first_row_of_plate[plate])])
            else:
                first_row_of_plate[plate] = number
        if outcome.status in REFUSED:
            outcome.cells = row
        outcomes.append(outcome)
        if progress and len(outcomes) % every == 0:
            progress(len(outcomes))
    state.outcomes = outcomes
    compare_with_database(state)
    return state


_COMPARED = ("customer_name", "no_hp", "last_service", "next_service", "notes", "is_active")


def compare_with_database(state: ImportState):
    """New, update (with what changes) or unchanged, against the customers stored right now."""
    candidates = [outcome for outcome in state.outcomes if outcome.status not in REFUSED]
    existing = _existing_by_plate([outcome.values["nopol"] for outcome in candidates])
    for outcome in candidates:
        customer = existing.get(outcome.values["nopol"])
        if customer is None:
            outcome.status, outcome.changes, outcome.customer_id = NEW, {}, None
            continue
        changes = {}
        for name in _COMPARED:
            if name in outcome.values:
                old = _json_value(getattr(customer, name))
                if outcome.values[name] != old:
                    changes[name] = [old, outcome.values[name]]
        outcome.status = UPDATE if changes else UNCHANGED
        outcome.changes = changes
        outcome.customer_id = str(customer.id)
    _flag_main_system(candidates)


def _flag_main_system(outcomes: list[Outcome]):
    """Mark the rows whose plate or phone the main system has."""
    if not outcomes or not main_system.has_entries():
        return
    plates, phones = main_system.known_plates_and_phones([outcome.values.get("nopol") for outcome in outcomes],
                                                         [outcome.values.get("no_hp") for outcome in outcomes])
    for outcome in outcomes:
        outcome.in_main_system = outcome.values.get("nopol") in plates or outcome.values.get("no_hp") in phones


def _existing_by_plate(plates: list[str]) -> dict:
    """The stored customers with these plates, by plate.

    PostgreSQL gets all the plates as one array parameter (= ANY): a thousand-value IN list per
    query took it 37 ms to plan, two seconds for a 50,000-row sheet. SQLite reads them in chunks
    of a thousand, under its limit of bound parameters.
    """
    columns = (Customer.id, Customer.nopol, *[getattr(Customer, name) for name in _COMPARED])
    if db.session.get_bind().dialect.name == "postgresql":
        plate_list = sa.bindparam("plates", plates, type_=postgresql.ARRAY(sa.String))
        return {row.nopol: row for row in db.session.execute(sa.select(*columns).where(Customer.nopol == sa.any_(plate_list)))}
    found = {}
    for start in range(0, len(plates), 1000):
        rows = db.session.execute(sa.select(*columns).where(Customer.nopol.in_(plates[start:start + 1000])))
        found.update({row.nopol: row for row in rows})
    return found


# --- the steps the pages call --------------------------------------------------------------------

def start_import(filename: str, sheet: Sheet, user) -> ImportBatch:
    """Store an uploaded sheet, to be checked row by row (app/services/import_checks.py).

    Nothing is written to the customers. When a required column was not recognised, the batch is
    a preview at once: the person first says which column holds what.
    """
    expire_old_previews()
    found = find_header(sheet.rows)
    if found is None:
        raise Refused(_l("Baris judul kolom tidak ditemukan. Baris pertama tabel harus berisi judul seperti "
                            "Nama, No. Polisi dan No HP (unduh templat untuk contohnya)."))
    header_row, mapping = found
    state = ImportState(columns=sheet.rows[header_row], header_row=header_row,
                        data=sheet.rows[header_row + 1:], mapping=mapping)
    if not any(any(row) for row in state.data):
        raise Refused(_l("File ini hanya berisi judul kolom, belum ada baris pelanggan di bawahnya."))
    batch = ImportBatch(filename=filename[:255], user_id=user.id if user else None,
                        total_rows=sum(1 for row in state.data if any(row)),
                        status=ImportBatch.STATUS_PREVIEW if state.missing else ImportBatch.STATUS_CHECKING)
    _store(batch, state)
    db.session.add(batch)
    db.session.flush()
    return batch


def remap(batch: ImportBatch, mapping: dict[str, int]) -> ImportState:
    """The user said which sheet column holds which field: checked again (in the background) when complete."""
    state = _preview_state(batch, with_data=True)
    state.mapping = {name: column for name, column in mapping.items()
                     if name in FIELDS and column is not None and 0 <= column < len(state.columns)}
    if len(set(state.mapping.values())) != len(state.mapping):
        raise Refused(_l("Satu kolom file hanya bisa dipakai untuk satu data."))
    state.outcomes = []
    if not state.missing:
        batch.status, batch.checked_rows, batch.heartbeat_at = ImportBatch.STATUS_CHECKING, 0, None
    _store(batch, state, with_data=False)
    return state


def store_preview(batch: ImportBatch, state: ImportState):
    """The checked rows, kept for the preview page and the commit."""
    _store(batch, state, with_data=False)


def _preview_state(batch: ImportBatch, with_data: bool = False) -> ImportState:
    if batch.status != ImportBatch.STATUS_PREVIEW or batch.payload is None:
        raise Refused(_l("Pratinjau ini sudah tidak berlaku. Unggah file lagi."))
    return load_state(batch, with_data)


def commit_import(batch: ImportBatch, on_existing: str, mode: str) -> ImportBatch:
    """Write the chosen rows in one transaction: all of them or, on any problem, none."""
    state = _preview_state(batch)
    if state.missing:
        raise Refused(_l("Tentukan dulu kolom untuk: %(fields)s.",
                               fields=", ".join(str(FIELD_LABELS[name]) for name in state.missing)))
    compare_with_database(state)  # someone may have added or changed customers since the preview
    refused = state.of_status(*REFUSED)
    if mode == "all_or_nothing" and refused:
        raise Refused(_l("%(n)d baris ditolak, jadi tidak ada yang diimpor. Perbaiki file atau pilih "
                               "\"impor baris yang valid saja\".", n=len(refused)))
    now = clock.utcnow()
    new_rows = [outcome.values for outcome in state.of_status(NEW)]
    updates = state.of_status(UPDATE) if on_existing == "update" else []
    update_rows = [_update_values(outcome, now) for outcome in updates]
    try:
        if new_rows:
            _insert_customers(new_rows, now)
        if update_rows:
            db.session.execute(sa.update(Customer), update_rows)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Refused(_l("Data pelanggan berubah selama impor (nomor polisi yang sama baru saja ditambahkan). "
                               "Unggah file lagi untuk pratinjau terbaru.")) from None
    batch.status = ImportBatch.STATUS_DONE
    batch.committed_at = now
    batch.created_count = len(new_rows)
    batch.updated_count = len(update_rows)
    batch.refused_count = len(refused)
    batch.skipped_count = len(state.outcomes) - len(new_rows) - len(update_rows) - len(refused)
    audit.record("import.commit", details={
        "file": batch.filename, "created": batch.created_count, "updated": batch.updated_count,
        "skipped": batch.skipped_count, "refused": batch.refused_count})
    # What is kept: only the refused rows, to fix and upload again.
    state.outcomes = refused
    _store(batch, state, with_data=False)
    batch.sheet_data = None
    return batch


# SQLite's search index (an FTS5 table, migration c4d5e6f7a8b9) is kept in step by a trigger per
# inserted row, which made a 50,000-row import five times slower than the insert itself.
SEARCH_TRIGGER = "customer_search_insert"
_TRIGGER_DOCUMENT = re.compile(r"VALUES\s*\(\s*new\.rowid\s*,\s*(.+)\)\s*;\s*END\s*$", re.S | re.I)


def _insert_customers(new_values: list[dict], now):
    """The new customers in one round of inserts, as tuples the driver takes as they are."""
    connection = db.session.connection()
    rows = _new_rows(new_values, now, connection.dialect)
    if connection.dialect.name == "postgresql" and len(rows) >= 500:
        _copy_customers(connection, rows)
    elif connection.dialect.name == "sqlite" and len(rows) >= 500:
        _insert_many_on_sqlite(connection, rows)
    elif connection.dialect.name == "postgresql":  # psycopg sends text as "unknown": ids go as UUIDs
        _execute_insert(connection, [(uuid.UUID(row[0]), *row[1:]) for row in rows])
    else:
        _execute_insert(connection, rows)


def _insert_many_on_sqlite(connection, rows: list[tuple]):
    """A large insert on SQLite, with the search index filled afterwards, in one statement.

    The search trigger is taken out for the insert's own transaction, the index is filled from the
    new rows in one statement (with the trigger's own expression, read back from the database) and
    the trigger is put back. SQLite's DDL is transactional, so a failure rolls all of it back, and
    the transaction holds the write lock, so no other insert can miss the trigger.
    """
    table = Customer.__tablename__
    dbapi = connection.connection.dbapi_connection
    if not dbapi.in_transaction:  # pysqlite would run the DROP outside any transaction
        dbapi.execute("BEGIN IMMEDIATE")
    trigger = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (SEARCH_TRIGGER,)).scalar()
    document = trigger and _TRIGGER_DOCUMENT.search(trigger)
    last = connection.exec_driver_sql(f"SELECT coalesce(max(rowid), 0) FROM {table}").scalar()
    if document:
        connection.exec_driver_sql(f"DROP TRIGGER {SEARCH_TRIGGER}")
    with _reading_indexes_built_after(connection, len(rows)):
        _execute_insert(connection, rows)
    if document:
        connection.exec_driver_sql(f"INSERT INTO customer_search(rowid, doc) SELECT rowid, "
                                   f"{document.group(1).replace('new.', '')} FROM {table} WHERE rowid > ?", (last,))
        connection.exec_driver_sql(trigger)


@contextmanager
def _reading_indexes_built_after(connection, count: int):
    """On SQLite, when `count` new rows are at least as many as the table holds, its reading indexes are built after the insert.

    Sorting every row once costs a fraction of inserting 50,000 rows into a dozen indexes. Only the
    indexes that speed up reading are dropped, never a unique one, so a repeated plate still stops
    the insert. SQLite's DDL is transactional: a failed import rolls the indexes back with everything
    else, and readers keep reading the table as it was until the commit. Not on PostgreSQL: DROP
    INDEX needs the table's exclusive lock, which waits for every open transaction that read the
    table while every new reader queues behind it, and two imports committed at once would deadlock.
    """
    table = Customer.__tablename__
    indexes = []
    stored = connection.exec_driver_sql(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {count + 1}) AS stored").scalar()
    if stored <= count:
        indexes = connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' "
            f"AND sql LIKE 'CREATE INDEX %'").all()
    for name, _definition in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _name, definition in indexes:
        connection.exec_driver_sql(definition)


# The columns an imported customer is inserted with; the others start empty (NULL).
_INSERTED = ("id", "customer_name", "nopol", "no_hp", "last_service", "next_service", "notes", "is_active",
             "reminder_sent_count", "opted_out", "created_at", "updated_at")


def _execute_insert(connection, rows: list[tuple]):
    """executemany on the driver, without SQLAlchemy's processing of every parameter of every row."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(f"INSERT INTO {Customer.__tablename__} ({', '.join(_INSERTED)}) "
                               f"VALUES ({', '.join([mark] * len(_INSERTED))})", rows)


def _new_rows(new_values: list[dict], now, dialect) -> list[tuple]:
    """The rows to insert, in _INSERTED order, each value as the column's own bind processing makes it.

    The processing runs once per distinct value (the time, a few hundred dates, yes and no) instead
    of once per cell; names, plates, phones and notes are text the driver takes as it is. The ids
    are version-4 UUIDs (as uuid.uuid4 makes them) as the 32 hex digits SQLite stores.
    """
    columns = Customer.__table__.c
    processed: dict = {}

    def bound(name, value):
        if value is None:
            return None
        key = (name, value)
        if key not in processed:
            value = date.fromisoformat(value) if name in ("last_service", "next_service") else value
            processor = columns[name].type._cached_bind_processor(dialect)
            processed[key] = processor(value) if processor else value
        return processed[key]

    stamp = bound("created_at", now)
    zero, no = bound("reminder_sent_count", 0), bound("opted_out", False)
    return [(key, values["customer_name"], values["nopol"], values["no_hp"],
             bound("last_service", values.get("last_service")), bound("next_service", values.get("next_service")),
             values.get("notes"), bound("is_active", values.get("is_active", True)), zero, no, stamp, stamp)
            for key, values in zip(_new_ids(len(new_values)), new_values, strict=True)]


def _new_ids(count: int) -> list[str]:
    """`count` random version-4 UUIDs as hex: uuid.uuid4's bits, from one call for random bytes."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes(byte & 0x0F | 0x40 for byte in raw[6::16])  # the version, 4
    raw[8::16] = bytes(byte & 0x3F | 0x80 for byte in raw[8::16])  # the variant, RFC 4122
    text = raw.hex()
    return [text[start:start + 32] for start in range(0, 32 * count, 32)]


def _copy_customers(connection, rows: list[tuple]):
    """PostgreSQL's COPY: the rows stream in one command, with no statement per row.

    A constraint still stops the whole COPY, and the transaction with it.
    """
    import psycopg

    statement = f"COPY {Customer.__tablename__} ({', '.join(_INSERTED)}) FROM STDIN"
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.errors.IntegrityError as exc:  # as SQLAlchemy reports it for any other statement
        raise IntegrityError(statement, None, exc) from exc


def _dates(values: dict) -> dict:
    """The stored ISO dates back as dates, for the database driver."""
    for key in ("last_service", "next_service"):
        if values.get(key):
            values[key] = date.fromisoformat(values[key])
    return values


def _update_values(outcome: Outcome, now) -> dict:
    changed = {name: new for name, (_old, new) in outcome.changes.items()}
    return {"id": uuid.UUID(outcome.customer_id), "updated_at": now, **_dates(changed)}


def expire_old_previews():
    """Previews nobody committed are dropped after a day, with the data they held."""
    cutoff = clock.utcnow() - PREVIEW_EXPIRES
    db.session.execute(
        sa.update(ImportBatch)
        .where(ImportBatch.status == ImportBatch.STATUS_PREVIEW, ImportBatch.created_at < cutoff)
        .values(status=ImportBatch.STATUS_EXPIRED, payload=None, sheet_data=None)
    )


def recent_imports(limit=20) -> list[ImportBatch]:
    return db.session.scalars(
        sa.select(ImportBatch).where(ImportBatch.status == ImportBatch.STATUS_DONE)
        .order_by(ImportBatch.committed_at.desc()).limit(limit)
    ).all()
