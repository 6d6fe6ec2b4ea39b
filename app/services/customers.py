"""Customers: the rules for writing them and the queries that list them.

Callers (pages, import, API) hand in plain values; this module normalises them, enforces the
one-plate-one-customer rule and leaves committing to the caller, so a caller can group several
writes in one transaction.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app import clock
from app.extensions import db
from app.models import Customer, CustomerArchive
from app.services import audit, main_system
from app.services.normalize import (
    compact_plate,
    contains_pattern,
    normalize_phone,
    normalize_plate,
    phone_search_fragment,
)
from app.services.refusal import Refused
from app.services.reminder_rules import due_within, is_overdue, overdue
from app.services.settings import service_interval_months

NAME_MAX_LENGTH = 120
NOTES_MAX_LENGTH = 2000
# A next service this close counts as "due soon" on the list's badge.
DUE_SOON_DAYS = 7


class CustomerInvalid(Exception):
    """Some fields were refused. `errors` maps a field name to the message the user sees."""

    def __init__(self, errors, duplicate_of=None):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.duplicate_of = duplicate_of


def next_service_after(day: date, months: int | None = None) -> date:
    """When the car is due again after a service on `day` (`months` defaults to the setting)."""
    return _months_after(day, months if months is not None else service_interval_months())


@lru_cache(maxsize=4096)
def _months_after(day: date, months: int) -> date:
    # A sheet of 50,000 rows holds a few hundred distinct service dates: each is worked out once.
    return day + relativedelta(months=months)


def find_by_plate(nopol) -> Customer | None:
    """The customer with this plate, however it is spaced or cased."""
    try:
        normalized = normalize_plate(nopol)
    except Refused:
        normalized = " ".join(str(nopol).upper().split())
    return db.session.scalar(sa.select(Customer).where(Customer.nopol == normalized))


def validate_fields(fields: dict, current: Customer | None = None) -> tuple[dict, dict]:
    """Normalise and check the given fields without touching the database.

    Returns (clean values, errors by field). Only the fields given are checked, so an update
    can change one field; the duplicate-plate rule needs the database and is checked by callers.
    """
    errors, clean = {}, {}

    if "customer_name" in fields:
        name = " ".join(str(fields["customer_name"] or "").split())
        if not name:
            errors["customer_name"] = _l("Nama pelanggan wajib diisi.")
        elif len(name) > NAME_MAX_LENGTH:
            errors["customer_name"] = _l("Nama terlalu panjang (maks. %(n)d huruf).", n=NAME_MAX_LENGTH)
        clean["customer_name"] = name

    if "nopol" in fields:
        try:
            clean["nopol"] = normalize_plate(fields["nopol"], fields.get("special_plate", False))
        except Refused as exc:
            errors["nopol"] = exc.message

    if "no_hp" in fields:
        try:
            clean["no_hp"] = normalize_phone(fields["no_hp"])
        except Refused as exc:
            errors["no_hp"] = exc.message

    for key in ("last_service", "next_service"):
        if key in fields:
            clean[key] = fields[key] or None
    if "notes" in fields:
        notes = (fields["notes"] or "").strip()
        if len(notes) > NOTES_MAX_LENGTH:
            errors["notes"] = _l("Catatan terlalu panjang (maks. %(n)d huruf).", n=NOTES_MAX_LENGTH)
        clean["notes"] = notes or None
    if "is_active" in fields:
        clean["is_active"] = bool(fields["is_active"])

    last = clean.get("last_service", current.last_service if current else None)
    next_ = clean.get("next_service", current.next_service if current else None)
    if last and next_ and next_ < last:
        errors["next_service"] = _l("Servis berikutnya tidak boleh sebelum servis terakhir.")
    return clean, errors


def duplicate_plate_message(nopol: str, holder_name: str):
    return _l("Nomor polisi %(nopol)s sudah dipakai pelanggan %(name)s.", nopol=nopol, name=holder_name)


def _clean(fields: dict, current: Customer | None) -> dict:
    """Normalise and check the given fields; raise CustomerInvalid with every problem at once."""
    clean, errors = validate_fields(fields, current)
    duplicate = None
    if "nopol" in clean:
        duplicate = find_by_plate(clean["nopol"])
        if duplicate is not None and duplicate is not current:
            errors["nopol"] = duplicate_plate_message(clean["nopol"], duplicate.customer_name)
        else:
            duplicate = None
    if errors:
        raise CustomerInvalid(errors, duplicate_of=duplicate)
    return clean


def fill_next_service(clean: dict, last_service: date | None, months: int | None = None) -> dict:
    """A blank next service follows from the last service and the service interval.

    Raises CustomerInvalid when that day is past the calendar's end (a last service in 9999).
    """
    if "next_service" in clean and clean["next_service"] is None and last_service:
        try:
            clean["next_service"] = next_service_after(last_service, months)
        except (OverflowError, ValueError):
            raise CustomerInvalid({"last_service": _l(
                "Servis terakhir terlalu jauh di masa depan: servis berikutnya melewati tahun 9999.")}) from None
    return clean


def create_customer(fields: dict) -> Customer:
    """Add a customer from user-supplied fields (name, plate and phone are required)."""
    required = {"customer_name": None, "nopol": None, "no_hp": None}
    clean = _clean({**required, "next_service": None, **fields}, current=None)
    customer = Customer(**fill_next_service(clean, clean.get("last_service")))
    db.session.add(customer)
    db.session.flush()
    audit.record("customer.create", customer, audit.differences({}, audit.snapshot(customer)))
    return customer


def update_customer(customer: Customer, fields: dict) -> Customer:
    """Change the given fields of a customer; fields not given stay as they are."""
    clean = _clean(fields, current=customer)
    fill_next_service(clean, clean.get("last_service", customer.last_service))
    with _audited("customer.update", customer):
        for key, value in clean.items():
            setattr(customer, key, value)
    return customer


@contextmanager
def _audited(action: str, customer: Customer, details: dict | None = None):
    """Record what the block changed in the customer's followed fields (nothing changed, no entry)."""
    before = audit.snapshot(customer)
    yield
    db.session.flush()
    changes = audit.differences(before, audit.snapshot(customer))
    if changes:
        audit.record(action, customer, changes, details)


def toggle_active(customer: Customer) -> Customer:
    """Flip active/inactive in one UPDATE: two people toggling at once flip it twice, not once."""
    active = db.session.scalar(
        sa.update(Customer).where(Customer.id == customer.id)
        .values(is_active=sa.not_(Customer.is_active), updated_at=clock.utcnow())
        .returning(Customer.is_active).execution_options(synchronize_session=False)
    )
    db.session.refresh(customer)
    audit.record("customer.toggle", customer, {"is_active": [not active, active]})
    return customer


def mark_serviced_today(customer: Customer) -> Customer:
    """The car was serviced today: the next service moves a whole interval ahead."""
    return mark_serviced_on(customer, clock.today())


def mark_serviced_on(customer: Customer, day, details: dict | None = None) -> Customer:
    """The car was serviced on `day` (today, or the day a customer said it was): the next service follows."""
    with _audited("customer.serviced", customer, details):
        customer.last_service = day
        customer.next_service = next_service_after(day)
    return customer


def opt_in(customer: Customer, note: str, user) -> Customer:
    """Staff recorded that the customer wants reminders again; the note says how it was agreed."""
    note = " ".join((note or "").split())
    if not note:
        raise CustomerInvalid({"note": _l("Tulis catatan: kapan dan bagaimana pelanggan setuju menerima pengingat lagi.")})
    stamp = clock.utcnow().astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M")
    label = _l("Menerima pengingat lagi")
    line = f"[{stamp}] {label} ({user.username}): {note}"
    with _audited("customer.opt_in", customer, {"note": note}):
        customer.notes = f"{customer.notes}\n{line}" if customer.notes else line
        customer.opted_out, customer.opted_out_at = False, None
    return customer


def opt_out(customer: Customer, reason: str) -> bool:
    """The customer asked for no more reminders (a reply such as STOP); False if already so."""
    if customer.opted_out:
        return False
    with _audited("customer.opt_out", customer, {"reply": reason}):
        customer.opted_out, customer.opted_out_at = True, clock.utcnow()
    return True


ARCHIVED_FIELDS = ("id", "customer_name", "nopol", "no_hp", "last_service", "next_service", "is_active",
                   "reminder_sent_count", "last_reminder_sent", "notes", "opted_out", "created_at")


def delete_customer(customer: Customer, action: str = "customer.delete") -> CustomerArchive:
    """Remove a customer from the list, keeping a copy under the same id in the archive.

    Its messages point at that id, so its history stays readable and the stats do not change.
    The plate is free again for a new customer.
    """
    event = audit.record(action, customer, audit.differences(audit.snapshot(customer), {}))
    archived = CustomerArchive(**{name: getattr(customer, name) for name in ARCHIVED_FIELDS},
                               deleted_by_id=event.user_id)
    db.session.add(archived)
    db.session.delete(customer)
    db.session.flush()
    return archived


def archive_those_in_main_system() -> int:
    """Archive every customer the main system now has (the hand-over's last step); each is audited and restorable."""
    customers = main_system.known_customers()
    for customer in customers:
        delete_customer(customer, action="customer.moved_to_main_system")
    return len(customers)


def archived_customer(customer_id) -> CustomerArchive | None:
    return db.session.get(CustomerArchive, customer_id)


def restore_customer(customer_id) -> Customer:
    """Bring a deleted customer back from the archive, under the same id (its history follows).

    Refused when the plate has been given to another customer since: one plate, one customer.
    """
    archived = db.session.get(CustomerArchive, customer_id)
    if archived is None:
        raise Refused(_l("Pelanggan ini tidak ada di arsip; mungkin sudah dipulihkan."))
    holder = find_by_plate(archived.nopol)
    if holder is not None:
        raise Refused(_l("%(name)s tidak bisa dipulihkan: nomor polisi %(nopol)s sekarang dipakai %(holder)s. "
                         "Ubah atau hapus data itu dulu.", name=archived.customer_name, nopol=archived.nopol,
                         holder=holder.customer_name))
    customer = Customer(**{name: getattr(archived, name) for name in ARCHIVED_FIELDS})
    name = archived.customer_name
    try:
        # Two restores at once, or the plate taken between the check and here: refused, not a 500.
        with db.session.begin_nested():
            db.session.delete(archived)
            db.session.add(customer)
            db.session.flush()
    except IntegrityError:
        raise Refused(_l("%(name)s tidak bisa dipulihkan: data berubah bersamaan. Muat ulang lalu coba lagi.",
                         name=name)) from None
    audit.record("customer.restore", customer, audit.differences({}, audit.snapshot(customer)))
    return customer


# --- listing ---------------------------------------------------------------------------------

FILTERS = ("all", "active", "inactive", "due", "overdue", "never")
SORTS = ("next", "name", "last_reminder")


@dataclass
class CustomerQuery:
    """What the list asks for: search text, one filter, a sort, a page."""

    q: str = ""
    filter: str = "all"
    days: int | None = None  # "due within N days"; None: the reminder_days setting
    sort: str = "next"
    page: int = 1
    per_page: int = 50


@dataclass
class CustomerPage:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))


# SQLite's search index (migration c4d5e6f7a8b9): one lower-case line per customer holding
# "name COMPACTPLATE 62phone", kept in step by triggers. Not part of the models' metadata.
_SQLITE_SEARCH = sa.Table("customer_search", sa.MetaData(), sa.Column("rowid", sa.Integer), sa.Column("doc", sa.Text))


def _search_terms(q: str) -> dict:
    """What to look for: the name as typed, the plate without spaces, the phone's digits."""
    q = q.strip()
    terms = {"name": q}
    plate = compact_plate(q)
    if plate.isalnum():
        terms["plate"] = plate
    digits = phone_search_fragment(q)
    if digits:
        terms["phone"] = digits
    return terms


def _sqlite_contains(term: str):
    """The search index's lines that hold `term` literally, case aside (ASCII, as LIKE and lower() do).

    FTS5 answers a plain LIKE from its trigram index but reads every line for LIKE … ESCAPE, so the
    pattern keeps `%` and `_` as wildcards to narrow the lines down, and instr() then keeps only
    those holding them literally. Quotes, `*` and backslashes are nothing special to LIKE or instr.
    """
    condition = _SQLITE_SEARCH.c.doc.like(f"%{term}%")
    if "%" in term or "_" in term:
        condition = condition & (sa.func.instr(sa.func.lower(_SQLITE_SEARCH.c.doc), sa.func.lower(term)) > 0)
    return condition


def _search_condition(q: str):
    """Name, plate with any spacing, or phone in any format (0812…, +62 812…, 812…)."""
    terms = _search_terms(q)
    if db.engine.dialect.name == "sqlite":
        # One trigram-indexed lookup per term; UNION lets each use the index (OR would not). LIKE
        # ignores ASCII case only, so ASCII terms are lowered to merge `b12` with the plate's `B12`;
        # others are kept as typed (Python would lower `É`, which SQLite's lower() keeps).
        unique = sorted({term.lower() if term.isascii() else term for term in terms.values()})
        lookups = [sa.select(_SQLITE_SEARCH.c.rowid).where(_sqlite_contains(term)) for term in unique]
        return sa.literal_column("manual_whatsapp.rowid").in_(sa.union(*lookups))
    # PostgreSQL: trigram indexes on these three expressions (migration b3c1d2e4f5a6).
    conditions = [Customer.customer_name.ilike(contains_pattern(terms["name"]), escape="\\")]
    if "plate" in terms:
        conditions.append(sa.func.replace(Customer.nopol, " ", "").like(f"%{terms['plate']}%"))
    if "phone" in terms:
        conditions.append(Customer.no_hp.like(f"%{terms['phone']}%"))
    return sa.or_(*conditions)


def _filter_condition(name: str, days: int | None):
    if name == "due":
        return due_within(days)  # the same "due" as the reminders page and the batch
    today = clock.today()
    return {
        "all": None,
        "active": Customer.is_active.is_(True),
        "inactive": Customer.is_active.is_(False),
        "overdue": overdue(today),  # the same "overdue" as the reminder text
        "never": Customer.reminder_sent_count == 0,
    }[name]


def _order_by(sort: str):
    if sort == "name":
        return (Customer.customer_name.asc(), Customer.id)
    if sort == "last_reminder":
        return (Customer.last_reminder_sent.desc().nulls_last(), Customer.id)
    # "Next service, blanks last" written so that one index (ix_manual_whatsapp_list_order) holds
    # exactly this order on SQLite and PostgreSQL alike: page 1,000 is read from the index.
    return (Customer.next_service.is_(None), Customer.next_service, Customer.customer_name, Customer.id)


def matching_customers(query: CustomerQuery) -> sa.Select:
    """Every customer the search and filter select, in the list's order (the list and the export)."""
    stmt = sa.select(Customer)
    if query.q.strip():
        stmt = stmt.where(_search_condition(query.q))
    condition = _filter_condition(query.filter, query.days)
    if condition is not None:
        stmt = stmt.where(condition)
    return stmt.order_by(*_order_by(query.sort))


def customer_window(query: CustomerQuery, skip: int, limit: int) -> tuple[list[Customer], int]:
    """`limit` customers after the first `skip` that match, in the list's order, and how many match."""
    stmt = matching_customers(query)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    # Find the window's ids first (read from the ordering index alone), then load just those rows:
    # a deep page no longer reads every row before it from the table.
    ids = stmt.with_only_columns(Customer.id).limit(limit).offset(skip)
    items = db.session.scalars(
        sa.select(Customer).where(Customer.id.in_(ids)).order_by(*_order_by(query.sort))
    ).all()
    return items, total


def list_customers(query: CustomerQuery) -> CustomerPage:
    """One page of customers matching the search and filter, with the total count."""
    page = max(1, query.page)
    items, total = customer_window(query, (page - 1) * query.per_page, query.per_page)
    return CustomerPage(items=items, total=total, page=page, per_page=query.per_page)


def due_state(customer: Customer, today: date | None = None) -> str | None:
    """'overdue' or 'soon' for the list's badge, None otherwise (`today` saves asking the clock)."""
    if customer.next_service is None:
        return None
    today = today or clock.today()
    if is_overdue(customer.next_service, today):
        return "overdue"
    if customer.next_service <= today + timedelta(days=DUE_SOON_DAYS):
        return "soon"
    return None
