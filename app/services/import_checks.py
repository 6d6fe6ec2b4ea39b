"""Checking an uploaded sheet's rows in the background, with progress the preview page shows.

Reading the file stays in the upload request (a damaged file or a missing header is answered at
once, on the form); checking every row against the customer rules and the stored customers is the
long part, so it runs here: in a thread, or on an RQ worker when REDIS_URL is set. The database
holds the state (`checking`, then `preview` or `failed`), the rows checked so far and a heartbeat,
so a reload, another worker or another person sees the same progress, and a check whose process
died is reported as stopped instead of spinning forever.
"""
import logging
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.models import ImportBatch
from app.services import importing
from app.services.refusal import Refused

logger = logging.getLogger(__name__)

RQ_JOB = "app.cli.run_import_check_job"
PROGRESS_EVERY = 1000  # rows between two progress writes
# No heartbeat for this long: the process checking the sheet is gone.
STALE_AFTER = timedelta(seconds=60)
STOPPED = _l("Pemeriksaan file terhenti sebelum selesai (server dimulai ulang). Unggah file itu lagi.")


def launch(batch_id):
    """Check the batch's rows in the background (inline when IMPORT_CHECK_IN_BACKGROUND is off)."""
    app = current_app._get_current_object()
    if not app.config.get("IMPORT_CHECK_IN_BACKGROUND", True):
        run_check(batch_id)
        return
    url = app.config.get("REDIS_URL")
    if url:
        from rq import Queue

        from app.services.batch_runner import QUEUE_NAME, redis_connection  # `flask worker` serves both

        Queue(QUEUE_NAME, connection=redis_connection(url)).enqueue(RQ_JOB, str(batch_id), job_timeout=3600)
        return
    threading.Thread(target=_run_in_thread, args=(app, batch_id), name=f"import-{batch_id}", daemon=True).start()


def _run_in_thread(app, batch_id):
    with app.app_context():
        run_check(batch_id)


def run_check(batch_id):
    """Classify every row of a `checking` batch, then make it a preview (or a failure that says why)."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.status != ImportBatch.STATUS_CHECKING:
        return
    try:
        state = importing.load_state(batch, with_data=True)
        _beat(batch_id, 0)

        def progress(done):
            _beat(batch_id, done)

        importing.classify(state, progress=progress, every=PROGRESS_EVERY)
        batch = db.session.get(ImportBatch, batch_id)
        importing.store_preview(batch, state)
        batch.status = ImportBatch.STATUS_PREVIEW
        batch.checked_rows = batch.total_rows
        db.session.commit()
    except Exception as exc:  # any fault ends the check with a reason, never an eternal "checking"
        db.session.rollback()
        logger.exception("checking import %s failed", batch_id)
        reason = exc.message if isinstance(exc, Refused) else _l("Pemeriksaan file gagal. Unggah file itu lagi.")
        _fail(batch_id, str(reason))


def _beat(batch_id, done: int):
    """Record the rows checked so far and that the checker is alive (its own short transaction)."""
    db.session.execute(sa.update(ImportBatch).where(ImportBatch.id == batch_id)
                       .values(checked_rows=done, heartbeat_at=clock.utcnow()))
    db.session.commit()


def _fail(batch_id, reason: str):
    db.session.execute(sa.update(ImportBatch)
                       .where(ImportBatch.id == batch_id, ImportBatch.status == ImportBatch.STATUS_CHECKING)
                       .values(status=ImportBatch.STATUS_FAILED, failure=reason, sheet_data=None, payload=None))
    db.session.commit()


def settle_if_stopped(batch: ImportBatch) -> ImportBatch:
    """A check whose heartbeat went quiet is over: say so (the preview page asks on every poll)."""
    if batch.status == ImportBatch.STATUS_CHECKING:
        last = batch.heartbeat_at or batch.created_at
        if clock.utcnow() - last > STALE_AFTER:
            _fail(batch.id, str(STOPPED))
            db.session.refresh(batch)
    return batch


def percent_done(batch: ImportBatch) -> int:
    """The share of rows checked, 0-100, as the server counted them."""
    if not batch.total_rows:
        return 0
    return min(100, batch.checked_rows * 100 // batch.total_rows)
