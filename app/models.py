"""The tables."""
import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.services.clock import utcnow


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

    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES}", name="role"),)

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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # The list's filters (active/inactive) combined with its default sort (next service).
        sa.Index("ix_manual_whatsapp_active_next_service", "is_active", "next_service"),
        sa.Index("ix_manual_whatsapp_customer_name", "customer_name"),
    )


class AppSetting(db.Model):
    """Settings the manager edits on /settings/; defaults live in app/services/settings.py."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


class ImportBatch(db.Model):
    """One uploaded sheet: its preview until committed, then the record of what it did."""

    __tablename__ = "import_batch"

    STATUS_PREVIEW = "preview"
    STATUS_DONE = "done"
    STATUS_EXPIRED = "expired"

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

    user: Mapped["User | None"] = sa.orm.relationship()
