"""Staff and manager accounts."""
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import ROLE_MANAGER, ROLES, User
from app.services import audit, clock

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


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.strip().lower()))


def create_user(username: str, password: str, role: str) -> User:
    """A new account; usernames are unique regardless of case."""
    username = (username or "").strip()
    if not username:
        raise UserInvalid("username", _l("Nama pengguna wajib diisi."))
    if len(username) > 64:
        raise UserInvalid("username", _l("Nama pengguna terlalu panjang (maks. 64 karakter)."))
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


def reset_password(user: User, password: str):
    check_password_strength(password)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    audit.record("user.update", details={"username": user.username, "password": "••••"})


def set_active(user: User, active: bool, acting: User):
    if user.id == acting.id and not active:
        raise UserInvalid("active", _l("Anda tidak bisa menonaktifkan akun Anda sendiri."))
    if user.active != active:
        audit.record("user.update", changes={"active": [user.active, active]}, details={"username": user.username})
    user.active = active
