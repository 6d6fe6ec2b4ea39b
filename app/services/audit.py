"""The audit trail: who did what to which customer, when, and from what to what.

The services that change customers call `record()` before their caller commits, so an entry is
written in the same transaction as the change it describes: the two can never disagree.
Who acted is read from the request (the signed-in user, or the API token's user); outside a
request (cron, the command line) the caller names the source with `acting_as()`.
"""
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.clock import local_midnight
from app.extensions import db
from app.models import AuditEvent, Customer, CustomerArchive, User
from app.services.formats import local_phone
from app.services.normalize import compact_plate, contains_pattern

WEB, API, CRON, WEBHOOK, CLI = "web", "api", "cron", "webhook", "cli"

# The fields of a customer the trail follows, with the labels the audit page shows.
CUSTOMER_FIELDS = {
    "customer_name": _l("Nama"),
    "nopol": _l("Nomor polisi"),
    "no_hp": _l("Nomor HP"),
    "last_service": _l("Servis terakhir"),
    "next_service": _l("Servis berikutnya"),
    "is_active": _l("Aktif"),
    "opted_out": _l("Berhenti langganan"),
    "notes": _l("Catatan"),
}

# Other fields an entry may show: the settings page's, then what `details` hold.
OTHER_LABELS = {
    "service_interval_months": _l("Interval servis (bulan)"),
    "workshop_name": _l("Nama bengkel"),
    "message_template": _l("Teks pesan"),
    "template_params": _l("Parameter templat"),
    "reminder_days": _l("Hari sebelum servis"),
    "quiet_start": _l("Kirim otomatis mulai jam"),
    "quiet_end": _l("sampai jam"),
    "overdue_message_template": _l("Teks pesan lewat jadwal"),
    "overdue_days": _l("Lewat jadwal paling lama (hari)"),
    "file": _l("File"),
    "created": _l("baru"),
    "updated": _l("diperbarui"),
    "skipped": _l("dilewati"),
    "refused": _l("ditolak"),
    "format": _l("format"),
    "search": _l("cari"),
    "filter": _l("saringan"),
    "batch": _l("pengiriman massal"),
    "queued": _l("masuk antrean"),
    "days": _l("hari"),
    "message": _l("pesan"),
    "note": _l("catatan"),
    "reply": _l("balasan"),
    "replies": _l("balasan"),
    "booking": _l("booking"),
    "username": _l("akun"),
    "role": _l("peran"),
    "active": _l("aktif"),
    "password": _l("kata sandi"),
    "token": _l("kunci"),
}

# Recorded codes in `details`, as the page words them.
DETAIL_VALUES = {
    "role": {"manager": _l("Manajer"), "staff": _l("Staf")},
    "filter": {"all": _l("semua"), "active": _l("aktif"), "inactive": _l("nonaktif"), "due": _l("jatuh tempo"),
               "overdue": _l("lewat jadwal"), "never": _l("belum pernah diingatkan")},
    "format": {"csv": "CSV", "xlsx": "Excel"},
}
NUMBERED = ("batch", "message")  # ids shown as numbers: "#12"

ACTIONS = {
    "customer.create": _l("Menambah pelanggan"),
    "customer.update": _l("Mengubah data"),
    "customer.toggle": _l("Mengubah status aktif"),
    "customer.serviced": _l("Mencatat servis hari ini"),
    "customer.delete": _l("Menghapus pelanggan"),
    "customer.restore": _l("Memulihkan pelanggan"),
    "customer.moved_to_main_system": _l("Diarsipkan: sudah ada di sistem utama"),
    "customer.opt_out": _l("Berhenti langganan"),
    "customer.opt_in": _l("Menerima pengingat lagi"),
    "customer.remind": _l("Mengirim pengingat"),
    "customer.whatsapp_opened": _l("Membuka WhatsApp untuk pengingat"),
    "replies.handled": _l("Menandai balasan sudah ditangani"),
    "replies.answer": _l("Menjawab balasan pelanggan"),
    "bookings.schedule": _l("Menjadwalkan booking"),
    "bookings.dismiss": _l("Mengabaikan permintaan booking"),
    "reminders.link_confirmed": _l("Mengonfirmasi pengingat terkirim lewat WhatsApp"),
    "reminders.batch": _l("Mengirim pengingat massal"),
    "reminders.retry": _l("Mengulang pengingat gagal"),
    "reminders.resend": _l("Mengirim ulang pengingat yang belum pasti"),
    "import.commit": _l("Mengimpor file"),
    "customers.export": _l("Mengekspor data"),
    "settings.update": _l("Mengubah pengaturan"),
    "main_system.sync": _l("Memperbarui daftar sistem utama"),
    "main_system.settings": _l("Mengubah koneksi sistem utama"),
    "user.create": _l("Menambah akun"),
    "user.update": _l("Mengubah akun"),
    "token.create": _l("Membuat token API"),
    "token.revoke": _l("Mencabut token API"),
}

SOURCES = {WEB: _l("Web"), API: _l("API"), CRON: _l("Terjadwal"), WEBHOOK: _l("Balasan WhatsApp"), CLI: _l("Perintah")}

_source_outside_requests: ContextVar[str] = ContextVar("audit_source", default=CLI)


@contextmanager
def acting_as(source: str):
    """Name who acts outside a request: `with audit.acting_as(audit.CRON): …`."""
    token = _source_outside_requests.set(source)
    try:
        yield
    finally:
        _source_outside_requests.reset(token)


def _actor() -> tuple[User | None, str]:
    if not has_request_context():
        return None, _source_outside_requests.get()
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user, API
    if g.get("audit_source"):
        return None, g.audit_source
    return (current_user if current_user.is_authenticated else None), WEB


def _plain(value):
    """A value as JSON keeps it: dates as ISO text, everything else as is."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def snapshot(customer: Customer) -> dict:
    """The followed fields of a customer, as JSON values (taken before a change, to compare after)."""
    return {name: _plain(getattr(customer, name)) for name in CUSTOMER_FIELDS}


def differences(before: dict, after: dict) -> dict:
    """{field: [before, after]} for each field whose value changed."""
    names = [*before, *(name for name in after if name not in before)]
    return {name: [before.get(name), after.get(name)] for name in names if before.get(name) != after.get(name)}


def record(action: str, customer: Customer | CustomerArchive | None = None, changes: dict | None = None,
           details: dict | None = None) -> AuditEvent:
    """Add an entry to the session; it is saved when the caller commits the change it describes."""
    user, source = _actor()
    event = AuditEvent(
        action=action, source=source, user_id=user.id if user else None, username=user.username if user else None,
        customer_id=customer.id if customer else None, customer_name=customer.customer_name if customer else None,
        nopol=customer.nopol if customer else None,
        changes=json.dumps(changes, default=str) if changes else None,
        details=json.dumps(details, default=str) if details else None,
        request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(event)
    return event


# --- reading the trail ----------------------------------------------------------------------------

@dataclass
class AuditQuery:
    """The audit page's filters; `before` pages backwards from an entry's id (newest first)."""

    action: str = ""
    user_id: int | None = None
    q: str = ""
    start: date | None = None
    end: date | None = None
    before: int | None = None
    per_page: int = 50


def events(query: AuditQuery) -> tuple[list[AuditEvent], int | None]:
    """A page of entries, newest first, and the id to pass as `before` for the next page (or None)."""
    stmt = sa.select(AuditEvent)
    if query.action:
        stmt = stmt.where(AuditEvent.action == query.action)
    if query.user_id:
        stmt = stmt.where(AuditEvent.user_id == query.user_id)
    if query.q.strip():
        text = query.q.strip()
        stmt = stmt.where(sa.or_(
            AuditEvent.customer_name.ilike(contains_pattern(text), escape="\\"),
            sa.func.replace(AuditEvent.nopol, " ", "").like(contains_pattern(compact_plate(text)), escape="\\")))
    if query.start:
        stmt = stmt.where(AuditEvent.created_at >= local_midnight(query.start))
    if query.end:
        stmt = stmt.where(AuditEvent.created_at < local_midnight(query.end + timedelta(days=1)))
    if query.before:
        stmt = stmt.where(AuditEvent.id < query.before)
    rows = db.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(query.per_page + 1)).all()
    more = len(rows) > query.per_page
    rows = rows[:query.per_page]
    return rows, (rows[-1].id if more else None)


def customer_events(customer_id, limit: int = 20) -> list[AuditEvent]:
    """The newest entries about one customer (its detail page)."""
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.customer_id == customer_id).order_by(AuditEvent.id.desc()).limit(limit)
    ).all()


def actors() -> list[User]:
    """Accounts the page's "who" filter offers."""
    return db.session.scalars(sa.select(User).order_by(User.username)).all()


@dataclass
class Change:
    label: str
    before: object
    after: object


def _label(name: str) -> str:
    return str(CUSTOMER_FIELDS.get(name) or OTHER_LABELS.get(name) or name)


def readable_changes(event: AuditEvent) -> list[Change]:
    """An entry's changes with field labels, customer fields in the order of the form."""
    changes = json.loads(event.changes) if event.changes else {}
    order = [*CUSTOMER_FIELDS, *(name for name in changes if name not in CUSTOMER_FIELDS)]
    return [Change(_label(name), *(_readable(name, value) for value in changes[name])) for name in order if name in changes]


def _readable(name: str, value):
    return local_phone(value) if name == "no_hp" else value


def readable_details(event: AuditEvent) -> list[tuple[str, object]]:
    """An entry's other facts (an import's counts, an export's filter) as (label, value)."""
    details = json.loads(event.details) if event.details else {}
    return [(_label(name), _detail_value(name, value)) for name, value in details.items()]


def _detail_value(name: str, value):
    if name in NUMBERED and value is not None:
        return f"#{value}"
    words = DETAIL_VALUES.get(name, {})
    return str(words[value]) if isinstance(value, str) and value in words else value


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def source_label(source: str) -> str:
    return str(SOURCES.get(source, source))
