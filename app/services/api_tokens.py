"""API bearer tokens: random, shown once, stored as a SHA-256 hash, revocable."""
import hashlib
import secrets

import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import ApiToken, User
from app.services import audit

PREFIX = "mw_"


def _hash(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the plain text is returned once and never stored."""
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=(name or "API").strip()[:80] or "API", token_hash=_hash(plain),
                     prefix=plain[:10])
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", details={"username": user.username, "token": token.prefix})
    return token, plain


def user_for(authorization: str | None) -> User | None:
    """The active user behind `Authorization: Bearer <token>`, or None (missing, unknown, revoked)."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    plain = authorization.removeprefix("Bearer ").strip()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _hash(plain),
                                                        ApiToken.revoked_at.is_(None)))
    if token is None or not token.user.active:
        return None
    token.last_used_at = clock.utcnow()
    return token.user


def revoke(token: ApiToken):
    if token.revoked_at is None:
        token.revoked_at = clock.utcnow()
        audit.record("token.revoke", details={"username": token.user.username, "token": token.prefix})


def tokens() -> list[ApiToken]:
    return db.session.scalars(sa.select(ApiToken).order_by(ApiToken.revoked_at.isnot(None), ApiToken.id.desc())).all()
