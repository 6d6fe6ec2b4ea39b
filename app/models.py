"""The tables."""
import secrets
import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.clock import utcnow
from app.extensions import db


class UTCDateTime(sa.types.TypeDecorator):
    """A moment in time, stored as UTC on every database and always read back timezone-aware.

    SQLite has no timezone type, so values are stored naive-in-UTC there and on PostgreSQL alike.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


ROLE_MANAGER = "manager"
ROLE_STAFF = "staff"
ROLES = (ROLE_MANAGER, ROLE_STAFF)


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16), default=ROLE_STAFF)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(sa.String(8), default="id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session and remember-me cookie of this account (see get_id): a new value
    # ends them all at once, on every device (app/services/users.py: end_sessions).
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)

    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES}", name="role"),)

    def get_id(self):
        """What Flask-Login writes into the session and the remember-me cookie."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self):
        return self.active

    @property
    def is_manager(self):
        return self.role == ROLE_MANAGER

    def set_password(self, password, method):
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)


class LoginFailure(db.Model):
    """A failed login (or one being checked), counted by app/services/login_throttle.py.

    In the database so that every gunicorn worker sees the same counts; rows older than the
    throttle's window are deleted as new ones arrive.
    """

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(sa.String(64))  # as typed, lower case: known or not
    address: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (
        # The throttle's counts (the first also serves one account's count over every address),
        # and the clean-up of old rows.
        sa.Index("ix_login_failure_username_address_at", "username", "address", "at"),
        sa.Index("ix_login_failure_address_at", "address", "at"),
        sa.Index("ix_login_failure_at", "at"),
    )


class Customer(db.Model):
    """A customer outside the workshop's main system, reminded by WhatsApp.

    The table keeps the original service's name and field names (its API clients rely on them).
    `nopol` and `no_hp` hold normalised values only: see app/services/normalize.py.
    """

    __tablename__ = "manual_whatsapp"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    customer_name: Mapped[str] = mapped_column(sa.String(120))
    nopol: Mapped[str] = mapped_column(sa.String(16), unique=True)
    no_hp: Mapped[str] = mapped_column(sa.String(16))
    last_service: Mapped[date | None] = mapped_column(sa.Date)
    next_service: Mapped[date | None] = mapped_column(sa.Date, index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    reminder_sent_count: Mapped[int] = mapped_column(default=0)
    last_reminder_sent: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    opted_out: Mapped[bool] = mapped_column(default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set atomically by a manual send: a second click (or a colleague's) before it passes sends nothing.
    send_lock_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # The list's filters (active/inactive) combined with its default sort (next service).
        sa.Index("ix_manual_whatsapp_active_next_service", "is_active", "next_service"),
        sa.Index("ix_manual_whatsapp_customer_name", "customer_name"),
        # The list's default order (see app/services/customers.py: _order_by).
        sa.Index("ix_manual_whatsapp_list_order", sa.text("(next_service IS NULL)"), "next_service",
                 "customer_name", "id"),
        # The "never reminded" filter in the list's default order.
        sa.Index("ix_manual_whatsapp_reminder_count_next", "reminder_sent_count", "next_service"),
        # The stats' "came back": the customers serviced since a period began, without the table.
        sa.Index("ix_manual_whatsapp_last_service_id", "last_service", "id"),
        # The stats' opted-out count (a few percent of customers) without reading the table.
        sa.Index("ix_manual_whatsapp_opted_out", "opted_out"),
        # Search as you type on PostgreSQL: trigram indexes answer LIKE '%…%' on the three searched
        # expressions (app/services/customers.py) without reading the table. SQLite scans instead.
        sa.Index("ix_manual_whatsapp_name_trgm", "customer_name", postgresql_using="gin",
                 postgresql_ops={"customer_name": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        sa.Index("ix_manual_whatsapp_nopol_trgm", sa.text("replace(nopol, ' ', '') gin_trgm_ops"),
                 postgresql_using="gin").ddl_if(dialect="postgresql"),
        sa.Index("ix_manual_whatsapp_no_hp_trgm", "no_hp", postgresql_using="gin",
                 postgresql_ops={"no_hp": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )


class AppSetting(db.Model):
    """Settings the manager edits on /settings/; defaults live in app/services/settings.py."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


class ImportBatch(db.Model):
    """One uploaded sheet: its preview until committed, then the record of what it did."""

    __tablename__ = "import_batch"

    STATUS_CHECKING = "checking"  # its rows are being checked in the background
    STATUS_PREVIEW = "preview"
    STATUS_DONE = "done"
    STATUS_EXPIRED = "expired"
    STATUS_FAILED = "failed"  # the check could not finish; `failure` says why

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(16), default=STATUS_PREVIEW)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    refused_count: Mapped[int] = mapped_column(default=0)
    # The row-by-row outcome (zlib-compressed JSON), kept on the server between preview and
    # commit; after the commit only the refused rows remain.
    payload: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # The sheet's cells, needed only to classify again with other columns; dropped at the commit.
    sheet_data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # The background check's progress: rows checked so far, and when its runner last said it is alive.
    checked_rows: Mapped[int] = mapped_column(default=0)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure: Mapped[str | None] = mapped_column(sa.Text)

    user: Mapped["User | None"] = sa.orm.relationship()


class ReminderBatch(db.Model):
    """Sending every due reminder: its state lives here, so a restarted process can resume it."""

    __tablename__ = "reminder_batch"

    PENDING, RUNNING, DONE, STOPPED = "pending", "running", "done", "stopped"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(sa.String(16))  # batch (page), cron, api
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    provider: Mapped[str] = mapped_column(sa.String(16))
    days: Mapped[int] = mapped_column()
    only_active: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING, index=True)
    stop_reason: Mapped[str | None] = mapped_column(sa.Text)
    skipped: Mapped[int] = mapped_column(default=0)  # left out when the batch was planned
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A running batch whose heartbeat is old has lost its runner and may be taken over.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runner: Mapped[str | None] = mapped_column(sa.String(64))
    # A batch stopped by the day's cap or the end of the sending hours (a personal number) carries
    # on by itself from this moment.
    resume_after: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped["User | None"] = sa.orm.relationship()


class Message(db.Model):
    """One WhatsApp reminder, from queued to read or failed."""

    __tablename__ = "reminder_message"

    QUEUED, SENDING, SENT, DELIVERED, READ, FAILED = "queued", "sending", "sent", "delivered", "read", "failed"
    # It may or may not have reached the customer (no answer in time, or the sender died while it
    # was in flight): never sent again by a batch, cron or a retry, only by a person who chose to.
    UNCONFIRMED = "unconfirmed"
    # wa.me links: a person opened WhatsApp with the message typed in, and has not yet said whether
    # they pressed Send. Not counted as sent; an automatic one keeps its key, so no batch queues it again.
    OPENED = "opened"
    # One of several plates on one phone, due in the same batch: their one message is `sent_with`'s,
    # which names every plate. Never sent on its own; it takes that message's outcome.
    GROUPED = "grouped"
    MANUAL, BATCH, CRON, API = "manual", "batch", "cron", "api"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    # No foreign key: a deleted customer moves to customer_archive with the same id, and its
    # messages keep pointing at it there (history and stats stay as they were).
    customer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reminder_batch.id", ondelete="SET NULL"))
    trigger: Mapped[str] = mapped_column(sa.String(16))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    provider: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default=QUEUED)
    to_phone: Mapped[str] = mapped_column(sa.String(16))
    customer_name: Mapped[str] = mapped_column(sa.String(120))
    nopol: Mapped[str] = mapped_column(sa.String(16))
    body: Mapped[str] = mapped_column(sa.Text)
    # The approved template's body parameters (JSON list), fixed when the message is queued.
    template_params: Mapped[str | None] = mapped_column(sa.Text)
    service_date: Mapped[date | None] = mapped_column(sa.Date)
    # "auto:<customer>:<next service>" for batch and cron reminders: the database itself refuses
    # a second automatic reminder for the same service date. Manual sends leave it empty.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    error_code: Mapped[str | None] = mapped_column(sa.String(32))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)  # every attempt in the message's life
    # Attempts that got no answer (a timeout): the provider may have accepted them.
    unanswered_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The step of the reminder sequence (1: the reminder; 2 and 3: the follow-ups the manager turned on).
    step: Mapped[int] = mapped_column(default=1, server_default="1")
    # Like customer_id, no foreign key: adding one would rebuild this big table on SQLite.
    sent_with_id: Mapped[int | None] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), index=True)

    __table_args__ = (
        sa.Index("ix_reminder_message_batch_status", "batch_id", "status"),
        # Messages by status over time; with error_code and id, the stats' top failures too.
        sa.Index("ix_reminder_message_status_created_code", "status", "created_at", "error_code", "id"),
        # Covering indexes for the stats page: a month of a million messages is read from the
        # index alone, without visiting the table.
        sa.Index("ix_reminder_message_created_status", "created_at", "status"),
        sa.Index("ix_reminder_message_sent_status_customer", "sent_at", "status", "customer_id"),
        # A customer's messages (history pages), and their reminders in a period ("came back").
        sa.Index("ix_reminder_message_customer_sent_status_step", "customer_id", "sent_at", "status", "step"),
        # A phone's latest reminder before a reply: the step the reply answers (stats per step).
        sa.Index("ix_reminder_message_phone_sent", "to_phone", "sent_at"),
        # The customers each follow-up step reached in a period (stats per step).
        sa.Index("ix_reminder_message_step_sent_status_customer", "step", "sent_at", "status", "customer_id"),
    )


class ApiToken(db.Model):
    """A bearer token for the JSON API: shown once, stored as a hash, revocable."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))  # the first characters, to recognise it in the list
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped["User"] = sa.orm.relationship()


class CustomerArchive(db.Model):
    """A deleted customer, kept as it was: its messages and audit trail stay readable.

    The row keeps the customer's id, so messages (which point at that id) find it here.
    """

    __tablename__ = "customer_archive"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    customer_name: Mapped[str] = mapped_column(sa.String(120))
    nopol: Mapped[str] = mapped_column(sa.String(16), index=True)
    no_hp: Mapped[str] = mapped_column(sa.String(16))
    last_service: Mapped[date | None] = mapped_column(sa.Date)
    next_service: Mapped[date | None] = mapped_column(sa.Date)
    is_active: Mapped[bool] = mapped_column()
    reminder_sent_count: Mapped[int] = mapped_column(default=0)
    last_reminder_sent: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    opted_out: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    deleted_by: Mapped["User | None"] = sa.orm.relationship()


class AuditEvent(db.Model):
    """One entry of the audit trail: who did what to which customer, and when.

    `changes` holds {field: [before, after]} as JSON; `details` what else the action needs
    (the import's counts, the export's filters, the message sent). The customer's name and
    plate are copied, so the entry still reads well after the customer is deleted.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(16))  # web, api, cron, webhook, cli
    action: Mapped[str] = mapped_column(sa.String(32))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    customer_name: Mapped[str | None] = mapped_column(sa.String(120))
    nopol: Mapped[str | None] = mapped_column(sa.String(16))
    changes: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        # The audit page reads newest first (by id), filtered by one of these.
        sa.Index("ix_audit_event_customer_id_id", "customer_id", "id"),
        sa.Index("ix_audit_event_action_id", "action", "id"),
        sa.Index("ix_audit_event_user_id_id", "user_id", "id"),
        sa.Index("ix_audit_event_created_at", "created_at"),
    )


class ChatMessage(db.Model):
    """One message of a conversation with a phone number: a customer's reply, or staff's answer.

    A thread is every message of one phone (`62…`), so customers who share a phone share its
    thread, and a number no customer has yet is a thread of its own until one is added. Reminders
    stay in reminder_message; the customer page shows both in one timeline.
    """

    __tablename__ = "chat_message"

    INBOUND, OUTBOUND = "in", "out"
    # An answer's status: OPENED is a wa.me link opened with it; UNCONFIRMED got no answer in time.
    SENT, FAILED, OPENED, UNCONFIRMED = "sent", "failed", "opened", "unconfirmed"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(3))
    phone: Mapped[str] = mapped_column(sa.String(16))
    provider: Mapped[str] = mapped_column(sa.String(16))
    # "<provider>:<the provider's message id>": an event the provider repeats is stored once.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(128))
    kind: Mapped[str] = mapped_column(sa.String(16), default="text")  # text, image, audio, sticker, …
    body: Mapped[str] = mapped_column(sa.Text, default="")
    sender_name: Mapped[str | None] = mapped_column(sa.String(120))  # the WhatsApp profile name
    # What a reply means (app/services/reply_words.py): opt_out, booking, serviced, or None.
    meaning: Mapped[str | None] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # sent or received
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A reply waits for the front desk until someone handles it (or answers it).
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))  # who answered
    status: Mapped[str | None] = mapped_column(sa.String(16))
    error_message: Mapped[str | None] = mapped_column(sa.Text)

    user: Mapped["User | None"] = sa.orm.relationship(foreign_keys=[user_id])

    __table_args__ = (
        sa.CheckConstraint("direction IN ('in', 'out')", name="direction"),
        sa.Index("ix_chat_message_phone_at", "phone", "at"),
        # The unread count on every page: replies nobody has handled.
        sa.Index("ix_chat_message_waiting", "handled_at", "direction", "phone"),
    )


class BookingRequest(db.Model):
    """Work a customer's reply asks of the front desk: a booking ("1", "ya") or a service done ("2", "sudah").

    Nothing changes by itself: a person schedules the booking (which sends the confirmation) or
    records the service date, or dismisses the request.
    """

    __tablename__ = "booking_request"

    BOOKING, SERVICED = "booking", "serviced"
    OPEN, SCHEDULED, RECORDED, DISMISSED = "open", "scheduled", "recorded", "dismissed"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default=OPEN)
    phone: Mapped[str] = mapped_column(sa.String(16))
    reply_id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                          sa.ForeignKey("chat_message.id", ondelete="CASCADE"), unique=True)
    # The customer it is for: set at once when one customer has the phone, chosen by staff otherwise.
    customer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    service_date: Mapped[date | None] = mapped_column(sa.Date)  # the last service a SERVICED request recorded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    reply: Mapped["ChatMessage"] = sa.orm.relationship()

    __table_args__ = (sa.Index("ix_booking_request_status_created", "status", "created_at"),)


class MainSystemEntry(db.Model):
    """A plate and phone the workshop's main system knows (from a synchronised query or an uploaded export).

    A customer whose plate or phone is here is reminded by the main system: batches, cron and the
    API leave it out, so nobody gets two reminders. Each source's entries are replaced as a whole by
    its next successful sync; `first_seen_at` and `seen_at` say since when and how recently.
    """

    __tablename__ = "main_system_entry"

    DATABASE, FILE = "database", "file"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    nopol: Mapped[str | None] = mapped_column(sa.String(16), index=True)  # normalised like a customer's
    phone: Mapped[str | None] = mapped_column(sa.String(16), index=True)  # 62…
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MainSystemSync(db.Model):
    """One attempt to read the main system's list: when, from where, how many, or why it failed."""

    __tablename__ = "main_system_sync"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(default=False)
    rows_read: Mapped[int] = mapped_column(default=0)
    entries: Mapped[int] = mapped_column(default=0)  # distinct plate/phone pairs kept
    unreadable: Mapped[int] = mapped_column(default=0)  # rows with neither a valid plate nor a valid phone
    error: Mapped[str | None] = mapped_column(sa.Text)
    filename: Mapped[str | None] = mapped_column(sa.String(200))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped["User"] = sa.orm.relationship()
