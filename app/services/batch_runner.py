"""Running a batch: claim it, send its queued messages at the provider's rate on worker threads,
record each answer, keep a heartbeat; and launching that in the background.

A batch's state is in the database, so it does not matter which process runs it or whether one
dies halfway: a runner claims the batch with a heartbeat, a runner that went quiet is replaced,
and the messages it left half-sent become unconfirmed instead of being sent again. Each answer is
committed as it arrives.

In the background means a thread of this process by default, or an RQ worker (`flask worker`)
when REDIS_URL is set; the worker runs `app.cli.run_batch_job`, which builds its own app.
"""
import json
import logging
import math
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app import clock
from app.extensions import db
from app.models import Message, ReminderBatch
from app.services import safe_sending
from app.services.formats import format_moment
from app.services.reminder_rules import outside_sending_hours
from app.services.reminders import (
    drop_queued,
    mark_interrupted,
    no_longer_due,
    provider,
    provider_problem_text,
    record_result,
)
from app.services.settings import get_setting
from app.whatsapp.base import OutgoingMessage

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 2.0  # seconds
STALE_SECONDS = 20  # a running batch silent this long has lost its runner (REMINDER_STALE_SECONDS)
QUEUE_NAME = "reminders"
NOT_READY_RETRY = timedelta(minutes=5)  # a gateway restarting or a session starting
RQ_JOB = "app.cli.run_batch_job"


class RateLimiter:
    """Start at most `rate` sends a second, evenly spaced (thread-safe)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_slot = time.monotonic()
        self.lock = threading.Lock()

    def wait(self):
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def _stale_after() -> timedelta:
    return timedelta(seconds=float(current_app.config.get("REMINDER_STALE_SECONDS", STALE_SECONDS)))


def _claim_batch(batch_id: int, runner: str) -> bool:
    now = clock.utcnow()
    result = db.session.execute(
        sa.update(ReminderBatch)
        .where(ReminderBatch.id == batch_id,
               sa.or_(ReminderBatch.status == ReminderBatch.PENDING,
                      sa.and_(ReminderBatch.status == ReminderBatch.RUNNING,
                              sa.or_(ReminderBatch.heartbeat_at.is_(None),
                                     ReminderBatch.heartbeat_at < now - _stale_after()))))
        .values(status=ReminderBatch.RUNNING, runner=runner, heartbeat_at=now,
                started_at=sa.func.coalesce(ReminderBatch.started_at, now))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _beat(batch_id: int, runner: str) -> bool:
    """Keep the claim alive; False when the batch was stopped or taken over meanwhile."""
    result = db.session.execute(
        sa.update(ReminderBatch)
        .where(ReminderBatch.id == batch_id, ReminderBatch.runner == runner,
               ReminderBatch.status == ReminderBatch.RUNNING)
        .values(heartbeat_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _mark_unconfirmed(batch_id: int):
    """Messages a dead runner was sending may or may not have gone out: never resend them blindly."""
    mark_interrupted(Message.batch_id == batch_id)
    db.session.commit()


def _claim_messages(batch_id: int, limit: int) -> list[Message]:
    """Take up to `limit` due messages of the batch for sending.

    Each is taken by a conditional UPDATE (still queued → sending): two runners of one batch (a
    slow one and the one that took it over) may both see a message queued, but only one takes it.
    """
    now = clock.utcnow()
    candidates = db.session.scalars(
        sa.select(Message.id)
        .where(Message.batch_id == batch_id, Message.status == Message.QUEUED,
               sa.or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now))
        .order_by(Message.id).limit(limit)
    ).all()
    taken = [
        message_id for message_id in candidates
        if db.session.execute(
            sa.update(Message).where(Message.id == message_id, Message.status == Message.QUEUED)
            .values(status=Message.SENDING, attempts=Message.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
    ]
    db.session.commit()
    if not taken:
        return []
    claimed = db.session.scalars(sa.select(Message).where(Message.id.in_(taken)).order_by(Message.id)).all()
    # The batch may have waited (a pause, a stop): whoever is no longer due is left out now.
    due = []
    for message in claimed:
        reason = no_longer_due(message)
        if reason:
            drop_queued(message, reason)
        else:
            due.append(message)
    if len(due) != len(claimed):
        db.session.commit()
    return due


def _waiting(batch_id: int) -> tuple[int, object]:
    """How many messages still wait for a later retry, and the earliest time one is due."""
    count, earliest = db.session.execute(
        sa.select(sa.func.count(Message.id), sa.func.min(Message.next_attempt_at))
        .where(Message.batch_id == batch_id, Message.status == Message.QUEUED)
    ).one()
    return count, earliest


def run_batch(batch_id: int) -> ReminderBatch | None:
    """Send a batch's queued messages at the provider's rate, concurrently; returns when it ends.

    Safe to call from several processes: only one claims the batch at a time.
    """
    runner = uuid.uuid4().hex
    if not _claim_batch(batch_id, runner):
        return None
    sender = provider()
    batch = db.session.get(ReminderBatch, batch_id)
    if sender.interactive or sender.problem:
        # wa.me links are sent by a person, one click at a time; nothing to run here.
        batch.status = ReminderBatch.PENDING if sender.interactive else ReminderBatch.STOPPED
        batch.stop_reason = None if sender.interactive else provider_problem_text(sender.problem)
        db.session.commit()
        return batch
    _mark_unconfirmed(batch_id)
    resume_after = None
    not_ready = sender.ready_problem()
    if not_ready:
        # One clear message instead of every customer failing; what may pass by itself is tried again soon.
        stop_reason = not_ready.reason
        resume_after = clock.utcnow() + NOT_READY_RETRY if not_ready.transient else None
    elif sender.personal_number:
        stop_reason, resume_after = _run_paced(batch_id, runner, sender)
    else:
        stop_reason = _run_concurrent(batch_id, runner, sender)
    batch = db.session.get(ReminderBatch, batch_id)
    db.session.refresh(batch)
    if batch.runner == runner and batch.status == ReminderBatch.RUNNING:
        if stop_reason and stop_reason != "taken over":
            batch.status, batch.stop_reason, batch.resume_after = ReminderBatch.STOPPED, stop_reason, resume_after
        else:
            batch.status = ReminderBatch.DONE
        batch.finished_at = clock.utcnow()
        db.session.commit()
    return batch


def _run_concurrent(batch_id: int, runner: str, sender) -> str | None:
    """Send at the provider's rate on worker threads (an API that allows it); returns why it stopped, if it did."""
    limiter = RateLimiter(sender.rate)
    workers = max(2, min(32, math.ceil(sender.rate * 2)))
    claim_size = max(1, math.ceil(sender.rate / 5))
    stop_reason = None
    in_flight = {}
    last_beat = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"batch-{batch_id}") as pool:
        while True:
            if time.monotonic() - last_beat > HEARTBEAT_EVERY:
                if not _beat(batch_id, runner):
                    stop_reason = stop_reason or "taken over"
                last_beat = time.monotonic()
            if stop_reason is None and len(in_flight) < workers:
                # Claim only what starts within a fifth of a second: if this process dies, few
                # messages are left half-sent (they are reported as unconfirmed, not resent).
                for message in _claim_messages(batch_id, min(workers - len(in_flight), claim_size)):
                    outgoing = OutgoingMessage(message.to_phone, message.body, json.loads(message.template_params or "[]"))
                    limiter.wait()
                    in_flight[pool.submit(sender.send, outgoing)] = message.id
            if in_flight:
                done, _ = wait(list(in_flight), timeout=0.05, return_when=FIRST_COMPLETED)
                for future in done:
                    message = db.session.get(Message, in_flight.pop(future))
                    reason = record_result(message, future.result(), automatic=True)
                    stop_reason = stop_reason or reason
                if done:
                    db.session.commit()
                continue
            if stop_reason is not None:
                break
            waiting, earliest = _waiting(batch_id)
            if not waiting:
                break
            pause = (earliest - clock.utcnow()).total_seconds() if earliest else 0.05
            time.sleep(min(max(pause, 0.05), HEARTBEAT_EVERY))
    return stop_reason


def _pause(batch_id: int, runner: str, seconds: float) -> bool:
    """Wait on the app's clock, keeping the claim alive; False when the batch was stopped or taken over."""
    while seconds > 0:
        step = min(seconds, HEARTBEAT_EVERY)
        clock.sleep(step)
        seconds -= step
        if not _beat(batch_id, runner):
            return False
    return True


def _hold(sender) -> tuple[str, object] | None:
    """Why a personal number must not send now (sending hours, the day's cap), and when it may again."""
    locale, zone = "id", clock.local_zone()
    if outside_sending_hours(clock.local_now()):
        when = safe_sending.next_sending_start()
        return (_("Di luar jam kirim (%(hours)s); dilanjutkan otomatis %(when)s.", hours=safe_sending.hours_text(),
                  when=format_moment(when, locale, zone)), when)
    if safe_sending.left_today(sender.name) <= 0:
        when = safe_sending.next_day_start()
        return (_("Batas %(cap)d pesan sehari dari nomor ini tercapai; sisanya dikirim otomatis %(when)s.",
                  cap=get_setting("daily_cap"), when=format_moment(when, locale, zone)), when)
    return None


def _run_paced(batch_id: int, runner: str, sender) -> tuple[str | None, object]:
    """One message at a time with a random pause before each but the first, inside the sending hours
    and under the day's cap (a personal number); returns why it stopped and when it may go on."""
    first = True
    while True:
        waiting, earliest = _waiting(batch_id)
        if not waiting:
            return None, None
        if not first and not _pause(batch_id, runner, safe_sending.pause_seconds()):
            return "taken over", None
        first = False
        if not _pause(batch_id, runner, safe_sending.wait_for_the_number(sender.name)):
            return "taken over", None
        hold = _hold(sender)  # after the pauses: they may have ended the sending hours
        if hold:
            return hold
        [message] = _claim_messages(batch_id, 1) or [None]
        if message is None:  # only retries due later are left
            pause = (earliest - clock.utcnow()).total_seconds() if earliest else HEARTBEAT_EVERY
            if not _pause(batch_id, runner, min(max(pause, 0.05), HEARTBEAT_EVERY)):
                return "taken over", None
            continue
        outgoing = OutgoingMessage(message.to_phone, message.body, json.loads(message.template_params or "[]"))
        reason = record_result(message, sender.send(outgoing), automatic=True)
        db.session.commit()
        if reason:
            return reason, None
        if not _beat(batch_id, runner):
            return "taken over", None


def stale_batches() -> list[int]:
    """Running batches whose runner went quiet, and pending ones nobody started."""
    cutoff = clock.utcnow() - _stale_after()
    return list(db.session.scalars(
        sa.select(ReminderBatch.id).where(
            sa.or_(sa.and_(ReminderBatch.status == ReminderBatch.RUNNING, ReminderBatch.heartbeat_at < cutoff),
                   sa.and_(ReminderBatch.status == ReminderBatch.PENDING, ReminderBatch.created_at < cutoff)))
    ))


# --- in the background -------------------------------------------------------------------------

def redis_connection(url: str):
    from redis import Redis

    return Redis.from_url(url)


def launch(batch_id: int):
    """Start running a batch in the background."""
    url = current_app.config.get("REDIS_URL")
    if url:
        from rq import Queue

        Queue(QUEUE_NAME, connection=redis_connection(url)).enqueue(RQ_JOB, batch_id, job_timeout=6 * 3600)
        return
    app = current_app._get_current_object()
    threading.Thread(target=_run_in_thread, args=(app, batch_id), name=f"batch-{batch_id}", daemon=True).start()


def _run_in_thread(app, batch_id: int):
    with app.app_context():
        try:
            run_batch(batch_id)
        except Exception:  # the batch stays claimed; its heartbeat goes stale and it is resumed
            logger.exception("reminder batch %s failed", batch_id)


def due_to_resume() -> list[int]:
    """Batches a personal number's cap or sending hours stopped, whose time to go on has come; made pending."""
    ids = list(db.session.scalars(sa.select(ReminderBatch.id).where(
        ReminderBatch.status == ReminderBatch.STOPPED, ReminderBatch.resume_after <= clock.utcnow())))
    for batch_id in ids:
        db.session.execute(
            sa.update(ReminderBatch).where(ReminderBatch.id == batch_id, ReminderBatch.status == ReminderBatch.STOPPED)
            .values(status=ReminderBatch.PENDING, stop_reason=None, resume_after=None)
            .execution_options(synchronize_session=False))
    db.session.commit()
    return ids


def resume_stale():
    """Take over batches whose runner died, and go on with those paused until now (progress polls, cron)."""
    for batch_id in stale_batches() + due_to_resume():
        launch(batch_id)
