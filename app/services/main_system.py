"""The workshop's main system, beside which this one runs: the plates and phones it already reminds.

This table holds customers who are *not* in the main system. When one of them registers there
later, both systems would remind them; the main system's list (read from its database by a
read-only query, or from an uploaded export of its vehicles) lets batches, cron and the API leave
such customers out, the list and the import mark them, and the manager hand them over and archive
them here.

A sync replaces one source's entries as a whole, in one transaction, and only once the new list
was read completely: a sync that fails (wrong address, bad query, unreadable file) records why and
leaves the last good list as it was.
"""
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.pool import NullPool

from app import clock
from app.extensions import ForeignSqliteConnection, db
from app.models import Customer, MainSystemEntry, MainSystemSync
from app.services import audit
from app.services.headers import ALIASES, find_header, header_key
from app.services.normalize import normalize_phone, normalize_plate
from app.services.refusal import Refused
from app.services.settings import get_setting
from app.services.sheets import Sheet

MAX_ROWS = 1_000_000  # a workshop chain's vehicles, with room to spare
QUERY_SECONDS = 60
_PLATE_HEADERS = set(ALIASES["nopol"])
_PHONE_HEADERS = set(ALIASES["no_hp"])
_READ_STATEMENT = re.compile(r"^\s*(select|with)\b", re.I)
LOOKUP_CHUNK = 500


class InMainSystem(Refused):
    """A person is about to remind a customer the main system reminds too: they are asked first."""


@dataclass(frozen=True)
class Connection:
    """Where the main system's database is and what to ask it; the manager's values win over the environment's."""

    url: str
    query: str

    @property
    def configured(self) -> bool:
        return bool(self.url and self.query)

    @property
    def shown_url(self) -> str:
        """The address without its password, for the page (one that cannot be read is not shown at all)."""
        if not self.url:
            return ""
        try:
            return sa.engine.make_url(self.url).render_as_string(hide_password=True)
        except (sa.exc.ArgumentError, ValueError):
            return ""


def connection() -> Connection:
    config = current_app.config
    return Connection(url=get_setting("main_database_url") or config.get("MAIN_DATABASE_URL") or "",
                      query=get_setting("main_system_query") or config.get("MAIN_SYSTEM_QUERY") or "")


def check_query(query: str) -> str:
    """A query the manager typed: one SELECT (or WITH … SELECT), nothing else."""
    text = (query or "").strip().rstrip(";").strip()
    if not text:
        raise Refused(_l("Perintah SQL wajib diisi."))
    if not _READ_STATEMENT.match(text) or ";" in text:
        raise Refused(_l("Perintah SQL harus satu SELECT yang membaca nomor polisi dan no. HP."))
    return text


def check_url(url: str) -> str:
    text = (url or "").strip()
    try:
        sa.engine.make_url(text)
    except (sa.exc.ArgumentError, ValueError):
        raise Refused(_l("Alamat database tidak dikenali. Contoh: postgresql+psycopg://user:sandi@server/db")) from None
    return text


# --- reading a source ----------------------------------------------------------------------------

def _read_only(connection: sa.Connection):
    """Make the session unable to write, whatever the query says (the main system is not ours to change)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = ON")
    elif dialect == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {QUERY_SECONDS * 1000}")
    else:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return (text[0] if text else error.__class__.__name__)[:300]


def _engine(url: str) -> sa.Engine:
    """An engine of its own (no pool kept) that cannot create or change the main system's database."""
    address = sa.engine.make_url(url)
    if address.get_backend_name() == "sqlite":
        # Read-only, and a wrong path is an error instead of a new empty database; not put in WAL mode
        # like ours (ForeignSqliteConnection): the file belongs to the main system. The path is quoted,
        # so a "?mode=rwc" inside it stays part of the name.
        path = Path(address.database or "").absolute().as_uri() + "?mode=ro"
        return sa.create_engine("sqlite://", poolclass=NullPool, creator=lambda: sqlite3.connect(
            path, uri=True, factory=ForeignSqliteConnection, timeout=10))
    connect_args = {"connect_timeout": 10} if address.get_backend_name() == "postgresql" else {}
    return sa.create_engine(address, poolclass=NullPool, connect_args=connect_args)


def read_database(url: str, query: str) -> tuple[list[str], list[tuple]]:
    """The query's columns and rows, read in a read-only transaction on a connection of its own."""
    try:
        engine = _engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError, ValueError):
        raise Refused(_l("Alamat database sistem utama tidak dikenali. Periksa MAIN_DATABASE_URL.")) from None
    try:
        with engine.connect() as conn, conn.begin():
            _read_only(conn)
            # As typed: no bind parameters (a ":x" inside a string is text), no "%" formatting.
            result = conn.exec_driver_sql(query)
            columns = list(result.keys())
            rows = result.fetchmany(MAX_ROWS + 1)
    except sa.exc.OperationalError as exc:
        if "connect" in str(exc).lower() or "unable to open" in str(exc).lower():
            raise Refused(_l("Tidak bisa terhubung ke database sistem utama: %(error)s", error=_first_line(exc))) from None
        raise Refused(_l("Perintah SQL sistem utama gagal: %(error)s", error=_first_line(exc))) from None
    except sa.exc.ResourceClosedError:
        raise Refused(_l("Perintah SQL sistem utama tidak mengembalikan baris. Gunakan SELECT.")) from None
    except (sa.exc.SQLAlchemyError, UnicodeError) as exc:
        raise Refused(_l("Perintah SQL sistem utama gagal: %(error)s", error=_first_line(exc))) from None
    finally:
        engine.dispose()
    if len(rows) > MAX_ROWS:
        raise Refused(_l("Sistem utama mengembalikan lebih dari %(n)s baris; batasi perintah SQL-nya.",
                         n=f"{MAX_ROWS:,}".replace(",", ".")))
    return columns, [tuple(row) for row in rows]


def _columns(names: list[str]) -> tuple[int | None, int | None]:
    """Which column holds the plate and which the phone, by the same header names the import knows."""
    keys = [header_key(name) for name in names]
    plate = next((index for index, key in enumerate(keys) if key in _PLATE_HEADERS), None)
    phone = next((index for index, key in enumerate(keys) if key in _PHONE_HEADERS), None)
    if plate is None and phone is None:
        raise Refused(_l("Tidak ada kolom nomor polisi atau no. HP. Beri nama kolomnya, misalnya nopol dan no_hp "
                         "(kolom yang ada: %(columns)s).", columns=", ".join(str(name) for name in names[:10]) or "-"))
    return plate, phone


def _value(normalise, raw, **options):
    if isinstance(raw, memoryview):
        raw = raw.tobytes()
    if isinstance(raw, bytes):  # a BLOB or VARBINARY column
        raw = raw.decode("utf-8", "replace")
    if raw is None or not str(raw).strip():
        return None
    try:
        return normalise(raw, **options)
    except Refused:
        return None


def entries_from(rows, plate: int | None, phone: int | None) -> tuple[set, int]:
    """The distinct (plate, phone) pairs of the rows, each normalised like a customer's, and how many rows had neither."""
    pairs, unreadable = set(), 0
    for row in rows:
        nopol = _value(normalize_plate, row[plate], allow_special=True) if plate is not None and plate < len(row) else None
        number = _value(normalize_phone, row[phone]) if phone is not None and phone < len(row) else None
        if nopol is None and number is None:
            unreadable += 1
        else:
            pairs.add((nopol, number))
    return pairs, unreadable


def _replace(source: str, pairs: set):
    """The source's entries become `pairs`; a pair seen before keeps when it was first seen."""
    now = clock.utcnow()
    first_seen = {(nopol, phone): first for nopol, phone, first in db.session.execute(
        sa.select(MainSystemEntry.nopol, MainSystemEntry.phone, MainSystemEntry.first_seen_at)
        .where(MainSystemEntry.source == source)).all()}
    db.session.execute(sa.delete(MainSystemEntry).where(MainSystemEntry.source == source))
    rows = [{"source": source, "nopol": nopol, "phone": phone, "first_seen_at": first_seen.get((nopol, phone), now),
             "seen_at": now} for nopol, phone in pairs]
    for start in range(0, len(rows), 10_000):
        db.session.execute(sa.insert(MainSystemEntry), rows[start:start + 10_000])


def _record(source: str, user, **fields) -> MainSystemSync:
    attempt = MainSystemSync(source=source, started_at=clock.utcnow(), user_id=user.id if user else None, **fields)
    db.session.add(attempt)
    return attempt


def _sync(source: str, user, read, filename: str | None = None) -> MainSystemSync:
    """Read a source and keep its list; a failure is recorded and changes nothing else."""
    try:
        names, rows = read()
        pairs, unreadable = entries_from(rows, *_columns(names))
    except Refused as exc:
        db.session.rollback()
        attempt = _record(source, user, ok=False, error=str(exc.message), filename=filename)
        db.session.commit()
        return attempt
    _replace(source, pairs)
    attempt = _record(source, user, ok=True, rows_read=len(rows), entries=len(pairs), unreadable=unreadable,
                      filename=filename)
    audit.record("main_system.sync", details={"source": source, "rows": len(rows), "entries": len(pairs),
                                               **({"file": filename} if filename else {})})
    db.session.commit()
    return attempt


def sync_database(user=None) -> MainSystemSync:
    """Read the main system's database (`flask main-system sync`, the page's button)."""
    settings = connection()

    def read():
        if not settings.configured:
            raise Refused(_l("Database sistem utama belum diatur: isi alamat database dan perintah SQL-nya."))
        return read_database(settings.url, check_query(settings.query))

    return _sync(MainSystemEntry.DATABASE, user, read)


def load_export(filename: str, sheet: Sheet, user=None) -> MainSystemSync:
    """Take the main system's vehicles from an uploaded export (the same reader as the import)."""

    def read():
        found = find_header(sheet.rows)
        if not found:
            raise Refused(_l("Tidak ada kolom nomor polisi atau no. HP di file ini. Beri judul kolom, misalnya "
                             "nopol dan no_hp."))
        index, _mapping = found
        return sheet.rows[index], sheet.rows[index + 1:]

    return _sync(MainSystemEntry.FILE, user, read, filename=filename[:200])


def _keep_password(typed: str, stored: str) -> str:
    """The address as typed, with the stored password where the page showed it masked (`***`)."""
    if not typed or not stored:
        return typed
    try:
        address, previous = sa.engine.make_url(typed), sa.engine.make_url(stored)
    except (sa.exc.ArgumentError, ValueError):
        return typed
    if address.password == "***" and previous.password:
        return address.set(password=previous.password).render_as_string(hide_password=False)
    return typed


def save_connection(url: str, query: str):
    """Store the manager's database address and query (the caller commits).

    The password is kept when the address comes back as shown (without it), and never reaches the audit trail.
    """
    from app.services.settings import set_setting

    before = connection()
    url = _keep_password((url or "").strip(), before.url)
    set_setting("main_database_url", check_url(url) if url else "")
    set_setting("main_system_query", check_query(query))
    after = connection()
    changes = audit.differences({"url": before.shown_url, "query": before.query}, {"url": after.shown_url, "query": after.query})
    if changes:
        audit.record("main_system.settings", changes=changes)


# --- who is in the main system -----------------------------------------------------------------

def in_main_system():
    """SQL: the customer's plate or phone is on the main system's list."""
    return sa.or_(
        sa.exists().where(MainSystemEntry.nopol == Customer.nopol),
        sa.exists().where(MainSystemEntry.phone == Customer.no_hp),
    )


def has_entries() -> bool:
    return db.session.scalar(sa.select(MainSystemEntry.id).limit(1)) is not None


def known_plates_and_phones(plates, phones) -> tuple[set, set]:
    """Which of these plates and phones the main system has, in a few indexed lookups."""
    plates, phones = list(set(filter(None, plates))), list(set(filter(None, phones)))
    known_plates, known_phones = set(), set()
    for start in range(0, max(len(plates), len(phones)), LOOKUP_CHUNK):
        if plates[start:start + LOOKUP_CHUNK]:
            known_plates.update(db.session.scalars(sa.select(MainSystemEntry.nopol).distinct().where(
                MainSystemEntry.nopol.in_(plates[start:start + LOOKUP_CHUNK]))))
        if phones[start:start + LOOKUP_CHUNK]:
            known_phones.update(db.session.scalars(sa.select(MainSystemEntry.phone).distinct().where(
                MainSystemEntry.phone.in_(phones[start:start + LOOKUP_CHUNK]))))
    return known_plates, known_phones


def known_ids(customers) -> set:
    """The ids of those customers whose plate or phone the main system has."""
    customers = list(customers)
    if not customers or not has_entries():
        return set()
    plates, phones = known_plates_and_phones([c.nopol for c in customers], [c.no_hp for c in customers])
    return {customer.id for customer in customers if customer.nopol in plates or customer.no_hp in phones}


def is_known(customer) -> bool:
    return bool(known_ids([customer]))


def ask_before_sending(customer):
    """Refuse a person's send to a customer the main system has, until they confirm it."""
    if is_known(customer):
        raise InMainSystem(_l("%(name)s (%(nopol)s) ada di sistem utama dan mungkin sudah diingatkan dari sana. "
                              "Tetap kirim?", name=customer.customer_name, nopol=customer.nopol))


def known_customers(limit: int | None = None) -> list[Customer]:
    stmt = sa.select(Customer).where(in_main_system()).order_by(Customer.customer_name, Customer.id)
    return db.session.scalars(stmt.limit(limit) if limit else stmt).all()


def count_known_customers() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Customer).where(in_main_system()))


def overview() -> dict:
    """The page's figures: entries per source, customers marked, the last attempts."""
    per_source = dict(db.session.execute(sa.select(MainSystemEntry.source, sa.func.count())
                                         .group_by(MainSystemEntry.source)).all())
    attempts = db.session.scalars(sa.select(MainSystemSync).order_by(MainSystemSync.id.desc()).limit(10)).all()
    last_good = {source: db.session.scalar(sa.select(MainSystemSync).where(
        MainSystemSync.source == source, MainSystemSync.ok.is_(True)).order_by(MainSystemSync.id.desc()).limit(1))
        for source in (MainSystemEntry.DATABASE, MainSystemEntry.FILE)}
    return {"entries": per_source, "attempts": attempts, "last_good": last_good,
            "customers": count_known_customers()}
