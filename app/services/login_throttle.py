"""The login throttle: failed logins counted in the database, so every worker sees the same numbers.

Failures are counted per account name *and* address, and per address over all names. Someone
guessing from elsewhere therefore slows only himself down: the person at the counter, typing the
same account name from another address, still gets in. An account attacked from many addresses at
once (a botnet) leaves each address fewer tries for that account, but never none, so nobody can
lock the real user out.

An attempt is written (and committed) *before* its password is checked and counted together with
the earlier ones: parallel requests, in one worker or in several, cannot all slip through under the
limit. A refused attempt is not counted (its password is never looked at); a successful one clears
that account's failures from that address.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import LoginFailure

WINDOW = timedelta(minutes=15)
PER_ACCOUNT_AND_ADDRESS = 10
PER_ADDRESS = 20
# Failures against one account from every address within the window that mean it is under attack;
# then each address gets this many tries for it instead of PER_ACCOUNT_AND_ADDRESS.
ACCOUNT_UNDER_ATTACK = 50
PER_ACCOUNT_AND_ADDRESS_UNDER_ATTACK = 3

_KEY_LENGTH = 64  # the columns' width: longer names cannot be accounts, longer addresses are not IPs


class LoginThrottled(Exception):
    """Too many failed logins from this address: nothing was checked; try again at `retry_at`."""

    def __init__(self, retry_at: datetime):
        super().__init__(f"login throttled until {retry_at.isoformat()}")
        self.retry_at = retry_at


@dataclass(frozen=True)
class Attempt:
    username: str
    address: str
    id: int


def _keys(username: str | None, address: str | None) -> tuple[str, str]:
    # NUL cannot be stored in PostgreSQL text; the name is only a key here, so it is replaced.
    username = (username or "").strip().lower().replace("\x00", "\ufffd")
    return username[:_KEY_LENGTH], (address or "unknown")[:_KEY_LENGTH]


def start(username: str | None, address: str | None) -> Attempt:
    """Count a login attempt as failed until `succeeded`; LoginThrottled when it may not be tried.

    Commits on its own: the attempt must be visible to every worker before the password is checked.
    """
    username, address = _keys(username, address)
    now = clock.utcnow()
    since = now - WINDOW
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.at < since))
    row = LoginFailure(at=now, username=username, address=address)
    db.session.add(row)
    db.session.commit()
    retry_at = _blocked_until(row, since)
    if retry_at is not None:
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.id == row.id))
        db.session.commit()
        raise LoginThrottled(retry_at)
    return Attempt(username, address, row.id)


def succeeded(attempt: Attempt):
    """The password was right: this account's failures from this address are forgotten."""
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.username == attempt.username,
                                                     LoginFailure.address == attempt.address))


def _blocked_until(row: LoginFailure, since: datetime) -> datetime | None:
    """When this attempt could be made, counting the failures before it; None when it may be now."""
    earlier = sa.and_(LoginFailure.at >= since, LoginFailure.id != row.id)
    against_account = db.session.scalar(
        sa.select(sa.func.count()).where(earlier, LoginFailure.username == row.username))
    per_pair = (PER_ACCOUNT_AND_ADDRESS_UNDER_ATTACK if against_account >= ACCOUNT_UNDER_ATTACK
                else PER_ACCOUNT_AND_ADDRESS)
    waits = [
        _free_at(sa.and_(earlier, LoginFailure.username == row.username,
                         LoginFailure.address == row.address), per_pair),
        _free_at(sa.and_(earlier, LoginFailure.address == row.address), PER_ADDRESS),
    ]
    waits = [wait for wait in waits if wait is not None]
    return max(waits) if waits else None


def _free_at(condition, limit: int) -> datetime | None:
    """When fewer than `limit` failures matching `condition` remain in the window, if not now."""
    # The (count - limit + 1)th oldest failure must age out of the window first.
    count = db.session.scalar(sa.select(sa.func.count()).where(condition))
    if count < limit:
        return None
    oldest_to_go = db.session.scalar(
        sa.select(LoginFailure.at).where(condition).order_by(LoginFailure.at, LoginFailure.id)
        .offset(count - limit).limit(1))
    return oldest_to_go + WINDOW
