"""Where a batch runs: a thread of this process by default, an RQ worker when REDIS_URL is set.

Either way the batch's state is in the database, so it does not matter which process runs it or
whether one dies halfway: `run_batch` claims it, and a stale claim is taken over.
"""
import logging
import threading

from flask import current_app

logger = logging.getLogger(__name__)
QUEUE_NAME = "reminders"


def redis_connection(url: str):
    from redis import Redis

    return Redis.from_url(url)


def launch(batch_id: int):
    """Start running a batch in the background."""
    url = current_app.config.get("REDIS_URL")
    if url:
        from rq import Queue

        Queue(QUEUE_NAME, connection=redis_connection(url)).enqueue(run_batch_job, batch_id, job_timeout=6 * 3600)
        return
    app = current_app._get_current_object()
    threading.Thread(target=_run_in_thread, args=(app, batch_id), name=f"batch-{batch_id}", daemon=True).start()


def _run_in_thread(app, batch_id: int):
    from app.services.reminders import run_batch

    with app.app_context():
        try:
            run_batch(batch_id)
        except Exception:  # the batch stays claimed; its heartbeat goes stale and it is resumed
            logger.exception("reminder batch %s failed", batch_id)


def run_batch_job(batch_id: int):
    """The RQ job: a fresh app in the worker process."""
    from app import create_app
    from app.services.reminders import run_batch

    app = create_app()
    with app.app_context():
        run_batch(batch_id)


def resume_stale():
    """Take over batches whose runner died (called on progress polls and by cron)."""
    from app.services.reminders import stale_batches

    for batch_id in stale_batches():
        launch(batch_id)
