"""Staff and manager accounts, and the sessions signed in to them."""
import hmac
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from app import clock
from app.extensions import db
from app.models import ROLE_MANAGER, ROLES, User, new_session_token
from app.services import audit

PASSWORD_MIN_LENGTH = 8


@cache
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)


def _dummy_hash() -> str:
    return _dummy_hash_for(current_app.config["PASSWORD_HASH_METHOD"])


class UserInvalid(ValueError):
    def __init__(self, field, message):
        super().__init__(str(message))
        self.field = field
        self.message = message


def check_password_strength(password: str):
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise UserInvalid("password", _l("Kata sandi minimal %(min)d karakter.", min=PASSWORD_MIN_LENGTH))


def any_user_exists() -> bool:
    return db.session.scalar(sa.select(sa.exists().where(User.id.isnot(None))))


def _has_control_characters(text: str) -> bool:
    # PostgreSQL refuses NUL in text outright; no account name has any of these.
    return any(ord(character) < 32 or ord(character) == 127 for character in text)


def find_user(username: str) -> User | None:
    if _has_control_characters(username):
        return None
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.strip().lower()))


def create_user(username: str, password: str, role: str) -> User:
    """A new account; usernames are unique regardless of case."""
    username = (username or "").strip()
    if not username:
        raise UserInvalid("username", _l("Nama pengguna wajib diisi."))
    if len(username) > 64:
        raise UserInvalid("username", _l("Nama pengguna terlalu panjang (maks. 64 karakter)."))
    if _has_control_characters(username):
        raise UserInvalid("username", _l("Nama pengguna tidak boleh berisi karakter kendali."))
    if role not in ROLES:
        raise UserInvalid("role", _l("Peran tidak dikenal."))
    if find_user(username):
        raise UserInvalid("username", _l("Nama pengguna %(name)s sudah ada.", name=username))
    check_password_strength(password)
    user = User(username=username, role=role)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", details={"username": user.username, "role": role})
    return user


def create_first_manager(username: str, password: str) -> User:
    """The first-run account; refused once any account exists."""
    if any_user_exists():
        raise UserInvalid("username", _l("Akun pertama sudah dibuat. Silakan masuk."))
    return create_user(username, password, ROLE_MANAGER)


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every kind of failure)."""
    user = find_user(username or "")
    if user is None:
        # Hash anyway, so the answer takes as long as for a real account (no user enumeration).
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    user.last_login_at = clock.utcnow()
    return user


def user_for_session(session_id: str) -> User | None:
    """The active account a session or remember-me cookie ("id:token", see User.get_id) belongs to.

    None when the account has ended its sessions since the cookie was made (a new token), or is
    deactivated: that cookie signs nobody in any more.
    """
    user_id, _, token = (session_id or "").partition(":")
    # Only an id a database integer can hold, in ASCII digits ("١" is a digit to Python, too).
    is_id = user_id.isascii() and user_id.isdigit() and len(user_id) <= 9
    user = db.session.get(User, int(user_id)) if is_id else None
    if user is None or not user.active or not token:
        return None
    return user if hmac.compare_digest(token.encode(), user.session_token.encode()) else None


def end_sessions(user: User):
    """Sign the account out everywhere: every session and remember-me cookie made so far stops working."""
    user.session_token = new_session_token()


def reset_password(user: User, password: str):
    """A new password; whoever was signed in with the old one is signed out."""
    check_password_strength(password)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    end_sessions(user)
    audit.record("user.update", details={"username": user.username, "password": "••••"})


def set_active(user: User, active: bool, acting: User):
    """Deactivating signs the account out everywhere (reactivating does not bring old cookies back)."""
    if user.id == acting.id and not active:
        raise UserInvalid("active", _l("Anda tidak bisa menonaktifkan akun Anda sendiri."))
    if user.active != active:
        audit.record("user.update", changes={"active": [user.active, active]}, details={"username": user.username})
    if not active:
        end_sessions(user)
    user.active = active
